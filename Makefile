# One obvious way to run things. See README.md.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# pytest with bytecode caching on even where the environment turns it off
# (PYTHONDONTWRITEBYTECODE): every test process otherwise compiles the project and rewrites the
# asserts of ~130 test modules again, about 3 CPU-seconds per process per run.
PYTEST := PYTHONDONTWRITEBYTECODE= $(BIN)/pytest
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run serve setup install install-dev migrate seed test test-fast lint format bench bench-quick bench-backtest validate-bench faults security prodcheck contract test-dates worker beat clean vendor

$(BIN)/activate:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found (Python 3.11 is required)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt requirements-local.txt $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements-local.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-local.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Without DATABASE_URL / REDIS_URL, commands run with the embedded PostgreSQL + Valkey up
# (data in .data/; see csplatform/embedded.py), which stop again when the command ends.
EMBEDDED := $(PY) -m csplatform.embedded --

migrate: install
	$(EMBEDDED) $(PY) manage.py migrate --noinput

seed: install
	$(EMBEDDED) sh -c '$(PY) manage.py migrate --noinput && $(PY) manage.py seed_demo'
	@[ -n "$$DATABASE_URL" ] || touch .data/demo-seeded

## run: the whole system: web on http://$(HOST):$(PORT)/, a Celery worker and beat (honcho +
## Procfile), after migrating and seeding the demo once. Ctrl-C stops all of it.
run: install
	@$(EMBEDDED) $(MAKE) --no-print-directory serve

serve:
	$(PY) manage.py migrate --noinput
	@mkdir -p .data
	@# The embedded database is seeded once; a DATABASE_URL one gets the idempotent seed each time.
	@if [ -n "$$DATABASE_URL" ] || [ ! -f .data/demo-seeded ]; then \
	  $(PY) manage.py seed_demo && { [ -n "$$DATABASE_URL" ] || touch .data/demo-seeded; }; \
	else DJANGO_SETTINGS_MODULE=csplatform.settings $(PY) -c "import django, sys; django.setup(); \
	  from django.core.management.base import OutputWrapper; import users.demo as d; d.print_logins(OutputWrapper(sys.stdout))"; fi
	@echo "\ncsplatform: web on http://$(HOST):$(PORT)/, a Celery worker and beat (Ctrl-C stops all)"
	HOST=$(HOST) PATH="$(abspath $(BIN)):$$PATH" $(BIN)/honcho start -f Procfile -p $(PORT)

## test: set up and run the whole test suite on PostgreSQL + Redis (the embedded ones without
## DATABASE_URL / REDIS_URL), in parallel over the machine's cores (pytest-xdist)
TEST_WORKERS ?= auto
test: install-dev
	$(PYTEST) -n $(TEST_WORKERS)

## test-dates: the date-sensitive tests (marker `dates`) with the clock on a month's first and
## last day, 29 February and a daylight-saving change (Europe/Berlin, 29 March 2026)
TEST_DATES ?= 2026-03-01T00:30:00+00:00 2026-01-31T23:30:00+00:00 2028-02-29T12:00:00+00:00
test-dates: install-dev
	@for moment in $(TEST_DATES); do \
	  echo "--- date-sensitive tests at $$moment"; \
	  CSP_TEST_NOW=$$moment $(PYTEST) -q -m dates -n $(TEST_WORKERS) || exit 1; \
	done
	@echo "--- date-sensitive tests at the DST change, 2026-03-29 03:30 Europe/Berlin"
	CSP_TEST_NOW=2026-03-29T01:30:00+00:00 TIME_ZONE=Europe/Berlin $(PYTEST) -q -m dates -n $(TEST_WORKERS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(PY) manage.py makemigrations --check --dry-run

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

worker: install
	$(EMBEDDED) $(BIN)/celery -A csplatform worker -l info --concurrency=2

beat: install
	@mkdir -p .data
	$(EMBEDDED) $(BIN)/celery -A csplatform beat -l info --schedule .data/celerybeat-schedule

bench: install-dev
	$(PY) -m bench.run --full

bench-quick: install-dev
	$(PY) -m bench.run --quick

## bench-backtest: only the 12-date back-test of 100,000 accounts (own database) -> BENCHMARKS.md
bench-backtest: install-dev
	$(PY) -m bench.run --backtest

## faults: the slow fault scenarios on PostgreSQL + a private Redis: SIGKILLed worker, Redis restarts (under a worker holding delayed tasks too), a process killed between commit and dispatch, the broker down while events are published, the web with Redis stopped
## (the embedded ones without DATABASE_URL / REDIS_URL; each scenario starts its own Redis)
faults: install-dev
	RUN_FAULTS=1 $(PYTEST) tests/faults

## security: check --deploy, headers/cookies, CSP (in Chromium), secrets scan, authz matrix, lockout on every login form, tokens, rate limits, XSS, SSRF, date bounds, pip-audit
security: install-dev
	$(PYTEST) tests/security tests/test_configuration.py tests/api/test_authorization_matrix.py tests/users/test_login.py tests/e2e/test_content_security_policy.py
	$(PY) -m tests.security.dependency_audit requirements.txt requirements-dev.txt

## prodcheck: the deployed path on PostgreSQL: production static build, gunicorn, a fresh
## database seeded outside any test transaction, a crawl of the demo as each role (no link shown
## answers 4xx/5xx), then each kind of page in Chromium: axe-core, no sideways scroll at 1440/390 px
prodcheck: install-dev
	$(PY) .ci/prodcheck.py

## contract: the API contract against a live server on PostgreSQL (production settings, a seeded
## demo): schemathesis with all checks and the stateful phase (a CSM's token, then an admin's on
## every operation), a client generated by openapi-python-client running docs/API.md's CRM-sync
## walkthrough, and every curl example of docs/API.md; any failure fails. Reports in
## artifacts/contract/.
contract: install-dev
	$(PY) .ci/contract.py

## clean: stop the embedded servers if they run, remove the venv and the data folder (.data/)
clean:
	@if [ -x $(PY) ]; then $(PY) -m csplatform.embedded clean; fi
	rm -rf $(VENV) .data staticfiles artifacts

## validate-bench: the product's back-test and suggested weights on simulated churn (own database) -> BENCHMARKS.md
validate-bench: install-dev
	$(PY) -m bench.validate
