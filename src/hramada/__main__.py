"""`python -m hramada` runs the command line."""

from hramada.cli.main import app

app()
