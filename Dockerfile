# cnnviz as a container image: `docker build -t cnnviz .` then `docker run -p 8501:8501 cnnviz`.
# Defaults give a CPU-only image that works offline; README.md ("Docker") lists the build args.
# Each ARG is declared just before the step that uses it, so changing one rebuilds from there on.

# The base image: any Debian-based image with python3 (>= 3.11) and its venv module.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
FROM ${PYTHON_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_DEFAULT_TIMEOUT=60 \
    PATH=/opt/venv/bin:$PATH \
    CNNVIZ_DATA_DIR=/opt/cnnviz-data \
    CNNVIZ_ADDRESS=0.0.0.0 \
    CNNVIZ_PORT=8501

SHELL ["/bin/sh", "-eu", "-c"]

# HAProxy balances CNNVIZ_WORKERS >= 2 Streamlit processes; Debian's stable package (security
# updates come with the base image's release, so no version pin).
# hadolint ignore=DL3008
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends haproxy \
    && rm -rf /var/lib/apt/lists/* \
    && python3 -m venv /opt/venv

# The code lives in /opt/cnnviz, owned by root: the server cannot rewrite itself.
WORKDIR /opt/cnnviz
COPY requirements.txt requirements.lock ./

# Where torch and torchvision come from. Default: PyTorch's CPU-only wheels (no CUDA libraries,
# a few GB smaller), installed at requirements.txt's pins with --no-deps; every other package,
# torch's own dependencies included, comes from PyPI at requirements.lock's pins and hashes,
# without the CUDA packages. "" (empty): PyPI's default CUDA build, all from the lock.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
RUN if [ -n "$TORCH_INDEX_URL" ]; then \
      grep -E '^(torch|torchvision)==' requirements.txt > /tmp/torch.txt \
      && pip install --no-deps --index-url "$TORCH_INDEX_URL" --requirement /tmp/torch.txt \
      && awk '/^[A-Za-z0-9]/ { keep = $0 !~ /^(torch|torchvision|triton|nvidia-[^=]*|cuda-[^=]*)==/ } keep' \
        requirements.lock > /tmp/rest.lock; \
    else \
      cp requirements.lock /tmp/rest.lock; \
    fi \
    && pip install --no-deps --require-hashes --requirement /tmp/rest.lock \
    && pip check \
    && python -c 'import torch, torchvision' \
    && rm -f /tmp/torch.txt /tmp/rest.lock

# The runtime user, with a writable home of its own.
ARG APP_UID=10001
RUN groupadd --system --gid "$APP_UID" cnnviz \
    && useradd --system --uid "$APP_UID" --gid cnnviz --create-home --home-dir /home/cnnviz \
        --shell /usr/sbin/nologin cnnviz
ENV HOME=/home/cnnviz

# 1: download MNIST and Fashion-MNIST at build time (torchvision's downloader, 60 s socket
# timeout), into $CNNVIZ_DATA_DIR/<name>/raw, so that `docker run` needs no network. 0: skip.
ARG DOWNLOAD_DATASETS=1
RUN mkdir -p "$CNNVIZ_DATA_DIR" \
    && if [ "$DOWNLOAD_DATASETS" = "1" ]; then \
         python -c 'import socket, sys; socket.setdefaulttimeout(60); from torchvision import datasets as d; [c(sys.argv[1], train=t, download=True) for c in (d.MNIST, d.FashionMNIST) for t in (True, False)]' "$CNNVIZ_DATA_DIR"; \
       fi \
    && chown -R cnnviz:cnnviz "$CNNVIZ_DATA_DIR"

COPY .streamlit ./.streamlit
COPY app.py ./
COPY cnnviz ./cnnviz
COPY pages ./pages
COPY ui ./ui
COPY assets ./assets

USER ${APP_UID}:${APP_UID}
EXPOSE 8501
# Asks the address and port the server listens on (all interfaces: the loopback).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; a = os.environ.get('CNNVIZ_ADDRESS') or '127.0.0.1'; a = '127.0.0.1' if a in ('0.0.0.0', '::') else a; h = '[%s]' % a if ':' in a else a; r = u.urlopen('http://%s:%s/_stcore/health' % (h, os.environ.get('CNNVIZ_PORT') or '8501'), timeout=4); raise SystemExit(r.read().strip() != b'ok')"]
CMD ["sh", "-c", "exec python -m cnnviz.serve --address \"$CNNVIZ_ADDRESS\" --port \"$CNNVIZ_PORT\""]
