"""Election forensics on station-level official results: fingerprints and integer percentages."""
