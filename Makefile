# The two commands of the README: `make demo` and `make test`. Both install what they need first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint docs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

demo: $(BIN)/python
	$(BIN)/pip install -q .
	bash scripts/ensure-system.sh --runtime
	$(BIN)/zhongshu demo

test: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	bash scripts/ensure-system.sh
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

docs: $(BIN)/python
	$(BIN)/zhongshu schema --out docs
