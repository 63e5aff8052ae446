# exchange: the two commands a newcomer needs are `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run demo test lint typecheck unit system-packages bench reliability clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

## run: the hub and three party nodes on SQLite (Helmond, Senzer, politie); sign in at the printed addresses
run: $(STAMP)
	$(BIN)/exchange demo --nodes

## demo: play a PIT case over HTTP on SQLite, party by party, in the terminal
demo: $(STAMP)
	$(BIN)/exchange demo

## test: set up, then lint (ruff, import contracts, bandit), type-check, and run the whole suite
## (SQLite, a PostgreSQL server it starts itself, and the console in headless Chromium)
test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check exchange tests bench
	$(BIN)/lint-imports
	$(BIN)/bandit --quiet --recursive exchange --severity-level medium

typecheck: $(STAMP)
	$(BIN)/mypy

## system-packages: PostgreSQL server binaries, Chromium and npm from Debian's packages, if missing
system-packages:
	bash tests/install_system_packages.sh

## TEST_WORKERS: test processes (pytest-xdist); the machines have two cores
TEST_WORKERS ?= 2
unit: $(STAMP) system-packages
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

## bench: print performance figures as ratios against raw primitives measured in the same run
bench: $(STAMP)
	$(BIN)/python -m bench

## reliability: run load, faults, hostile input and fuzzing at length; writes docs/reliability.md
reliability: $(STAMP)
	$(BIN)/python -m tests.reliability

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build *.egg-info
