# Two commands on a fresh machine: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PACKAGES := iiot_core edge_agent ingest_service carbon_engine simulators
PORT ?= 8080
SPEED ?= 1

.PHONY: demo test venv servers lint typecheck unit bench clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

demo: venv
	$(VENV)/bin/zcf demo --port $(PORT) --speed $(SPEED)

servers:
	bash .ci/install-servers

unit: venv
	$(PY) -m pytest

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy $(PACKAGES)

test: venv servers
	$(PY) -m pytest
	$(MAKE) --no-print-directory lint typecheck

bench: venv
	for b in bench/*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache data artifacts
