"""Every CNNVIZ_* setting: one declaration per variable, parsed and checked in one place.

Add a setting with one ``Variable(...)`` entry in ``VARIABLES``: it becomes the field
``settings().<name without CNNVIZ_, lower case>``, is checked by :func:`load`, and (unless
internal) appears in README's Settings table, which ``python -m cnnviz.config --readme`` prints
and tests/test_config.py compares with README.md. Unset or blank means the default.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, make_dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]  # the checkout: app.py, pages/, cnnviz/
PREFIX = "CNNVIZ_"
DEVICE_CHOICES = ("auto", "cuda", "mps", "cpu")
LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"  # one dot-separated part of a host name
HOST_NAME = re.compile(rf"{LABEL}(\.{LABEL})*")


class ConfigError(ValueError):
    """A setting with a value it cannot take; the message is one line for people."""


@dataclass(frozen=True)
class Rule:
    """How a raw value becomes a setting (``parse`` raises ValueError) and what it may be."""

    parse: Callable[[str], object]
    allowed: str


def whole_number(low: int, high: int) -> Rule:
    """A whole number from ``low`` to ``high``."""
    def parse(raw: str) -> int:
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise ValueError(raw)
        return int(raw)
    return Rule(parse, f"a whole number from {low} to {high}")


def choice(*options: str) -> Rule:
    """One of ``options``, in any letter case."""
    def parse(raw: str) -> str:
        if raw.lower() not in options:
            raise ValueError(raw)
        return raw.lower()
    return Rule(parse, f"{', '.join(options[:-1])} or {options[-1]}")


def folder() -> Rule:
    """A folder path (``~`` is expanded); it need not exist yet."""
    return Rule(lambda raw: Path(raw).expanduser(), "a folder path")


def web_address() -> Rule:
    """An http(s) base address; a bare ``host:port`` means http."""
    def parse(raw: str) -> str:
        url = raw if "://" in raw else f"http://{raw}"
        parts = urlsplit(url)
        _ = parts.port  # ValueError for a port that is not a number from 0 to 65535
        if (parts.scheme not in ("http", "https") or not parts.hostname or parts.query
                or parts.fragment or any(c.isspace() for c in url)):
            raise ValueError(raw)
        return url
    return Rule(parse, "an http:// or https:// address such as http://192.168.1.20:8501")


def host() -> Rule:
    """An IP address or a host name, to listen on."""
    def parse(raw: str) -> str:
        try:
            ipaddress.ip_address(raw)
        except ValueError:
            if not HOST_NAME.fullmatch(raw):
                raise
        return raw
    return Rule(parse, "an IP address or host name such as 0.0.0.0 or 127.0.0.1")


def redis_address() -> Rule:
    """A Redis server's address: redis://, rediss:// or unix:// (redis-py's URL forms)."""
    def parse(raw: str) -> str:
        parts = urlsplit(raw)
        _ = parts.port  # ValueError for a port that is not a number
        if (parts.scheme not in ("redis", "rediss", "unix") or any(c.isspace() for c in raw)
                or not (parts.hostname or parts.scheme == "unix" and parts.path)):
            raise ValueError(raw)
        return raw
    return Rule(parse, "a redis://, rediss:// or unix:// address such as redis://10.0.0.5:6379/0")


def text() -> Rule:
    """Any text (internal settings that the launcher writes)."""
    return Rule(str, "any text")


def _cache_dir(environ: Mapping[str, str], name: str) -> Path:
    cache = environ.get("XDG_CACHE_HOME", "").strip() or "~/.cache"  # ~: this process's HOME
    return Path(cache).expanduser() / "cnnviz" / name


def _cache_data_dir(environ: Mapping[str, str]) -> Path:
    return _cache_dir(environ, "data")


def _cache_class_dir(environ: Mapping[str, str]) -> Path:
    return _cache_dir(environ, "classes")


@dataclass(frozen=True)
class Variable:
    """One CNNVIZ_* variable: its rule, its default and what README says about it.

    ``default`` is the value when unset, or a function of the environment that computes it.
    ``internal`` ones are set by cnnviz.serving for its own processes, never by people.
    """

    name: str
    rule: Rule
    default: object
    meaning: str
    default_text: str = ""
    internal: bool = False

    @property
    def field(self) -> str:
        """The attribute of Settings that holds it: CNNVIZ_TORCH_THREADS -> torch_threads."""
        return self.name.removeprefix(PREFIX).lower()

    def parse(self, raw: str | None, environ: Mapping[str, str]) -> object:
        """The value of ``raw`` (None or blank: the default); ConfigError when not allowed."""
        raw = (raw or "").strip()
        if not raw:
            return self.default(environ) if callable(self.default) else self.default
        try:
            return self.rule.parse(raw)
        except ValueError:
            shown = raw if len(raw) <= 60 else raw[:57] + "..."
            raise ConfigError(f"{self.name}={shown!r} is not allowed: use {self.rule.allowed} "
                              "(README: Settings)") from None


VARIABLES = (
    Variable("CNNVIZ_DEVICE", choice(*DEVICE_CHOICES), "auto", "the device torch computes on",
             "`auto`: CUDA, then Apple MPS, then CPU"),
    # One intra-op thread per server process: on a busy 2-core machine two threads collapse
    # 8-14x as soon as another process wants a core, while one thread keeps its speed.
    Variable("CNNVIZ_TORCH_THREADS", whole_number(1, 256), 1,
             "torch CPU threads per server process", "`1` (fast on a busy shared server)"),
    Variable("CNNVIZ_DATA_DIR", folder(), _cache_data_dir,
             "where Fashion-MNIST and MNIST live (torchvision layout)",
             "`~/.cache/cnnviz/data` (`$XDG_CACHE_HOME/cnnviz/data` when that is set)"),
    Variable("CNNVIZ_WORKERS", whole_number(1, 16), 1,
             "Streamlit processes behind one port (`python -m cnnviz.serve`, used by `make run` "
             "and the image); 2 or more for a lecture hall", "`1`"),
    # Two by default: a class's batched runs then use both cores of a 2-core server. Trainings
    # run at the lowest priority (SCHED_IDLE), on CPU time no page wants: 30 distinct trainers
    # with 120 other sessions kept the others' p95 at 0.30 s with two slots (0.31 s with one)
    # and finished in 143 s instead of 188 s.
    Variable("CNNVIZ_MAX_TRAININGS", whole_number(1, 32), 2,
             "LeNet training processes that run at once on one server, all workers together "
             "(each at the lowest CPU priority; a class's requests are batched into them); "
             "others queue", "`2`"),
    # 2 GB holds about ten 4096 x 4096 uploads with their results (128 MB each, as float32).
    Variable("CNNVIZ_UPLOAD_BUDGET_MB", whole_number(16, 1_048_576), 2048,
             "server memory in MB for the kernel lab's uploads and results of all sessions "
             "together, split equally between the worker processes; the least recently used "
             "are removed first",
             "`2048`"),
    Variable("CNNVIZ_PORT", whole_number(1, 65535), 8501,
             "the port `python -m cnnviz.serve` listens on (`--port` overrides it)", "`8501`"),
    Variable("CNNVIZ_ADDRESS", host(), None,
             "the address `python -m cnnviz.serve` listens on (`--address` overrides it)",
             "all interfaces (the image: `0.0.0.0`)"),
    Variable("CNNVIZ_PUBLIC_URL", web_address(), None,
             "base address students reach, for the sidebar's QR code",
             "the address in the lecturer's browser"),
    Variable("CNNVIZ_CLASS_STORE", choice("sqlite", "redis"), "sqlite",
             "where class mode keeps its classes (codes, the lecturer's page, questions, "
             "answers), shared by all workers: an SQLite file on this server, or a Redis server "
             "for several machines", "`sqlite`"),
    Variable("CNNVIZ_CLASS_DIR", folder(), _cache_class_dir,
             "the folder of class mode's SQLite file (`classes.sqlite3`); every worker of a "
             "server must see the same one", "`~/.cache/cnnviz/classes` "
             "(`$XDG_CACHE_HOME/cnnviz/classes` when that is set)"),
    Variable("CNNVIZ_REDIS_URL", redis_address(), "redis://127.0.0.1:6379/0",
             "the Redis server of class mode when `CNNVIZ_CLASS_STORE=redis`",
             "`redis://127.0.0.1:6379/0`"),
    # A lecture lasts 90 minutes; a code that outlives the day could be reused by strangers.
    Variable("CNNVIZ_CLASS_HOURS", whole_number(1, 24), 4,
             "how long a class code stays valid after the lecturer starts the class (hours)",
             "`4`"),
    Variable("CNNVIZ_TRAINING_DB", text(), None, "the launcher's SQLite file that holds the "
             "training queue of all its workers (cnnviz.jobs.training_queue)", internal=True),
    Variable("CNNVIZ_ZYGOTE_SOCKET", text(), None, "the zygote's Unix socket, set in the "
             "processes it forks: where their jobs ask for a training process", internal=True),
)
BY_NAME = {variable.name: variable for variable in VARIABLES}
# Other variables that a default reads (the data folder's); settings() watches them too.
DEFAULT_INPUTS = ("HOME", "XDG_CACHE_HOME")

Settings = make_dataclass("Settings", [(v.field, object) for v in VARIABLES], frozen=True)
Settings.__doc__ = "Every CNNVIZ_* setting of one environment, parsed (one field per Variable)."


def load(environ: Mapping[str, str] = os.environ) -> Settings:
    """Parse every setting in ``environ``; ConfigError for a bad value or unknown CNNVIZ_ name."""
    for name in sorted(environ):
        if name.startswith(PREFIX) and name not in BY_NAME:
            known = ", ".join(v.name for v in VARIABLES if not v.internal)
            raise ConfigError(f"{name} is not a cnnviz setting: use one of {known} "
                              "(README: Settings)")
    return Settings(**{v.field: v.parse(environ.get(v.name), environ) for v in VARIABLES})


@functools.lru_cache(maxsize=8)
def _load_snapshot(snapshot: tuple[tuple[str, str], ...]) -> Settings:
    return load(dict(snapshot))


def settings() -> Settings:
    """The settings of this process, parsed once per distinct environment; ConfigError if bad.

    The cache is keyed by the CNNVIZ_* variables (and DEFAULT_INPUTS), so a variable set later
    in this process (the zygote's socket, a test's monkeypatch) is seen on the next call.
    """
    return _load_snapshot(tuple(sorted(
        (k, v) for k, v in os.environ.items() if k.startswith(PREFIX) or k in DEFAULT_INPUTS)))


def reload() -> Settings:
    """Forget the parsed settings and parse os.environ again."""
    _load_snapshot.cache_clear()
    return settings()


def workers_hint(cores: int | None, workers: int) -> str | None:
    """Advice for the lecturer when a single Streamlit process runs on a multi-core server."""
    if workers > 1 or not cores or cores < 2:
        return None
    return (f"This server runs one Streamlit process, which uses one of its {cores} cores for "
            f"every page. For a whole class, start it with CNNVIZ_WORKERS={min(cores, 8)} "
            "(README: In the lecture hall).")


def readme_table() -> str:
    """README's Settings table, from the declarations (tests/test_config.py compares them)."""
    rows = ["| variable | meaning | allowed values | default |", "| --- | --- | --- | --- |"]
    rows += [f"| `{v.name}` | {v.meaning} | {v.rule.allowed} | {v.default_text} |"
             for v in VARIABLES if not v.internal]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """``python -m cnnviz.config``: check this environment (``--readme``: print the table)."""
    if (argv if argv is not None else sys.argv[1:]) == ["--readme"]:
        print(readme_table())
        return 0
    try:
        current = load()
    except ConfigError as err:
        print(f"cnnviz: {err}", file=sys.stderr)
        return 2
    for variable in VARIABLES:
        value = getattr(current, variable.field)
        print(f"{variable.name}={'(not set)' if value is None else value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
