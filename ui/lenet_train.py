"""LeNet page, training side: data set choice, hyperparameters, live progress, weights files."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from cnnviz.device import available_devices
from cnnviz.jobs.training import TrainingJob, progress_text
from cnnviz.lenet import data, shapes
from cnnviz.lenet.model import (
    LeNet,
    LeNetConfig,
    WeightsError,
    build_lenet,
    load_weights,
    weights_to_bytes,
)
from cnnviz.lenet.train import TrainConfig
from cnnviz.viz.lenet_figures import curves_figure
from ui import charts

DATASET_TITLES = {"fashion": "Fashion-MNIST", "mnist": "MNIST digits",
                  "shapes": "Shapes (generated here, no internet needed)"}
LEARNING_RATES = [0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 0.9]
# Widgets whose choices survive a visit to another page (Streamlit forgets unrendered widgets).
REMEMBERED = ("lenet_variant", "lenet_act", "lenet_pool", "lenet_c1", "lenet_c2", "lenet_k",
              "lenet_dataset", "lenet_optimizer", "lenet_lr_sgd", "lenet_lr_adam", "lenet_batch",
              "lenet_epochs", "lenet_seed", "lenet_device", "lenet_source", "lenet_test_index",
              "lenet_patch_polarity")


def restore_choices() -> None:
    """Give widgets back the values they had before the user visited another page."""
    saved = st.session_state.get("lenet_saved_choices", {})
    for key, value in saved.items():
        if key not in st.session_state:
            st.session_state[key] = value


def save_choices() -> None:
    """Copy the widget values to a key Streamlit keeps across pages."""
    st.session_state["lenet_saved_choices"] = {
        k: st.session_state[k] for k in REMEMBERED if k in st.session_state}


@st.cache_resource(show_spinner="Loading the data set into memory (once for everyone)...")
def shared_split(key: str, root: str, train: bool) -> data.ImageSet:
    """One split, read once per server and shared read-only by every session."""
    if key == "shapes":
        return shapes.shapes_split(train)
    return data.load_split(data.DATASETS[key], root, train)


def splits(key: str) -> tuple[data.ImageSet, data.ImageSet]:
    """The shared train and test splits of a data set in the current data directory."""
    root = str(data.data_dir())
    return shared_split(key, root, True), shared_split(key, root, False)


def dataset_choice() -> tuple[str, data.ImageSet, data.ImageSet]:
    """Pick a data set; offer the download when missing and fall back to shapes offline."""
    root = data.data_dir()
    ready = {k: k == "shapes" or data.is_available(data.DATASETS[k], root) for k in DATASET_TITLES}
    default = next(k for k in ("fashion", "mnist", "shapes") if ready[k])
    key = st.selectbox("Data set", list(DATASET_TITLES), format_func=DATASET_TITLES.get,
                       index=list(DATASET_TITLES).index(default), key="lenet_dataset")
    if not ready[key]:
        spec = data.DATASETS[key]
        st.warning(f"{spec.title} is not in `{root}` yet (set CNNVIZ_DATA_DIR to use another "
                   "folder). Until it is, training uses the generated shapes.")
        if st.button(f"Download {spec.title} (about 30 MB)", key="lenet_download"):
            bar = st.progress(0.0, text="Connecting...")
            try:
                for name, fraction in data.download(spec, root):
                    bar.progress(min(fraction, 1.0), text=f"Downloading {name}: {fraction:.0%}")
                st.rerun()
            except data.DataUnavailable as exc:
                bar.empty()
                st.error(str(exc))
        key = "shapes"
    try:
        return key, *splits(key)
    except data.DataUnavailable as exc:
        st.error(f"{exc} Using the generated shapes instead.")
        return "shapes", *splits("shapes")


def hyperparameters() -> TrainConfig:
    """Read optimizer, learning rate, batch size, epochs, seed and device into a TrainConfig."""
    c1, c2, c3 = st.columns(3)
    optimizer = c1.radio("Optimizer", ["sgd", "adam"], format_func=str.upper, horizontal=True,
                         key="lenet_optimizer")
    lr = c1.select_slider("Learning rate", LEARNING_RATES, value=0.1 if optimizer == "sgd"
                          else 0.001, key=f"lenet_lr_{optimizer}")
    batch = c2.select_slider("Batch size", [16, 32, 64, 128, 256, 512], value=128,
                             key="lenet_batch")
    epochs = c2.slider("Epochs", 1, 30, 10, key="lenet_epochs")
    seed = c3.number_input("Seed", 0, 10_000, 0, key="lenet_seed")
    device = c3.selectbox("Device", ["auto", *available_devices()], key="lenet_device")
    return TrainConfig(optimizer=optimizer, lr=lr, batch_size=batch, epochs=epochs,
                       seed=int(seed), device=device)


def session_alive_check() -> Callable[[], bool] | None:
    """A check whether this browser session is still connected, or None outside a server."""
    ctx = get_script_run_ctx()
    if ctx is None or not runtime.exists():
        return None
    server, session_id = runtime.get_instance(), ctx.session_id
    return lambda: server.is_active_session(session_id)


def start_training(config: LeNetConfig, tconfig: TrainConfig, key: str, train_set, test_set):
    """Create the model and a background job; the job lives in this session's state."""
    model = build_lenet(config, seed=tconfig.seed)
    label = f"{config.label}, {tconfig.optimizer} {tconfig.lr:g}"
    st.session_state["lenet_job"] = TrainingJob(model, train_set, test_set, tconfig, label,
                                                owner_alive=session_alive_check()).start()
    st.session_state["lenet_job_dataset"] = key


