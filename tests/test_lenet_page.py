"""The LeNet page under AppTest: architecture, training through the page, a pre-filled session."""

import json
import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from imagefiles import mrc_bytes, png_bytes, tiff_bytes
from streamlit.testing.v1 import AppTest

from cnnviz.imageio import load_image
from cnnviz.jobs import training as jobs
from cnnviz.jobs import training_queue
from cnnviz.lenet import data
from cnnviz.lenet.model import VARIANTS, LeNetConfig, build_lenet, weights_to_bytes
from cnnviz.lenet.train import TrainConfig, train_lenet

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "7_lenet.py")


@pytest.fixture
def tiny_env(monkeypatch, tiny_idx_data):
    """Point the app at the tiny IDX files."""
    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(tiny_idx_data))
    monkeypatch.setenv("CNNVIZ_DEVICE", "cpu")
    return tiny_idx_data


def wait_for(condition, timeout):
    """Poll ``condition`` until true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def charts(at):
    """Every plotly chart's spec as a dict."""
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def chart_with_title(at, text):
    """The spec of the chart with data whose subplot titles mention ``text``."""
    for spec in (s for s in charts(at) if s["data"]):
        titles = [a.get("text", "") for a in spec["layout"].get("annotations", [])]
        if any(text in t for t in titles):
            return spec
    return None


def test_architecture_table_matches_the_chapter(tiny_env):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["output shape"]) == [
        "1x6x28x28", "1x6x28x28", "1x6x14x14", "1x16x10x10", "1x16x10x10", "1x16x5x5",
        "1x400", "1x120", "1x120", "1x84", "1x84", "1x10"]
    assert sum(table["parameters"]) == 61706
    assert not any("Train a network" in i.value for i in at.info)  # that tab is closed
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params["tab"] = "Inside the network"
    at.run()
    assert any("Train a network" in i.value for i in at.info)
    assert at.selectbox(key="lenet_dataset").value == "fashion"  # the tiny files are found


def test_custom_architecture_changes_the_shapes(tiny_env):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.radio(key="lenet_variant").set_value("custom").run()
    at.number_input(key="lenet_c1").set_value(8).run()
    at.selectbox(key="lenet_k").set_value(3).run()
    assert not at.exception
    shapes = list(at.dataframe[0].value["output shape"])
    assert shapes[0] == "1x8x28x28"
    assert shapes[3] == "1x16x12x12"
    assert shapes[6] == "1x576"
    caption = next(c.value for c in at.caption if "parameters in total" in c.value)
    assert "pads 1 pixel per side (for a 3x3 kernel" in caption
    assert "14x14 becomes 12x12" in caption
    assert "16x6x6 = 576 values" in caption


def test_each_variant_starts_from_the_defaults_that_learn_and_says_what_it_trains_on(tiny_env):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert at.select_slider(key="lenet_steps").value == 800
    assert at.select_slider(key="lenet_lr").value == 0.005
    assert any("Trains on 120 images: 800 steps of 64 images = 51,200 images, 426.7 epochs"
               in c.value for c in at.caption)
    at.radio(key="lenet_variant").set_value("modern").run()
    assert at.select_slider(key="lenet_steps").value == 600
    assert at.select_slider(key="lenet_lr").value == 0.002
    assert at.select_slider(key="lenet_batch").value == 64


def test_the_page_shows_what_is_learned_while_it_trains(tiny_env):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.select_slider(key="lenet_steps").set_value(9600).run()
    at.button(key="lenet_train").click().run()
    job = at.session_state["lenet_job"]
    wait_for(lambda: job.view().snapshot is not None, 60)
    at.run()
    assert not at.exception
    assert any("What it is learning now" in m.value for m in at.markdown)
    heatmaps = [s for s in charts(at) if s["data"] and s["data"][0]["type"] == "heatmap"]
    assert len(heatmaps) == 3  # first-layer kernels, conv 1 and conv 2 maps of one image
    assert all(s["layout"]["yaxis"]["scaleanchor"] == "x" for s in heatmaps)  # square pixels
    assert any("about" in p.proto.text and "s left" in p.proto.text for p in at.get("progress"))
    at.button(key="lenet_stop").click().run()
    job.join(30)
    assert job.view().state == "stopped"


def test_training_from_the_page_keeps_model_and_curve(tiny_env):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.select_slider(key="lenet_steps").set_value(100).run()
    at.button(key="lenet_train").click().run()
    assert not at.exception
    job = at.session_state["lenet_job"]
    job.join(60)
    assert job.view().state == "done"
    at.run()
    assert not at.exception
    assert at.session_state["lenet_model"] is job.model
    assert len(at.session_state["lenet_runs"]) == 1
    curves = [s for s in charts(at) if any("train loss" in t.get("name", "") for t in s["data"])]
    assert len(curves) == 1
    at.session_state["lenet_tab"] = "Inside the network"  # the student opens the tab
    at.run()
    assert chart_with_title(at, "Conv2d") is not None  # inspection now shows feature maps
    at.run()  # a rerun keeps everything
    assert at.session_state["lenet_model"] is job.model


