"""A session's handle on the server-wide upload store (cnnviz.lab.budget.UPLOADS)."""

from __future__ import annotations

import uuid

import streamlit as st

EVICTED = ("Your image was removed to free server memory (all students share a fixed amount); "
           "upload it again.")


def session_owner() -> str:
    """The name of this session in the store, made once per session."""
    if "upload_owner" not in st.session_state:
        st.session_state.upload_owner = uuid.uuid4().hex
    return st.session_state.upload_owner
