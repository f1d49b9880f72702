# cnnviz as a container image: `docker build -t cnnviz .` then `docker run -p 8501:8501 cnnviz`.
# Defaults give a CPU-only image that works offline; README.md ("Docker") lists the build args.

# The base image: any Debian-based image with python3 (>= 3.11) and its venv module.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
FROM ${PYTHON_IMAGE}

# Where torch and torchvision come from. Default: PyTorch's CPU-only wheels (no CUDA libraries,
# a few GB smaller). For NVIDIA GPUs: "" for PyPI's default (CUDA) build, or a PyTorch CUDA
# index such as https://download.pytorch.org/whl/cuXYZ.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
# 1: download MNIST and Fashion-MNIST at build time, so that `docker run` needs no network.
ARG DOWNLOAD_DATASETS=1
ARG APP_UID=10001

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
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
    && rm -rf /var/lib/apt/lists/*

RUN python3 -m venv /opt/venv \
    && groupadd --system --gid "$APP_UID" cnnviz \
    && useradd --system --uid "$APP_UID" --gid cnnviz --home-dir /app --shell /usr/sbin/nologin cnnviz

WORKDIR /app
COPY requirements.txt ./
# torch and torchvision first, at requirements.txt's pins, from TORCH_INDEX_URL. The full install
# after it keeps that build: 2.14.1+cpu already satisfies torch==2.14.1.
RUN grep -E '^(torch|torchvision)==' requirements.txt > /tmp/torch-requirements.txt \
    && pip install ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"} \
        --requirement /tmp/torch-requirements.txt \
    && pip install --requirement requirements.txt \
    && rm /tmp/torch-requirements.txt

# The data sets, with torchvision's own downloader, into $CNNVIZ_DATA_DIR/<name>/raw.
RUN mkdir -p "$CNNVIZ_DATA_DIR" \
    && if [ "$DOWNLOAD_DATASETS" = "1" ]; then \
         python -c 'import sys; from torchvision import datasets as d; [c(sys.argv[1], train=t, download=True) for c in (d.MNIST, d.FashionMNIST) for t in (True, False)]' "$CNNVIZ_DATA_DIR"; \
       fi \
    && chown -R cnnviz:cnnviz "$CNNVIZ_DATA_DIR"

COPY --chown=cnnviz:cnnviz .streamlit ./.streamlit
COPY --chown=cnnviz:cnnviz app.py ./
COPY --chown=cnnviz:cnnviz cnnviz ./cnnviz
COPY --chown=cnnviz:cnnviz pages ./pages
COPY --chown=cnnviz:cnnviz ui ./ui
COPY --chown=cnnviz:cnnviz assets ./assets

USER ${APP_UID}:${APP_UID}
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; r = u.urlopen('http://127.0.0.1:%s/_stcore/health' % os.environ['CNNVIZ_PORT'], timeout=4); raise SystemExit(r.read().strip() != b'ok')"]
CMD ["sh", "-c", "exec python -m cnnviz.serve --address \"$CNNVIZ_ADDRESS\" --port \"$CNNVIZ_PORT\""]
