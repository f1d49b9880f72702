"""Typed matrices, link state and generated PyTorch code."""

import contextlib
import io

import pytest
import torch
import torch.nn.functional as F

from cnnviz import pageconfig as urlstate
from cnnviz.teach import matrices, snippet


def test_parse_matrix_spaces_commas_and_semicolons():
    assert matrices.parse_matrix("0 1 2\n3, 4, 5\n 6,7  8 ") == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert matrices.parse_matrix("1,-1") == [[1, -1]]
    assert matrices.parse_matrix("0,1;2,3") == [[0, 1], [2, 3]]
    assert matrices.parse_matrix("1.5 2e-1") == [[1.5, 0.2]]


@pytest.mark.parametrize(("text", "match"), [
    ("1 2\n3 x", "row 2, entry 2 is 'x', which is not a number"),
    ("1 2 3\n4 5", "row 2 has 2 numbers but row 1 has 3"),
    ("", "empty"),
    ("1 nan", "finite"),
    ("\n".join(["1"] * 40), "40 rows; at most 32"),
    (" ".join(["1"] * 33), "33 numbers; at most 32"),
])
def test_parse_matrix_errors_are_human(text, match):
    with pytest.raises(matrices.MatrixError, match=match):
        matrices.parse_matrix(text)


def test_channels_round_trip_and_errors():
    text = "0 1\n2 3\n\n1 2\n3 4"
    channels = matrices.parse_channels(text)
    assert channels == [[[0, 1], [2, 3]], [[1, 2], [3, 4]]]
    assert matrices.format_channels(channels) == text
    assert matrices.parse_channels(matrices.compact(channels)) == channels
    assert matrices.compact(channels) == "0,1;2,3|1,2;3,4"
    with pytest.raises(matrices.MatrixError, match="channel 2 is 1x2 but channel 1 is 2x2"):
        matrices.parse_channels("0 1\n2 3\n\n1 2")
    with pytest.raises(matrices.MatrixError, match="channel 2: row 1, entry 2"):
        matrices.parse_channels("0 1\n\n1 a")


def test_random_matrix_is_whole_numbers_in_range_and_reproducible():
    M = matrices.random_matrix(4, 5, 0, 9, seed=3)
    assert len(M) == 4
    assert all(len(r) == 5 for r in M)
    assert all(v.is_integer() and 0 <= v <= 9 for r in M for v in r)
    assert M == matrices.random_matrix(4, 5, 0, 9, seed=3)
    with pytest.raises(matrices.MatrixError, match="between 1 and 32"):
        matrices.random_matrix(0, 99)


FIELDS = {
    "preset": urlstate.Field("choice", "chapter", choices=("chapter", "edges")),
    "padding": urlstate.Field("pair", (0, 0), low=0, high=5),
    "stride": urlstate.Field("pair", (1, 1), low=1, high=5),
    "flip": urlstate.Field("bool", False),
    "size": urlstate.Field("int", 3, low=1, high=32),
    "X": urlstate.Field("matrix", [[[0.0, 1], [2, 3]]]),
}


def test_urlstate_round_trip():
    config = {"preset": "edges", "padding": (1, 2), "stride": (3, 3), "flip": True, "size": 7,
              "X": [[[1.0, -1.0]], [[0.5, 2.0]]]}
    params = urlstate.encode(config, FIELDS)
    assert params == {"preset": "edges", "padding": "1,2", "stride": "3", "flip": "1",
                      "size": "7", "X": "1,-1|0.5,2"}
    assert all(isinstance(v, str) for v in params.values())
    decoded, messages = urlstate.decode(params, FIELDS)
    assert decoded == config
    assert messages == []


def test_urlstate_bad_values_fall_back_with_messages():
    params = {"preset": "nope", "padding": "9", "stride": "0", "flip": "maybe", "size": "x",
              "X": "1,2;3"}
    decoded, messages = urlstate.decode(params, FIELDS)
    assert decoded == {name: field.default for name, field in FIELDS.items()}
    assert len(messages) == 6
    assert all("ignored" in m for m in messages)
    assert urlstate.decode({}, FIELDS) == ({n: f.default for n, f in FIELDS.items()}, [])


