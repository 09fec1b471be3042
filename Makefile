# The two commands: `make demo` runs the platform, `make test` runs every check and test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check lint typecheck contracts pytest clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/linkplus demo

test: check pytest

check: lint typecheck contracts

lint: $(STAMP)
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools

typecheck: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

# pytest runs in parallel (pytest-xdist, one process per worker, each with its own databases,
# PostgreSQL server and ports). 4 workers: the tests mostly wait (databases, brokers, browsers),
# so on 2 cores 4 workers measured faster than 2 (docs/performance.md). `make pytest
# PYTEST_WORKERS=0` runs serially in one process (for debugging); `auto` is one per core.
PYTEST_WORKERS ?= 4
PYTEST_ARGS ?=

pytest: $(STAMP)
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
