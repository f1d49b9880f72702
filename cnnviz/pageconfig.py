"""A page's configuration to and from URL query parameters, so a shared link reopens it exactly.

Pages describe their settings as a dict of ``Field``s. ``decode`` never raises: a bad value falls
back to the field's default and adds a message saying what was ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cnnviz.teach import matrices


@dataclass(frozen=True)
class Field:
    """One setting: its kind, default and limits."""

    kind: str  # "int", "pair", "choice", "bool" or "matrix" (channels of a matrix)
    default: object
    low: int = 0  # int and pair: smallest allowed value
    high: int = 32  # int and pair: largest allowed value
    choices: tuple[str, ...] = ()  # choice: the allowed values
    max_side: int = matrices.MAX_SIDE  # matrix: largest height or width


def _encode_value(field: Field, value) -> str:
    """One value as a short string."""
    if field.kind == "pair":
        h, w = value
        return str(h) if h == w else f"{h},{w}"
    if field.kind == "bool":
        return "1" if value else "0"
    if field.kind == "matrix":
        return matrices.compact(value)
    return str(value)


def encode(config: Mapping[str, object], fields: Mapping[str, Field]) -> dict[str, str]:
    """Query parameters for a configuration (every field, so a link never depends on defaults)."""
    return {name: _encode_value(field, config[name]) for name, field in fields.items()
            if name in config}


def _whole(text: str, name: str, field: Field) -> int:
    """A whole number within the field's limits."""
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a whole number") from None
    if not field.low <= value <= field.high:
        raise ValueError(f"{value} is outside {field.low}..{field.high}")
    return value


def _decode_value(field: Field, name: str, text: str):
    """One value from its string, or ValueError with the reason."""
    if field.kind == "int":
        return _whole(text, name, field)
    if field.kind == "pair":
        parts = text.split(",")
        if len(parts) not in (1, 2):
            raise ValueError(f"'{text}' is neither one number nor a pair")
        values = [_whole(p.strip(), name, field) for p in parts]
        return (values[0], values[-1])
    if field.kind == "choice":
        if text not in field.choices:
            raise ValueError(f"'{text}' is not one of {', '.join(field.choices)}")
        return text
    if field.kind == "bool":
        if text not in ("0", "1", "true", "false"):
            raise ValueError(f"'{text}' is not 0 or 1")
        return text in ("1", "true")
    if field.kind == "matrix":
        return matrices.parse_channels(text, name, field.max_side)
    raise ValueError(f"unknown field kind {field.kind!r}")


def decode(params: Mapping[str, str], fields: Mapping[str, Field], present_only: bool = False
           ) -> tuple[dict[str, object], list[str]]:
    """Configuration from query parameters: defaults where absent; messages for bad values.

    With ``present_only`` the result holds only the valid values the link actually carries.
    """
    config, messages = {}, []
    for name, field in fields.items():
        if not present_only:
            config[name] = field.default
        if name not in params:
            continue
        try:
            config[name] = _decode_value(field, name, str(params[name]))
        except ValueError as err:
            messages.append(f"Link setting '{name}' ignored ({err}); using the default.")
    return config, messages


def widget_key(prefix: str, name: str, part: str = "") -> str:
    """Session-state key of one widget of a page ('xc' + 'padding' + '_h' -> 'xc_padding_h')."""
    return f"{prefix}_{name}{part}"


# The widgets that show one field, by its kind: a pair is two numbers (height, width), a matrix
# its text plus channel, row and column counts; other fields are one widget.
WIDGET_PARTS = {"pair": ("_h", "_w"), "matrix": ("", "_c", "_r", "_k")}


def widget_keys(prefix: str, fields: Mapping[str, Field]) -> list[str]:
    """Session-state keys of every widget that shows ``fields`` on a page."""
    return [widget_key(prefix, name, part) for name, field in fields.items()
            for part in WIDGET_PARTS.get(field.kind, ("",))]


def _widget_states(field: Field, value) -> tuple:
    """What the widgets of one field hold, in the order of its WIDGET_PARTS."""
    if field.kind == "pair":
        return tuple(value)
    if field.kind == "matrix":
        return matrices.format_channels(value), len(value), len(value[0]), len(value[0][0])
    return (value,)


def widget_values(prefix: str, fields: Mapping[str, Field], config: Mapping[str, object]
                  ) -> dict[str, object]:
    """Widget states that show ``config``: pairs as two numbers, matrices as text plus sizes."""
    return {widget_key(prefix, name, part): state for name, field in fields.items()
            for part, state in zip(WIDGET_PARTS.get(field.kind, ("",)),
                                   _widget_states(field, config[name]), strict=True)}


def preset_config(fields: Mapping[str, Field], presets: Mapping, name: str) -> dict:
    """The fields' defaults overlaid with preset ``name``'s settings (defaults if unknown)."""
    base = {n: f.default for n, f in fields.items()}
    return {**base, **presets[name].settings, "preset": name} if name in presets else base


def config_from_link(params: Mapping[str, str], fields: Mapping[str, Field],
                     presets: Mapping) -> tuple[dict, list[str]]:
    """A page's configuration from its link, and a message for each setting it cannot use.

    The link's preset (else the first one), overlaid with the settings the link gives.
    """
    given, messages = decode(params, fields, present_only=True)
    config = {**preset_config(fields, presets, given.get("preset", next(iter(presets)))),
              **given}
    return config, messages
