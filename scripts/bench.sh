#!/usr/bin/env bash
# Set everything up and run the benchmark (`python -m bench`, the bench/ package); arguments pick
# scenarios, and --quick runs smaller batches.
# Every scenario runs on a throwaway SQLite database (the default engine), except `celery`,
# which compares the two backends on PostgreSQL, where Celery workers meet: it gets a private
# Redis server and a throwaway database on the local PostgreSQL server, dropped (and the servers
# stopped, those this script started) when the script exits.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh requirements.txt

flags=()
scenarios=()
for argument in "$@"; do
  case "$argument" in
    -*) flags+=("$argument") ;;
    *) scenarios+=("$argument") ;;
  esac
done
[ "${#scenarios[@]}" -gt 0 ] || scenarios=(latency form cli cpu api large million reads pollers celery)
on_sqlite=()
celery=0
for scenario in "${scenarios[@]}"; do
  if [ "$scenario" = celery ]; then celery=1; else on_sqlite+=("$scenario"); fi
done

if [[ " ${on_sqlite[*]:-} " == *" cli "* ]]; then
  # lychee, which the cli scenario compares with, lives in a venv of its own, never the product's.
  tools=var/bench-tools
  if [ ! -x "$tools/bin/lychee" ]; then
    echo "==> the benchmark's own tools (bench/requirements.txt) into $tools"
    python3 -m venv "$tools"
    "$tools/bin/pip" install -q -r bench/requirements.txt
  fi
  export WIKICHECK_BENCH_LYCHEE="$PWD/$tools/bin/lychee"
fi

# Every scenario runs and reports its figures; the script fails at the end if one missed.
status=0
if [ "${#on_sqlite[@]}" -gt 0 ]; then
  .venv/bin/python -m bench "${flags[@]}" "${on_sqlite[@]}" || status=$?
fi
if [ "$celery" = 1 ]; then
  echo "==> Redis and PostgreSQL for the celery scenario"
  source scripts/redis.sh
  source scripts/postgres.sh
  bench_database="wikicheck_bench_$$"
  maintenance_url="${WIKICHECK_TEST_POSTGRES_URL%/*}/postgres"
  createdb --maintenance-db="$maintenance_url" "$bench_database"
  # --force: a worker killed mid-run may have left its connection behind.
  on_exit "dropdb --maintenance-db='$maintenance_url' --if-exists --force '$bench_database'"
  # Workers keep their connections between tasks, as docs/deploy.md recommends.
  DATABASE_CONN_MAX_AGE="${DATABASE_CONN_MAX_AGE:-60}" \
    WIKICHECK_BENCH_DATABASE_URL="${WIKICHECK_TEST_POSTGRES_URL%/*}/$bench_database" \
    WIKICHECK_BENCH_REDIS_URL="$WIKICHECK_TEST_REDIS_URL" \
    .venv/bin/python -m bench "${flags[@]}" celery || status=$?
fi
exit "$status"
