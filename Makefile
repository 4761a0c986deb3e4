# The README's two commands: `make run` and `make test`. Both set up .venv first, idempotently:
# the install step re-runs only when pyproject.toml changes.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
HEARD := $(VENV)/bin/heard
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
WEB_WORKERS ?= 3
export HEARD_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test setup lint demo worker docs clean

$(PY):
	@python=$$(scripts/find-python) && echo "Using $$python" && "$$python" -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	@$(HEARD) migrate --no-input -v 0
	@$(HEARD) collectstatic --no-input -v 0
	@$(HEARD) demo
	@$(HEARD) record schedule --interval 60
	@bash scripts/serve $(HOST) $(PORT) $(WEB_WORKERS)

test: $(STAMP)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

docs: $(STAMP)
	$(HEARD) permissions --markdown > docs/permissions.md

clean:
	rm -rf $(VENV) var
