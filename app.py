"""cnnviz entry point: page navigation, the shared sidebar and class mode around each page."""

import streamlit as st

from ui import classroom, sidebar

st.set_page_config(page_title="cnnviz: how CNNs work", page_icon=":material/grid_on:",
                   layout="wide")

navigation = st.navigation(sidebar.navigation_sections())
sidebar.sidebar()
classroom.main_panel(navigation.url_path)
navigation.run()
classroom.publish(navigation.url_path)
