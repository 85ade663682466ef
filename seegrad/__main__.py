"""`python -m seegrad`: the demo, or the job its options describe (see --help)."""
import sys

from seegrad.cli import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m seegrad"))
