"""Page specs: field kinds, validation with messages, presets, and lossless links for every page."""

import pytest

from cnnviz import pageconfig
from cnnviz.pageconfig import Field, PageSpec
from cnnviz.pagespecs import SPECS


def check(config):
    if config["low"] > config["n"]:
        raise ValueError("low must not exceed n")


SPEC = PageSpec(
    "t",
    {"preset": Field("choice", "a", choices=("a", "b", "custom")),
     "n": Field("int", 3, low=1, high=9),
     "low": Field("int", 1, low=0, high=9),
     "rate": Field("float", 0.5, low=0.0, high=1.0),
     "pct": Field("range", (0.5, 99.5), low=0.0, high=100.0),
     "zoom": Field("choice", 1, choices=(1, 2, 4)),
     "flip": Field("bool", False),
     "K": Field("kernel", [[1.0, -1.0]], max_side=15)},
    presets={"a": {"n": 3}, "b": {"n": 7, "rate": 0.25}},
    preset_labels={"a": "A", "b": "B"}, check=check)


def test_unknown_kind_is_refused_when_declared():
    with pytest.raises(ValueError, match="unknown field kind"):
        Field("colour", "red")


@pytest.mark.parametrize(("name", "value", "message"), [
    ("n", 0, "0 is outside 1 to 9"),
    ("n", 2.5, "not a whole number"),
    ("rate", float("nan"), "not a finite number"),
    ("rate", 1.5, "1.5 is outside 0 to 1"),
    ("pct", (60.0, 40.0), "60 is above 40"),
    ("zoom", 3, "'3' is not one of 1, 2, 4"),
    ("flip", "yes", "not on or off"),
    ("K", [[1.0, 2.0], [3.0]], "row 2 has 1 numbers"),
    ("K", "1 2", "does not have the form"),
])
def test_field_errors_say_what_is_wrong(name, value, message):
    errors = pageconfig.validate(SPEC, {**SPEC.defaults(), name: value})
    assert list(errors) == [name]
    assert message in errors[name]


def test_whole_check_runs_only_on_valid_fields_and_its_message_is_kept():
    assert pageconfig.validate(SPEC, SPEC.defaults()) == {}
    assert pageconfig.validate(SPEC, {**SPEC.defaults(), "low": 5}) == {
        "": "low must not exceed n"}
    assert "" not in pageconfig.validate(SPEC, {**SPEC.defaults(), "low": 5, "n": 0})


def test_apply_preset_overlays_the_defaults_and_names_itself():
    assert pageconfig.apply_preset(SPEC, "b") == {**SPEC.defaults(), "n": 7, "rate": 0.25,
                                                   "preset": "b"}
    assert pageconfig.apply_preset(SPEC, "nope") == SPEC.defaults()
    assert SPEC.custom == "custom"


def test_link_is_lossless_for_every_kind():
    config = {"preset": "custom", "n": 9, "low": 0, "rate": 0.1 + 0.2, "pct": (0.5, 99.25),
              "zoom": 4, "flip": True, "K": [[0.1234, -3.3333], [1e-7, 2.0]]}
    params = pageconfig.encode(config, SPEC.fields)
    assert all(isinstance(v, str) for v in params.values())
    assert params["zoom"] == "4"
    decoded, messages = pageconfig.config_from_link(SPEC, params)
    assert messages == []
    assert decoded == config  # floats exactly, e.g. 0.30000000000000004


@pytest.mark.parametrize("params", [
    {"n": "0"}, {"n": "x"}, {"rate": "inf"}, {"pct": "1"}, {"zoom": "3"}, {"flip": "2"},
    {"K": "1,2;3"}, {"K": ""}, {"preset": "z"}, {"pct": "a,b"}, {"n": "1e999"},
])
def test_bad_links_fall_back_with_a_message_and_never_raise(params):
    config, messages = pageconfig.config_from_link(SPEC, params)
    assert config == pageconfig.apply_preset(SPEC, "a")
    assert len(messages) == 1
    assert "ignored" in messages[0]


def test_link_whose_settings_do_not_fit_together_shows_its_preset():
    config, messages = pageconfig.config_from_link(SPEC, {"preset": "b", "n": "2", "low": "5"})
    assert config == pageconfig.apply_preset(SPEC, "b")
    assert "low must not exceed n" in messages[0]


def test_local_defaults_sit_between_preset_and_link():
    config, _ = pageconfig.config_from_link(SPEC, {"rate": "0.75"}, {"zoom": 2, "rate": 0.0})
    assert (config["zoom"], config["rate"]) == (2, 0.75)


@pytest.mark.parametrize("prefix", list(SPECS))
def test_every_page_spec_is_valid_and_round_trips(prefix):
    spec = SPECS[prefix]
    assert spec.prefix == prefix
    for name in spec.presets or [None]:
        config = pageconfig.apply_preset(spec, name) if name else spec.defaults()
        assert pageconfig.validate(spec, config) == {}, name
        decoded, messages = pageconfig.config_from_link(spec, pageconfig.encode(config,
                                                                                spec.fields))
        assert messages == []
        assert decoded == config
    assert all(k.startswith(prefix + "_") for k in pageconfig.widget_keys(spec))


def test_a_configuration_back_from_json_is_normalized():
    import json

    config = {**SPEC.defaults(), "pct": (1.0, 2.0), "n": 4}
    back = json.loads(json.dumps({**config, "unknown": 1, "n": 4.0}))
    assert back["pct"] == [1.0, 2.0]
    assert pageconfig.normalized(SPEC, back) == config
