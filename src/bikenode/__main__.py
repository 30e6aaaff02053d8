"""`python -m bikenode` runs the command line."""

from bikenode.cli import main

main()
