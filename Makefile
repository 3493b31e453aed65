# Two targets do everything on a fresh machine with Python 3.11+ (see README.md):
#   make demo   set up .venv and run the main job on a shipped file
#   make test   set up .venv and run the whole test suite (ruff + mypy + pytest)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,sensitivity,distributed,bench]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/corridorsim run scenarios/kz-wheat-ayrum-2025.yaml

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
