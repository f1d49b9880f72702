"""cnnviz entry point: page navigation and the shared sidebar."""

import streamlit as st

from pages import ui

st.set_page_config(page_title="cnnviz: how CNNs work", page_icon=":material/grid_on:",
                   layout="wide")

navigation = st.navigation(ui.navigation_sections())
ui.sidebar()
navigation.run()
