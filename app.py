"""cnnviz entry point: page navigation and the shared sidebar."""

import streamlit as st

from ui import sidebar

st.set_page_config(page_title="cnnviz: how CNNs work", page_icon=":material/grid_on:",
                   layout="wide")

navigation = st.navigation(sidebar.navigation_sections())
sidebar.sidebar()
navigation.run()
