# authgate: build, check and test. Every target installs what it needs first
# (scripts/install is idempotent and takes well under a second when warm).
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install check test demo bench bench-instructions bench-frameworks bench-frameworks-instructions load lint docs

install:
	scripts/install

check: install
	scripts/check

# What CI runs (.ci/run): install, then lint/type/import checks, then the tests.
test: install
	scripts/check
	scripts/test

# The demo needs only the runtime: no dev group, no npm test fixtures, no database servers.
demo:
	scripts/install --runtime
	$(PY) -m examples.demo

# The documentation site (MkDocs + Material + mkdocstrings) into site/.
docs: install
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site

bench: install
	$(PY) bench/session_bench.py

# Instructions per session check under valgrind's callgrind: repeatable on a loaded machine.
bench-instructions: install
	$(PY) bench/session_instructions.py

# Flask, Django, Litestar, WSGI under gunicorn/uvicorn: bare vs session vs protected (~90 s).
bench-frameworks: install
	$(PY) bench/frameworks_servers.py

# The same per framework (Flask, Django, Litestar, WSGI: bare vs session) and the sync bridge.
bench-frameworks-instructions: install
	$(PY) bench/frameworks_instructions.py

# The deployment (nginx, 2 app instances x WORKERS uvicorn workers, PostgreSQL, Redis, SMTP, the
# OpenID provider) under a locust mix; FAULTS=1 stops and restarts each component on a schedule.
# Report in OUT (docs/guides/capacity.md). WORKERS="1 2 4" runs once per count; SESSIONS=jwt.
DURATION ?= 60
WORKERS ?= 2
USERS ?= 24
FAULTS ?=
SESSIONS ?= database
OUT ?= test-artifacts/load
load: install
	$(PY) bench/load/run.py --duration $(DURATION) --workers $(WORKERS) --users $(USERS) \
		--faults "$(FAULTS)" --sessions $(SESSIONS) --out $(OUT)

lint: install
	$(VENV)/bin/ruff format src tests examples bench
	$(VENV)/bin/ruff check --fix src tests examples bench
