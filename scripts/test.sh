#!/usr/bin/env bash
# Set everything up and run the whole test suite: lint, format, migrations, then pytest twice,
# on SQLite (the default) and on a local PostgreSQL server, with a Redis server for the Celery
# backend's tests; this script starts both servers and stops them. It installs Debian's chromium
# and nginx (for the browser tests and the production pair's) when they are missing.
# Extra arguments go to both pytest runs, e.g. `bash scripts/test.sh -k progress`;
# WIKICHECK_TEST_POSTGRES=0 skips the PostgreSQL run (a quick local check, not CI);
# WIKICHECK_TEST_PROCESSES sets how many test processes run at once (4; 0 runs them in this one).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh requirements-dev.txt

echo "==> ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "==> migrations are up to date"
.venv/bin/python manage.py makemigrations --check --dry-run
echo "==> Chromium for the browser tests"
# Playwright drives Debian's Chromium: its own browser download needs the open internet.
export WIKICHECK_CHROMIUM="${WIKICHECK_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$WIKICHECK_CHROMIUM" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "$WIKICHECK_CHROMIUM is missing; install it as root: apt-get install chromium" >&2
    exit 1
  fi
  echo "$WIKICHECK_CHROMIUM is missing: apt-get update && apt-get install -y chromium"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }; then
    echo "Could not install chromium with apt-get; the browser tests need it." >&2
    exit 1
  fi
  WIKICHECK_CHROMIUM=/usr/bin/chromium
fi
echo "Using $WIKICHECK_CHROMIUM"
echo "==> nginx for the production pair's tests"
source scripts/nginx_install.sh
echo "==> Redis for the Celery backend"
source scripts/redis.sh
if [ "${WIKICHECK_TEST_POSTGRES:-1}" != "0" ]; then
  echo "==> PostgreSQL for the second run"
  source scripts/postgres.sh
fi

run_pytest() {
  local status=0
  # Parallel test processes (pytest-xdist): most tests wait on sockets and subprocesses, so more
  # processes than cores pay; each has its own test database and Redis database. Tests of one
  # xdist_group run one after another in one process.
  .venv/bin/pytest -n "${WIKICHECK_TEST_PROCESSES:-4}" --dist loadgroup "$@" || status=$?
  if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests; that is a failure here." >&2
  fi
  return "$status"
}

echo "==> pytest on SQLite"
run_pytest "$@"
if [ -n "${WIKICHECK_TEST_POSTGRES_URL:-}" ]; then
  echo "==> pytest on PostgreSQL"
  DATABASE_URL="$WIKICHECK_TEST_POSTGRES_URL" run_pytest "$@"
fi
