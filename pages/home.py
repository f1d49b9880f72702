import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from cnnviz.catalog import PAGES
from ui import sidebar

st.title("How convolutional neural networks work")
st.markdown(
    "An interactive companion to the CNN chapter of *Data Science in Electron Microscopy*. "
    "Every page lets you change the numbers and watch what a convolutional layer does with "
    "them, step by step, with the same values the chapter prints."
)

if PAGES:
    st.subheader("Pages")
    for info in PAGES:
        try:
            st.page_link(info.file, label=f"**{info.title}**: {info.teaches}", icon=info.icon)
        except StreamlitPageNotFoundError:  # run alone (AppTest), without app.py's navigation
            st.markdown(f"- [**{info.title}**](/{info.url_path}): {info.teaches}")
else:
    st.info("No lesson pages are installed yet.")

st.subheader("Compute device")
st.write(f"This server computes on **{sidebar.device_label()}**.")
st.caption("Set CNNVIZ_DEVICE=cpu|cuda|mps to override the automatic choice "
           "(CUDA, then Apple MPS, then CPU) and CNNVIZ_TORCH_THREADS for the CPU thread count.")
