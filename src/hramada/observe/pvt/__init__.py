"""The parallel vote tabulation: voters' ballot photos against the official protocols."""
