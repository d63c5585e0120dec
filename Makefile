# Two commands on a fresh machine: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PACKAGES := iiot_core zcf edge_agent ingest_service carbon_engine simulators
PORT ?= 8080
SPEED ?= 1
ASSETS := carbon_engine/api/static/vendor/uPlot.esm.js

.PHONY: demo test venv servers lint typecheck unit bench clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

# Chart library for the dashboard, from the npm registry (pinned in package-lock.json).
# Without npm the demo still runs; the dashboard page then names the missing build step.
$(ASSETS): package-lock.json
	bash carbon_engine/api/build_assets.sh || echo "warning: dashboard charts not built (needs npm)" >&2

venv: $(VENV)/.installed $(ASSETS)

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

test: servers venv
	$(PY) -m pytest
	$(MAKE) --no-print-directory lint typecheck

bench: venv
	for b in bench/*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache data artifacts
