# Everything a fresh machine needs: Python 3.11 and make. The venv is made and kept current here.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PIP_FLAGS := --disable-pip-version-check -q
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install run reindex check test test-slow lint bench bench-workers clean browser

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_FLAGS) -r requirements-dev.txt 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/python -c "import flask, whoosh, flask_smorest, markdown_it, nh3, pytest"
	@touch $(STAMP)

install: $(STAMP)

reindex: install
	$(BIN)/python -m service reindex

# Serves with the Procfile's own web command, after publishing a fresh index; on loopback even when PORT is set.
run: reindex
	HOST="$${HOST:-127.0.0.1}" sh -c "$$(sed -n 's/^web: *//p' Procfile)"

check: install
	$(BIN)/flask --app service content check

test: install
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

# Debian's chromium for the browser tests (Playwright drives it; it never downloads a browser of its own).
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@test -x $(CHROMIUM) || { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@test -x $(CHROMIUM) && echo "chromium: $(CHROMIUM)"

test-slow: install browser
	$(BIN)/python -m pytest -m slow $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check service tests

# Benchmarks against real gunicorn over loopback with wrk (installed from Debian when missing); see BENCHMARKS.md.
# BENCH_ARGS=--with-100k adds the 100,000-post corpus.
bench: install
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; } || \
		{ echo "bench needs wrk: apt-get install wrk" >&2; exit 1; }
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# gunicorn worker models side by side on one index (sync vs gunicorn.conf.py's), with the slow-client probe.
bench-workers: install
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; } || \
		{ echo "bench-workers needs wrk: apt-get install wrk" >&2; exit 1; }
	$(BIN)/python -m bench.workers $(BENCH_WORKERS_ARGS)

clean:
	rm -rf $(VENV) index/builds index/current .pytest_cache