@pytest.fixture(scope="module")
def trained_model(tiny_idx_data):
    spec = data.DATASETS["fashion"]
    train = data.load_split(spec, tiny_idx_data, True)
    test = data.load_split(spec, tiny_idx_data, False)
    model = build_lenet(VARIANTS["modern"], seed=0)
    for _ in train_lenet(model, train, test, TrainConfig("adam", 0.003, 16, 24, device="cpu")):
        pass
    return model.eval()


def prefilled(trained_model):
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params["tab"] = "Inside the network"  # only the open tab's content runs
    at.session_state["lenet_model"] = trained_model
    at.session_state["lenet_model_meta"] = {"label": "modern, test", "dataset": "fashion"}
    return at.run()


def test_prefilled_session_shows_everything_inside_the_network(tiny_env, trained_model):
    at = prefilled(trained_model)
    assert not at.exception
    maps = chart_with_title(at, "Conv2d")
    assert maps is not None
    assert len(maps["data"]) == 12
    assert len(json.dumps(maps)) < 100_000
    assert any("Test accuracy" in m.value for m in at.markdown)
    assert any("confident mistakes" in m.value for m in at.markdown) or at.success
    heatmaps = [s for s in charts(at) if s["data"] and s["data"][0]["type"] == "heatmap"]
    assert len(heatmaps) >= 4  # feature maps, two kernel grids, confusion matrix
    assert len(at.image) >= 12 + 1 + 6  # gallery, input, micrograph and its 6 responses


def test_prefilled_session_other_inputs(tiny_env, trained_model):
    at = prefilled(trained_model)
    at.number_input(key="lenet_test_index").set_value(5).run()
    assert not at.exception
    at.radio(key="lenet_source").set_value("draw").run()
    assert not at.exception
    assert any("Draw something" in i.value for i in at.info)
    at.radio(key="lenet_source").set_value("upload").run()
    assert not at.exception
    assert at.session_state["lenet_model"] is trained_model  # nothing lost across reruns


def captions(at) -> list[str]:
    return [c for image in at.image for c in image.captions]


def test_uploaded_patch_and_micrograph(tiny_env, trained_model):
    at = prefilled(trained_model)
    at.radio(key="lenet_source").set_value("upload").run()
    patch = np.full((40, 60), 230, np.uint8)
    patch[10:30, 20:40] = 20
    at.file_uploader(key="lenet_patch_upload").set_value(("patch.png", png_bytes(patch),
                                                          "image/png")).run()
    assert not at.exception
    assert any("28x28" in c for c in captions(at))
    at.file_uploader(key="lenet_micrograph_upload").set_value(
        ("m.png", png_bytes(np.random.default_rng(0).integers(0, 255, (64, 80), np.uint8)),
         "image/png")).run()
    assert not at.exception
    assert any("micrograph 80x64" in c for c in captions(at))


def colour_png() -> bytes:
    rgb = np.zeros((40, 40, 3), np.uint8)
    rgb[:, :20, 0] = 255
    rgb[:, 20:, 1] = 255
    return png_bytes(rgb)


SIXTEEN_BIT = (60000 + np.arange(64, dtype=np.uint16))[None, :].repeat(48, 0)


@pytest.mark.parametrize(("name", "data", "described"), [
    ("halves.png", colour_png(), ["(PNG): 40 x 40 pixels", "0.299 R + 0.587 G + 0.114 B"]),
    ("ramp.tif", tiff_bytes(SIXTEEN_BIT), ["(TIFF): 48 x 64 pixels", "values 60000 to 60063"]),
    ("particle.mrc", mrc_bytes(np.arange(30 * 20, dtype=np.float32).reshape(30, 20) - 100),
     ["(MRC): 30 x 20 pixels", "values -100 to 499"]),
])
def test_uploads_go_through_the_loader(tiny_env, trained_model, name, data, described):
    at = prefilled(trained_model)
    at.radio(key="lenet_source").set_value("upload").run()
    at.file_uploader(key="lenet_patch_upload").set_value((name, data, "image/x")).run()
    assert not at.exception
    assert not at.error
    line = next(c.value for c in at.caption if name in c.value)
    assert all(part in line for part in described)
    assert any("what the network sees (28x28)" in c for c in captions(at))
    at.file_uploader(key="lenet_micrograph_upload").set_value((name, data, "image/x")).run()
    assert not at.exception
    h, w = load_image(data, name).array.shape
    assert any(f"micrograph {w}x{h}" in c for c in captions(at))


