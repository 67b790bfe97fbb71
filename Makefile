# Every target creates .venv and installs what it needs, idempotently: on a fresh machine
# `make demo` and `make test` are the whole set-up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORE := $(VENV)/.installed-core
DEV := $(VENV)/.installed-dev
DEMO_DIR := .demo/shop

.PHONY: demo test lint format bench docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(CORE): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(CORE)

demo: $(CORE)
	rm -rf $(DEMO_DIR)
	$(BIN)/sluiceway demo $(DEMO_DIR)
	$(BIN)/sluiceway --project $(DEMO_DIR) ingest-status
	$(BIN)/sluiceway --project $(DEMO_DIR) tables

test: $(DEV)
	$(BIN)/python -m pytest -q

lint: $(DEV)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

format: $(DEV)
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

docs: $(DEV)
	mkdir -p docs/reference
	$(BIN)/python -m sluiceway.cli.reference_doc > docs/reference/cli.md
	$(BIN)/python -m sluiceway.spec.reference_doc > docs/reference/yaml.md

bench: $(DEV)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@for script in benchmarks/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .demo build dist .mypy_cache .ruff_cache .pytest_cache
