# One obvious way to run things. See README.md.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run setup install install-dev migrate seed test test-fast lint format bench bench-quick faults security worker beat clean vendor

$(BIN)/activate:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found (Python 3.11 is required)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

## run: set up, migrate, seed the demo once and serve on http://127.0.0.1:8000 (SQLite, no services)
run: migrate
	@if [ ! -f .demo-seeded ] || [ ! -f db.sqlite3 ] || [ -n "$$DATABASE_URL" ]; then $(PY) manage.py seed_demo && touch .demo-seeded; else $(PY) -c "import users.demo as d, sys; d.print_logins(sys.stdout)" 2>/dev/null || true; fi
	@echo "\ncsplatform is serving on http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	$(PY) manage.py runserver $(HOST):$(PORT)

## test: set up and run the whole test suite (service-backed tests skip without services, fail under CI=true)
test: install-dev
	$(BIN)/pytest

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

worker: install
	$(BIN)/celery -A csplatform worker -l info --concurrency=2

beat: install
	$(BIN)/celery -A csplatform beat -l info

bench: install-dev
	$(PY) -m bench.run --full

bench-quick: install-dev
	$(PY) -m bench.run --quick

## faults: the slow fault scenarios (SIGKILLed worker, Redis restart) on PostgreSQL + Redis
FAULTS_DB ?= postgres://postgres@127.0.0.1:5432/csplatform_faults
faults: install-dev
	CI=true RUN_FAULTS=1 DATABASE_URL=$${DATABASE_URL:-$(FAULTS_DB)} \
	  CELERY_BROKER_URL=$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0} \
	  REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} $(BIN)/pytest tests/faults

## security: check --deploy, headers/cookies, secrets scan, authz matrix, lockout, pip-audit
security: install-dev
	$(BIN)/pytest tests/security tests/test_configuration.py tests/api/test_authorization_matrix.py tests/users/test_login.py
	$(PY) -m tests.security.dependency_audit requirements.txt requirements-dev.txt

clean:
	rm -rf $(VENV) db.sqlite3* .demo-seeded staticfiles artifacts
