"""Seats and referendum outcomes from verified counts, by published rules, in exact arithmetic."""
