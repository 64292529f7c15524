# Alfred — `make help` lists every target.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTANCE ?= home
PORT ?= 8000

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(VENV)/.uv:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check uv==0.13.9
	touch $@

$(VENV)/.home: $(VENV)/.uv requirements/home.txt
	$(VENV)/bin/uv pip install -q --python $(PY) -r requirements/home.txt
	touch $@

$(VENV)/.dev: $(VENV)/.uv requirements/dev.txt
	$(VENV)/bin/uv pip install -q --python $(PY) -r requirements/dev.txt
	touch $@ $(VENV)/.home

chat: $(VENV)/.home ## Talk to Alfred-Home in the terminal (SQLite, inline tasks, demo family)
	@mkdir -p var
	@env -u DATABASE_URL -u REDIS_URL -u INSTANCE $(PY) manage.py chat --setup --settings=settings.home

test: $(VENV)/.dev ## Run the whole suite on real Postgres + Redis, under each instance's settings
	@bash scripts/test.sh

lint: $(VENV)/.dev ## ruff + mypy + import contracts (lint-imports)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports --no-logo --no-cache

fmt: $(VENV)/.dev ## Format and auto-fix
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

serve: $(VENV)/.dev ## Migrate, then web + worker + beat for INSTANCE=home|biz against DATABASE_URL/REDIS_URL
	INSTANCE=$(INSTANCE) $(PY) manage.py migrate --noinput --settings=settings.$(INSTANCE)
	INSTANCE=$(INSTANCE) bash fly/start.sh $(INSTANCE)

bench: $(VENV)/.dev ## Run the benchmarks in bench/ and print their figures
	@bash scripts/ensure_services.sh
	@for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

load: $(VENV)/.dev ## Drive failing messages through a local Alfred-Home and show the 1 % paging rule crossing
	@bash scripts/ensure_services.sh
	$(PY) bench/alert_error_ratio.py

messages: $(VENV)/.dev ## Compile the .po translations into .mo files
	cd alfred && ../$(PY) ../manage.py compilemessages -v0
	cd home_skills && ../$(PY) ../manage.py compilemessages -v0
	cd channels_wa && ../$(PY) ../manage.py compilemessages -v0
	cd work_skills && ../$(PY) ../manage.py compilemessages -v0

.PHONY: help chat test lint fmt serve bench load messages
