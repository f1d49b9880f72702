"""deploy/: the compose file follows the Compose specification, its HAProxy config is valid."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cnnviz.serving import haproxy

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


@pytest.mark.skipif(haproxy.haproxy_binary() is None, reason="haproxy is not installed")
def test_front_haproxy_config_is_valid():
    assert "valid" in haproxy.check_config(DEPLOY / "haproxy.cfg")


def test_front_haproxy_pins_browsers_to_replicas():
    text = (DEPLOY / "haproxy.cfg").read_text()
    assert "cookie cnnviz_replica insert indirect" in text
    assert f"cookie {haproxy.COOKIE}" not in text  # the replicas' own cookie passes through
    assert "option httpchk GET /_stcore/health" in text


def test_compose_file_follows_the_spec():
    pytest.importorskip("check_jsonschema")
    done = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                           "vendor.compose-spec", str(DEPLOY / "compose.yaml")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
