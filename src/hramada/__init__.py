"""Hramada: end-to-end verifiable elections that speak the Belenios protocol (v1)."""
