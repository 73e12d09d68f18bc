#!/usr/bin/env bash
# Set up, migrate, load the demo event and serve the site on local defaults
# (SQLite, e-mail to files in var/mail, Celery tasks in-process).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
.venv/bin/python manage.py migrate --no-input
.venv/bin/python manage.py seed_demo --sold "${PSDM_DEMO_SOLD:-0}"
echo "Serving on http://127.0.0.1:8000 (admin: http://127.0.0.1:8000/admin/). Ctrl-C to stop."
exec .venv/bin/python manage.py runserver "${PSDM_ADDRESS:-127.0.0.1:8000}"
