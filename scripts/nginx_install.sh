# Sourced by nginx.sh and test.sh: install Debian's nginx when it is missing (as root).
# Only the binary is used: nginx.sh runs it with a configuration of its own, never the system one.
set -euo pipefail
source scripts/apt_install.sh
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  apt_install nginx nginx
  # policy-rc.d or not, the system service stays stopped: it would take port 80.
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl disable --now nginx >/dev/null 2>&1 || true
  fi
fi
