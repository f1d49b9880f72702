"""Every page's configuration under AppTest: link in and out, page switches, set from outside,
bad links, and out-of-range numbers with their message next to the field."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Error, Widget

from cnnviz import pageconfig
from cnnviz.lab.page import OPERATIONS
from cnnviz.pagespecs import SPECS

ROOT = Path(__file__).resolve().parents[1]
PAGES = {"why": "pages/1_why_convolutions.py", "xc": "pages/2_cross_correlation.py",
         "ps": "pages/3_padding_and_stride.py", "chan": "pages/4_channels.py",
         "po": "pages/5_pooling.py", "kl": "pages/6_kernel_lab.py", "lenet": "pages/7_lenet.py"}
CHANGED = {  # a configuration other than the default, per page
    "why": {"preset": "edge-zeros", "h": 28, "w": 30, "delta": 2, "dy": -1, "dx": 2},
    "xc": {"preset": "custom", "X": [[[1.0, 2], [3, 4.125]]], "K": [[[1.0, 0.5]]], "flip": True},
    "ps": {"preset": "custom", "padding": (2, 1), "stride": (1, 2), "mode": "replicate"},
    "chan": {"preset": "multi-out", "co": 3, "show": 2, "k1": [[[0.0, 1], [2, 3]]] * 2},
    "po": {"preset": "custom", "mode": "avg", "window": (3, 2), "padding": (1, 0)},
    "kl": {"sample": "checkerboard", "preset": "Laplacian", "sigma": 2.0, "op": OPERATIONS[1],
           "kernel": [[0.0, 1, 0], [1, -4, 1], [0, 1, 0.25]], "mode": "reflect", "dose": 10,
           "pct": (1.0, 99.0), "gamma": 0.5, "zoom": 2, "cy": 0.25, "cx": 0.75},
    "lenet": {"tab": "Training", "variant": "custom", "act": "tanh", "pool": "avg", "c1": 8,
              "c2": 12, "k": 3, "dataset": "shapes", "optimizer": "adam", "lr": 0.003,
              "batch": 64, "steps": 200, "seed": 7},
}
EDIT = {  # a widget to change, its new value, and what the link then says
    "why": ("number_input", "why_dx", 4, "dx", "4"),
    "xc": ("toggle", "xc_flip", True, "flip", "1"),
    "ps": ("number_input", "ps_stride_h", 2, "stride", "2,1"),
    "chan": ("number_input", "chan_co", 2, "co", "2"),
    "po": ("radio", "po_mode", "avg", "mode", "avg"),
    "kl": ("selectbox", "kl_mode", "reflect", "mode", "reflect"),
    "lenet": ("select_slider", "lenet_steps", 1200, "steps", "1200"),
}
BAD_LINK = {"why": {"dy": "abc"}, "xc": {"X": "1,2;3"}, "ps": {"stride": "0"},
            "chan": {"co": "9"}, "po": {"window": "x"}, "kl": {"zoom": "3"},
            "lenet": {"steps": "99"}}


@pytest.fixture(autouse=True)
def no_data(monkeypatch, tmp_path):
    """LeNet without data files (its default is then the generated shapes), on the CPU."""
    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CNNVIZ_DEVICE", "cpu")


def default(prefix: str) -> dict:
    """What a page shows on a first visit without a link (LeNet here: the generated shapes)."""
    local = {"dataset": "shapes"} if prefix == "lenet" else None
    return pageconfig.config_from_link(SPECS[prefix], {}, local)[0]


def full(prefix: str) -> dict:
    return {**default(prefix), **CHANGED[prefix]}


def run_page(prefix: str, params: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / PAGES[prefix]), default_timeout=60)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    return at.run()


def link(at: AppTest) -> dict:
    return {k: v if isinstance(v, str) else v[-1] for k, v in at.query_params.items()}


def shows(at: AppTest, prefix: str, config: dict) -> None:
    """The page holds ``config``: as its valid configuration, in its widgets and in its link."""
    spec = SPECS[prefix]
    assert not at.exception
    assert at.session_state[f"{prefix}__valid"] == config
    for k, v in pageconfig.widget_values(spec, config).items():
        if k in at.session_state:
            assert at.session_state[k] == v, k
    assert link(at) == pageconfig.encode(config, spec.fields)


def edit(at: AppTest, prefix: str) -> AppTest:
    kind, key, value, *_ = EDIT[prefix]
    getattr(at, kind)(key=key).set_value(value)
    return at.run()


@pytest.mark.parametrize("prefix", PAGES)
def test_link_opens_exactly_its_configuration(prefix):
    config = full(prefix)
    at = run_page(prefix, pageconfig.encode(config, SPECS[prefix].fields))
    assert not at.warning
    shows(at, prefix, config)


@pytest.mark.parametrize("prefix", PAGES)
def test_changing_a_widget_updates_the_link(prefix):
    at = edit(run_page(prefix), prefix)
    *_, name, text = EDIT[prefix]
    assert not at.exception
    assert link(at)[name] == text


@pytest.mark.parametrize("prefix", PAGES)
def test_configuration_survives_a_page_switch(prefix):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page(PAGES[prefix]).run()
    edit(at, prefix)
    before = at.session_state[f"{prefix}__valid"]
    at.switch_page("pages/home.py").run()
    at.switch_page(PAGES[prefix]).run()
    shows(at, prefix, before)
    *_, name, text = EDIT[prefix]
    assert link(at)[name] == text


@pytest.mark.parametrize("prefix", PAGES)
@pytest.mark.parametrize("shown_now", [True, False])
def test_set_config_from_outside_is_shown_on_the_next_run(prefix, shown_now):
    at = AppTest.from_file(str(ROOT / "tests/apps/broadcast.py"), default_timeout=60)
    other = "pages/2_cross_correlation.py" if prefix != "xc" else "pages/5_pooling.py"
    at.session_state["test_page"] = PAGES[prefix] if shown_now else other
    at.run()
    config = full(prefix)
    at.session_state["test_broadcast"] = {prefix: config}
    at.session_state["test_read"] = [prefix]
    at.run()
    assert at.session_state["test_broadcast_replies"] == {prefix: []}
    assert at.session_state["test_current"][prefix] == config
    if not shown_now:
        at.session_state["test_page"] = PAGES[prefix]
        at.run()
    shows(at, prefix, config)


def test_set_config_refuses_settings_that_do_not_fit_and_reports_bad_fields():
    at = AppTest.from_file(str(ROOT / "tests/apps/broadcast.py"), default_timeout=60).run()
    at.session_state["test_broadcast"] = {"ps": {"stride": (0, 1), "mode": "reflect"},
                                          "xc": {"X": [[[1.0]]], "K": [[[1.0, 2.0]]]}}
    at.session_state["test_read"] = ["ps"]
    at.run()
    replies = at.session_state["test_broadcast_replies"]
    assert len(replies["ps"]) == 1
    assert "stride" in replies["ps"][0]
    assert at.session_state["test_current"]["ps"]["mode"] == "reflect"  # the rest applies
    assert "window spans" in replies["xc"][0]
    assert at.session_state["xc__valid"]["X"] != [[[1.0]]]


@pytest.mark.parametrize("prefix", PAGES)
def test_bad_link_values_give_a_message_and_the_defaults(prefix):
    at = run_page(prefix, BAD_LINK[prefix])
    assert not at.exception
    assert any("ignored" in w.value for w in at.warning)
    assert at.session_state[f"{prefix}__valid"] == default(prefix)


def walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from walk(child)


def next_to(at: AppTest, key: str) -> Error | None:
    """The error right after the widget ``key`` (and its partner of a pair), if that is one."""
    nodes = list(walk(at.main))
    i = next(n for n, node in enumerate(nodes) if getattr(node, "key", None) == key)
    field = key[:-2] if key.endswith(("_h", "_w")) else key
    for node in nodes[i + 1:]:
        if isinstance(node, Error):
            return node
        if isinstance(node, Widget) and not str(node.key).startswith(field):
            return None
    return None


@pytest.mark.parametrize(("prefix", "setup", "key", "value", "shown"), [
    ("ps", None, "ps_stride_h", 0, "Stride = 1, 1 (not 0, 1)"),
    ("ps", None, "ps_padding_w", 99, "Padding = 1, 1 (not 1, 99)"),
    ("po", None, "po_window_w", 99, "Window = 2, 2 (not 2, 99)"),
    ("why", None, "why_h", 0, "Image height h = 1000 (not 0)"),
    ("why", None, "why_dx", 999999, "Shift right = 3 (not 999999)"),
    ("chan", None, "chan_co", 0, "Output channels = 1 (not 0)"),
    ("kl", ("selectbox", "kl_preset", "Gaussian blur"), "kl_sigma", 0.0,
     "σ (Gaussian) = 1.0 (not 0.0)"),  # σ shows only for its preset
    ("lenet", ("radio", "lenet_variant", "custom"), "lenet_c1", 0,
     "Channels, conv 1 = 6 (not 0)"),
])
def test_out_of_range_number_is_explained_next_to_it_and_in_the_caption(prefix, setup, key,
                                                                         value, shown):
    at = run_page(prefix)
    if setup:
        getattr(at, setup[0])(key=setup[1]).set_value(setup[2]).run()
    before = at.session_state[f"{prefix}__valid"]
    at.number_input(key=key).set_value(value).run()
    assert not at.exception
    error = next_to(at, key)
    assert error is not None, "no message next to the field"
    assert "Still using" in error.value
    assert any(shown in c.value and "still shows" in c.value for c in at.caption), \
        [c.value for c in at.caption]
    after = at.session_state[f"{prefix}__valid"]
    assert after == {**before, **{k: after[k] for k in ("preset",) if k in after}}  # "custom"
    assert link(at) == pageconfig.encode(after, SPECS[prefix].fields)


def test_kernel_lab_link_keeps_kernel_values_exactly():
    config = {**full("kl"), "kernel": [[0.1, -0.3333], [1e-3, 2.5]]}
    at = run_page("kl", pageconfig.encode(config, SPECS["kl"].fields))
    shows(at, "kl", config)
    assert at.dataframe[0].value.to_numpy().tolist() == config["kernel"]


def test_channels_pixel_of_the_matrix_product_is_in_the_link_and_kept_in_the_image():
    at = run_page("chan", {"preset": "1x1", "pixel": "4"})
    assert at.slider(key="chan_pixel").value == 4
    assert at.code[0].value.splitlines()[1].startswith("Y[1, 4] = ")
    at = run_page("chan", {"preset": "1x1", "pixel": "99"})  # the 3x3 image has pixels 0..8
    assert at.slider(key="chan_pixel").value == 8
    assert link(at)["pixel"] == "8"


def test_a_field_hidden_for_a_while_comes_back_with_its_value():
    at = run_page("lenet")
    at.radio(key="lenet_variant").set_value("custom").run()
    assert at.selectbox(key="lenet_act").value == "relu"  # the spec's default, not the first
    at.selectbox(key="lenet_act").set_value("tanh").run()
    at.radio(key="lenet_variant").set_value("modern").run()
    at.radio(key="lenet_variant").set_value("modern").run()  # Streamlit forgets hidden widgets
    at.radio(key="lenet_variant").set_value("custom").run()
    assert not at.exception
    assert at.selectbox(key="lenet_act").value == "tanh"
    assert link(at)["act"] == "tanh"


def test_set_config_takes_a_configuration_back_from_json():
    import json

    at = AppTest.from_file(str(ROOT / "tests/apps/broadcast.py"), default_timeout=60)
    at.session_state["test_page"] = PAGES["ps"]
    at.run()
    config = full("ps")
    at.session_state["test_broadcast"] = {"ps": json.loads(json.dumps(config))}  # pairs: lists
    at.run()
    shows(at, "ps", config)
