# Sourced by serve.sh and test.sh: create .venv and install the requirements when they changed.
# Usage: source scripts/bootstrap.sh [requirements file]
set -euo pipefail
requirements="${1:-requirements.txt}"
if [ ! -x .venv/bin/python ]; then
  echo "==> Creating the virtualenv in .venv"
  python3 -m venv .venv
fi
stamp=".venv/.installed-$(basename "$requirements")"
wanted="$(cat requirements*.txt | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "==> Installing Python packages from $requirements"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r "$requirements"
  echo "$wanted" > "$stamp"
fi
