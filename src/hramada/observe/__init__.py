"""Observers' tools for elections run by others: forensics and the parallel vote tabulation."""
