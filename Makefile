# The two set-up commands of README.md: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: run test install rasa services system-packages lint bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,semantic]'
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

## Install, migrate, then run Rasa (own Python 3.10 venv, trained only when its data changed)
## and the hub on the embedded default (SQLite under ./var, no Redis); Ctrl-C stops both.
run: install
	$(PY) -m bot migrate
	exec $(PY) -m bot run

## The Rasa virtualenv (.venv-rasa) and a model trained on the current nlu_data/.
rasa: install
	$(PY) -m bot.rasa_process train

services:
	./scripts/ensure-services.sh

system-packages:
	./scripts/ensure-system-packages.sh

## Install what the tests need, start what they need, check the code (ruff, mypy), run every
## test (SQLite and PostgreSQL).
test: install system-packages services rasa lint
	$(PY) -m pytest -p no:cacheprovider --durations=25

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy storage bot connectors faq handoff campaigns privacy actions devtools

clean:
	rm -rf $(VENV) var
