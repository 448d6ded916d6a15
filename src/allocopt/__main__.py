"""``python -m allocopt``: the command line."""

from allocopt.cli import main

main()
