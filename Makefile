# Two promises: `make demo` (set up and replay an example case) and `make test` (the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO_DB ?= demo.db

.PHONY: demo report test lint typecheck clean

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

# The example adult case's report as a PDF a coordinator files in a journal (and its FHIR bundle).
report: demo
	@export STAFET_DB=sqlite:///$(DEMO_DB) STAFET_ACTOR=peter.lund@socialafdelingen-odense \
	        STAFET_PURPOSE="journalisering af forløbet"; \
	case_id=$$($(BIN)/stafet --json case list | $(BIN)/python -c 'import json,sys; print(json.load(sys.stdin)[0]["case_id"])'); \
	$(BIN)/stafet report $$case_id -o report.pdf && \
	$(BIN)/stafet export $$case_id --format fhir -o bundle.json && \
	echo "Wrote report.pdf and bundle.json"

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
	rm -rf $(VENV) report.pdf bundle.json $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm .pytest_cache .ruff_cache .hypothesis .typecheck .mypy_cache
