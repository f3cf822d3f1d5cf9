"""`python -m pixfix` runs the command line."""

from pixfix.cli import main

main()
