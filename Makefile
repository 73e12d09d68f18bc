# Shortcuts for the commands in README.md.
.PHONY: run test setup lint format bench smoke

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh

setup:
	bash scripts/setup.sh dev

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format:
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

bench:
	.venv/bin/python bench/rush.py

smoke:
	.venv/bin/python scripts/smoke.py
