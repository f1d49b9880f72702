import io

import pytest
from PIL import Image

from cnnviz.share import is_local_only, public_base_from_env, qr_png, shareable_url


def test_keeps_page_path_and_query():
    url = shareable_url("http://localhost:8501/cross-correlation", {"k": "3", "s": ["1", "2"]})
    assert url == "http://localhost:8501/cross-correlation?k=3&s=1&s=2"


def test_public_base_replaces_host():
    url = shareable_url("http://localhost:8501/pooling", {"size": "2"}, "http://10.1.2.3:8600")
    assert url == "http://10.1.2.3:8600/pooling?size=2"


def test_public_base_without_scheme_and_with_prefix():
    assert shareable_url("http://localhost:8501/lenet", {}, "lab.example.org/cnn") == \
        "http://lab.example.org/cnn/lenet"


def test_query_values_are_escaped():
    assert shareable_url("http://h/", {"q": "a b&c"}) == "http://h/?q=a+b%26c"


@pytest.mark.parametrize(("url", "local"), [
    ("http://localhost:8501/", True), ("http://127.0.0.1:8501/x", True),
    ("http://192.168.0.7:8501/", False), ("https://cnn.example.org/", False)])
def test_is_local_only(url, local):
    assert is_local_only(url) is local


def test_public_base_from_env(monkeypatch):
    monkeypatch.setenv("CNNVIZ_PUBLIC_URL", "  ")
    assert public_base_from_env() is None
    monkeypatch.setenv("CNNVIZ_PUBLIC_URL", "http://10.0.0.1:8501")
    assert public_base_from_env() == "http://10.0.0.1:8501"


def test_qr_png_is_a_square_black_and_white_image():
    image = Image.open(io.BytesIO(qr_png("http://10.0.0.1:8501/pooling?size=2")))
    assert image.format == "PNG"
    assert image.width == image.height >= 21 * 8
    colors = {c for _, c in image.convert("L").getcolors()}
    assert colors == {0, 255}
