# Sourced by test.sh and bench.sh: a private Redis server for the Celery backend, on a free port
# of 127.0.0.1, keeping nothing on disk. Installs Debian's redis-server when it is missing (as
# root), exports WIKICHECK_TEST_REDIS_URL, and stops the server when the calling script exits.
set -euo pipefail
source scripts/on_exit.sh
source scripts/apt_install.sh
if ! command -v redis-server >/dev/null; then
  apt_install redis-server redis-server
fi
redis_dir="$(mktemp -d)"
redis_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no \
  --daemonize yes --dir "$redis_dir" --pidfile "$redis_dir/redis.pid" --logfile "$redis_dir/redis.log"
on_exit "kill \$(cat '$redis_dir/redis.pid') 2>/dev/null; rm -rf '$redis_dir'"
for _ in $(seq 100); do
  redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
  sleep 0.1
done
if ! redis-cli -p "$redis_port" ping >/dev/null 2>&1; then
  echo "redis-server did not start; its log:" >&2
  cat "$redis_dir/redis.log" >&2
  exit 1
fi
echo "Redis on 127.0.0.1:$redis_port"
export WIKICHECK_TEST_REDIS_URL="redis://127.0.0.1:$redis_port/0"
