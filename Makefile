# The two commands of the README: `make run` serves the app, `make test` passes the tests.
# Everything else here is what they need, installed on first use.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
WORKER_CONCURRENCY ?= 2

.PHONY: run test setup worker lint bench clean

run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_scenarios
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	@if [ -n "$$REDIS_URL" ]; then \
	  echo "REDIS_URL is set: runs go to a Celery worker started beside the web server"; \
	  $(VENV)/bin/celery -A playground worker --loglevel=info --concurrency=$(WORKER_CONCURRENCY) & worker=$$!; \
	  trap 'kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	  trap 'exit 130' INT; trap 'exit 143' TERM; \
	  $(VENV)/bin/daphne -b $(HOST) -p $(PORT) playground.asgi:application; \
	else \
	  exec $(VENV)/bin/daphne -b $(HOST) -p $(PORT) playground.asgi:application; \
	fi

# Lint first, so a lint or type regression fails CI before the tests run.
test: lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)

setup: $(VENV)/.installed static/vendor/.installed

$(VENV)/.installed: pyproject.toml
	@PYBIN=$$(scripts/find-python.sh) || exit 1; \
	  test -x $(PY) || $$PYBIN -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# Front-end libraries come from the npm registry at pinned versions and are
# served by Django from static/vendor: the app works offline.
static/vendor/.installed: package.json
	@command -v npm >/dev/null || { echo "error: npm is needed for the front-end libraries (apt-get install npm)" >&2; exit 1; }
	npm install --no-audit --no-fund --silent
	mkdir -p static/vendor/uplot
	cp node_modules/uplot/dist/uPlot.esm.js node_modules/uplot/dist/uPlot.min.css static/vendor/uplot/
	touch $@

worker: setup
	$(VENV)/bin/celery -A playground worker --loglevel=info

lint: setup
	$(VENV)/bin/ruff check patterns playground tests benchmarks
	$(VENV)/bin/mypy

bench: setup
	$(PY) benchmarks/engine.py

clean:
	rm -rf $(VENV) node_modules static/vendor
