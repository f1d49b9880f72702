"""Peak resident memory of one load_image call, measured in a fresh Python process.

The peak is VmHWM from /proc/self/status, which starts afresh with the new program: a child's
ru_maxrss would also count the parent's memory at fork time (Linux keeps it across exec).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def memory_kb(field: str = "VmHWM") -> int:
    """VmHWM (peak) or VmRSS (now) of this process in KB; ru_maxrss where /proc is missing."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


_CHILD = """
import json, sys
sys.path.insert(0, "tests")
import mrcfile, numpy, PIL.Image, tifffile, imagecodecs  # decoders imported before the baseline
from memprobe import memory_kb
from cnnviz.imageio import ImageLoadError, load_image
data = open(sys.argv[1], "rb").read()
before = memory_kb()
try:
    image = load_image(data, sys.argv[2])
    outcome, nbytes = "loaded", image.array.nbytes
except ImageLoadError as err:
    outcome, nbytes = "refused: " + str(err), 0
print(json.dumps({"baseline_kb": before, "peak_kb": memory_kb(), "outcome": outcome,
                  "array_bytes": nbytes}))
"""


def peak_memory(path: Path, name: str) -> dict:
    """Run load_image on the file at ``path`` (uploaded as ``name``) in a new interpreter."""
    done = subprocess.run([sys.executable, "-c", _CHILD, str(path), name], capture_output=True,
                          text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])
