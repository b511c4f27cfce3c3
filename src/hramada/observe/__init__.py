"""Observers' tools for elections run by others: forensics on official results."""
