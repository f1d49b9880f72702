"""LeNet page, training side: data set choice, hyperparameters, live progress, weights files."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from cnnviz.device import available_devices
from cnnviz.jobs import pool
from cnnviz.jobs.training import TrainingJob, progress_text
from cnnviz.lenet import data, shapes
from cnnviz.lenet import page as lenet_page
from cnnviz.lenet.model import (
    LeNet,
    LeNetConfig,
    WeightsError,
    build_lenet,
    load_weights,
    weights_to_bytes,
)
from cnnviz.lenet.train import Snapshot, TrainConfig, default_training, fingerprint
from cnnviz.viz.lenet_figures import (
    curves_figure,
    kernels_figure,
    layer_figure,
    probabilities_figure,
)
from ui import charts, config_ui

DATASET_TITLES = {"fashion": "Fashion-MNIST", "mnist": "MNIST digits",
                  "shapes": "Shapes (generated here, no internet needed)"}
LIVE_EVERY_S = 0.25  # the worker sends a point about this often
# Live panels of one server redraw about this often per second, all sessions together at most:
# a redraw costs 10-30 ms of server CPU, and 30 students at 4 redraws a second each would take
# more than two cores from the trainings and every other page. Below 8 watchers each gets 4.
LIVE_REDRAWS_PER_S = 32
LIVE_STEPS_S = (0.25, 0.5, 1.0, 2.0)


def live_interval(watchers: int) -> float:
    """Seconds between two redraws of one live panel while ``watchers`` sessions watch one."""
    wanted = watchers / LIVE_REDRAWS_PER_S
    return next((s for s in LIVE_STEPS_S if s >= wanted), LIVE_STEPS_S[-1])


@st.cache_resource(show_spinner="Loading the data set into memory (once for everyone)...")
def shared_split(key: str, root: str, train: bool) -> data.ImageSet:
    """One split, read once per server and shared read-only by every session."""
    if key == "shapes":
        return shapes.shapes_split(train)
    return data.load_split(data.DATASETS[key], root, train)


def first_available() -> dict:
    """The default data set here: the first whose files are in the data folder."""
    root = data.data_dir()
    return {"dataset": next((k for k in ("fashion", "mnist") if data.is_available(
        data.DATASETS[k], root)), "shapes")}


def splits(key: str) -> tuple[data.ImageSet, data.ImageSet]:
    """The shared train and test splits of a data set in the current data directory."""
    root = str(data.data_dir())
    return shared_split(key, root, True), shared_split(key, root, False)


def dataset_choice(page: config_ui.Page) -> tuple[str, data.ImageSet, data.ImageSet]:
    """Pick a data set; offer the download when missing and fall back to shapes offline."""
    root = data.data_dir()
    key = config_ui.widget(page, "dataset", "Data set", format_func=DATASET_TITLES.get)
    if key != "shapes" and not data.is_available(data.DATASETS[key], root):
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


def hyperparameters(page: config_ui.Page, train_images: int) -> TrainConfig:
    """Read optimizer, learning rate, batch size, steps, seed and device into a TrainConfig.

    Choosing a variant sets the defaults that learn for it (lenet_page.variant_training).
    """
    c1, c2, c3 = st.columns(3)
    config_ui.widget(page, "optimizer", "Optimizer", where=c1, style="radio",
                     format_func=str.upper, horizontal=True, adjust=lenet_page.first_rate)
    config_ui.widget(page, "lr", "Learning rate", where=c1, style="select_slider")
    config_ui.widget(page, "batch", "Batch size", where=c2, style="select_slider")
    config_ui.widget(page, "steps", "Training steps", where=c2, style="select_slider",
                     help="Optimizer steps, one batch each: the same time whatever the size "
                          "of the data set.")
    config_ui.widget(page, "seed", "Seed", where=c3)
    devices = ["auto", *available_devices()]
    device = config_ui.widget(page, "device", "Device", where=c3, choices=devices)
    config = lenet_page.training(page.so_far(), device if device in devices else "auto")
    defaults = default_training(lenet_page.architecture(page.so_far()))
    st.caption(f"Trains on {train_images:,} images: {config.steps:,} steps of "
               f"{config.batch_size} images = {config.steps * config.batch_size:,} images, "
               f"{config.epochs(train_images):.1f} epochs (passes over the training images). "
               f"This architecture's defaults: {defaults.optimizer.upper()}, learning rate "
               f"{defaults.lr:g}, batch {defaults.batch_size}, {defaults.steps:,} steps.")
    return config


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
                                                owner_alive=session_alive_check(),
                                                architecture=config).start()
    st.session_state["lenet_job_dataset"] = key


def current_job() -> TrainingJob | None:
    """The session's training, followed to the run it went on as after a Pause in a group."""
    job = st.session_state.get("lenet_job")
    if job is not None and job.current() is not job:
        job = st.session_state["lenet_job"] = job.current()
    return job


