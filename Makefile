# Two promises: `make demo` (set up and replay an example case) and `make test` (the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO_DB ?= demo.db

.PHONY: demo test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	$(BIN)/stafet --db sqlite:///$(DEMO_DB) apply examples/adult-case/case.jsonl
	@export STAFET_ACTOR=demo@stafet STAFET_PURPOSE="make demo"; \
	case_id=$$($(BIN)/stafet --db sqlite:///$(DEMO_DB) --json case list | $(BIN)/python -c 'import json,sys; print(json.load(sys.stdin)[0]["case_id"])'); \
	$(BIN)/stafet --db sqlite:///$(DEMO_DB) case show $$case_id && echo && \
	$(BIN)/stafet --db sqlite:///$(DEMO_DB) case history $$case_id && echo && \
	$(BIN)/stafet --db sqlite:///$(DEMO_DB) verify

test: $(VENV)/.installed
	$(BIN)/ruff check src projections tests
	$(BIN)/pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check src projections tests

clean:
	rm -rf $(VENV) $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm .pytest_cache .ruff_cache .hypothesis