@pytest.mark.parametrize("key", ["lenet_patch_upload", "lenet_micrograph_upload"])
def test_broken_image_upload_gets_a_message(tiny_env, trained_model, key):
    at = prefilled(trained_model)
    at.radio(key="lenet_source").set_value("upload").run()
    at.file_uploader(key=key).set_value(("x.png", b"not an image", "image/png")).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Could not use 'x.png': 'x.png' is not a PNG image (its content is no image format "
        "the lab knows)."]
    assert any("micrograph 512x512" in c for c in captions(at))  # the generated one instead


def test_weights_upload_round_trip_and_mismatch(tiny_env, trained_model):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.radio(key="lenet_variant").set_value("modern").run()
    at.file_uploader(key="lenet_weights_upload").set_value(
        ("w.pt", weights_to_bytes(trained_model), "application/octet-stream")).run()
    assert not at.exception
    assert not at.error
    loaded = at.session_state["lenet_model"]
    assert loaded.net[0].weight.equal(trained_model.net[0].weight)
    assert at.get("download_button")  # and it can be downloaded again
    other = weights_to_bytes(build_lenet(LeNetConfig(channels2=20)))
    at.file_uploader(key="lenet_weights_upload").set_value(
        ("other.pt", other, "application/octet-stream")).run()
    assert not at.exception
    assert any("net.3.weight" in e.value and "(20, 6, 5, 5)" in e.value for e in at.error)
    assert at.session_state["lenet_model"] is loaded  # the good model stays


def test_choices_survive_a_visit_to_another_page(tiny_env):
    app = str(Path(PAGE).parents[1] / "app.py")
    at = AppTest.from_file(app, default_timeout=60).run()
    at.switch_page("pages/7_lenet.py").run()
    at.radio(key="lenet_variant").set_value("modern").run()
    at.select_slider(key="lenet_steps").set_value(1200).run()
    at.switch_page("pages/home.py").run()
    assert not at.exception
    at.switch_page("pages/7_lenet.py").run()
    assert not at.exception
    assert at.radio(key="lenet_variant").value == "modern"
    assert at.select_slider(key="lenet_steps").value == 1200


def test_waiting_user_sees_queue_position_and_can_stop(tiny_env, monkeypatch):
    gate = jobs.TrainingGate(1)
    monkeypatch.setattr(training_queue, "_gate", gate)
    other_session = object()
    gate.acquire(other_session, threading.Event())  # someone else trains right now
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.button(key="lenet_train").click().run()
    job = at.session_state["lenet_job"]
    wait_for(lambda: job.view().queue_position is not None, 10)
    at.run()
    assert not at.exception
    assert any("number 1 in the queue" in i.value for i in at.info)
    assert at.button(key="lenet_train").disabled
    at.button(key="lenet_stop").click().run()
    job.join(10)
    assert job.view().state == "stopped"
    gate.release(other_session)
    at.run()
    assert not at.exception
    assert not at.button(key="lenet_train").disabled


def test_a_busy_server_redraws_each_live_panel_less_often_and_says_so(tiny_env, monkeypatch):
    gate = jobs.TrainingGate(32)
    monkeypatch.setattr(training_queue, "_gate", gate)
    others = [object() for _ in range(20)]
    for other in others:  # twenty other students' trainings run on this server
        assert gate.acquire(other, threading.Event())
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.select_slider(key="lenet_steps").set_value(9600).run()
    at.button(key="lenet_train").click().run()
    job = at.session_state["lenet_job"]
    wait_for(lambda: job.view().state == "running", 30)
    at.run()
    assert not at.exception
    assert any("21 students watch a training on this server now" in c.value
               and "every 1 s" in c.value for c in at.caption)
    for other in others:
        gate.release(other)
    at.run()  # one watcher left: the page goes back to 4 redraws a second, without the note
    at.run()
    assert not any("students watch a training" in c.value for c in at.caption)
    at.button(key="lenet_stop").click().run()
    job.join(30)
    assert job.view().state == "stopped"


def test_live_panels_share_about_32_redraws_a_second_between_them():
    from ui.lenet_train import live_interval

    assert [live_interval(n) for n in (0, 1, 8, 9, 16, 17, 30, 32, 33, 64, 500)] == [
        0.25, 0.25, 0.25, 0.5, 0.5, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0]


