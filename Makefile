# Two promises: `make demo` (set up and replay an example case) and `make test` (the whole suite).
# `make quick` is the inner loop: ruff and the fast tiers in under a minute (tests/README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO_DB ?= demo.db

# The quick loop leaves out what takes seconds or other processes, and runs PostgreSQL only for
# its smoke tests; the markers are declared in pyproject.toml and explained in tests/README.md.
QUICK_MARKERS := not (slow or process or fault or fuzz or serial) and (not postgres or pg_smoke)
# ... over the inner loop's folders: the domain, the authorisation matrix, what storage decides
# (on SQLite, and the PostgreSQL smoke tests), the doctests, and the command line's surface.
# The CLI's, read side's, trust's, documents', HTTP and browser stores are `make test`'s.
QUICK_PATHS := tests/unit tests/rules tests/authorisation tests/integration src/stafet \
               tests/cli/test_help.py tests/cli/test_flags.py
# More pytest options for either, e.g. `make quick PYTEST_ARGS="-x -k baton"` or PYTEST_ARGS="-n 2".
PYTEST_ARGS ?=

.PHONY: demo report web test quick lint typecheck clean

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

# The web view on the example case (docs/web.md): sign in at http://127.0.0.1:8000/ as
# peter.lund@socialafdelingen-odense (the stafetholder), louise.holm@jobcenter-odense,
# borger@k7q2m9 (the citizen) or leder@jobcenter-odense (a team leader). Ctrl-C stops it.
web: demo
	$(BIN)/stafet --db sqlite:///$(DEMO_DB) --as it@kommunen roles grant team_leader \
	  leder@jobcenter-odense --org jobcenter-odense
	$(BIN)/stafet --db sqlite:///$(DEMO_DB) serve --dev-identity

# Everything: two workers (pytest-xdist), then alone what must not run beside other tests
# (a PostgreSQL restart; it runs under CI=true or STAFET_TEST_PG_RESTART=1, else it skips).
test: $(VENV)/.installed
	$(BIN)/ruff check src projections tests
	$(MAKE) --no-print-directory typecheck
	$(BIN)/pytest -n 2 -m "not serial" $(PYTEST_ARGS)
	$(BIN)/pytest -m serial $(PYTEST_ARGS)

quick: $(VENV)/.installed
	$(BIN)/ruff check src projections tests
	$(BIN)/pytest -q -n 2 -m "$(QUICK_MARKERS)" $(QUICK_PATHS) $(PYTEST_ARGS)

# mypy on the package as it installs: projections/ is stafet.projections (a tree of links).
typecheck: $(VENV)/.installed
	@rm -rf .typecheck && mkdir -p .typecheck/stafet
	@for f in src/stafet/*; do ln -s ../../$$f .typecheck/stafet/; done
	@ln -s ../../projections .typecheck/stafet/projections
	cd .typecheck && ../$(BIN)/mypy --config-file ../pyproject.toml --cache-dir ../.mypy_cache -p stafet

lint: $(VENV)/.installed
	$(BIN)/ruff check src projections tests

clean:
	rm -rf $(VENV) report.pdf bundle.json $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm $(DEMO_DB).*.key .pytest_cache .ruff_cache .hypothesis .typecheck .mypy_cache
