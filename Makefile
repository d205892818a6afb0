# The two commands: `make run` (build and publish the warehouse) and `make test`.
# Everything installs into .venv from pinned versions; nothing else on the machine is used.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

export FCE_WAREHOUSE ?= $(CURDIR)/warehouse
export DAGSTER_HOME := $(CURDIR)
export FCE_DAGSTER_STORAGE ?= $(FCE_WAREHOUSE)/.dagster

.PHONY: run test dev install lint clean

run: install  ## fetch, normalize, build, test, publish; print one fiche
	$(BIN)/fce run

test: install  ## pytest, including end-to-end runs of the Dagster job and the dbt tests
	$(BIN)/pytest

dev: install  ## the Dagster UI on http://127.0.0.1:3000
	mkdir -p "$(FCE_DAGSTER_STORAGE)"
	$(BIN)/dagster dev -h 127.0.0.1 -p 3000 -m pipelines.definitions

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x "$(BIN)/python" || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	cd dbt_project && FCE_WAREHOUSE="$(FCE_WAREHOUSE)" ../$(BIN)/dbt parse --quiet --profiles-dir .
	touch $@

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:  ## remove the virtual environment and dbt's compiled files (never the warehouse)
	rm -rf $(VENV) dbt_project/target dbt_project/logs
