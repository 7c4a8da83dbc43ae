#!/usr/bin/env bash
# Set everything up and run wikicheck on http://127.0.0.1:8000.
#   bash scripts/serve.sh               the development server, SQLite, no other server; checks
#                                       real Wikipedia pages
#   bash scripts/serve.sh --demo        also starts the local fake wiki on 127.0.0.1:8001 and makes
#                                       it the default wiki, for trying the app without the internet
#   bash scripts/serve.sh --production  the production pair of docs/deploy.md, DEBUG off: gunicorn
#                                       (deploy/gunicorn.conf.py) on 127.0.0.1:8010 behind nginx
#                                       (deploy/nginx.conf, installed with apt when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh requirements.txt

case "${1:-}" in
  --demo)
    fake_port="${FAKEWIKI_PORT:-8001}"
    .venv/bin/python -m fakewiki --port "$fake_port" --latency-ms "${FAKEWIKI_LATENCY_MS:-100}" &
    fake_pid=$!
    trap 'kill "$fake_pid" 2>/dev/null || true' EXIT
    export WIKICHECK_DEFAULT_WIKI="http://127.0.0.1:$fake_port/wiki/"
    export WIKICHECK_ALLOWED_HOSTS="${WIKICHECK_ALLOWED_HOSTS:-*.wikipedia.org},127.0.0.1:$fake_port"
    export WIKICHECK_API_PATHS="*.wikipedia.org=/w/api.php,127.0.0.1:$fake_port=/w/api.php"
    export WIKICHECK_HOST_CONCURRENCY="*.wikipedia.org=3,127.0.0.1:$fake_port=3"
    ;;
  --production)
    source scripts/nginx_install.sh
    export DEBUG=0
    # A key of this checkout's own, made once and kept out of git, unless one is given.
    if [ -z "${SECRET_KEY:-}" ]; then
      mkdir -p var
      if [ ! -s var/secret_key ]; then
        echo "==> Generating a secret key in var/secret_key"
        (umask 077 && .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))' > var/secret_key)
      fi
      SECRET_KEY="$(cat var/secret_key)"
      export SECRET_KEY
    fi
    # Plain HTTP on this machine; behind TLS, set SECURE_SSL_REDIRECT=1 (docs/deploy.md).
    export SECURE_SSL_REDIRECT="${SECURE_SSL_REDIRECT:-0}"
    # nginx: failed logins are counted by the address it forwards.
    export WIKICHECK_PROXY_COUNT="${WIKICHECK_PROXY_COUNT:-1}"
    export GUNICORN_BIND="${GUNICORN_BIND:-127.0.0.1:8010}"
    .venv/bin/python manage.py migrate --noinput
    .venv/bin/python manage.py collectstatic --noinput
    .venv/bin/python manage.py ensure_superuser
    .venv/bin/gunicorn wikicheck_site.wsgi --config deploy/gunicorn.conf.py &
    gunicorn_pid=$!
    trap 'kill "$gunicorn_pid" 2>/dev/null || true; wait "$gunicorn_pid" 2>/dev/null || true' EXIT
    echo "==> wikicheck on http://127.0.0.1:${PORT:-8000}/ (Ctrl-C stops it)"
    bash scripts/nginx.sh
    exit
    ;;
  "") ;;
  *)
    echo "usage: bash scripts/serve.sh [--demo | --production]" >&2
    exit 2
    ;;
esac

.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py ensure_superuser
echo "==> wikicheck on http://127.0.0.1:${PORT:-8000}/ (Ctrl-C stops it)"
.venv/bin/python manage.py runserver "127.0.0.1:${PORT:-8000}"
