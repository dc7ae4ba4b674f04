# Two entry points: `make run` and `make test`. Both build/refresh .venv from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-postgres lint typecheck unit messages bench bench-full clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/aftercare serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy scheduler models tests bench

unit: $(STAMP)
	$(BIN)/pytest -q -n auto

test: lint typecheck unit

# New staff-page strings into the French catalogue (kept translations); lists what needs French.
messages: $(STAMP)
	$(BIN)/python -m scheduler.web.catalogue

# The same tests with every test's database on PostgreSQL (127.0.0.1:5432; .ci/run runs both).
# The browser tests are left out: they exercise the pages, not the database.
test-postgres: $(STAMP)
	AFTERCARE_TEST_DATABASE=postgresql AFTERCARE_REQUIRE_POSTGRES=1 $(BIN)/pytest -q -n auto -m "not browser"

# Benchmarks print figures (bench/README.md); never part of the pass/fail of `make test`.
$(VENV)/.installed-bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	@touch $@

bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench

# The full sizes, then docs/benchmarks.md and docs/img/*.png from their results.
bench-full: $(VENV)/.installed-bench
	$(BIN)/python -m bench --full
	$(BIN)/python -m bench.report

clean:
	rm -rf $(VENV) build *.egg-info
