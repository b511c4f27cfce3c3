"""The observer's verifier: re-checks everything a `.bel` archive claims."""
