# The commands a newcomer, the README and CI run. `make help` lists them.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PES := $(VENV)/bin/pes
PYTEST := $(VENV)/bin/pytest
PYTEST_FLAGS ?= -q
# The integration and end-to-end tiers run in this many pytest processes (pytest-xdist), each
# with its own broker and PostgreSQL server: their tests mostly wait (on brokers, timeouts,
# subprocesses), and two processes took the integration tier from 761 s to 476 s on 2 cores.
# TEST_WORKERS=0 runs them in one process.
TEST_WORKERS ?= 2
PARALLEL := -n $(TEST_WORKERS) --dist worksteal
.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z][a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	touch $@

.PHONY: install
install: $(VENV)/.installed ## create .venv with the project and its dev tools

.PHONY: system-deps
system-deps: ## install what the tests need from Debian (PostgreSQL, kcat) if missing; needs root
	bash scripts/install_system_deps.sh

.PHONY: kafka-jars
kafka-jars: install ## resolve the Apache Kafka broker's jars from Maven Central into .cache/
	$(PY) -m scripts.local_kafka fetch

.PHONY: run
run: install kafka-jars ## run the system locally with the demo caseload: SQLite event store, local Kafka broker, relay, read models, deadline process, API on :8000
	$(PES) run --demo 200 --api-port 8000

AXE_CORE := 4.11.1

.PHONY: browser-assets
browser-assets: ## fetch axe-core $(AXE_CORE) from npm into .cache/npm (the pages' accessibility check)
	@test -f .cache/npm/node_modules/axe-core/package.json && grep -q '"version": "$(AXE_CORE)"' .cache/npm/node_modules/axe-core/package.json \
		|| npm install --prefix .cache/npm --no-save --no-audit --no-fund axe-core@$(AXE_CORE)

.PHONY: screenshots
screenshots: install browser-assets ## take the screenshots of every page in docs/pages/ (Chromium)
	$(PY) -m scripts.screenshots

.PHONY: test
test: install system-deps kafka-jars browser-assets lint test-unit test-integration test-e2e ## everything CI runs: lint and all test tiers

.PHONY: test-unit
test-unit: install ## pure domain and contract tests (no servers)
	$(PYTEST) $(PYTEST_FLAGS) tests/unit

.PHONY: test-integration
test-integration: install kafka-jars browser-assets ## against the real Kafka broker, SQLite and PostgreSQL
	$(PYTEST) $(PYTEST_FLAGS) $(PARALLEL) --durations=25 tests/integration

.PHONY: test-e2e
test-e2e: install kafka-jars ## the running system, end to end
	$(PYTEST) $(PYTEST_FLAGS) $(PARALLEL) tests/e2e

.PHONY: test-slow
test-slow: install kafka-jars ## the day-by-day caseload simulation at full size (10,000 cases)
	PES_TIMELINE_CASES=10000 $(PYTEST) $(PYTEST_FLAGS) tests/integration/test_deadline_timeline.py

.PHONY: lint
lint: install ## ruff (lint and format check)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

.PHONY: typecheck
typecheck: install ## mypy over the packages
	$(VENV)/bin/mypy

.PHONY: schemas
schemas: install ## write the Avro schema of every event's current version into schemas/
	$(PES) schemas --directory schemas

.PHONY: bench
bench: install kafka-jars ## benchmarks: project vs raw baselines, measured side by side
	$(PY) -m scripts.bench

.PHONY: clean
clean: ## remove local data (event store, views, broker data); keeps .venv and the jar cache
	rm -rf .data
