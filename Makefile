# Navi: `make run` serves the app on the embedded defaults, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench bench-admin soak demo lint migrate venv browser

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

migrate: venv
	$(PY) manage.py migrate --noinput

run: migrate
	$(PY) manage.py runserver $(HOST):$(PORT) --noreload --nostatic

test: venv browser
	$(PY) -m pytest $(PYTEST_ARGS)

# The browser tests drive Debian's Chromium; install it when it is missing (needs root, as on CI machines).
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

# Figures for the README: first token, stream rate, 200 and 500 concurrent streams, per-token Redis commands
# and WebSocket messages, idle-socket RSS (bench.run); the session lists at 10,000 sessions (bench.lists).
# Embedded, then PostgreSQL + Redis when they answer. BENCH_ARGS=--quick for a CI-sized run.
bench: venv
	$(PY) -m bench.run $(BENCH_ARGS)
	$(PY) -m bench.lists $(BENCH_ARGS)

# GET /admin/sessions over 10,000 sessions (docs/admin.md), embedded and, when they answer, PostgreSQL + Redis.
bench-admin: venv
	$(PY) -m bench.admin_sessions $(BENCH_ARGS)

# The app against the fake Ollama, for trying Navi without a model.
demo: migrate
	$(PY) -m tests.fakes.demo --port $(PORT)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

# Many users for a bounded time (bench/soak.py): 5xx, lost or doubled events, p99 per endpoint. SOAK_ARGS=--quick.
soak: venv
	$(PY) -m bench.soak $(SOAK_ARGS)
