#!/usr/bin/env bash
# Set everything up and run wikicheck on http://127.0.0.1:8000 (SQLite, no other server).
#   bash scripts/serve.sh          checks real Wikipedia pages
#   bash scripts/serve.sh --demo   also starts the local fake wiki on 127.0.0.1:8001 and makes it
#                                  the default wiki, for trying the app without the internet
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh requirements.txt

if [ "${1:-}" = "--demo" ]; then
  fake_port="${FAKEWIKI_PORT:-8001}"
  .venv/bin/python manage.py fakewiki --port "$fake_port" --latency-ms "${FAKEWIKI_LATENCY_MS:-100}" &
  fake_pid=$!
  trap 'kill "$fake_pid" 2>/dev/null || true' EXIT
  export WIKICHECK_DEFAULT_WIKI="http://127.0.0.1:$fake_port/wiki/"
  export WIKICHECK_ALLOWED_HOSTS="${WIKICHECK_ALLOWED_HOSTS:-*.wikipedia.org},127.0.0.1:$fake_port"
  export WIKICHECK_API_PATHS="*.wikipedia.org=/w/api.php,127.0.0.1:$fake_port=/w/api.php"
  export WIKICHECK_HOST_CONCURRENCY="*.wikipedia.org=3,127.0.0.1:$fake_port=3"
fi

.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py ensure_superuser
echo "==> wikicheck on http://127.0.0.1:${PORT:-8000}/ (Ctrl-C stops it)"
.venv/bin/python manage.py runserver "127.0.0.1:${PORT:-8000}"
