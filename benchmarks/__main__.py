"""`python -m benchmarks`: run the benchmark suite (see `python -m benchmarks --help`)."""
import os
import sys

from benchmarks import THREAD_VARIABLES


def _pin_threads(argv):
    """Apply `--threads N` before numpy and torch start their thread pools (they read these
    variables once, when they load)."""
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith("--threads="):
            value = arg.split("=", 1)[1]
        else:
            continue
        for variable in THREAD_VARIABLES:
            os.environ[variable] = value


_pin_threads(sys.argv[1:])

from benchmarks.run import main  # noqa: E402  (after the thread variables are set)

raise SystemExit(main())
