"""The chapter presets give the chapter's numbers; the output-size formula fills in the numbers."""

import pytest
import torch
import torch.nn.functional as F

from cnnviz.teach import formula, frames, presets


@pytest.mark.parametrize("name", list(presets.CORRELATION))
def test_correlation_presets(name):
    p = presets.CORRELATION[name]
    plan = frames.correlation_steps(p.settings["X"], p.settings["K"], flip=p.settings["flip"])
    assert plan.output == p.expected


@pytest.mark.parametrize("name", list(presets.PADDING))
def test_padding_presets_match_torch_and_the_chapter(name):
    p = presets.PADDING[name]
    s = p.settings
    plan = frames.correlation_steps(s["X"], s["K"], s["padding"], s["stride"], s["dilation"],
                                    s["mode"])
    ref = F.conv2d(torch.tensor(s["X"])[None], torch.tensor(s["K"])[None],
                   padding=s["padding"], stride=s["stride"])[0]
    torch.testing.assert_close(torch.tensor(plan.output), ref)
    if p.expected is not None:
        assert plan.output == p.expected
    else:
        assert f"{ref.shape[1]}x{ref.shape[2]}" == p.note


@pytest.mark.parametrize("name", list(presets.POOLING))
def test_pooling_presets(name):
    s = presets.POOLING[name].settings
    plan = frames.pooling_steps(s["X"], s["window"], s["mode"], s["padding"], s["stride"],
                                s["dilation"])
    assert plan.output == presets.POOLING[name].expected


def test_every_preset_fits_its_page_link_fields():
    for table, fields in ((presets.CORRELATION, presets.CORRELATION_FIELDS),
                          (presets.PADDING, presets.PADDING_FIELDS),
                          (presets.POOLING, presets.POOLING_FIELDS)):
        for name, p in table.items():
            assert name in fields["preset"].choices
            assert set(p.settings) <= set(fields)


def test_output_size_formula_with_numbers():
    assert formula.output_size_latex(8, 3, 1, 2, 1).endswith(
        r"\left\lfloor \frac{8 - 3 + 2 + 2}{2} \right\rfloor = 4")
    dilated = formula.output_size_latex(7, 3, 0, 1, 2)
    assert r"(2\cdot(3-1)+1)" in dilated
    assert dilated.endswith("= 3")
    with pytest.raises(ValueError, match="window spans"):
        formula.output_size_latex(3, 3, 0, 1, 2)
    assert formula.output_shape_latex((8, 8), (3, 5), (0, 1), (3, 4), (1, 1))[1].endswith("= 2")
