# Two commands set everything up: `make run` and `make test`.
# Installs come from the lock: uv.lock (made by `uv lock`) pins every package, and
# requirements.txt is its export with hashes, which pip installs: a fresh machine gets exactly
# what CI tested. `make lock` refreshes both within pyproject.toml's ranges; `make test-latest`
# runs the suite against the newest versions those ranges allow.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LATEST := .venv-latest
EXPORT_FLAGS := --frozen --extra dev --no-emit-project --format requirements-txt

.PHONY: run test lint demo bench clean migrate lock test-latest i18n screenshots flows

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/voucherbot run

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

# `make demo LANG=id` (or th, vi, ms, es; DEMO_LANG too): the tour in that language and its
# market. A system LANG such as en_US.UTF-8 is not one of ours and is ignored.
DEMO_LANG ?= $(filter en id th vi ms es,$(LANG))
demo: $(STAMP)
	$(BIN)/voucherbot demo $(if $(DEMO_LANG),--lang $(DEMO_LANG))

# The dashboard's screenshots in docs/dashboard/ (Debian's Chromium; docs/dashboard.md).
screenshots: $(STAMP)
	$(BIN)/python -m bot.webapp.screenshots

migrate: $(STAMP)
	$(BIN)/voucherbot migrate

# docs/flows.md: the guided flows drawn from their tables (a test checks it is current).
flows: $(STAMP)
	$(BIN)/python -m bot.telegram.flow_diagrams > docs/flows.md

lock: $(STAMP)
	$(BIN)/uv lock --upgrade --index-url https://pypi.org/simple
	$(BIN)/uv export $(EXPORT_FLAGS) -o requirements.txt
	rm -f $(STAMP)

test-latest:
	rm -rf $(LATEST)
	$(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/pip install --quiet --upgrade --upgrade-strategy eager -e '.[dev]'
	$(LATEST)/bin/pip list --format=freeze > $(LATEST)/versions.txt
	$(LATEST)/bin/ruff check .
	$(LATEST)/bin/pytest -q $(PYTEST_ARGS)

# Translations (docs/languages.md): extract the messages (pybabel), merge them into each
# language's catalog (new ones arrive empty, to be translated), compile the .mo files with
# Babel (the bot also does at first use when they are missing or older than their .po), and
# list what is still untranslated or has placeholders unlike the English (exit 1 if any).
LOCALES_DIR := bot/locales
I18N_KEYWORDS := -k N_ -k ngettext:1,2 -k msg -k msg_n:1,2 -k label
i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg $(I18N_KEYWORDS) --no-location --sort-output \
		--project voucherbot --copyright-holder "Voucherbot" --width 100 \
		-o $(LOCALES_DIR)/voucherbot.pot .
	$(BIN)/pybabel update -i $(LOCALES_DIR)/voucherbot.pot -d $(LOCALES_DIR) -D voucherbot \
		--no-fuzzy-matching --width 100 --ignore-obsolete
	$(BIN)/python -m bot.i18n_catalogs fill-en
	$(BIN)/python -m bot.i18n_catalogs compile
	$(BIN)/python -m bot.i18n_catalogs check

clean:
	rm -rf $(VENV) $(LATEST) data .pytest_cache .ruff_cache
