"""Anonymous eligibility: the custodians of the threshold OPRF key behind de-duplication tags."""
