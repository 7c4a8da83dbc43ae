"""`python -m bench [scenario ...] [--quick]`: run the benchmark and print its table."""

import sys

from bench.cli import main

if __name__ == "__main__":
    sys.exit(main())
