# Two commands for a newcomer: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
OUT    ?= dist
HOST   ?= 127.0.0.1
PORT   ?= 8000

# Bytecode goes to .venv/pycache, outside the source tree, even where PYTHONDONTWRITEBYTECODE is set:
# without it every process of a run (each pytest worker, each `kg` a test starts) recompiles every
# module and redoes pytest's assertion rewriting of its plugins (hypothesis, schemathesis), ~10 s each.
export PYTHONDONTWRITEBYTECODE :=
export PYTHONPYCACHEPREFIX := $(abspath $(VENV))/pycache

.PHONY: run test build validate clean bench release-notes vendor-editor ontology-docs

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
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -n auto --dist worksteal

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/run.py

# Data release notes: kg diff between the last release's commit and HEAD (committed sources only).
RELEASE_FROM  ?= bee7637
RELEASE_TO    ?= HEAD
RELEASE_NOTES ?= docs/release-notes/0.1.0-to-0.2.0.md

release-notes: $(VENV)/.installed
	@mkdir -p $(dir $(RELEASE_NOTES))
	$(BIN)/kg diff $(RELEASE_FROM) $(RELEASE_TO) --format markdown --examples 5 -o $(RELEASE_NOTES)

# The query editor (YASGUI, MIT) is committed under $(YASGUI_DIR), so installing needs no npm.
# This fetches the pinned release with npm, checks its files against the sums recorded in
# $(YASGUI_DIR)/SHA256SUMS, and copies them there. For another version: set YASGUI_VERSION,
# run with YASGUI_RECORD=1 to record the new sums, review the diff and run tests/api/test_editor.py.
YASGUI_VERSION ?= 4.6.2
YASGUI_DIR     := src/graph/api/static/vendor/yasgui
YASGUI_FILES   := yasgui.min.js yasgui.min.css

vendor-editor:
	@set -e; work=$$(mktemp -d); trap 'rm -rf "$$work"' EXIT; \
	(cd "$$work" && npm pack --silent @zazuko/yasgui@$(YASGUI_VERSION) >/dev/null && tar -xzf zazuko-yasgui-$(YASGUI_VERSION).tgz); \
	for f in $(YASGUI_FILES); do cp "$$work/package/build/$$f" "$$work/$$f"; done; \
	if [ -n "$(YASGUI_RECORD)" ]; then \
	  (cd "$$work" && sha256sum $(YASGUI_FILES)) > $(YASGUI_DIR)/SHA256SUMS; \
	  (cd $(YASGUI_DIR) && sha256sum LICENSE) >> $(YASGUI_DIR)/SHA256SUMS; \
	fi; \
	(cd "$$work" && grep -v ' LICENSE$$' $(CURDIR)/$(YASGUI_DIR)/SHA256SUMS | sha256sum --check --strict); \
	for f in $(YASGUI_FILES); do cp "$$work/$$f" $(YASGUI_DIR)/; done; \
	echo "@zazuko/yasgui $(YASGUI_VERSION) is in $(YASGUI_DIR)"

# The ontology's HTML documentation (pyLODE, in the test extra) into docs/ontology/, committed for static hosting.
ontology-docs: $(VENV)/.installed
	$(BIN)/kg ontology-docs --out docs/ontology

clean:
	rm -rf $(OUT) $(VENV) .pytest_cache
