# Leadbook. Newcomers: `make run` (serve on http://127.0.0.1:8000), `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?= -n 2

.PHONY: install install-test run test test-sqlite test-postgres lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: install
	$(BIN)/leadbook serve

test: install-test
	scripts/system-deps.sh
	$(MAKE) --no-print-directory test-sqlite test-postgres

test-sqlite:
	@echo "== tests on SQLite =="
	$(BIN)/pytest $(PYTEST_ARGS)

# Browser tests (they drive pages, not SQL) and the slow database-independent tests marked
# `once` (access walk, load, malformed uploads) run in the SQLite pass only.
test-postgres:
	@echo "== tests on PostgreSQL (browser and 'once' tests ran on SQLite) =="
	$(BIN)/python -m tests.pg_cluster -- $(BIN)/pytest $(PYTEST_ARGS) -m "not browser and not once"

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/mypy src

bench: install-test
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) var
