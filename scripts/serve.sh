#!/usr/bin/env bash
# Set everything up and run wikicheck on http://127.0.0.1:${PORT:-8000}.
#   bash scripts/serve.sh               the development server, SQLite, no other server; checks
#                                       real Wikipedia pages
#   bash scripts/serve.sh --demo        also starts the local fake wiki on 127.0.0.1, port
#                                       ${FAKEWIKI_PORT:-8001}, and makes it the default wiki, for
#                                       trying the app without the internet; DEBUG off, so pages
#                                       look as in production (the designed error pages)
#   bash scripts/serve.sh --production  the production pair of docs/deploy.md, DEBUG off: gunicorn
#                                       (deploy/gunicorn.conf.py) on 127.0.0.1:8010 behind nginx
#                                       (deploy/nginx.conf, installed with apt when missing)
# A busy port stops it before anything starts. The settings of the run are written to
# var/wikicheck.env, which manage.py reads, so that a command in another terminal talks to the
# same wiki. Start-up ends with a box saying where and as whom to log in; the first run makes the
# superuser `admin` and keeps its generated password in var/admin-password (yours only).
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-}"
case "$mode" in
  "" | --demo | --production) ;;
  *)
    echo "usage: bash scripts/serve.sh [--demo | --production]" >&2
    exit 2
    ;;
esac
port="${PORT:-8000}"
fake_port="${FAKEWIKI_PORT:-8001}"
env_file=var/wikicheck.env
password_file=var/admin-password

# --- Ports: refused in one line, before anything starts ----------------------------------------

