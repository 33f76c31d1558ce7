# The two commands of the README: `make run` serves the app, `make test` passes the tests.
# Everything else here is what they need, installed on first use.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Processes for full-speed runs; paced and visitors' runs are threads (playground/runs/workers.py).
export WORKER_CONCURRENCY ?= 2
LOCALE_PO := $(wildcard locale/*/LC_MESSAGES/*.po)
LOCALE_MO := $(LOCALE_PO:.po=.mo)

.PHONY: run test setup engine worker lint bench clean messages

run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_scenarios
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	@if [ -n "$$REDIS_URL" ]; then \
	  echo "REDIS_URL is set: runs go to Celery workers started (and restarted) beside the web server"; \
	  $(PY) manage.py run_workers & worker=$$!; \
	  trap 'kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	  trap 'exit 130' INT; trap 'exit 143' TERM; \
	  $(VENV)/bin/daphne -b $(HOST) -p $(PORT) playground.asgi:application; \
	else \
	  exec $(VENV)/bin/daphne -b $(HOST) -p $(PORT) playground.asgi:application; \
	fi

# Lint first, so a lint or type regression fails CI before the tests run.
# The tests run in a random order (pytest-randomly), the browser tests among them; the
# first lines print "Using --randomly-seed=N": `make test PYTEST_ARGS=--randomly-seed=N`
# replays that order, `PYTEST_ARGS="-p no:randomly"` runs them in file order.
test: lint
	$(VENV)/bin/pytest -p randomly $(PYTEST_ARGS)

setup: $(VENV)/.installed static/vendor/.installed $(LOCALE_MO) engine

# Korean and English (docs/i18n.md): the gettext catalogs in locale/ are compiled here, from
# their .po sources (the .mo files are not in git), with GNU gettext's msgfmt, as Django's
# compilemessages would. `make messages` collects new strings into the .po files.

locale/%.mo: locale/%.po
	@command -v msgfmt >/dev/null || { echo "error: msgfmt is needed for the translations (apt-get install gettext)" >&2; exit 1; }
	msgfmt --check -o $@ $<

messages: $(VENV)/.installed
	$(PY) manage.py makemessages --no-obsolete -l ko -d django --ignore=.venv --ignore=node_modules --ignore=static --ignore=tests --ignore=benchmarks
	$(PY) manage.py makemessages --no-obsolete -l ko -d djangojs --ignore=static/vendor --ignore=node_modules --ignore=.venv --ignore=staticfiles

$(VENV)/.installed: pyproject.toml
	@PYBIN=$$(scripts/find-python.sh) || exit 1; \
	  test -x $(PY) || $$PYBIN -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# The engine compiled with mypyc (docs/engine-builds.md) when a C compiler is
# present, pure Python with a one-line notice when not. The script rebuilds
# only when the engine's sources changed since the last build (1-3 minutes),
# and does nothing otherwise; PATTERNS_PURE=1 skips it.
engine: $(VENV)/.installed
	$(PY) scripts/build-engine.py

# Front-end libraries come from the npm registry at pinned versions and are
# served by Django from static/vendor: the app works offline.
static/vendor/.installed: package.json
	@command -v npm >/dev/null || { echo "error: npm is needed for the front-end libraries (apt-get install npm)" >&2; exit 1; }
	npm install --no-audit --no-fund --silent
	mkdir -p static/vendor/uplot
	cp node_modules/uplot/dist/uPlot.esm.js node_modules/uplot/dist/uPlot.min.css static/vendor/uplot/
	# dagre's ES module bundles its graphlib and uses no eval: it runs under the CSP.
	mkdir -p static/vendor/dagre
	cp node_modules/@dagrejs/dagre/dist/dagre.esm.js node_modules/@dagrejs/dagre/LICENSE static/vendor/dagre/
	touch $@

# The Celery workers alone, supervised (another host's web server sends them runs).
worker: setup
	$(PY) manage.py run_workers

lint: setup
	$(VENV)/bin/ruff check patterns playground tests benchmarks scripts
	$(VENV)/bin/mypy

bench: setup
	$(PY) benchmarks/engine.py

clean:
	rm -rf $(VENV) node_modules static/vendor build
