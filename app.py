"""cnnviz entry point: page navigation and the shared sidebar."""

import streamlit as st

from cnnviz.catalog import all_pages
from pages import ui

st.set_page_config(page_title="cnnviz: how CNNs work", page_icon=":material/grid_on:",
                   layout="wide")

sections: dict[str, list] = {}
for info in all_pages():
    page = st.Page(info.file, title=info.title, icon=info.icon,
                   url_path=info.url_path or None, default=not info.url_path)
    sections.setdefault(info.section, []).append(page)

navigation = st.navigation(sections)
ui.sidebar()
navigation.run()
