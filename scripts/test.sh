#!/usr/bin/env bash
# Set everything up and run the whole test suite: lint, format, migrations, pytest.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k progress`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh requirements-dev.txt

echo "==> ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "==> migrations are up to date"
.venv/bin/python manage.py makemigrations --check --dry-run
echo "==> pytest"
status=0
.venv/bin/pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests; that is a failure here." >&2
fi
exit "$status"
