"""`python -m nn`: an alias of `python -m seegrad`, the application (kept for old habits)."""
import sys

from seegrad.cli import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m nn"))
