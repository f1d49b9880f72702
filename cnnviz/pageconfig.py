"""A page's configuration, declared once: fields, presets, checks, and its shareable link.

Each page declares a ``PageSpec``: a prefix for its session-state keys, ``Field``s with kind,
default and limits, named presets and a whole-configuration check. From it come validation with
messages for students, presets, and a lossless link (URL query parameters) whose decoding never
raises: a bad value falls back and says what was ignored. ``ui.config_ui`` turns a spec into
widgets; nothing here imports streamlit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from cnnviz.teach import matrices

# int, float: one number; pair: (height, width) whole numbers; range: (low, high) numbers;
# choice: one of ``choices`` (strings or numbers); bool; matrix: channels of typed matrices;
# kernel: one 2-D matrix of floats (edited by the page's own grid).
KINDS = ("int", "float", "pair", "range", "choice", "bool", "matrix", "kernel")


@dataclass(frozen=True)
class Field:
    """One setting: its kind, default and limits."""

    kind: str
    default: object
    low: float = 0  # int, float, pair, range: smallest allowed value
    high: float = 32  # ... and the largest
    choices: tuple = ()  # choice: the allowed values
    max_side: int = matrices.MAX_SIDE  # matrix, kernel: largest height or width
    max_channels: int = matrices.MAX_CHANNELS  # matrix: most channels
    fill: tuple[int, int] = (0, 9)  # matrix: range of the whole numbers a random fill draws

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown field kind {self.kind!r}; one of {', '.join(KINDS)}")


@dataclass(frozen=True)
class PageSpec:
    """Everything a page keeps in its configuration, declared once.

    ``presets`` map a name to the settings it puts over the defaults; the field named "preset"
    (if any) holds the chosen one. ``check`` receives a configuration whose fields are each
    valid and raises ValueError, with a message for students, when they do not fit together.
    """

    prefix: str
    fields: Mapping[str, Field]
    presets: Mapping[str, Mapping] = field(default_factory=dict)
    preset_labels: Mapping[str, str] = field(default_factory=dict)
    check: Callable[[dict], object] | None = None

    def defaults(self) -> dict:
        """Every field's default."""
        return {name: f.default for name, f in self.fields.items()}

    @property
    def custom(self) -> str | None:
        """The preset value meaning "your own settings", when the page offers one."""
        preset = self.fields.get("preset")
        return "custom" if preset is not None and "custom" in preset.choices else None


def apply_preset(spec: PageSpec, name: str) -> dict:
    """The defaults overlaid with preset ``name``'s settings (the defaults if it is unknown)."""
    if name not in spec.presets:
        return spec.defaults()
    return {**spec.defaults(), **spec.presets[name], "preset": name}


def _range_error(value: float, f: Field) -> str | None:
    if not f.low <= value <= f.high:
        low, high = matrices.exact_number(f.low), matrices.exact_number(f.high)
        return f"{matrices.exact_number(value)} is outside {low} to {high}"
    return None


def field_error(f: Field, value) -> str | None:
    """Why ``value`` cannot be used for field ``f``, or None when it can."""
    try:
        if f.kind == "int":
            if isinstance(value, bool) or not float(value).is_integer():
                return f"{value} is not a whole number"
            return _range_error(value, f)
        if f.kind == "float":
            if not math.isfinite(float(value)):
                return f"{value} is not a finite number"
            return _range_error(value, f)
        if f.kind in ("pair", "range"):
            a, b = value
            if f.kind == "pair" and not (float(a).is_integer() and float(b).is_integer()):
                return f"{a}, {b} are not whole numbers"
            if f.kind == "range" and a > b:
                return f"{matrices.exact_number(a)} is above {matrices.exact_number(b)}"
            return _range_error(a, f) or _range_error(b, f)
        if f.kind == "choice":
            return None if value in f.choices else (
                f"'{value}' is not one of {', '.join(map(str, f.choices))}")
        if f.kind == "bool":
            return None if isinstance(value, bool) else f"'{value}' is not on or off"
        if f.kind == "matrix":
            matrices.parse_channels(matrices.compact(value), "The matrix", f.max_side,
                                    f.max_channels)
            return None
        matrices.parse_channels(matrices.compact([value]), "The kernel", f.max_side, 1)
    except matrices.MatrixError as err:
        return str(err)
    except (TypeError, ValueError, IndexError):
        return f"{value!r} does not have the form of this setting"
    return None


def normalized(spec: PageSpec, config: Mapping) -> dict:
    """``config``'s fields as the page holds them, e.g. after a trip through JSON.

    Pairs and ranges become tuples, whole numbers of int fields int; unknown names are dropped.
    """
    out = {}
    for name, value in config.items():
        f = spec.fields.get(name)
        if f is None:
            continue
        if f.kind in ("pair", "range") and isinstance(value, list):
            value = tuple(value)
        elif f.kind == "int" and isinstance(value, float) and value.is_integer():
            value = int(value)
        out[name] = value
    return out


def validate(spec: PageSpec, config: Mapping) -> dict[str, str]:
    """A message per field that cannot be used; under "" why valid fields do not fit together."""
    errors = {name: message for name, f in spec.fields.items()
              if (message := field_error(f, config.get(name, f.default)))}
    if not errors and spec.check is not None:
        try:
            spec.check(dict(config))
        except ValueError as err:
            errors[""] = str(err)
    return errors


