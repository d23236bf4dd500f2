# The two commands of the README:
#   make run    install, migrate, load the demo alliance, serve http://127.0.0.1:8000 (SQLite, eager Celery)
#   make test   install and run the whole suite (PostgreSQL and Redis on 127.0.0.1 by default)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/kiaa
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test fuzz lint check install install-dev worker beat bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed-base: requirements/base.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/base.txt
	touch $@

$(VENV)/.installed-dev: requirements/dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/dev.txt
	touch $@ $(VENV)/.installed-base

# axe-core, which the browser tests inject into each page they visit.
node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund --silent

install: $(VENV)/.installed-base
install-dev: $(VENV)/.installed-dev node_modules/.package-lock.json

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: install-dev
	DATABASE_URL=$${DATABASE_URL-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL-$(TEST_REDIS_URL)} \
		$(BIN)/pytest -n auto -q $(PYTEST_ARGS)

# Schemathesis against the live schema of a seeded server (PostgreSQL at 127.0.0.1:5432).
fuzz: install-dev
	bash .ci/api-fuzz

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

check: install-dev
	DJANGO_ENV=local $(BIN)/python manage.py check
	DJANGO_ENV=local $(BIN)/python manage.py makemigrations --check --dry-run
	DJANGO_ENV=local $(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null

# Every benchmark at scale against PostgreSQL (bench/README.md); generates the data if missing.
bench: install-dev
	$(BIN)/python bench/run.py

worker: install
	$(BIN)/celery -A kiaa worker --loglevel=INFO

beat: install
	$(BIN)/celery -A kiaa beat --loglevel=INFO
