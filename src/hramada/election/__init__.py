"""The election workflow as operations on a `.bel` archive: setup, cast, tally, decrypt, result."""
