#!/usr/bin/env bash
# Create the virtualenv, install pinned Python and npm dependencies and build
# the front-end assets. Safe to run again. Usage: scripts/setup.sh [dev]
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
requirements=requirements.txt
[ "${1:-}" = "dev" ] && requirements=requirements-dev.txt

"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "psdm needs Python 3.11 or newer (found $("$PYTHON" --version))." >&2; exit 1; }
command -v npm >/dev/null || { echo "psdm needs Node.js and npm to build its assets." >&2; exit 1; }

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r "$requirements"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
mkdir -p var
