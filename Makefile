# The README commands: `make demo`, `make test` and `make lint`. Each installs what it needs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
SXP    := $(VENV)/bin/sxp

.PHONY: install demo test test-unit test-e2e lint bench bench-scale fuzz-api stack-up stack-down clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

demo: install
	$(SXP) demo

test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test-unit: install
	$(PY) -m pytest -m "unit or contract"

test-e2e: install
	$(PY) -m pytest -m "component or integration or e2e"

bench: install
	$(PY) bench/pipeline_bench.py
	$(PY) bench/labeler_bench.py
	$(PY) bench/redaction_bench.py
	$(PY) bench/api_bench.py
	$(PY) bench/audience_bench.py

# Schemathesis against the running API (after `sxp stack up` and `sxp services up`), from its
# committed OpenAPI document, with a key it makes and revokes; EXAMPLES=N per operation.
fuzz-api: install
	$(PY) tools/fuzz_api.py --max-examples $(or $(EXAMPLES),20)

# Cost as work grows: 1,000,000 profiles by default (PROFILES=N for a smaller run); minutes.
bench-scale: install
	$(PY) bench/scale_bench.py --profiles $(or $(PROFILES),1000000)

stack-up: install
	$(SXP) stack up

stack-down: install
	$(SXP) services down
	$(SXP) stack down

clean: stack-down
	rm -rf .sxp
