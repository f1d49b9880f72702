"""Class mode under AppTest: a lecturer and a student, two sessions sharing one SQLite store.

Each ``at.run()`` of the student is one poll of its st.fragment (AppTest runs fragments with
the script); the store is the one file both sessions use, as two workers of a server would.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnnviz.classroom import store as cs
from cnnviz.classroom.store import CODE_LENGTH
from cnnviz.pagespecs import SPECS
from tests.classroom_apptest import (
    PADDING,
    ROOT,
    app,
    button,
    class_dir,
    figure_move,
    forge,
    histogram_counts,
    join,
    redis_url,
    scripts,
    start_class,
)
from tests.imagefiles import tiff_bytes
from tests.test_config_ui import EDIT
from tests.test_config_ui import PAGES as PAGE_FILES
from ui import classroom

pytestmark = pytest.mark.usefixtures(class_dir.__name__)  # each test: its own class store


def test_a_lecturer_starts_a_class_and_gets_a_code_and_a_qr_code(tmp_path):
    lecturer = app()
    code = start_class(lecturer)
    assert len(code) == CODE_LENGTH
    secret = lecturer.session_state["class_secret"]
    assert any(code in c.value for c in lecturer.sidebar.markdown)
    links = [c.value for c in lecturer.sidebar.code]
    assert any(f"class={code}" in link for link in links)
    assert not any(secret in link for link in links)  # the secret is never part of a link
    assert secret not in repr(dict(lecturer.query_params))  # nor of the address bar
    assert (tmp_path / "classes.sqlite3").exists()  # the test's store (class_dir)


def test_a_student_follows_page_settings_and_step():
    lecturer = app()
    code = start_class(lecturer)
    lecturer.switch_page(PADDING).run()
    lecturer.selectbox(key="ps_preset").select("stride").run()
    assert lecturer.session_state["ps__valid"]["stride"] == (3, 2)

    student = join(app(), code)
    assert student.session_state["ps__valid"]["stride"] == (3, 2)  # switched and set
    assert student.session_state["ps__valid"]["padding"] == (1, 1)

    button(lecturer, "class_next").click().run()
    button(lecturer, "class_next").click().run()
    student.run()
    assert "cnnvizShowStep(2)" in scripts(student)
    assert classroom.class_store().followers(code) == 1

    student.toggle(key="class_follow").set_value(False).run()  # explore on my own
    lecturer.selectbox(key="ps_preset").select("same_3x3").run()
    student.run()
    assert student.session_state["ps__valid"]["stride"] == (3, 2)
    student.toggle(key="class_follow").set_value(True).run()  # follow again
    student.run()
    assert student.session_state["ps__valid"]["stride"] == (1, 1)


def test_the_lecturers_own_figure_moves_reach_the_class():
    lecturer = app()
    code = start_class(lecturer)
    lecturer.switch_page(PADDING).run()
    student = join(app(), code)
    before = classroom.class_store().state(code)
    for step in (1, 4, 2):  # Step ▶, then a cell pointed at, then the slider dragged back
        forge(lecturer, figure_move(lecturer, {"step": step}))
        assert not lecturer.exception, lecturer.exception
        state = classroom.class_store().state(code)
        assert (state.page, state.config, state.step) == (before.page, before.config, step)
        student.run()
        assert f"cnnvizShowStep({step})" in scripts(student)
    assert lecturer.session_state["class_step"] == 2  # a later page run keeps the lecturer's
    lecturer.run()
    assert classroom.class_store().state(code).step == 2


KERNEL_LAB = "pages/6_kernel_lab.py"
SHARED = "PNG, the lecturer's upload: 40 x 50 pixels"


def _upload(at: AppTest, name: str, shape: tuple[int, int], data: bytes | None = None) -> None:
    """Upload ``data`` (else a random PNG of ``shape``) in the kernel lab."""
    if data is None:
        buffer = io.BytesIO()
        Image.fromarray(np.random.default_rng(0).integers(0, 255, shape, np.uint8)).save(
            buffer, "PNG")
        data = buffer.getvalue()
    at.radio(key="kl_source").set_value("My upload").run()
    at.file_uploader(key="kl_uploader").set_value((name, data, "application/octet-stream"))
    at.run()
    assert not at.exception, at.exception


def test_the_lecturers_upload_reaches_followers_but_not_explorers():
    lecturer = app()
    code = start_class(lecturer)
    lecturer.switch_page(KERNEL_LAB).run()
    follower, explorer = join(app(), code), join(app(), code)
    explorer.toggle(key="class_follow").set_value(False).run()
    _upload(explorer, "mine.png", (30, 20))
    _upload(lecturer, "lecturer.png", (40, 50))
    assert classroom.class_store().state(code).image
    follower.run()  # the poll sees the new image and reruns the page
    assert not follower.exception, follower.exception
    assert any(SHARED in c.value for c in follower.caption)
    explorer.run()
    assert not any(SHARED in c.value for c in explorer.caption)
    assert any("30 x 20 pixels" in c.value for c in explorer.caption)  # keeps its own


def _description(at: AppTest) -> tuple[list[str], list[str], list[str]]:
    """The kernel lab's plain texts (the image's name), captions and notes, as shown."""
    return ([t.value for t in at.text], [c.value for c in at.caption],
            [i.value for i in at.info])


def test_a_calibrated_upload_reaches_followers_with_its_pixel_size_notes_and_name():
    rgb = np.random.default_rng(1).integers(0, 255, (40, 50, 3), np.uint8)
    data = tiff_bytes(rgb, imagej=True, photometric="rgb", resolution=(4.0, 4.0),
                      metadata={"unit": "nm"})  # 0.25 nm per pixel; colour -> grey is noted
    name = "**grain** [site](https://example.org) <b>x</b>.tif"  # shown as typed, never rendered
    lecturer = app()
    code = start_class(lecturer)
    lecturer.switch_page(KERNEL_LAB).run()
    follower = join(app(), code)
    _upload(lecturer, name, (40, 50), data)
    follower.run()  # the poll sees the new image and reruns the page
    assert not follower.exception, follower.exception
    texts, captions, notes = _description(follower)
    assert name in texts
    assert any("TIFF, the lecturer's upload: 40 x 50 pixels, pixel size 0.25 nm" in c
               for c in captions)
    assert any("0.75 x 0.75 nm" in c for c in captions)  # the 3 x 3 kernel's footprint
    assert any("Colour converted to grayscale" in n for n in notes)
    assert not any(name in c for c in captions)  # the name is in no Markdown element
    mine = _description(lecturer)
    assert name in mine[0]
    assert notes == mine[2]
    assert [c for c in captions if "nm" in c] == [c.replace("TIFF:", "TIFF, the lecturer's "
                                                            "upload:") for c in mine[1]
                                                  if "nm" in c]


def test_an_image_too_large_to_share_says_so(monkeypatch):
    monkeypatch.setattr(cs, "MAX_IMAGE_BYTES", 1000)
    lecturer = app()
    code = start_class(lecturer)
    lecturer.switch_page(KERNEL_LAB).run()
    _upload(lecturer, "big.png", (40, 50))  # 8 KB as float32
    assert any("too large to share" in w.value for w in lecturer.warning)
    assert classroom.class_store().state(code).image == ""
    assert any("40 x 50 pixels" in c.value for c in lecturer.caption)  # the lecturer's own


def test_a_question_is_answered_counted_and_revealed():
    lecturer = app()
    code = start_class(lecturer)
    lecturer.switch_page(PADDING).run()
    lecturer.selectbox(key="class_kind").select("output_size").run()
    button(lecturer, "class_ask").click().run()
    assert not lecturer.exception, lecturer.exception
    assert histogram_counts(lecturer) == [0] * len(classroom.class_store().state(code)
                                                   .question.choices)

    students = [join(app(), code) for _ in range(2)]
    question = classroom.class_store().state(code).question
    for k, student in enumerate(students):
        student.radio(key="class_choice_1").set_value(k)
        button(student, "class_send_1").click().run()
        assert not student.exception, student.exception
    lecturer.run()
    counts = histogram_counts(lecturer)
    assert counts[:2] == [1, 1]
    assert sum(counts) == 2

    button(lecturer, "class_reveal").click().run()
    students[0].run()
    right = "ABCDEF"[question.answer]
    assert any(f"Answer: {right}" in s.value for s in students[0].success)
    assert any(question.explanation in t.value for t in students[0].text)


def test_a_typed_question_is_shown_as_plain_text():
    lecturer = app()
    code = start_class(lecturer)
    lecturer.text_input(key="class_typed_prompt").input("<b>Which?</b> **bold** [x](y)")
    lecturer.text_area(key="class_typed_choices").input("<i>one</i>\n**two**\nthree")
    lecturer.number_input(key="class_typed_right").set_value(2)
    button(lecturer, "FormSubmitter:class_typed-Ask this question").click().run()
    assert not lecturer.exception, lecturer.exception
    student = join(app(), code)
    texts = [t.value for t in student.text]
    assert "<b>Which?</b> **bold** [x](y)" in texts
    assert not any("<b>" in m.value or "**bold**" in m.value for m in student.markdown)
    assert all("Which" not in h.proto.body for h in student.get("html"))


def test_a_bad_typed_question_gets_a_message():
    lecturer = app()
    start_class(lecturer)
    lecturer.text_input(key="class_typed_prompt").input("Only one choice?")
    lecturer.text_area(key="class_typed_choices").input("yes")
    button(lecturer, "FormSubmitter:class_typed-Ask this question").click().run()
    assert not lecturer.exception
    assert any("2 to 6 choices" in e.value for e in lecturer.error)


def test_a_wrong_or_expired_code_gets_a_message():
    student = app()
    student.text_input(key="class_typed").input("not a code").run()
    assert any("6 letters" in e.value for e in student.sidebar.error)
    student.text_input(key="class_typed").input("AAAAAA").run()
    assert any("not valid" in e.value for e in student.sidebar.error)
    assert "class_code" not in student.session_state


def test_a_class_link_joins():
    lecturer = app()
    code = start_class(lecturer)
    student = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    student.query_params["class"] = code.lower()
    student.run()
    assert student.session_state["class_code"] == code
    assert "class_secret" not in student.session_state or not student.session_state[
        "class_secret"]


@pytest.mark.parametrize("prefix", EDIT)
def test_every_pages_settings_are_followed(prefix, tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(tmp_path / "data"))  # LeNet: generated shapes
    monkeypatch.setenv("CNNVIZ_DEVICE", "cpu")
    lecturer = app()
    code = start_class(lecturer)
    lecturer.switch_page(PAGE_FILES[prefix]).run()
    kind, key, value, *_ = EDIT[prefix]
    getattr(lecturer, kind)(key=key).set_value(value)
    lecturer.run()
    shown = lecturer.session_state[f"{prefix}__valid"]
    assert shown != SPECS[prefix].defaults()
    student = join(app(), code)
    assert not student.exception, student.exception
    assert student.session_state[f"{prefix}__valid"] == shown


def test_a_new_page_starts_at_its_first_step_for_everyone():
    lecturer = app()
    code = start_class(lecturer)
    lecturer.switch_page(PADDING).run()
    button(lecturer, "class_next").click().run()
    assert classroom.class_store().state(code).step == 1
    lecturer.switch_page("pages/5_pooling.py").run()
    assert "cnnvizShowStep(0)" in scripts(lecturer)
    state = classroom.class_store().state(code)
    assert (state.page, state.step) == ("pooling", 0)


def test_the_question_flow_on_the_redis_backend(request, monkeypatch):
    """The same class on Redis (a deployment on several machines): answers counted once."""
    monkeypatch.setenv("CNNVIZ_CLASS_STORE", "redis")
    monkeypatch.setenv("CNNVIZ_REDIS_URL", request.getfixturevalue(redis_url.__name__))
    classroom.class_store.clear()
    assert type(classroom.class_store()).__name__ == "RedisStore"
    lecturer = app()
    code = start_class(lecturer)
    button(lecturer, "class_ask").click().run()
    students = [join(app(), code) for _ in range(3)]
    for student in students:
        for choice in (0, 1):  # answered, then changed: one answer per session
            student.radio(key="class_choice_1").set_value(choice)
            button(student, "class_send_1").click().run()
    lecturer.run()
    assert histogram_counts(lecturer)[:2] == [0, 3]