SHARED_HELP = ("Your training shares one computation with other students' (the same "
               "settings, or models batched together). **Stop** keeps your model as it is "
               "now while the others go on. **Pause** gives you your own copy of the run "
               "(weights, optimizer state, step); **Resume** then trains it on alone.")


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


def live_panel(classes: tuple[str, ...]) -> None:
    """Progress, buttons, curves and what is being learned; redrawn 4 times a second in a run.

    Less often while many sessions of the server watch one (:func:`live_interval`).
    """
    pool.prepare()  # the next run's process imports torch while the student chooses
    job = current_job()
    active = job is not None and job.view().active
    every = live_interval(job.gate.watched()) if active else None

    @st.fragment(run_every=every)
    def panel():
        job = current_job()
        view = job.view() if job else None
        if view is not None and view.active and every is not None:
            watchers = job.gate.watched()
            # Slower at once, faster only well below the threshold (no back and forth).
            if live_interval(watchers) > every or live_interval(watchers * 3 // 2) < every:
                st.rerun()  # the whole page, to redraw at the new rate
            if every > LIVE_EVERY_S:
                st.caption(f"{watchers} students watch a training on this server now: your "
                           f"panel redraws every {every:g} s so that every page stays quick "
                           "(the training does not wait for the drawing).")
            if view.state == "queued":
                st.info(f"Waiting for a free training slot: you are number "
                        f"{view.queue_position or 1} in the queue.")
            elif view.shared and view.state == "running":
                st.caption(SHARED_HELP)
            elif view.state == "paused" and job.start_from is not None:
                st.caption((f"Your own copy of the shared run, paused at step "
                            f"{job.start_from.step:,}: Resume trains it on alone"
                            if job.forked_from_shared else
                            f"Paused at step {job.start_from.step:,}: Resume goes on from here")
                           + " (it may wait for a free slot), Stop keeps the model as it is.")
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
            tested = job.config if job is not None else TrainConfig()
            # Keyed by content: every session watching one computation replays one recording.
            charts.cached_chart(fingerprint(runs), lambda: curves_figure(runs),
                                key="lenet_curves", live=True)
            st.caption("Solid: the newest run; dashed: the one before, to compare e.g. the "
                       "classic and the modern variant. Training values are means over the "
                       "batches since the previous point; test accuracy (right axis, with "
                       f"training accuracy) is measured every {tested.test_every} steps on "
                       f"up to {tested.test_sample:,} test images, and on all of them at "
                       "the end.")
        if view is not None and view.active and view.snapshot is not None:
            learning_now(view.snapshot, classes)

    panel()


def learning_now(snapshot: Snapshot, classes: tuple[str, ...]) -> None:
    """The first-layer kernels and one test image's feature maps as they are right now."""
    st.markdown(f"**What it is learning now**: first-layer kernels (red positive, blue "
                f"negative) and test image #{snapshot.image_index} on its way through.")
    # Each figure is built once per snapshot for all the sessions that watch the same run (30
    # watchers x 4 redraws/s rebuilt 5 plotly figures each, ~50 ms of CPU per redraw). Four
    # narrow columns cut projector mode's larger titles off: two rows of two there.
    c1, c2, c3, c4 = (st.columns(2) + st.columns(2)) if charts.projector_on() else st.columns(4)
    charts.cached_chart(fingerprint(snapshot.kernels), lambda: kernels_figure(snapshot.kernels),
                        where=c1, key="lenet_live_kernels", live=True, theme=None)
    maps = {out.index: out for out in snapshot.maps}
    for where, index, key in ((c2, 1, "lenet_live_maps1"), (c3, 4, "lenet_live_maps2")):
        if index in maps:
            out = maps[index]
            charts.cached_chart(fingerprint(out.index, out.name, out.values),
                                lambda out=out: layer_figure(out), where=where, key=key,
                                live=True, theme=None)
    charts.cached_chart(fingerprint(snapshot.probabilities, classes),
                        lambda: probabilities_figure(snapshot.probabilities, classes), where=c4,
                        key="lenet_live_probs", live=True)


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
