"""Every picture the app accepts is read by cnnviz.imageio.load_image, through ui/uploads.py."""

import re
from pathlib import Path

import pytest

from cnnviz.imageio import EXTENSIONS
from ui import uploads

ROOT = Path(__file__).resolve().parents[1]
# Every page script and page helper except ui/uploads.py, the one that calls the loader.
SCRIPTS = sorted(p for p in [*ROOT.glob("ui/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py"]
                 if p != ROOT / "ui" / "uploads.py")
DECODING = re.compile(r"\bPIL\b|\btifffile\b|\bmrcfile\b|\bimageio\.v\d|Image\.open|imread|"
                      r"\bload_image\b|cnnviz\.formats")
UPLOADER = re.compile(r"file_uploader\((?P<args>[^)]*)\)", re.DOTALL)


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", SCRIPTS, ids=relative)
def test_no_page_or_page_helper_decodes_images_itself(path):
    found = [m.group(0) for m in DECODING.finditer(path.read_text())]
    assert not found, f"{relative(path)} decodes images itself ({found}): use ui.uploads"


@pytest.mark.parametrize("path", SCRIPTS, ids=relative)
def test_other_file_pickers_take_no_image_files(path):
    """Pickers outside ui/uploads.py (e.g. LeNet's weights) accept no extension of an image."""
    images = {e.lstrip(".") for e in EXTENSIONS}
    for call in UPLOADER.finditer(path.read_text()):
        kinds = set(re.findall(r"[\"'](\w+)[\"']", call.group("args")))
        assert not kinds & images, f"{relative(path)}: an image picker outside ui.uploads"


def test_the_picker_offers_every_format_the_loader_reads():
    assert sorted(uploads.UPLOAD_TYPES) == sorted({e.lstrip(".") for e in EXTENSIONS})
    assert "load_image" in Path(uploads.__file__).read_text()
