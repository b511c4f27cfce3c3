"""The Belenios v1 wire format: data model, canonical JSON and the `.bel` archive."""