# Whether something on this machine listens on 127.0.0.1:$1.
port_busy() { (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The first port after $1 that nothing listens on and that is not $2.
port_free() {
  local candidate=$(($1 + 1))
  while port_busy "$candidate" || [ "$candidate" = "$2" ]; do
    candidate=$((candidate + 1))
  done
  echo "$candidate"
}

port_number_check() {
  if ! [[ $2 =~ ^[0-9]+$ ]] || (($2 < 1 || $2 > 65535)); then
    echo "$1 must be a port number from 1 to 65535, not '$2'." >&2
    exit 2
  fi
}

# The ports this run listens on: PORT (but for the production pair told otherwise by
# NGINX_LISTEN), and the fake wiki's in the demo.
uses_port=1
if [ "$mode" = --production ] && [ -n "${NGINX_LISTEN:-}" ]; then uses_port=""; fi
uses_fake=""
if [ "$mode" = --demo ]; then uses_fake=1; fi
if [ -n "$uses_port" ]; then port_number_check PORT "$port"; fi
if [ -n "$uses_fake" ]; then
  port_number_check FAKEWIKI_PORT "$fake_port"
  if [ "$fake_port" = "$port" ]; then
    echo "PORT and FAKEWIKI_PORT are both $port: give them different ports." >&2
    exit 2
  fi
fi
busy=()
free_port="$port"
free_fake_port="$fake_port"
if [ -n "$uses_port" ] && port_busy "$port"; then
  busy+=("$port")
  free_port="$(port_free "$port" "${uses_fake:+$fake_port}")"
fi
if [ -n "$uses_fake" ] && port_busy "$fake_port"; then
  busy+=("$fake_port")
  free_fake_port="$(port_free "$fake_port" "$free_port")"
fi
if ((${#busy[@]} > 0)); then
  if ((${#busy[@]} == 2)); then
    taken="Ports ${busy[0]} and ${busy[1]} are in use by other programs: stop them"
  else
    taken="Port ${busy[0]} is in use by another program: stop it"
  fi
  ports="PORT=$free_port${uses_fake:+ FAKEWIKI_PORT=$free_fake_port}"
  echo "$taken, or start with $ports bash scripts/serve.sh${mode:+ $mode}" >&2
  exit 1
fi

source scripts/bootstrap.sh requirements.txt

# --- This run's settings: exported to the servers, and written for manage.py elsewhere ---------

mkdir -p var
(umask 077 && echo "# The settings of the last \`scripts/serve.sh${mode:+ $mode}\`, which writes" \
  "this file on each start; manage.py reads it, and the environment wins." >"$env_file")
setting() {
  export "$1=$2"
  # Single quotes keep the value as it is, but for python-dotenv's two escapes, \\ and \'.
  local value="${2//\\/\\\\}"
  printf "%s='%s'\n" "$1" "${value//\'/\\\'}" >>"$env_file"
}
# A key of this checkout's own, made once and kept out of git, unless one is given.
secret_key() {
  if [ -n "${SECRET_KEY:-}" ]; then
    echo "$SECRET_KEY"
    return
  fi
  if [ ! -s var/secret_key ]; then
    echo "==> Generating a secret key in var/secret_key" >&2
    (umask 077 && .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))' >var/secret_key)
  fi
  cat var/secret_key
}
# The login box names this address.
setting WIKICHECK_SITE_URL "http://127.0.0.1:$port"

# Copy a server's output through, and print the login box after the line that says it has started
# ($1, the start of that line), so that the box is the last thing start-up prints.
box_after() {
  local line
  while IFS= read -r line; do
    printf '%s\n' "$line"
    if [[ $line == "$1"* ]]; then
      # runserver ends its banner with a blank line: it goes first, if it comes within a second.
      line=""
      if IFS= read -r -t 1 line || [ -n "$line" ]; then printf '%s\n' "$line"; fi
      printf '%s\n' "$box"
    fi
  done
}

case "$mode" in
  --demo)
    setting DEBUG 0
    setting SECRET_KEY "$(secret_key)"
    # Plain HTTP on this machine.
    setting SECURE_SSL_REDIRECT 0
    setting WIKICHECK_DEFAULT_WIKI "http://127.0.0.1:$fake_port/wiki/"
    setting WIKICHECK_ALLOWED_HOSTS "${WIKICHECK_ALLOWED_HOSTS:-*.wikipedia.org},127.0.0.1:$fake_port"
    setting WIKICHECK_API_PATHS "*.wikipedia.org=/w/api.php,127.0.0.1:$fake_port=/w/api.php"
    setting WIKICHECK_HOST_CONCURRENCY "*.wikipedia.org=3,127.0.0.1:$fake_port=3"
    .venv/bin/python -m fakewiki --port "$fake_port" --latency-ms "${FAKEWIKI_LATENCY_MS:-100}" &
    fake_pid=$!
    trap 'kill "$fake_pid" 2>/dev/null || true' EXIT
    until port_busy "$fake_port"; do
      kill -0 "$fake_pid" 2>/dev/null || exit 1
      sleep 0.1
    done
    ;;
  --production)
    source scripts/nginx_install.sh
    setting DEBUG 0
    setting SECRET_KEY "$(secret_key)"
    # Plain HTTP on this machine; behind TLS, set SECURE_SSL_REDIRECT=1 (docs/deploy.md).
    setting SECURE_SSL_REDIRECT "${SECURE_SSL_REDIRECT:-0}"
    # nginx: failed logins are counted by the address it forwards.
    setting WIKICHECK_PROXY_COUNT "${WIKICHECK_PROXY_COUNT:-1}"
    export GUNICORN_BIND="${GUNICORN_BIND:-127.0.0.1:8010}"
    .venv/bin/python manage.py migrate --noinput
    .venv/bin/python manage.py collectstatic --noinput
    .venv/bin/python manage.py ensure_superuser --password-file "$password_file"
    box="$(.venv/bin/python manage.py loginbox --password-file "$password_file")"
    .venv/bin/gunicorn wikicheck_site.wsgi --config deploy/gunicorn.conf.py &
    gunicorn_pid=$!
    trap 'kill "$gunicorn_pid" 2>/dev/null || true; wait "$gunicorn_pid" 2>/dev/null || true' EXIT
    echo "==> wikicheck on http://127.0.0.1:$port/ (Ctrl-C stops it)"
    bash scripts/nginx.sh | box_after "==> nginx on"
    exit
    ;;
esac

.venv/bin/python manage.py migrate --noinput
if [ "$mode" = --demo ]; then
  .venv/bin/python manage.py collectstatic --noinput --verbosity 0
fi
.venv/bin/python manage.py ensure_superuser --password-file "$password_file"
box="$(.venv/bin/python manage.py loginbox --password-file "$password_file")"
echo "==> wikicheck on http://127.0.0.1:$port/ (Ctrl-C stops it)"
# Unbuffered, so the banner reaches box_after as it is printed; the box stands in for Django's
# warning that this is a development server, which the script's header says.
PYTHONUNBUFFERED=1 DJANGO_RUNSERVER_HIDE_WARNING=true \
  .venv/bin/python manage.py runserver "127.0.0.1:$port" | box_after "Quit the server with"
