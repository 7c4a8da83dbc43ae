#!/usr/bin/env bash
# Run nginx in front of gunicorn, in the foreground, with the configuration in deploy/nginx.conf
# (why: docs/deploy.md). Installs Debian's nginx when it is missing (as root); runs as any user.
#   NGINX_LISTEN    where browsers connect: 127.0.0.1:${PORT:-8000} by default; 80, or 443 with
#                   TLS added to deploy/nginx.conf, in production
#   GUNICORN_BIND   where gunicorn listens, as deploy/gunicorn.conf.py reads it: 127.0.0.1:8010
#   NGINX_RUN_DIR   the filled-in configuration, pid and temporary files: var/nginx
# It reads Django's settings (the environment the app gets) for the largest accepted body.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/nginx_install.sh
nginx_binary="$(command -v nginx || echo /usr/sbin/nginx)"

run_dir="${NGINX_RUN_DIR:-var/nginx}"
mkdir -p "$run_dir"
run_dir="$(cd "$run_dir" && pwd)"
python=python3
if [ -x .venv/bin/python ]; then python=.venv/bin/python; fi
django_limit="$(DJANGO_SETTINGS_MODULE=wikicheck_site.settings "$python" -c \
  'from django.conf import settings; print(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)')"
upstream="${GUNICORN_BIND:-127.0.0.1:8010}"
# gunicorn writes a unix socket as unix:PATH, nginx's upstream as unix:PATH too.
sed -e "s|@LISTEN@|${NGINX_LISTEN:-127.0.0.1:${PORT:-8000}}|g" \
    -e "s|@UPSTREAM@|$upstream|g" \
    -e "s|@RUN_DIR@|$run_dir|g" \
    -e "s|@MAX_BODY_SIZE@|$((django_limit + 1024 * 1024))|g" \
    deploy/nginx.conf > "$run_dir/nginx.conf"
echo "==> nginx on http://${NGINX_LISTEN:-127.0.0.1:${PORT:-8000}}/ in front of gunicorn on $upstream"
exec "$nginx_binary" -p "$run_dir" -c "$run_dir/nginx.conf" -e stderr
