"""`python -m nn`: the command line of nn.cli (the demo when run without options)."""
import sys

from nn.cli import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m nn"))
