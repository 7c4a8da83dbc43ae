# Sourced by nginx.sh and test.sh: install Debian's nginx when it is missing (as root).
# Only the binary is used: nginx.sh runs it with a configuration of its own, never the system one.
set -euo pipefail
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "nginx is missing; install it as root: apt-get install nginx" >&2
    exit 1
  fi
  echo "nginx is missing: apt-get update && apt-get install -y nginx"
  apt-get update -qq
  # policy-rc.d or not, the system service stays stopped: it would take port 80.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl disable --now nginx >/dev/null 2>&1 || true
  fi
fi
