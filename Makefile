# integrationhub — the two commands of the quick start are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: demo test install install-test lint format bench chaos check-deploy clean fuzz

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PIP) install -q -e ".[test]"
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## demo: set up and run web + worker + simulators on SQLite (http://127.0.0.1:8000; other ports:
##   make demo DEMO_ARGS="--web-port 8180 --odoo-port 8169 --platform-port 8170")
demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py sync_schedules
	$(PY) manage.py run_demo $(DEMO_ARGS)

## test: set up and run the test suite (SQLite unless DATABASE_URL is set)
test: install-test
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check-deploy: install
	DJANGO_ENV=production SECRET_KEY=check-deploy-$$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n') \
	FIELD_ENCRYPTION_KEYS=$$($(PY) -c "from cryptography.fernet import Fernet;print(Fernet.generate_key().decode())") \
	ALLOWED_HOSTS=hub.example.com $(PY) manage.py check --deploy --fail-level WARNING

## fuzz: schemathesis against /api/schema/ of a seeded server (GET, bounded cases, no 5xx, schema)
fuzz: install-test
	tests/security/fuzz_api.sh

## bench: benchmark suite on PostgreSQL, prints figures
bench: install-test
	$(PY) -m benchmarks $(BENCH_ARGS)

## chaos: crash matrix on PostgreSQL + Redis DB 7 (real gunicorn, qcluster workers, Odoo simulator;
## every scenario CHAOS_RUNS times, default 20). CHAOS_DATABASE_URL picks the database.
CHAOS_RUNS ?= 20
CHAOS_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/ihub_chaos
chaos: install-test
	DATABASE_URL=$(CHAOS_DATABASE_URL) CHAOS_RUNS=$(CHAOS_RUNS) $(VENV)/bin/pytest tests/chaos \
		-m "postgres" -p no:cacheprovider -s -q $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) integrationhub.sqlite3* staticfiles .pytest_cache
