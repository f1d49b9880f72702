"""ui.legacy_pages leans on one Streamlit internal: fail loudly when Streamlit changes it."""

import inspect

from streamlit.commands import navigation
from streamlit.runtime import pages_manager
from streamlit.runtime.scriptrunner import script_runner

from ui import legacy_pages


def test_streamlit_still_has_the_pages_directory_flag():
    assert "uses_pages_directory" in vars(pages_manager.PagesManager)
    # the script runner still picks the old multipage mode by this flag ...
    assert "PagesManager.uses_pages_directory" in inspect.getsource(script_runner)
    # ... and st.navigation still clears it, which is what navigation_only() does early
    assert "PagesManager.uses_pages_directory = False" in inspect.getsource(navigation)


def test_navigation_only_clears_the_flag():
    saved = pages_manager.PagesManager.uses_pages_directory
    try:
        pages_manager.PagesManager.uses_pages_directory = True
        legacy_pages.navigation_only()
        assert pages_manager.PagesManager.uses_pages_directory is False
    finally:
        pages_manager.PagesManager.uses_pages_directory = saved
