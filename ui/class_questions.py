"""Class questions on screen: the lecturer asks and reveals, students answer, a live histogram.

Everything typed (a question, its choices) is shown with st.text, and the choices are picked
by letter, so no text from a class is ever read as HTML or Markdown.
"""

from __future__ import annotations

from collections.abc import Callable

import plotly.graph_objects as go
import streamlit as st

from cnnviz.classroom import questions
from cnnviz.classroom.store import ClassError, ClassState, ClassStore, Question
from ui import charts

LETTERS = "ABCDEF"
RIGHT_COLOR, OTHER_COLOR = "#1B7F3B", "#5F6B7A"


def _show_question(question: Question, number: int) -> None:
    st.markdown(f"**Question {number}**")
    st.text(question.prompt)
    st.text("\n".join(f"{LETTERS[i]}   {choice}" for i, choice in enumerate(question.choices)))


def _show_answer(question: Question) -> None:
    st.success(f"Answer: {LETTERS[question.answer]}", icon=":material/check_circle:")
    st.text(question.choices[question.answer])
    if question.explanation:
        st.text(question.explanation)


def histogram(counts: list[int], right: int | None) -> go.Figure:
    """Bars of answers per choice (letters only: choice texts are never plotly markup)."""
    colors = [RIGHT_COLOR if i == right else OTHER_COLOR for i in range(len(counts))]
    fig = go.Figure(go.Bar(x=list(LETTERS[:len(counts)]), y=counts, marker_color=colors,
                           text=[str(c) for c in counts], textposition="outside"))
    fig.update_layout(title=f"{sum(counts)} answers", height=280, margin=dict(t=50, b=30),
                      yaxis=dict(rangemode="tozero", dtick=max(1, max(counts, default=0) // 5)))
    return fig


def live_answers(store: ClassStore, state: ClassState) -> None:
    """The lecturer's (projector's) view of the current question and its answers so far."""
    if state.question is None:
        return
    _show_question(state.question, state.question_id)
    counts = store.tally(state.code, state.question_id)
    charts.plotly_chart(histogram(counts, state.question.answer if state.revealed else None),
                        key="class_histogram", config={"displayModeBar": False})
    if state.revealed:
        _show_answer(state.question)


def _answer(store: ClassStore, state: ClassState, session: str) -> None:
    choice = st.session_state.get(f"class_choice_{state.question_id}")
    try:
        store.answer(state.code, session, state.question_id, choice)
        st.session_state["class_answer_error"] = None
        st.session_state["class_mine"] = (state.question_id, choice)
    except ClassError as err:
        st.session_state["class_answer_error"] = str(err)


def answer_panel(store: ClassStore, state: ClassState, session: str) -> None:
    """A student's view of the current question: pick a letter, answer, see the reveal."""
    if state.question is None:
        return
    question, number = state.question, state.question_id
    _show_question(question, number)
    # This session's answer as the store has it; remembered, so a poll need not ask the store.
    if st.session_state.get("class_mine", (None,))[0] != number:
        st.session_state["class_mine"] = (number, store.my_answer(state.code, session, number))
    mine = st.session_state["class_mine"][1]
    if state.revealed:
        _show_answer(question)
        if mine is not None:
            st.caption("You answered " + LETTERS[mine] + (": right." if mine == question.answer
                                                          else "."))
        return
    st.radio("Your answer", range(len(question.choices)), format_func=LETTERS.__getitem__,
             key=f"class_choice_{number}", horizontal=True, index=mine)
    st.button("Answer", key=f"class_send_{number}", on_click=_answer,
              args=(store, state, session), type="primary")
    if error := st.session_state.get("class_answer_error"):
        st.warning(error, icon=":material/error:")
    elif mine is not None:
        st.caption(f"Your answer: {LETTERS[mine]} (you can change it until the reveal).")


def _ask(store: ClassStore, code: str, secret: str, make: Callable[[int], Question]) -> None:
    try:
        number = store.state(code).question_id + 1
        store.ask(code, secret, make(number))
        st.session_state["class_ask_error"] = None
    except (ClassError, ValueError) as err:
        st.session_state["class_ask_error"] = str(err)


def _typed_question(_number: int) -> Question:
    state = st.session_state
    choices = tuple(line.strip() for line in state.get("class_typed_choices", "").splitlines()
                    if line.strip())
    return Question(state.get("class_typed_prompt", "").strip(), choices,
                    int(state.get("class_typed_right", 1)) - 1,
                    state.get("class_typed_why", "").strip())


def _reveal(store: ClassStore, code: str, secret: str, reveal_step: Callable[[int], None]):
    try:
        state = store.state(code)
        store.reveal(code, secret)
        if state.question is not None and state.question.step is not None:
            reveal_step(state.question.step)  # the animation shows the cell that was asked
    except ClassError as err:
        st.session_state["class_ask_error"] = str(err)


def ask_controls(store: ClassStore, state: ClassState, secret: str, spec: str, config: dict,
                 reveal_step: Callable[[int], None]) -> None:
    """The lecturer's controls: ask a generated or typed question, reveal its answer."""
    code = state.code
    with st.expander("Ask the class", icon=":material/quiz:"):
        kind = st.selectbox("Question from this page's settings", list(questions.KINDS),
                            format_func=questions.KINDS.get, key="class_kind")
        st.button("Ask", key="class_ask", on_click=_ask, args=(
            store, code, secret, lambda n: questions.from_page(kind, spec, config, seed=n)))
        with st.form("class_typed", border=False):
            st.text_input("Or type a question", key="class_typed_prompt", max_chars=300)
            st.text_area("Choices, one per line (2 to 6)", key="class_typed_choices")
            st.number_input("Right choice (1 = first line)", 1, 6, key="class_typed_right")
            st.text_input("Why (shown with the answer)", key="class_typed_why", max_chars=300)
            st.form_submit_button("Ask this question", on_click=_ask,
                                  args=(store, code, secret, _typed_question))
        if error := st.session_state.get("class_ask_error"):
            st.error(error, icon=":material/error:")
    if state.question is not None and not state.revealed:
        st.button("Reveal the answer", key="class_reveal", on_click=_reveal,
                  args=(store, code, secret, reveal_step), icon=":material/visibility:")