def run_snippet(code: str) -> str:
    """Execute generated code and return what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code, {})  # noqa: S102 - our own generated code
    return out.getvalue()


def test_conv_snippet_runs_and_matches_torch():
    X, K = [[[0.0, 1, 2], [3, 4, 5], [6, 7, 8]]], [[[0.0, 1], [2, 3]]]
    code = snippet.conv_snippet(X, K, padding=(1, 1), stride=(3, 2))
    assert "nn.Conv2d(1, 1, kernel_size=2, padding=1, stride=(3, 2), bias=False)" in code
    namespace: dict = {}
    exec(code.replace("print(conv(X))", "result = conv(X)"), namespace)  # noqa: S102
    torch.testing.assert_close(namespace["result"].detach(), torch.tensor([[[[0.0, 8], [6, 8]]]]))
    code = snippet.conv_snippet(X, K, padding=(1, 1), padding_mode="reflect", flip=True)
    assert "padding_mode='reflect'" in code
    assert "K.flip((-2, -1))" in code
    assert "tensor(" in run_snippet(code)


@pytest.mark.parametrize(("size", "mode", "padding", "stride"), [
    ((2, 2), "max", (0, 0), None), ((3, 3), "max", (1, 1), (2, 2)),
    ((2, 3), "max", (0, 1), (2, 3)), ((2, 2), "avg", (0, 0), None),
])
def test_pool_snippet_matches_torch(size, mode, padding, stride):
    X = torch.arange(16.0).reshape(1, 4, 4)
    code = snippet.pool_snippet(X.tolist(), size, mode, padding, stride)
    namespace: dict = {}
    exec(code.replace("print(pool(X))", "result = pool(X)"), namespace)  # noqa: S102
    fn = F.max_pool2d if mode == "max" else F.avg_pool2d
    expected = fn(X[None], size, stride=stride or 1, padding=padding)
    torch.testing.assert_close(namespace["result"], expected)
    if stride == size:
        assert "stride" not in code  # PyTorch's default stride is the window


def test_urlstate_present_only_keeps_just_valid_given_values():
    decoded, messages = urlstate.decode({"stride": "2", "padding": "x"}, FIELDS, present_only=True)
    assert decoded == {"stride": (2, 2)}
    assert len(messages) == 1


def test_widget_values_spell_out_pairs_and_matrices():
    fields = {"X": urlstate.Field("matrix", [[[0.0]]]), "stride": urlstate.Field("pair", (1, 1))}
    values = urlstate.widget_values(urlstate.PageSpec("ps", fields),
                                    {"X": [[[1.0, 2.0], [3.0, 4.0]]], "stride": (3, 2)})
    assert values["ps_stride_h"] == 3
    assert values["ps_stride_w"] == 2
    assert (values["ps_X_c"], values["ps_X_r"], values["ps_X_k"]) == (1, 2, 2)
    assert urlstate.widget_key("ps", "X") in values


def test_widget_keys_name_every_widget_of_the_fields():
    from cnnviz.teach.presets import CORRELATION_PAGE

    keys = urlstate.widget_keys(CORRELATION_PAGE)
    config = urlstate.apply_preset(CORRELATION_PAGE, "none")
    assert sorted(keys) == sorted(urlstate.widget_values(CORRELATION_PAGE, config))


def test_config_from_link_overlays_the_links_settings_on_its_preset():
    from cnnviz.teach.presets import CORRELATION_PAGE as SPEC

    first, other = list(SPEC.presets)[:2]
    config, messages = urlstate.config_from_link(SPEC, {})
    assert config == urlstate.apply_preset(SPEC, first)
    assert messages == []
    config, messages = urlstate.config_from_link(SPEC, {"preset": other, "flip": "1", "X": "?"})
    expected = urlstate.apply_preset(SPEC, other)
    assert config == {**expected, "flip": True}
    assert len(messages) == 1