def _encode_value(f: Field, value) -> str:
    """One value as a short string that decodes to the same value."""
    if f.kind == "pair":
        h, w = value
        return str(h) if h == w else f"{h},{w}"
    if f.kind == "range":
        return ",".join(matrices.exact_number(v) for v in value)
    if f.kind == "bool":
        return "1" if value else "0"
    if f.kind in ("matrix", "kernel"):
        return matrices.compact(value if f.kind == "matrix" else [value])
    if f.kind == "float":
        return matrices.exact_number(value)
    return str(value)


def encode(config: Mapping[str, object], fields: Mapping[str, Field]) -> dict[str, str]:
    """Query parameters for a configuration (every field, so a link never depends on defaults)."""
    return {name: _encode_value(f, config[name]) for name, f in fields.items() if name in config}


def _number(text: str, whole: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a number") from None
    if whole:
        if not value.is_integer():
            raise ValueError(f"'{text}' is not a whole number")
        return int(value)
    return value


def _decode_value(f: Field, text: str):
    """One value from its string, or ValueError with the reason."""
    if f.kind in ("int", "float"):
        value = _number(text, f.kind == "int")
    elif f.kind in ("pair", "range"):
        parts = text.split(",")
        if len(parts) not in (1, 2) or (f.kind == "range" and len(parts) != 2):
            raise ValueError(f"'{text}' is not {'one number or ' * (f.kind == 'pair')}a pair")
        values = [_number(p.strip(), f.kind == "pair") for p in parts]
        value = (values[0], values[-1])
    elif f.kind == "choice":
        value = next((c for c in f.choices if str(c) == text), None)
        if value is None:
            raise ValueError(f"'{text}' is not one of {', '.join(map(str, f.choices))}")
    elif f.kind == "bool":
        if text not in ("0", "1", "true", "false"):
            raise ValueError(f"'{text}' is not 0 or 1")
        value = text in ("1", "true")
    elif f.kind == "matrix":
        value = matrices.parse_channels(text, "the matrix", f.max_side, f.max_channels)
    else:
        value = matrices.parse_channels(text, "the kernel", f.max_side, 1)[0]
    if (message := field_error(f, value)) is not None:
        raise ValueError(message)
    return value


def decode(params: Mapping[str, str], fields: Mapping[str, Field], present_only: bool = False
           ) -> tuple[dict[str, object], list[str]]:
    """Configuration from query parameters: defaults where absent; messages for bad values.

    With ``present_only`` the result holds only the valid values the link actually carries.
    """
    config, messages = {}, []
    for name, f in fields.items():
        if not present_only:
            config[name] = f.default
        if name not in params:
            continue
        try:
            config[name] = _decode_value(f, str(params[name]))
        except ValueError as err:
            messages.append(f"Link setting '{name}' ignored ({err}); using the default.")
    return config, messages


def config_from_link(spec: PageSpec, params: Mapping[str, str], local: Mapping | None = None
                     ) -> tuple[dict, list[str]]:
    """A page's configuration from its link, and a message for each setting it cannot use.

    The link's preset (else the first one), then ``local`` (defaults that depend on the
    machine, such as the data sets it has), then the settings the link gives; when those do
    not fit together, the preset alone. Never raises.
    """
    given, messages = decode(params, spec.fields, present_only=True)
    first = next(iter(spec.presets), None)
    config = {**apply_preset(spec, given.get("preset", first)), **(local or {}), **given}
    try:
        problem = validate(spec, config).get("")
    except Exception as err:  # noqa: BLE001 - a link, whatever it holds, must not break a page
        problem = f"{type(err).__name__}: {err}"
    if problem:
        messages.append(f"The link's settings do not fit together ({problem}); showing the "
                        f"example instead.")
        config = apply_preset(spec, given.get("preset", first))
    return config, messages


def widget_key(prefix: str, name: str, part: str = "") -> str:
    """Session-state key of one widget of a page ('xc' + 'padding' + '_h' -> 'xc_padding_h')."""
    return f"{prefix}_{name}{part}"


# The widgets that show one field, by its kind: a pair is two numbers (height, width), a matrix
# its text plus channel, row and column counts; other fields are one widget (a kernel: the
# value its page's own editor starts from).
WIDGET_PARTS = {"pair": ("_h", "_w"), "matrix": ("", "_c", "_r", "_k")}


def widget_keys(spec: PageSpec) -> list[str]:
    """Session-state keys of every widget that shows the spec's fields."""
    return [widget_key(spec.prefix, name, part) for name, f in spec.fields.items()
            for part in WIDGET_PARTS.get(f.kind, ("",))]


def _widget_states(f: Field, value) -> tuple:
    """What the widgets of one field hold, in the order of its WIDGET_PARTS."""
    if f.kind == "pair":
        return tuple(value)
    if f.kind == "matrix":
        return matrices.format_channels(value), len(value), len(value[0]), len(value[0][0])
    return (tuple(value),) if f.kind == "range" else (value,)


def widget_values(spec: PageSpec, config: Mapping[str, object]) -> dict[str, object]:
    """Widget states that show ``config``: pairs as two numbers, matrices as text plus sizes."""
    return {widget_key(spec.prefix, name, part): state for name, f in spec.fields.items()
            for part, state in zip(WIDGET_PARTS.get(f.kind, ("",)),
                                   _widget_states(f, config[name]), strict=True)}
