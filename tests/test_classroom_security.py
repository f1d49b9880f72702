"""Class mode against a student's forged requests: what a browser sends cannot lead the class.

A browser sends widget states (ids and values) and query parameters. These tests send a
student's session the lecturer's widget ids (ids are the same in every session for the same
key), other students' answer widgets, and links with extra parameters; the class must not change.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.classroom import store as cs
from cnnviz.share import client_address
from tests.classroom_apptest import (
    PADDING,
    ROOT,
    app,
    button,
    class_dir,
    figure_move,
    forge,
    join,
    start_class,
)
from ui import classroom

pytestmark = pytest.mark.usefixtures(class_dir.__name__)


def lecturer_with_question():
    lecturer = app()
    code = start_class(lecturer)
    lecturer.switch_page(PADDING).run()
    button(lecturer, "class_ask").click().run()
    return lecturer, code


@pytest.mark.parametrize("key", ["class_next", "class_back", "class_reveal", "class_end",
                                 "class_ask"])
def test_a_student_sending_the_lecturers_buttons_changes_nothing(key):
    lecturer, code = lecturer_with_question()
    student = join(app(), code)
    before = classroom.class_store().state(code)
    forged = button(lecturer, key).click()
    forge(student, forged._widget_state)
    assert not student.exception, student.exception
    assert classroom.class_store().state(code) == before
    assert not student.session_state["class_secret"]


def test_a_student_sending_the_lecturers_figure_moves_changes_nothing():
    lecturer, code = lecturer_with_question()
    student = join(app(), code)
    before = classroom.class_store().state(code)
    def reporters(at):
        return [e for e in at.get("bidi_component") if e.key == classroom.REPORTER_KEY]
    assert reporters(lecturer)  # the lecturer's page reports the figure's steps ...
    assert not reporters(student)  # ... a student's page has no step reporter
    forge(student, figure_move(lecturer, {"step": 3}))
    assert not student.exception, student.exception
    assert classroom.class_store().state(code) == before


@pytest.mark.parametrize("value", [{"step": -1}, {"step": "3"}, {"step": 2.5}, {"step": True},
                                   {"step": classroom.MAX_STEP + 1}, {"other": 1}, {}])
def test_the_lecturers_figure_reporting_a_non_step_changes_nothing(value):
    lecturer, code = lecturer_with_question()
    before = classroom.class_store().state(code)
    forge(lecturer, figure_move(lecturer, value))
    assert not lecturer.exception, lecturer.exception
    assert classroom.class_store().state(code).step == before.step


def test_a_student_cannot_change_another_students_answer():
    lecturer, code = lecturer_with_question()
    alice, bob = join(app(), code), join(app(), code)
    alice.radio(key="class_choice_1").set_value(0)
    button(alice, "class_send_1").click().run()
    # Bob's browser sends Alice's widgets (same ids in every session) with another choice.
    alice.radio(key="class_choice_1").set_value(1)
    forge(bob, alice.radio(key="class_choice_1")._widget_state,
          button(alice, "class_send_1").click()._widget_state)
    store = classroom.class_store()
    alice_session = alice.session_state["class_session"]
    bob_session = bob.session_state["class_session"]
    assert alice_session != bob_session
    assert store.my_answer(code, alice_session, 1) == 0  # Alice's answer is hers
    assert store.my_answer(code, bob_session, 1) == 1  # the forged click is Bob's own answer
    assert sum(store.tally(code, 1)) == 2


def test_a_link_cannot_make_a_student_the_lecturer():
    lecturer, code = lecturer_with_question()
    secret = lecturer.session_state["class_secret"]
    student = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for name, value in {"class": code, "class_secret": secret[:-2] + "xx", "secret": "x",
                        "lecturer": "1"}.items():
        student.query_params[name] = value
    student.run()
    assert student.session_state["class_code"] == code
    assert not student.session_state["class_secret"]
    assert not any(b.key == "class_reveal" for b in student.button)


def test_the_store_refuses_a_forged_or_guessed_secret():
    lecturer, code = lecturer_with_question()
    secret = lecturer.session_state["class_secret"]
    store = classroom.class_store()
    for guess in (None, "", code, secret[:-1], secret + "x", cs.hash_secret(secret)):
        with pytest.raises(cs.NotLecturer):
            store.reveal(code, guess)
    assert not store.state(code).revealed


def test_answers_beyond_the_rate_limit_get_a_message(monkeypatch):
    lecturer, code = lecturer_with_question()
    student = join(app(), code)
    # One rate window for all the answers: the limit counts per fixed 10 s window, and six
    # AppTest runs on a busy machine can take longer than that or cross a window's edge.
    store = classroom.class_store()
    now = store.clock()
    monkeypatch.setattr(store, "clock", lambda: now)
    for k in range(cs.ANSWER_LIMIT + 1):
        student.radio(key="class_choice_1").set_value(k % 2)
        button(student, "class_send_1").click().run()
    assert not student.exception
    assert any("Too many answers" in w.value for w in student.warning)


def test_joining_too_often_gets_a_message(monkeypatch):
    lecturer, code = lecturer_with_question()
    student = app()
    store = classroom.class_store()
    now = store.clock()
    monkeypatch.setattr(store, "clock", lambda: now)  # one join window for every try
    for _ in range(cs.JOIN_LIMIT):
        student.text_input(key="class_typed").input("QQQQQQ")
        button(student, "class_join").click().run()
    student.text_input(key="class_typed").input(code)
    button(student, "class_join").click().run()
    assert not student.exception, student.exception
    assert any("Too many tries to join" in e.value for e in student.sidebar.error)
    assert "class_code" not in student.session_state


@pytest.mark.parametrize(("direct", "forwarded", "address"), [
    ("198.51.100.2", "203.0.113.7", "198.51.100.2"),  # a direct peer's header is not believed
    (None, "10.0.0.1, 203.0.113.7", "203.0.113.7"),  # behind our proxy: the hop it added
    (None, None, None),  # this machine, no proxy: no address
])
def test_the_client_address_of_the_join_limit(direct, forwarded, address):
    assert client_address(direct, forwarded) == address


def test_an_expired_class_says_so_instead_of_failing(monkeypatch):
    lecturer, code = lecturer_with_question()
    student = join(app(), code)
    store = classroom.class_store()
    later = store.clock() + store.lifetime_s + 1
    monkeypatch.setattr(store, "clock", lambda: later)
    student.run()
    lecturer.run()
    for at in (student, lecturer):
        assert not at.exception, at.exception
        assert any("not valid" in w.value for w in at.warning)