def harvest(job: TrainingJob) -> None:
    """Once a job ends, keep its model for inspection and its curve for the overlay."""
    if st.session_state.get("lenet_harvested") is job:
        return
    view = job.view()
    st.session_state["lenet_harvested"] = job
    if view.history:
        runs = st.session_state.setdefault("lenet_runs", [])
        runs.append((job.label, view.history))
        del runs[:-2]  # the last two finished runs, e.g. classic and modern
    if view.history and view.state != "failed":  # a failed worker's weights never came back
        st.session_state["lenet_model"] = job.model
        st.session_state["lenet_model_meta"] = {
            "label": job.label, "dataset": st.session_state.get("lenet_job_dataset", "shapes")}


def live_panel() -> None:
    """Progress, buttons and curves; refreshes itself every second while a job is active."""
    job = st.session_state.get("lenet_job")
    active = job is not None and job.view().active

    @st.fragment(run_every=1.0 if active else None)
    def panel():
        job = st.session_state.get("lenet_job")
        view = job.view() if job else None
        if view is not None and view.active:
            if view.state == "queued":
                st.info(f"Waiting for a free training slot: you are number "
                        f"{view.queue_position or 1} in the queue.")
            st.progress(view.last.fraction if view.last else 0.0, text=progress_text(view))
            b1, b2, _ = st.columns([1, 1, 4])
            if view.state == "paused":
                b1.button("Resume", on_click=job.resume, key="lenet_resume")
            else:
                b1.button("Pause", on_click=job.pause, key="lenet_pause")
            b2.button("Stop", on_click=job.stop, key="lenet_stop")
        elif view is not None:
            if view.error:
                st.error(view.error)
            if st.session_state.get("lenet_harvested") is not job:
                harvest(job)
                st.rerun()
            st.caption(f"Last run ({job.label}), {view.state}: {progress_text(view)}")
        runs = list(st.session_state.get("lenet_runs", []))
        if view is not None and view.active:
            runs = [(job.label + " (running)", view.history), *runs[-1:]]
        if runs:
            charts.plotly_chart(curves_figure(runs), key="lenet_curves")
            st.caption("Solid: the newest run; dashed: the one before, to compare e.g. the "
                       "classic and the modern variant. Training values are running means "
                       "over the current epoch; test accuracy is measured after each epoch.")

    panel()


def weights_panel(config: LeNetConfig) -> None:
    """Download the trained weights, or upload weights for the architecture chosen above."""
    c1, c2 = st.columns(2)
    upload = c2.file_uploader("Upload weights (.pt) for the architecture above", type=["pt"],
                              key="lenet_weights_upload")
    if upload is not None and st.session_state.get("lenet_weights_seen") != upload.file_id:
        st.session_state["lenet_weights_seen"] = upload.file_id
        candidate: LeNet = build_lenet(config, seed=None)
        try:
            load_weights(candidate, upload.getvalue())
        except WeightsError as exc:
            st.session_state["lenet_weights_error"] = str(exc)
        else:
            st.session_state["lenet_weights_error"] = None
            st.session_state["lenet_model"] = candidate.eval()
            st.session_state["lenet_model_meta"] = {
                "label": f"uploaded ({config.label})",
                "dataset": st.session_state.get("lenet_dataset", "shapes")}
    if st.session_state.get("lenet_weights_error"):
        c2.error(st.session_state["lenet_weights_error"])
    model = st.session_state.get("lenet_model")
    if model is not None:
        c1.download_button("Download trained weights (.pt)", weights_to_bytes(model),
                           file_name="lenet-weights.pt", key="lenet_weights_download")
