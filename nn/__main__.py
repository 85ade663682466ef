"""`python -m nn`: the command line of nn.cli (the demo when run without options)."""
import sys

from nn.cli import main

sys.exit(main(prog="python -m nn"))