def test_in_a_shared_run_pause_forks_an_own_run_and_stop_keeps_the_model(tiny_env,
                                                                          monkeypatch):
    monkeypatch.setattr(training_queue, "_gate", jobs.TrainingGate(1))
    sessions = []
    for _ in range(2):  # two students, the same settings: one computation
        at = AppTest.from_file(PAGE, default_timeout=60).run()
        at.select_slider(key="lenet_steps").set_value(9600).run()
        at.button(key="lenet_train").click().run()
        sessions.append(at)
    first, second = (at.session_state["lenet_job"] for at in sessions)
    wait_for(lambda: second.view().shared and first.view().shared, 60)
    at = sessions[1].run()
    assert not at.exception
    assert any("Pause** gives you your own copy" in c.value for c in at.caption)
    at.button(key="lenet_pause").click().run()
    wait_for(lambda: second.current() is not second, 60)
    fork = second.current()
    wait_for(lambda: fork.view().state == "paused", 60)
    at.run()
    assert not at.exception
    assert at.session_state["lenet_job"] is fork
    assert any("Your own copy of the shared run, paused at step" in c.value for c in at.caption)
    assert at.button(key="lenet_resume")
    assert first.view().state == "running"  # the other student's run goes on
    at.button(key="lenet_stop").click().run()
    fork.join(30)
    assert fork.view().state == "stopped"
    at.run()
    assert at.session_state["lenet_model"] is fork.model
    assert first.view().state == "running"
    sessions[0].run().button(key="lenet_stop").click().run()
    first.join(30)
    assert first.view().state == "stopped"


def test_a_student_training_alone_pauses_and_resumes_to_the_end(tiny_env, monkeypatch):
    monkeypatch.setattr(training_queue, "_gate", jobs.TrainingGate(1))
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.select_slider(key="lenet_steps").set_value(400).run()
    at.button(key="lenet_train").click().run()
    job = at.session_state["lenet_job"]
    wait_for(lambda: job.view().history, 60)
    at.run().button(key="lenet_pause").click().run()
    wait_for(lambda: job.current().view().state == "paused", 60)
    paused = job.current()
    at.run()
    assert not at.exception
    texts = [c.value for c in at.caption]
    assert any(t.startswith(f"Paused at step {paused.start_from.step:,}: Resume goes on")
               for t in texts), texts
    assert not any("shared run" in t for t in texts)  # nobody else was in it
    before = len(paused.view().history)
    at.button(key="lenet_resume").click().run()
    paused.join(120)
    assert paused.view().state == "done", paused.view().error
    steps = [m.step for m in paused.view().history]
    assert len(steps) > before
    assert steps == sorted(steps)
    assert steps[-1] == 400
    at.run()
    assert at.session_state["lenet_model"] is paused.model


def test_a_crashed_training_worker_is_a_message_and_keeps_no_model(tiny_env):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.select_slider(key="lenet_steps").set_value(9600).run()
    at.button(key="lenet_train").click().run()
    job = at.session_state["lenet_job"]
    wait_for(lambda: job.worker_pid is not None, 60)
    os.kill(job.worker_pid, signal.SIGKILL)
    job.join(30)
    at.run()
    assert not at.exception
    assert any("stopped unexpectedly" in e.value for e in at.error), job.view()
    assert "lenet_model" not in at.session_state
    assert not at.button(key="lenet_train").disabled
    assert jobs.training_gate().running() == 0


def test_without_data_the_page_trains_on_shapes_and_explains_a_failed_download(
        monkeypatch, tmp_path):
    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(data.DATASETS["fashion"].torchvision_class, "mirrors",
                        ["http://127.0.0.1:9/"])
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert at.selectbox(key="lenet_dataset").value == "shapes"
    assert any("generated offline" in c.value for c in at.caption)
    at.selectbox(key="lenet_dataset").set_value("fashion").run()
    assert any("not in" in w.value for w in at.warning)
    at.button(key="lenet_download").click().run()
    assert not at.exception
    assert any("Could not download Fashion-MNIST" in e.value for e in at.error)
    assert any("generated offline" in c.value for c in at.caption)  # still usable


def test_a_clicked_feature_map_pixel_outlines_the_input_region_it_sees(tiny_env, trained_model):
    at = prefilled(trained_model)
    assert not at.exception
    at.selectbox(key="lenet_rf_layer").set_value(3).run()  # the second convolution, 10x10
    assert not at.exception
    caption = next(c.value for c in at.caption if "depends on rows" in c.value)
    assert "Pixel (row 5, column 5) of layer 3" in caption  # the centre before any click
    assert "14x14 of its 28x28 pixels" in caption
    region = next(s for s in charts(at) if "pixels seen" in str(s["layout"].get("title")))
    assert region["layout"]["shapes"][0]["x0"] == 7.5  # columns 8..21


def test_picked_pixel_reads_a_click_and_stays_inside_the_map():
    from ui.lenet_inspect import picked_pixel

    assert picked_pixel(None, (10, 10)) == (5, 5)
    assert picked_pixel({"selection": {"points": []}}, (14, 14)) == (7, 7)
    assert picked_pixel({"selection": {"points": [{"x": 3, "y": 8}]}}, (10, 10)) == (8, 3)
    assert picked_pixel({"selection": {"points": [{"x": 27, "y": 27}]}}, (10, 10)) == (9, 9)
