"""Page scripts and the Streamlit helpers they share.

Streamlit treats a folder called ``pages/`` beside the main script as an old-style multipage app
until ``st.navigation`` has run once in the server process. A shared link opened as the very first
request after the server starts would then run its page without app.py (wrong sidebar, no shared
settings). Every page imports from this package, so the first such run switches the server to
app.py's navigation and reruns the same page (URL paths equal the file-derived names, so the page
is found again).
"""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

if PagesManager.uses_pages_directory and get_script_run_ctx() is not None:
    PagesManager.uses_pages_directory = False
    st.rerun()
