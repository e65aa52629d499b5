# Two commands for a newcomer: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
OUT    ?= dist
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test build validate clean bench release-notes

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Running needs the package only; the tests also need the test extra (selenium, schemathesis, pandas …).
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed-run

build: $(VENV)/.installed-run
	$(BIN)/kg build --out $(OUT)

validate: build
	$(BIN)/kg validate $(OUT)/graph.nq

run: build
	$(BIN)/kg summary --graph $(OUT)/graph.nq
	$(BIN)/kg serve --graph $(OUT)/graph.nq --host $(HOST) --port $(PORT)

test: $(VENV)/.installed
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/run.py

# Data release notes: kg diff between the last release's commit and HEAD (committed sources only).
RELEASE_FROM  ?= bee7637
RELEASE_TO    ?= HEAD
RELEASE_NOTES ?= docs/release-notes/0.1.0-to-0.2.0.md

release-notes: $(VENV)/.installed
	@mkdir -p $(dir $(RELEASE_NOTES))
	$(BIN)/kg diff $(RELEASE_FROM) $(RELEASE_TO) --format markdown --examples 5 -o $(RELEASE_NOTES)

clean:
	rm -rf $(OUT) $(VENV) .pytest_cache
