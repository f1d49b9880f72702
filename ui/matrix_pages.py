"""Streamlit glue for pages whose settings are typed matrices: link state, presets, size controls.

Widget values live in ``st.session_state`` under ``<prefix>_<field>`` keys; the last settings that
computed without error live under ``<prefix>_valid`` and are what the page shows (and puts in the
link) while the typed text has a mistake. No compute here: pages pass cnnviz functions in.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import streamlit as st

from cnnviz import pageconfig as urlstate
from cnnviz.teach import matrices


def key(prefix: str, name: str) -> str:
    """Session-state key of a page's widget."""
    return f"{prefix}_{name}"


def _widget_value(field: urlstate.Field, value):
    """Matrices are edited as text; everything else as itself."""
    return matrices.format_channels(value) if field.kind == "matrix" else value


def _seed(prefix: str, fields, config: dict, overwrite: bool) -> None:
    """Put configuration values into the widgets (only missing ones unless ``overwrite``)."""
    for name, value in config.items():
        if name in fields and (overwrite or key(prefix, name) not in st.session_state):
            st.session_state[key(prefix, name)] = _widget_value(fields[name], value)


def open_state(prefix: str, fields, preset_config: Callable[[str], dict],
               check: Callable[[dict], object]) -> list[str]:
    """First visit: settings from the link, over its preset; later: what the user left here."""
    store = key(prefix, "valid")
    if store in st.session_state:  # widgets dropped by a page switch come back from the store
        _seed(prefix, fields, st.session_state[store], overwrite=False)
        return []
    params = st.query_params.to_dict()
    chosen, messages = urlstate.decode(params, {"preset": fields["preset"]})
    base = preset_config(chosen["preset"])
    with_preset = {n: dataclasses.replace(f, default=base.get(n, f.default))
                   for n, f in fields.items()}
    config, more = urlstate.decode({k: v for k, v in params.items() if k != "preset"},
                                   with_preset)
    try:
        check(config)
    except ValueError as err:
        messages.append(f"The link's settings do not compute ({err}); showing the example.")
        config = {n: f.default for n, f in with_preset.items()}
    st.session_state[store] = config
    _seed(prefix, fields, config, overwrite=True)
    return messages + more


def load_preset(prefix: str, fields, preset_config: Callable[[str], dict]) -> None:
    """Callback of the example picker: put the example's values into the widgets."""
    _seed(prefix, fields, preset_config(st.session_state[key(prefix, "preset")]), overwrite=True)


def read(prefix: str, fields, names, labels: dict[str, str]) -> tuple[dict, list[str]]:
    """The widgets' values as a configuration, and a message per matrix that cannot be read."""
    config, errors = {}, []
    for name in names:
        value = st.session_state.get(key(prefix, name))
        if fields[name].kind == "matrix":
            try:
                value = matrices.parse_channels(value, labels.get(name, name))
            except matrices.MatrixError as err:
                errors.append(str(err))
                continue
        config[name] = value
    return config, errors


def settle(prefix: str, fields, config: dict, errors: list[str], check: Callable[[dict], object]):
    """Show mistakes and return the last valid settings, or store these and put them in the link."""
    if not errors:
        try:
            check(config)
        except ValueError as err:
            errors = [str(err)]
    store = key(prefix, "valid")
    if errors:
        for message in errors:
            st.error(message, icon=":material/error:")
        st.info("Still showing the last settings that worked; fix the entry above to update.")
        return st.session_state[store]
    st.session_state[store] = config
    wanted = urlstate.encode(config, fields)
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)
    return config


def fit(prefix: str, name: str) -> int:
    """Pixel height that shows a text area's lines without scrolling (up to 34 lines)."""
    lines = str(st.session_state.get(key(prefix, name), "")).count("\n") + 1
    return 26 * min(max(lines, 2), 34) + 36


def _apply(prefix: str, fields, update: dict) -> None:
    """Write new values into the widgets (from a size change or a random fill)."""
    _seed(prefix, fields, update, overwrite=True)


def size_controls(prefix: str, fields, sizes: tuple, current: dict[str, int],
                  resize: Callable[[dict, dict], dict], randomize: Callable[[dict, int], dict],
                  columns: int = 3) -> None:
    """Number inputs for the sizes (they crop or zero-pad the matrices) and a random fill button."""
    store = key(prefix, "valid")

    def sizes_now() -> dict[str, int]:
        return {name: st.session_state[key(prefix, f"size_{name}")] for name, *_ in sizes}

    def on_resize() -> None:
        _apply(prefix, fields, resize(st.session_state[store], sizes_now()))

    def on_random() -> None:
        _apply(prefix, fields, randomize(sizes_now(), time.time_ns()))

    for name, value in current.items():  # controls follow what was typed
        st.session_state[key(prefix, f"size_{name}")] = value
    cols = st.columns(columns)
    for n, (name, label, low, high) in enumerate(sizes):
        cols[n % columns].number_input(label, low, high, step=1, key=key(prefix, f"size_{name}"),
                                       on_change=on_resize)
    st.button("Random fill", icon=":material/casino:", on_click=on_random,
              key=key(prefix, "random"), help="Whole numbers: input 0 to 9, kernel -2 to 2.")
