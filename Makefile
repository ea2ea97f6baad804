# ShelfAudit — the two set-up commands are `make run` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PORT ?= 8501
PYTEST_ARGS ?=
# Who inspects the demo history seeded on first start: models (the real pipeline with the starter
# models, about 5 min on 2 cores) or truth (under 1 min; ground truth stands in, labelled truth).
DEMO_INSPECTOR ?= models
BENCH_HOME ?= .work/bench-home

.PHONY: install run test bench lint demo clean

# Create the venv if missing; (re)install only when pyproject.toml changed.
$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## run: the dashboard (:8501) at once; on an empty database the demo history is built in the background (progress on Overview), then the scheduler starts
run: install
	$(VENV)/bin/shelfaudit serve --port $(PORT) --demo-inspector $(DEMO_INSPECTOR)

## test: the whole pytest suite (CI runs exactly this)
test: install
	$(PY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

## bench: CLI start-up (rules validate), recognition speed ratios, HTTP API intake rate and inspect-now latency, local vs Ray engines and PostgreSQL commits, 25 dashboard sessions and 10 API clients at once, each page's first paint in headless Chromium (target < 1.5 s), then page render times on a demo database (one run)
bench: install
	$(PY) -m pipeline.lab.bench_cli
	$(VENV)/bin/shelfaudit bench
	$(VENV)/bin/shelfaudit bench api
	$(VENV)/bin/shelfaudit bench cluster
	$(VENV)/bin/shelfaudit bench load --sessions 25
	$(VENV)/bin/shelfaudit bench pages
	SHELFAUDIT_HOME=$(BENCH_HOME) $(VENV)/bin/shelfaudit demo --inspector truth --weeks 8 --force --json > /dev/null
	SHELFAUDIT_HOME=$(BENCH_HOME) $(PY) -m pipeline.dashboard.bench_pages

lint: install
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
