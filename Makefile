# The two commands of the README: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint typecheck pytest demo bench clean

$(BIN)/grievance: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

# Short demo deadlines (10 s to acknowledge) so escalations happen while you watch; see the README.
run: $(BIN)/grievance
	$(BIN)/grievance serve all --registry examples/registry.yaml --tokens-out tokens.json --demo-sla

test: lint typecheck pytest

lint: $(BIN)/grievance
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/grievance
	$(BIN)/mypy shared services

pytest: $(BIN)/grievance
	$(BIN)/pytest

demo: $(BIN)/grievance
	$(BIN)/grievance demo

bench: $(BIN)/grievance
	$(BIN)/python -m bench.intake
	$(BIN)/python -m bench.sweeper

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
