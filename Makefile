# Two promises: `make demo` (set up and replay an example case) and `make test` (the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO_DB ?= demo.db

.PHONY: demo test lint typecheck clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	$(BIN)/stafet --db sqlite:///$(DEMO_DB) init --admin it@kommunen
	$(BIN)/stafet --db sqlite:///$(DEMO_DB) --as it@kommunen roles grant auditor revisor@kommunen
	$(BIN)/stafet --db sqlite:///$(DEMO_DB) apply examples/adult-case/case.jsonl
	@export STAFET_DB=sqlite:///$(DEMO_DB) STAFET_ACTOR=peter.lund@socialafdelingen-odense \
	        STAFET_PURPOSE="opfølgning på forløbet"; \
	case_id=$$($(BIN)/stafet --json case list | $(BIN)/python -c 'import json,sys; print(json.load(sys.stdin)[0]["case_id"])'); \
	$(BIN)/stafet case show $$case_id && echo && \
	$(BIN)/stafet case history $$case_id --lang da && echo && \
	$(BIN)/stafet --as revisor@kommunen verify

test: $(VENV)/.installed
	$(BIN)/ruff check src projections tests
	$(MAKE) --no-print-directory typecheck
	$(BIN)/pytest

# mypy on the package as it installs: projections/ is stafet.projections (a tree of links).
typecheck: $(VENV)/.installed
	@rm -rf .typecheck && mkdir -p .typecheck/stafet
	@for f in src/stafet/*; do ln -s ../../$$f .typecheck/stafet/; done
	@ln -s ../../projections .typecheck/stafet/projections
	cd .typecheck && ../$(BIN)/mypy --config-file ../pyproject.toml --cache-dir ../.mypy_cache -p stafet

lint: $(VENV)/.installed
	$(BIN)/ruff check src projections tests

clean:
	rm -rf $(VENV) $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm .pytest_cache .ruff_cache .hypothesis .typecheck .mypy_cache
