# Sourced by nginx_install.sh, postgres.sh and redis.sh once they find NAME missing:
# `apt_install NAME PACKAGE` installs Debian's PACKAGE as root, or stops the script saying how to.
apt_install() {
  local name="$1" package="$2"
  if [ "$(id -u)" -ne 0 ]; then
    echo "$name is missing; install it as root: apt-get install $package" >&2
    exit 1
  fi
  echo "$name is missing: apt-get update && apt-get install -y $package"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
}
