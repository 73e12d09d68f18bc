#!/usr/bin/env bash
# Set up and run the whole test suite: lint, migrations check, then pytest
# (services, races, views, admin, and real Chromium with axe-core).
# Uses PostgreSQL when DATABASE_URL is set, else the SQLite default.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh dev

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "The browser tests need Chromium at /usr/bin/chromium: sudo apt-get install chromium" >&2
    exit 1
  fi
fi

.venv/bin/ruff check .
.venv/bin/ruff format --check .
env -u DATABASE_URL .venv/bin/python manage.py makemigrations --check --dry-run >/dev/null \
  || { echo "Models changed without a migration: run manage.py makemigrations" >&2; exit 1; }

echo "Running tests on ${DATABASE_URL:+PostgreSQL}${DATABASE_URL:-SQLite (local default)}"
exec .venv/bin/python -m pytest "$@"
