"""Streamlit parts the page scripts share: charts, sidebar, page configuration, page sections."""

from ui import legacy_pages  # noqa: F401 - must run before any page draws (see its docstring)
