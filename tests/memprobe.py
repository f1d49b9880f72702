"""Peak resident memory of one load_image call, measured in a fresh Python process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_CHILD = """
import json, resource, sys
import mrcfile, numpy, PIL.Image, tifffile, imagecodecs  # decoders imported before the baseline
from cnnviz.imageio import ImageLoadError, load_image
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    image = load_image(data, sys.argv[2])
    outcome, nbytes = "loaded", image.array.nbytes
except ImageLoadError as err:
    outcome, nbytes = "refused: " + str(err), 0
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"baseline_kb": before, "peak_kb": after, "outcome": outcome,
                  "array_bytes": nbytes}))
"""


def peak_memory(path: Path, name: str) -> dict:
    """Run load_image on the file at ``path`` (uploaded as ``name``) in a new interpreter."""
    done = subprocess.run([sys.executable, "-c", _CHILD, str(path), name], capture_output=True,
                          text=True, check=True, cwd=Path(__file__).resolve().parents[1])
    return json.loads(done.stdout.strip().splitlines()[-1])
