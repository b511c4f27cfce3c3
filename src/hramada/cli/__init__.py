"""The `hramada` command line: demo, verify, and the commands of each election role."""
