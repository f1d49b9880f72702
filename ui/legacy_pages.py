"""Keep Streamlit out of its old multipage mode, which a folder named ``pages/`` switches on.

Streamlit 1.67 treats ``pages/`` beside the main script as an old-style multipage app until
``st.navigation`` has run once in the server process, and it has no setting to turn that off. A
shared link opened as the very first request after the server starts would then run its page
without app.py (no sidebar, no navigation). The pages import the ``ui`` package, which imports
this module once per process: the first such run switches the server to app.py's navigation
and reruns the same page (URL paths equal the file-derived names, so the page is found again).
``tests/test_legacy_pages.py`` fails when Streamlit renames or drops the flag this relies on.
"""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx


def navigation_only() -> None:
    """Tell Streamlit that app.py's st.navigation, not the folder, lists the pages."""
    PagesManager.uses_pages_directory = False


# A server process that imported this module before its first script run (the zygote's
# workers) calls navigation_only() itself before it serves.
if PagesManager.uses_pages_directory and get_script_run_ctx() is not None:
    navigation_only()
    st.rerun()
