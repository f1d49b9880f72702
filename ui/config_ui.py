"""A page's configuration on screen: widgets from its PageSpec, kept everywhere, settable.

Kept across reruns, page switches and links, and set from outside in one call (set_config).

State per page, in ``st.session_state`` (``p`` is the spec's prefix):
- ``p_<field>[_part]``: the widgets (see pageconfig.WIDGET_PARTS);
- ``p__widgets``: a copy of them, so that a page switch or a field hidden for a while
  (Streamlit drops unrendered widgets) loses nothing, not even a typing mistake;
- ``p__valid``: the last valid configuration, the one the figures show;
- ``p__pending``: a configuration set from outside (``set_config``), put into the widgets at the
  start of the page's next run, whether or not the page is on screen now.
The first visit reads the link (st.query_params); every run writes the configuration shown back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import streamlit as st

from cnnviz import pageconfig
from cnnviz.pageconfig import PageSpec
from cnnviz.teach import matrices

key = pageconfig.widget_key


def _spec(spec_or_prefix: PageSpec | str) -> PageSpec:
    if isinstance(spec_or_prefix, PageSpec):
        return spec_or_prefix
    from cnnviz.pagespecs import SPECS  # every page's spec, imported only when asked by name

    return SPECS[spec_or_prefix]


def set_config(spec_or_prefix: PageSpec | str, config: dict) -> list[str]:
    """Make a page show ``config`` from its next run on (fields not given keep their value).

    Works whether or not the page is on screen. Returns a message per field that cannot be used
    (those keep the page's current value); a configuration whose fields do not fit together is
    refused as a whole (one message under the page's name).
    """
    spec = _spec(spec_or_prefix)
    base = current(spec)
    wanted = {**base, **pageconfig.normalized(spec, config)}
    errors = pageconfig.validate(spec, wanted)
    usable = {**wanted, **{n: base[n] for n in errors if n}}
    whole = errors.get("") or (errors and pageconfig.validate(spec, usable).get(""))
    if whole:
        return [f"{spec.prefix}: {whole}"]
    st.session_state[key(spec.prefix, "_pending")] = usable
    return [f"{name}: {message}" for name, message in errors.items()]


def current(spec_or_prefix: PageSpec | str) -> dict:
    """The configuration the page shows (or will show on its next run)."""
    spec = _spec(spec_or_prefix)
    state = st.session_state
    for name in ("_pending", "_valid"):
        if (stored := state.get(key(spec.prefix, name))) is not None:
            return dict(stored)
    return pageconfig.config_from_link(spec, {})[0]


def update(spec_or_prefix: PageSpec | str, changes: dict) -> None:
    """Put new values into some fields' widgets from a widget callback (before they are drawn).

    The page validates them on its run, like typed values.
    """
    spec = _spec(spec_or_prefix)
    fields = {n: spec.fields[n] for n in changes if n in spec.fields}
    _put(spec, pageconfig.widget_values(PageSpec(spec.prefix, fields), changes))


def _put(spec: PageSpec, values: dict) -> None:
    """Write widget states, and into the copy that brings back widgets Streamlit forgot."""
    st.session_state.update(values)
    st.session_state.setdefault(key(spec.prefix, "_widgets"), {}).update(values)


@dataclass
class Shown:
    """What a page shows after its widgets ran: a valid configuration and why it differs."""

    config: dict  # valid; the figures show this
    notes: list[str] = field(default_factory=list)  # per rejected field: the value shown instead
    error: str | None = None  # why the typed settings, each valid, do not fit together

    @property
    def ok(self) -> bool:
        """True when the figures show exactly what the widgets hold."""
        return not self.notes and self.error is None

    def caption(self) -> str:
        """A line for the figure's caption saying which valid values it still shows."""
        if self.error is not None:
            return "The figure still shows the last settings that worked."
        return "The figure still shows " + "; ".join(self.notes) + "." if self.notes else ""


@dataclass
class Page:
    """One run of a page: its spec, the values its widgets hold, and their problems."""

    spec: PageSpec
    valid: dict
    values: dict = field(default_factory=dict)  # valid fields drawn this run: their values
    errors: dict = field(default_factory=dict)  # field -> message shown next to it
    drawn: set = field(default_factory=set)  # fields whose widgets this run drew

    def k(self, name: str, part: str = "") -> str:
        """Session-state key of a widget of this page."""
        return key(self.spec.prefix, name, part)

    def so_far(self) -> dict:
        """For a figure drawn before ``finish``: the valid values the widgets hold so far."""
        return {**self.valid, **self.values}

    def caption(self) -> str:
        """For a figure drawn before ``finish``: which valid values it shows instead."""
        return Shown(self.valid, list(self.errors.values())).caption()


def start(spec: PageSpec, local: Callable[[], dict] | None = None) -> Page:
    """Before any widget: restore the widgets (set from outside, page switch, or the link).

    ``local()``: defaults that depend on this machine, asked on a first visit only (where the
    link is silent).
    """
    state, p = st.session_state, spec.prefix
    pending = state.pop(key(p, "_pending"), None)
    messages = []
    if pending is not None:
        _put(spec, pageconfig.widget_values(spec, pending))
        state[key(p, "_valid")] = pending
    elif key(p, "_widgets") in state:  # back from another page, or fields hidden last run:
        drawn = state.get(key(p, "_drawn"), ())  # Streamlit forgot them or holds stale values
        for k, v in state[key(p, "_widgets")].items():
            if k not in drawn or k not in state:
                state[k] = v
    else:
        pending, messages = pageconfig.config_from_link(spec, st.query_params.to_dict(),
                                                        local() if local else None)
        _put(spec, pageconfig.widget_values(spec, pending))
        state[key(p, "_valid")] = pending
    for message in messages:
        st.warning(message, icon=":material/link_off:")
    return Page(spec, state[key(p, "_valid")])


def _mark_custom(spec: PageSpec, adjust: Callable[[dict], dict] | None = None,
                 then: Callable | None = None, args: tuple = ()) -> None:
    """Widget callback: the settings are the user's own now (preset "custom").

    ``adjust`` fixes dependent fields; ``then(*args)`` is the page's own callback.
    """
    if spec.custom is not None:
        st.session_state[key(spec.prefix, "preset")] = spec.custom
    if adjust is not None:
        update(spec, adjust(typed(spec)))
    if then is not None:
        then(*args)


def typed(spec: PageSpec) -> dict:
    """The configuration the widgets hold now, for callbacks (what does not parse: last valid)."""
    state, valid = st.session_state, current(spec)
    config = dict(valid)
    for name, f in spec.fields.items():
        k = key(spec.prefix, name)
        if f.kind == "pair" and k + "_h" in state:
            config[name] = (state[k + "_h"], state[k + "_w"])
        elif f.kind == "matrix" and k in state:
            try:
                config[name] = matrices.parse_channels(state[k], name, f.max_side,
                                                       f.max_channels)
            except matrices.MatrixError:
                pass
        elif k in state:
            config[name] = state[k]
    return config


def _load_preset(spec: PageSpec) -> None:
    """Callback of the example picker: put the example into every widget."""
    name = st.session_state[key(spec.prefix, "preset")]
    if name in spec.presets:
        config = pageconfig.apply_preset(spec, name)
        _put(spec, pageconfig.widget_values(spec, config))
        st.session_state[key(spec.prefix, "_valid")] = config


def preset_picker(page: Page, label: str = "Example", where=st, **kwargs):
    """The example picker; choosing one puts its settings into the page's widgets."""
    labels = {**page.spec.preset_labels, "custom": "Your own settings"}
    _keep(page, "preset")
    value = where.selectbox(label, page.spec.fields["preset"].choices, key=page.k("preset"),
                            format_func=lambda n: labels.get(n, str(n)),
                            on_change=_load_preset, args=(page.spec,), **kwargs)
    page.values["preset"] = value
    return value


def _keep(page: Page, name: str) -> None:
    """Give a field's widgets its last valid value where Streamlit forgot it (hidden last run)."""
    state = st.session_state
    f = page.spec.fields[name]
    page.drawn.add(name)
    if any(page.k(name, part) not in state for part in pageconfig.WIDGET_PARTS.get(f.kind,
                                                                                   ("",))):
        single = PageSpec(page.spec.prefix, {name: f})
        for k, v in pageconfig.widget_values(single, page.valid).items():
            state.setdefault(k, v)


def _rejected(page: Page, name: str, label: str, typed, message: str, where) -> None:
    """Show why a typed value is not used, next to its widget, and remember it for the caption."""
    shown = page.valid[name]
    text = shown if not isinstance(shown, tuple) else ", ".join(map(str, shown))
    where.error(f"{label}: {message}. Still using {text}.", icon=":material/error:")
    page.errors[name] = f"{label} = {text} (not {typed})"


def widget(page: Page, name: str, label: str, where=st, style: str | None = None,
           adjust: Callable[[dict], dict] | None = None, choices=None, limits=None,
           on_change: Callable | None = None, args: tuple = (), **kwargs):
    """The widget of one field, chosen by its kind (``style`` picks another); returns its value.

    Numbers have no bounds on the widget, so an out-of-range value is not silently clamped:
    it gets a message next to the field and the page keeps showing the last valid one.
    ``choices`` and a slider's ``limits`` (low, high): what is offered now, when less than the
    field allows (a value outside is moved to the nearest one first); ``on_change(*args)`` runs
    after a change, like Streamlit's.
    """
    f = page.spec.fields[name]
    options = f.choices if choices is None else choices
    _keep(page, name)
    if f.kind == "pair":
        return _pair(page, name, label, where, **kwargs)
    if f.kind == "matrix":
        return matrix(page, name, label, where, **kwargs)
    common = dict(key=page.k(name), on_change=_mark_custom,
                  args=(page.spec, adjust, on_change, args), **kwargs)
    if f.kind in ("int", "float") and style in (None, "number"):
        typed = where.number_input(label, **{"step": 1 if f.kind == "int" else 0.1, **common})
    elif f.kind in ("int", "float", "range") and style in (None, "slider"):
        low, high = limits or (f.low, f.high)
        if f.kind != "range" and not low <= st.session_state.get(page.k(name), low) <= high:
            st.session_state[page.k(name)] = min(max(st.session_state[page.k(name)], low), high)
        typed = where.slider(label, low, high, **common)
    elif f.kind == "bool":
        typed = (where.checkbox if style == "checkbox" else where.toggle)(label, **common)
    elif style in (None, "selectbox"):
        typed = where.selectbox(label, options, **common)
    elif style == "radio":
        typed = where.radio(label, options, **common)
    elif style == "select_slider":
        typed = where.select_slider(label, options, **common)
    elif style == "segmented":
        typed = where.segmented_control(label, options, **common)
    else:
        raise ValueError(f"no widget style {style!r} for a {f.kind} field")
    if f.kind == "range":
        typed = tuple(typed)
    message = pageconfig.field_error(f, typed)
    if message is not None:
        _rejected(page, name, label, typed, message, where)
    else:
        page.values[name] = typed
    return typed if message is None else page.valid[name]


def _pair(page: Page, name: str, label: str, where, **kwargs) -> tuple[int, int]:
    """Two whole numbers (height, width) side by side."""
    f, args = page.spec.fields[name], (page.spec,)
    with where.container(horizontal=True, wrap=False):  # one layout block a rerun (columns: 3)
        typed = (int(st.number_input(f"{label} ↕", step=1, key=page.k(name, "_h"),
                                     help=f"{label} along the height (rows)",
                                     on_change=_mark_custom, args=args, **kwargs)),
                 int(st.number_input(f"{label} ↔", step=1, key=page.k(name, "_w"),
                                     help=f"{label} along the width (columns)",
                                     on_change=_mark_custom, args=args, **kwargs)))
    message = pageconfig.field_error(f, typed)
    if message is not None:
        _rejected(page, name, label, f"{typed[0]}, {typed[1]}", message, where)
        return page.valid[name]
    page.values[name] = typed
    return typed


def _resize(spec: PageSpec, name: str, adjust) -> None:
    """Size control callback: crop or zero-pad the matrix, keeping what was typed."""
    k = key(spec.prefix, name)
    c, r, w = (st.session_state[k + part] for part in ("_c", "_r", "_k"))
    update(spec, {name: matrices.resize_channels(typed(spec)[name], c, r, w)})
    _mark_custom(spec, adjust)


def _random_fill(spec: PageSpec, name: str, adjust) -> None:
    """Random whole numbers of the chosen size, in the field's fill range."""
    k, (low, high) = key(spec.prefix, name), spec.fields[name].fill
    c, r, w = (st.session_state[k + part] for part in ("_c", "_r", "_k"))
    seed = time.time_ns()
    update(spec, {name: [matrices.random_matrix(r, w, low, high, seed + i) for i in range(c)]})
    _mark_custom(spec, adjust)


def matrix(page: Page, name: str, label: str, where=st, channels: bool | None = None,
           adjust: Callable[[dict], dict] | None = None, height: int | None = None, help=None):
    """Text editor for a matrix (channels split by a blank line), size controls, random fill.

    ``adjust`` fixes dependent fields after a size change or a random fill. Returns the parsed
    channels, or the last valid ones after showing what is wrong.
    """
    f, k = page.spec.fields[name], page.k(name)
    channels = f.max_channels > 1 if channels is None else channels
    _keep(page, name)
    text = where.text_area(label, key=k, height=height or _fit(st.session_state.get(k)),
                           on_change=_mark_custom, args=(page.spec,),
                           help=help or "One row per line, numbers separated by spaces or commas."
                           + (" Separate channels with an empty line." if channels else ""))
    try:
        value = matrices.parse_channels(text, label, f.max_side, f.max_channels)
    except matrices.MatrixError as err:
        where.error(str(err), icon=":material/error:")
        page.errors[name] = f"the last valid {label}"
        value = None
    else:  # the size controls follow what was typed
        for part, size in (("_c", len(value)), ("_r", len(value[0])), ("_k", len(value[0][0]))):
            st.session_state[k + part] = size
        page.values[name] = value
    sizes = [("_r", "rows", f.max_side), ("_k", "cols", f.max_side)]
    if channels:
        sizes.insert(0, ("_c", "chan.", f.max_channels))
    with where.container(horizontal=True, vertical_alignment="bottom", wrap=False):
        for part, what, top in sizes:  # one flex row: a rerun sends 1 layout block, not 4
            st.number_input(what, 1, top, key=k + part, on_change=_resize,
                            args=(page.spec, name, adjust),
                            help="Crops or pads with zeros; the random button refills.")
        st.button("", key=k + "_random", on_click=_random_fill, args=(page.spec, name, adjust),
                  icon=":material/casino:", help=f"Random fill: whole numbers from {f.fill[0]} "
                  f"to {f.fill[1]} of the chosen size.")
    return page.valid[name] if value is None else value


def _fit(text) -> int:
    """Pixel height that shows a text area's lines without scrolling (3 to 34 lines)."""
    return 26 * min(max(str(text or "").count("\n") + 1, 3), 34) + 10


def kernel(page: Page, name: str, value: list | None = None) -> list:
    """A kernel field's value for the page's own editor; with ``value``, its new value."""
    if value is None:
        value = st.session_state.get(page.k(name), page.valid[name])
    value = value.tolist() if hasattr(value, "tolist") else value
    st.session_state[page.k(name)] = page.values[name] = value
    page.drawn.add(name)
    return value


def tabs(page: Page, name: str, **kwargs):
    """st.tabs whose selected tab is the field ``name`` (part of the link, set from outside)."""
    choices = page.spec.fields[name].choices
    _keep(page, name)
    containers = st.tabs(list(choices), key=page.k(name), on_change="rerun", **kwargs)
    page.values[name] = st.session_state.get(page.k(name), choices[0])
    return containers


def finish(page: Page) -> Shown:
    """After the widgets: the valid configuration to show, kept for the next run and the link.

    Fields typed wrongly keep their last valid value; when the rest does not fit together
    (the spec's check), the whole last valid configuration stays. A page may call it again
    after widgets that depend on what the first call shows.
    """
    state, spec, p = st.session_state, page.spec, page.spec.prefix
    config = {**page.valid, **page.values}
    error = None
    if config != page.valid:
        problems = pageconfig.validate(spec, config) if spec.check is not None else {}
        error = problems.get("")
        if error is None:
            state[key(p, "_valid")] = config
        else:
            config = page.valid
    copy, drawn = state.setdefault(key(p, "_widgets"), {}), set()
    for name in page.drawn:  # widgets not drawn this run may hold stale values: keep the copy's
        for part in pageconfig.WIDGET_PARTS.get(spec.fields[name].kind, ("",)):
            if (k := key(p, name, part)) in state:
                copy[k] = state[k]
                drawn.add(k)
    state[key(p, "_drawn")] = drawn
    _write_link(p, spec, config)
    return Shown(config, list(page.errors.values()), error)


STEP_PARAM = "step"  # the animation's step on screen, kept in the address by the browser


def _write_link(p: str, spec: PageSpec, config: dict) -> None:
    """Put the configuration shown into the address bar (encoded once per configuration)."""
    state, memo_key = st.session_state, key(p, "_link")
    memo = state.get(memo_key)
    if memo is None or memo[0] != config:
        memo = (config, pageconfig.encode(config, spec.fields))
        state[memo_key] = memo
    # The browser adds the animation's step on screen (assets/keyboard_stepping.js): it stays
    # while the configuration does; a new configuration starts at step 1.
    in_link = {k: v for k, v in st.query_params.to_dict().items() if k != STEP_PARAM}
    if in_link != memo[1]:
        st.query_params.from_dict(memo[1])


def show_problems(shown: Shown, where=st) -> None:
    """The whole-configuration error, if any (field errors are already next to their fields)."""
    if shown.error is not None:
        where.error(shown.error, icon=":material/error:")
