"""Generated class questions: the right choice is what torch computes, the others differ."""

from __future__ import annotations

import ast

import pytest
import torch
import torch.nn.functional as F

from cnnviz.classroom import questions
from cnnviz.classroom.store import Question


def right(question: Question) -> str:
    return question.choices[question.answer]


def well_formed(question: Question) -> None:
    assert 3 <= len(question.choices) <= 4
    assert len(set(question.choices)) == len(question.choices)
    assert question.explanation.endswith(".")


@pytest.mark.parametrize(("n", "k", "p", "s", "d"),
                         [(3, 2, 1, 1, 1), (8, 3, 1, 2, 1), (28, 5, 0, 1, 1), (7, 3, 2, 3, 2)])
def test_output_size_is_torchs(n, k, p, s, d):
    question = questions.output_size(n, k, p, s, d, seed=n)
    well_formed(question)
    out = F.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), padding=p, stride=s,
                   dilation=d)
    assert right(question) == str(out.shape[-1])
    assert f"= {out.shape[-1]}." in question.explanation


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("padding", "stride", "flip"), [((0, 0), (1, 1), False),
                                                         ((1, 1), (3, 2), False),
                                                         ((0, 0), (1, 1), True)])
def test_output_cell_is_torchs_at_the_step_it_names(seed, padding, stride, flip):
    X, K = questions.X3, questions.K2
    question = questions.output_cell(X, K, padding, stride, flip=flip, seed=seed)
    well_formed(question)
    kernel = torch.tensor(K)
    if flip:
        kernel = torch.flip(kernel, (0, 1))
    Y = F.conv2d(torch.tensor(X)[None, None], kernel[None, None], padding=padding,
                 stride=stride)[0, 0]
    i, j = divmod(question.step, Y.shape[1])
    assert f"Y[{i}, {j}]" in question.prompt
    assert float(right(question)) == Y[i, j].item()


def test_the_chapter_cell_explanation_writes_out_the_products():
    question = questions.output_cell(questions.X3, questions.K2, seed=0)
    i, j = divmod(question.step, 2)
    if (i, j) == (0, 0):
        assert "0·0 + 1·1 + 3·2 + 4·3 = 19" in question.explanation


@pytest.mark.parametrize(("c_in", "c_out", "kh", "kw"), [(1, 6, 5, 5), (6, 16, 5, 5),
                                                         (3, 2, 3, 1)])
def test_parameter_count_is_torchs(c_in, c_out, kh, kw):
    question = questions.parameters(c_in, c_out, kh, kw, seed=c_out)
    well_formed(question)
    layer = torch.nn.Conv2d(c_in, c_out, (kh, kw))
    assert right(question) == str(sum(p.numel() for p in layer.parameters()))


@pytest.mark.parametrize("seed", range(5))
def test_max_pool_is_torchs(seed):
    X = [[float(4 * r + c) for c in range(4)] for r in range(4)]
    question = questions.max_pool(X, (3, 2), (1, 2), seed=seed)
    well_formed(question)
    Y = F.max_pool2d(torch.tensor(X)[None], (3, 2), stride=(1, 2))[0]
    i, j = divmod(question.step, Y.shape[1])
    assert float(right(question)) == Y[i, j].item()


def test_only_the_right_kernel_finds_horizontal_edges_and_ignores_flat_areas():
    question = questions.edge_kernel(seed=3)
    well_formed(question)
    edge = torch.tensor([[1.0] * 4, [1.0] * 4, [0.0] * 4, [0.0] * 4])[None, None]
    flat = torch.ones_like(edge)
    finds = {}
    for text in question.choices:
        kernel = torch.tensor(ast.literal_eval(text.split("  ")[0]), dtype=torch.float32)
        on_edge, on_flat = (F.conv2d(image, kernel[None, None]).abs().max().item()
                            for image in (edge, flat))
        finds[text] = on_edge > 0 and on_flat == 0
    assert finds == {text: text == right(question) for text in question.choices}


def test_choices_are_shuffled_by_the_seed():
    orders = {questions.edge_kernel(seed).choices for seed in range(10)}
    assert len(orders) > 1


@pytest.mark.parametrize(("prefix", "config", "expect"), [
    ("ps", {"X": [[[0.0] * 8] * 8], "K": [[[1.0] * 3] * 3], "padding": (1, 1),
            "stride": (2, 2), "dilation": (1, 1)}, "8 cells along an axis, a kernel of 3"),
    ("xc", {"X": [questions.X3], "K": [questions.K2], "flip": False}, "cross-correlation"),
    ("lenet", {"c1": 4, "c2": 8, "k": 3}, "nn.Conv2d(4, 8, kernel_size=(3, 3))"),
    ("po", {"X": [questions.X3], "window": (2, 2), "stride": (1, 1)}, "2×2 window"),
    ("", {}, "horizontal edges"),
])
def test_questions_take_the_numbers_of_the_lecturers_page(prefix, config, expect):
    kind = {"ps": "output_size", "xc": "output_cell", "lenet": "parameters", "po": "max_pool",
            "": "edge_kernel"}[prefix]
    assert expect in questions.from_page(kind, prefix, config, seed=1).prompt


@pytest.mark.parametrize("kind", questions.KINDS)
def test_every_kind_works_on_a_page_without_its_numbers(kind):
    well_formed(questions.from_page(kind, "kl", {"preset": "Sobel x"}))


def test_an_unknown_kind_says_which_exist():
    with pytest.raises(ValueError, match="output_size"):
        questions.from_page("nope", "xc", {})
