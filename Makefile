# strikeops: every set-up step lives here, so a fresh clone needs only `make run` or `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
# Local runs use DEBUG; production sets its own environment (see README "Configuration").
RUN_ENV := DEBUG=$${DEBUG:-true}

.PHONY: help install run worker beat migrate test test-fast lint format collectstatic check-deploy clean audit

help:
	@echo "make run     - set up everything and serve http://127.0.0.1:8000 (with demo data)"
	@echo "make test    - set up everything and run ruff and the whole test suite"
	@echo "make worker  - run a Celery worker (needs REDIS_URL)"
	@echo "make lint    - ruff check"
	@echo "make audit   - known vulnerabilities in dependencies (pip-audit, npm audit) and bandit"
	@echo "make bench   - benchmarks at BENCH_SCALES (default 10k 100k 1M 5M returns); see BENCHMARKS.md"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: $(VENV)/.installed node_modules/.installed

migrate: install
	$(RUN_ENV) $(MANAGE) migrate --noinput
	$(RUN_ENV) $(MANAGE) import_trusts trusts/data/trusts.csv

run: migrate
	$(RUN_ENV) $(MANAGE) seed_demo
	@if [ -n "$$REDIS_URL" ]; then \
	  echo "Starting a Celery worker with beat against $$REDIS_URL"; \
	  $(RUN_ENV) $(BIN)/celery -A strikeops worker -Q bulk,transactional,housekeeping --beat --loglevel=INFO --concurrency=2 & \
	  trap "kill $$! 2>/dev/null" EXIT; \
	  $(RUN_ENV) $(MANAGE) runserver 127.0.0.1:8000; \
	else \
	  echo "REDIS_URL is not set: Celery tasks run in-process (eagerly). Set REDIS_URL to use a worker."; \
	  $(RUN_ENV) $(MANAGE) runserver 127.0.0.1:8000; \
	fi

worker: install
	$(RUN_ENV) $(BIN)/celery -A strikeops worker -Q bulk,transactional,housekeeping --loglevel=INFO

beat: install
	$(RUN_ENV) $(BIN)/celery -A strikeops beat --loglevel=INFO

lint: install
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff format .

test: install audit
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=tests.settings
	$(BIN)/pytest --cov --cov-report=term:skip-covered --timeout=600 $(PYTEST_ARGS)

# Known vulnerabilities with a fixed version (pip-audit, npm audit) fail; so does any bandit finding
# of medium severity or more that is not justified in place with `# nosec BXXX # reason`.
audit: install
	$(BIN)/python scripts/audit_dependencies.py
	$(BIN)/bandit -r strikeops trusts notices crispy_forms_nhsuk scripts -ll -q

collectstatic: install
	$(BIN)/python manage.py collectstatic --noinput --settings=tests.settings

check-deploy: install
	DEBUG=false SECRET_KEY=$$($(BIN)/python -c "import secrets;print(secrets.token_urlsafe(50))") \
	  MESSAGING_HASH_KEY=$$($(BIN)/python -c "import secrets;print(secrets.token_urlsafe(32))") \
	  SITE_URL=https://strikeops.example.nhs.uk \
	  ALLOWED_HOSTS=strikeops.example.nhs.uk $(MANAGE) check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .coverage

# Benchmarks (bench/, BENCHMARKS.md): a fresh PostgreSQL database `bench` (BENCH_DATABASE_URL) and
# Redis db 11 (BENCH_REDIS_URL), never the development or test ones. Not part of `make test`.
# Quick run: make bench BENCH_SCALES=10k
BENCH_SCALES ?= 10k 100k 1M 5M
.PHONY: bench
bench: install
	$(BIN)/pip install --quiet -r bench/requirements.txt
	BENCH_SCALES="$(BENCH_SCALES)" $(BIN)/python bench/run.py
