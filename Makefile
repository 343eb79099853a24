# The two set-up commands of README.md: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: run test install services system-packages lint bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,semantic]'
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

## Install, migrate and serve the hub on the embedded default (SQLite under ./var, no Redis).
run: install
	$(PY) -m bot migrate
	exec $(PY) -m bot serve

services:
	./scripts/ensure-services.sh

system-packages:
	./scripts/ensure-system-packages.sh

## Install what the tests need, start what they need, run them all (SQLite and PostgreSQL).
test: install system-packages services
	$(PY) -m pytest -p no:cacheprovider

lint: install
	$(PY) -m ruff check .
	$(PY) -m mypy bot connectors faq handoff

clean:
	rm -rf $(VENV) var
