# ShelfAudit — the two set-up commands are `make run` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PORT ?= 8501
PYTEST_ARGS ?=

.PHONY: install run test bench lint demo clean

# Create the venv if missing; (re)install only when pyproject.toml changed.
$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## run: seed the demo when the database is empty, start the scheduler and the dashboard (:8501)
run: install
	$(VENV)/bin/shelfaudit serve --port $(PORT)

## test: the whole pytest suite (CI runs exactly this)
test: install
	$(PY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

## bench: speed benchmark (prints ratios measured in one run)
bench: install
	$(VENV)/bin/shelfaudit bench

lint: install
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
