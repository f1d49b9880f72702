"""The browser-side files in assets/: their text, and the Streamlit v2 components built on them."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

ASSETS = Path(__file__).resolve().parents[1] / "assets"


@st.cache_resource
def text(name: str) -> str:
    """The text of ``assets/<name>`` (read once per server process)."""
    return (ASSETS / name).read_text(encoding="utf-8")


def component(name: str, script: str):
    """A v2 component named ``name`` whose JavaScript is ``assets/<script>``."""
    return st.components.v2.component(name, js=text(script))
