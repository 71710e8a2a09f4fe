# The two commands of the README: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint typecheck pytest test-mongo drills drills-broker drills-processes demo bench clean

$(BIN)/grievance: pyproject.toml constraints.txt
	@echo "Installing the pinned packages of constraints.txt into $(VENV) (about a minute, once)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -qq --upgrade pip
	$(BIN)/pip install -qq -c constraints.txt -e '.[dev]'
	touch $@

# Short demo deadlines (10 s to acknowledge) so escalations happen while you watch; see the README.
run: $(BIN)/grievance
	$(BIN)/grievance serve all --registry examples/registry.yaml --tokens-out tokens.json --demo-sla

# The suite and the real-server lane run side by side: each waits on its own server (the broker, the
# lane's store) much of the time, so the two together take little longer than the longer one.
test: lint typecheck
	@$(MAKE) --no-print-directory --output-sync=target -j2 pytest test-mongo

lint: $(BIN)/grievance
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/grievance
	$(BIN)/mypy shared services bench tests

# axe-core for the browser tests' accessibility checks (tests/browser/accessibility.py), pinned in
# package-lock.json; installed when missing and npm is there (without it those checks are skipped).
AXE := node_modules/axe-core/axe.min.js
$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

pytest: $(BIN)/grievance $(if $(shell command -v npm),$(AXE))
	$(BIN)/pytest

# The tests that touch the store, again, against a real wire-protocol server (SecantusDB in its own
# .venv-secantus; a real MongoDB when GRIEVANCE_TEST_MONGO_URL is set). See tests/realserver/lane.py.
test-mongo: $(BIN)/grievance
	$(BIN)/python -m tests.realserver.lane -- $(BIN)/pytest -m store -q

# Multi-process fault drills: each starts a RabbitMQ node of its own (docs/reliability.md). Two run
# at once, the broker's faults beside the processes' and the messages': each drill spends most of its
# time waiting out a fault, so the two groups take little longer than the longer one.
drills: $(BIN)/grievance
	@$(MAKE) --no-print-directory --output-sync=target -j2 drills-broker drills-processes

drills-broker: $(BIN)/grievance
	GRIEVANCE_DRILL_RESULTS=results-broker.jsonl $(BIN)/python -m tests.realserver.lane -- \
		$(BIN)/pytest -m drill tests/drills/test_broker_faults.py

drills-processes: $(BIN)/grievance
	GRIEVANCE_DRILL_RESULTS=results-processes.jsonl $(BIN)/python -m tests.realserver.lane -- \
		$(BIN)/pytest -m drill tests/drills/test_baseline.py tests/drills/test_messages.py tests/drills/test_process_faults.py

demo: $(BIN)/grievance
	$(BIN)/grievance demo

bench: $(BIN)/grievance
	$(BIN)/python -m bench.intake
	$(BIN)/python -m bench.sweeper

clean:
	rm -rf $(VENV) .venv-secantus node_modules .pytest_cache .mypy_cache .ruff_cache .hypothesis
