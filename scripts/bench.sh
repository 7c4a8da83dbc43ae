#!/usr/bin/env bash
# Set everything up and run the benchmark (bench/bench.py); arguments pick scenarios.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh requirements.txt
exec .venv/bin/python bench/bench.py "$@"
