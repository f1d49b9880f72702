"""Streamlit helpers shared by every page: page setup and the sidebar (kept thin, no compute)."""

from __future__ import annotations

import streamlit as st

from cnnviz.device import choose_device, configure_threads, describe_device


@st.cache_resource
def device_label() -> str:
    """Describe the compute device once per server process (threads configured first)."""
    configure_threads()
    return describe_device(choose_device())


def sidebar() -> None:
    """Sidebar shown on every page: the compute device."""
    with st.sidebar:
        st.caption(f"Computing on **{device_label()}**")
