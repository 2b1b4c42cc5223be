# Everything runs from a virtual environment the first target that needs it creates.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

.PHONY: install run migrate test lint unit contracts integration api processes cluster-test bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

## Serve on http://localhost:8080 with the embedded SQLite default (DATABASE_URL overrides).
run: install
	$(BIN)/authgate serve

migrate: install
	$(BIN)/authgate migrate

## The whole check: lint, types, layer contracts, declared dependencies, then every test.
test: lint
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/deptry .

## The tiers `make test` runs, cheapest first. unit: seconds, nothing but this process.
unit: install
	$(BIN)/pytest tests/unit

## contracts, integration, api: in process, on each storage (MySQL and Redis where they answer).
contracts: install
	$(BIN)/pytest tests/contracts

integration: install
	$(BIN)/pytest tests/integration

api: install
	$(BIN)/pytest tests/api

## processes: `authgate serve` for real (granian, workers, killed and restarted); minutes.
processes: install
	$(BIN)/pytest tests/processes

## A 3-node Galera cluster on loopback (needs galera-4), one server per node: races, revocation
## seen across nodes, the last-admin guard, a node's failure and return, rate limits shared by
## servers (database and Redis). About two minutes; `make test` skips these.
cluster-test: install
	$(BIN)/pytest -m cluster tests/cluster

## Load test against MySQL (BENCH_DATABASE_URL, default the local MariaDB); see README.
bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
