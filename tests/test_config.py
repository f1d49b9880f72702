"""The CNNVIZ_* settings: every parser, one-line errors, README's table, start-up on bad values."""

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz import config

ROOT = Path(__file__).resolve().parents[1]
HOME = "/home/student"


@pytest.fixture(autouse=True)
def student_home(monkeypatch):
    monkeypatch.setenv("HOME", HOME)  # ~ in paths expands with the process's HOME


def readme_settings_rows() -> list[str]:
    """The table under README's "## Settings" heading, one string per line."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Settings", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("|")]


def test_readme_names_exactly_the_declared_public_variables():
    in_readme = {re.match(r"\| `(CNNVIZ_\w+)`", row).group(1)
                 for row in readme_settings_rows()[2:]}
    declared = {v.name for v in config.VARIABLES if not v.internal}
    assert in_readme == declared


def test_readme_table_is_the_generated_one():
    # On failure: python -m cnnviz.config --readme prints the table to paste into README.md.
    assert readme_settings_rows() == config.readme_table().splitlines()


@pytest.mark.parametrize("variable", [v for v in config.VARIABLES if not v.internal],
                         ids=lambda v: v.name)
def test_documented_default_is_the_default(variable):
    # The default column opens with the value written as a user would set it, where it has one.
    written = re.match(r"`([^`$]+)`", variable.default_text)
    unset = getattr(config.load({}), variable.field)
    if written is None:
        assert unset is None
    else:
        assert variable.parse(written.group(1), {}) == unset


def test_unset_gives_every_default():
    settings = config.load({})
    assert (settings.device, settings.torch_threads, settings.workers,
            settings.max_trainings) == ("auto", 1, 1, 2)
    assert settings.data_dir == Path("/home/student/.cache/cnnviz/data")
    assert (settings.port, settings.address) == (8501, None)
    assert settings.public_url is settings.training_db is settings.zygote_socket is None
    assert config.load({"XDG_CACHE_HOME": "/tmp/c"}).data_dir == Path("/tmp/c/cnnviz/data")


@pytest.mark.parametrize(("name", "raw", "value"), [
    ("CNNVIZ_DEVICE", "cuda", "cuda"), ("CNNVIZ_DEVICE", " CPU ", "cpu"),
    ("CNNVIZ_DEVICE", "", "auto"), ("CNNVIZ_TORCH_THREADS", "4", 4),
    ("CNNVIZ_TORCH_THREADS", "256", 256), ("CNNVIZ_DATA_DIR", "/data/em", Path("/data/em")),
    ("CNNVIZ_DATA_DIR", "~/em", Path("/home/student/em")), ("CNNVIZ_WORKERS", " 3 ", 3),
    ("CNNVIZ_WORKERS", "16", 16), ("CNNVIZ_WORKERS", "  ", 1), ("CNNVIZ_MAX_TRAININGS", "2", 2),
    ("CNNVIZ_PORT", "8600", 8600), ("CNNVIZ_ADDRESS", "0.0.0.0", "0.0.0.0"),
    ("CNNVIZ_ADDRESS", "::1", "::1"),
    ("CNNVIZ_ADDRESS", "lab-pc.example.org", "lab-pc.example.org"),
    ("CNNVIZ_PUBLIC_URL", "http://192.168.1.20:8501", "http://192.168.1.20:8501"),
    ("CNNVIZ_PUBLIC_URL", "10.0.0.1:8501", "http://10.0.0.1:8501"),
    ("CNNVIZ_PUBLIC_URL", "https://cnn.example.org/course", "https://cnn.example.org/course"),
    ("CNNVIZ_TRAINING_DB", "/tmp/queue.sqlite", "/tmp/queue.sqlite"),
    ("CNNVIZ_ZYGOTE_SOCKET", "/tmp/z.sock", "/tmp/z.sock")])
def test_good_values(name, raw, value):
    field = config.BY_NAME[name].field
    assert getattr(config.load({name: raw}), field) == value


@pytest.mark.parametrize(("name", "raw", "allowed"), [
    ("CNNVIZ_DEVICE", "tpu", "auto, cuda, mps or cpu"),
    ("CNNVIZ_TORCH_THREADS", "0", "a whole number from 1 to 256"),
    ("CNNVIZ_TORCH_THREADS", "-2", "a whole number from 1 to 256"),
    ("CNNVIZ_WORKERS", "two", "a whole number from 1 to 16"),
    ("CNNVIZ_WORKERS", "17", "a whole number from 1 to 16"),
    ("CNNVIZ_WORKERS", "1.5", "a whole number from 1 to 16"),
    ("CNNVIZ_MAX_TRAININGS", "two", "a whole number from 1 to 32"),
    ("CNNVIZ_MAX_TRAININGS", "0", "a whole number from 1 to 32"),
    ("CNNVIZ_PORT", "65536", "a whole number from 1 to 65535"),
    ("CNNVIZ_PORT", "http", "a whole number from 1 to 65535"),
    ("CNNVIZ_ADDRESS", "http://0.0.0.0", "an IP address or host name"),
    ("CNNVIZ_ADDRESS", "-bad-.org", "an IP address or host name"),
    ("CNNVIZ_PUBLIC_URL", "ftp://10.0.0.1", "an http:// or https:// address"),
    ("CNNVIZ_PUBLIC_URL", "http://10.0.0.1:port", "an http:// or https:// address"),
    ("CNNVIZ_PUBLIC_URL", "http://my host:8501", "an http:// or https:// address"),
    ("CNNVIZ_PUBLIC_URL", "http://:8501", "an http:// or https:// address"),
    ("CNNVIZ_PUBLIC_URL", "http://h/?page=2", "an http:// or https:// address")])
def test_bad_values_are_one_line_naming_variable_value_and_allowed(name, raw, allowed):
    with pytest.raises(config.ConfigError) as caught:
        config.load({name: raw})
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{name}={raw!r} is not allowed: use {allowed}")


def test_a_multi_line_or_long_value_still_gives_one_line():
    with pytest.raises(config.ConfigError) as caught:
        config.load({"CNNVIZ_WORKERS": "2\n3" + "x" * 200})
    assert "\n" not in str(caught.value)
    assert len(str(caught.value)) < 200


def test_a_misspelt_variable_is_an_error_listing_the_real_ones():
    with pytest.raises(config.ConfigError, match=r"CNNVIZ_WORKER is not a cnnviz setting: use "
                       r"one of CNNVIZ_DEVICE, .*CNNVIZ_WORKERS"):
        config.load({"CNNVIZ_WORKER": "2"})


def test_settings_follow_the_environment_and_reload(monkeypatch):
    monkeypatch.setenv("CNNVIZ_WORKERS", "3")
    assert config.settings().workers == 3
    assert config.settings() is config.settings()  # parsed once per environment
    monkeypatch.setenv("CNNVIZ_WORKERS", "4")
    assert config.settings().workers == 4
    assert config.reload().workers == 4
    monkeypatch.setenv("CNNVIZ_WORKERS", "many")
    with pytest.raises(config.ConfigError, match="CNNVIZ_WORKERS='many'"):
        config.settings()


def test_settings_are_frozen():
    with pytest.raises(AttributeError):
        config.load({}).workers = 2


@pytest.mark.parametrize(("workers", "cores", "advice"), [
    (1, 2, "CNNVIZ_WORKERS=2"), (1, 32, "CNNVIZ_WORKERS=8"), (1, 4, "CNNVIZ_WORKERS=4"),
    (2, 2, None), (1, 1, None), (1, None, None)])
def test_lecturers_hear_about_workers_on_a_multicore_server(workers, cores, advice):
    hint = config.workers_hint(cores, workers)
    if advice is None:
        assert hint is None
    else:
        assert advice in hint
        assert f"one of its {cores} cores" in hint


def test_command_checks_the_environment(monkeypatch, capsys):
    monkeypatch.setenv("CNNVIZ_DEVICE", "cpu")
    assert config.main([]) == 0
    assert "CNNVIZ_DEVICE=cpu" in capsys.readouterr().out
    monkeypatch.setenv("CNNVIZ_DEVICE", "gpu")
    assert config.main([]) == 2
    assert capsys.readouterr().err.startswith("cnnviz: CNNVIZ_DEVICE='gpu' is not allowed")
    assert config.main(["--readme"]) == 0
    assert capsys.readouterr().out.strip() == config.readme_table()


def test_the_app_started_with_a_bad_setting_says_so_instead_of_a_traceback(monkeypatch):
    monkeypatch.setenv("CNNVIZ_MAX_TRAININGS", "two")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert len(at.error) == 1
    assert "CNNVIZ_MAX_TRAININGS='two' is not allowed" in at.error[0].value
    assert "a whole number from 1 to 32" in at.error[0].value
    assert not at.get("plotly_chart")  # the page itself did not run
