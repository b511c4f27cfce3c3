"""Pure mathematics of the protocol: groups, ElGamal, zero-knowledge proofs, credentials."""
