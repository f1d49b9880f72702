"""Every picture the app accepts is read by cnnviz.imageio; images through ui/uploads.py."""

import re
from pathlib import Path

import pytest

from cnnviz.imageio import EXTENSIONS
from ui import uploads

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted([*ROOT.glob("ui/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py"])
UPLOADS = ROOT / "ui" / "uploads.py"
DECODING = re.compile(r"\bPIL\b|\btifffile\b|\bmrcfile\b|\brsciio\b|\bimagecodecs\b|"
                      r"Image\.open|imread|cnnviz\.formats")
UPLOADER = re.compile(r"file_uploader\((?P<args>[^)]*)\)", re.DOTALL)
IMAGE_KINDS = {e.lstrip(".") for e in EXTENSIONS}


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", SCRIPTS, ids=relative)
def test_no_page_or_page_helper_decodes_images_itself(path):
    found = [m.group(0) for m in DECODING.finditer(path.read_text())]
    assert not found, f"{relative(path)} decodes images itself ({found}): use cnnviz.imageio"


@pytest.mark.parametrize("path", [p for p in SCRIPTS if p != UPLOADS], ids=relative)
def test_images_are_picked_and_decoded_in_one_place(path):
    """Only ui/uploads.py calls load_image; other pickers take no image files, except the
    spectrum image's, which cnnviz.imageio.load_spectrum_image reads."""
    text = path.read_text()
    assert "load_image(" not in text, f"{relative(path)}: decode with ui.uploads.decode"
    for call in UPLOADER.finditer(text):
        kinds = set(re.findall(r"[\"'](\w+)[\"']", call.group("args")))
        if kinds & IMAGE_KINDS:
            assert "load_spectrum_image(" in text, f"{relative(path)}: pick with ui.uploads"


def test_the_picker_offers_every_format_the_loader_reads():
    assert set(uploads.UPLOAD_TYPES) == IMAGE_KINDS
    assert "load_image(" in UPLOADS.read_text()
