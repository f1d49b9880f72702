"""Fashion-MNIST and MNIST from a data directory (download with progress), preloaded as tensors."""

from __future__ import annotations

import gzip
import struct
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError

import torch
import torchvision
from torchvision.datasets.utils import check_integrity

from cnnviz import config

FASHION_CLASSES = ("t-shirt", "trouser", "pullover", "dress", "coat",
                   "sandal", "shirt", "sneaker", "bag", "ankle boot")
DIGIT_CLASSES = tuple(str(d) for d in range(10))


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset the app knows: its torchvision class, folder and class names."""

    key: str
    title: str
    classes: tuple[str, ...]
    torchvision_class: type | None  # None: generated offline by cnnviz.lenet.shapes

    @property
    def folder(self) -> str:
        """Folder under the data directory (torchvision's class name)."""
        return self.torchvision_class.__name__ if self.torchvision_class else ""


DATASETS = {
    "fashion": DatasetSpec("fashion", "Fashion-MNIST", FASHION_CLASSES,
                           torchvision.datasets.FashionMNIST),
    "mnist": DatasetSpec("mnist", "MNIST digits", DIGIT_CLASSES, torchvision.datasets.MNIST),
}


@dataclass(frozen=True)
class ImageSet:
    """One split preloaded once: uint8 images (N, 28, 28), int64 labels (N,). Never mutated."""

    name: str
    split: str  # "train" or "test"
    images: torch.Tensor  # (N, 28, 28) uint8, bright object on a dark background
    labels: torch.Tensor  # (N,) int64
    classes: tuple[str, ...]
    source: str  # where it came from, for people

    def __len__(self) -> int:
        """Number of images."""
        return self.labels.numel()

    def float_images(self) -> torch.Tensor:
        """A new (N, 1, 28, 28) float tensor in [0, 1], like torchvision's ToTensor."""
        return as_batch(self.images)


def as_batch(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 28, 28) to float (N, 1, 28, 28) in [0, 1], like ToTensor."""
    return images.unsqueeze(1).float().div_(255)


class DataUnavailable(RuntimeError):
    """The dataset is not on disk and could not be downloaded."""


def data_dir() -> Path:
    """$CNNVIZ_DATA_DIR, else the user's cache directory (~/.cache/cnnviz/data)."""
    return config.settings().data_dir


def raw_folder(spec: DatasetSpec, root: Path) -> Path:
    """Where torchvision keeps the raw IDX files: <root>/<Class>/raw."""
    return Path(root) / spec.folder / "raw"


def is_available(spec: DatasetSpec, root: Path) -> bool:
    """Whether all four uncompressed IDX files are on disk (what torchvision checks)."""
    raw = raw_folder(spec, root)
    return all(check_integrity(str(raw / Path(name).stem))
               for name, _ in spec.torchvision_class.resources)


def load_split(spec: DatasetSpec, root: Path, train: bool) -> ImageSet:
    """Read one split through torchvision (no download) into tensors, once."""
    if not is_available(spec, root):
        raise DataUnavailable(f"{spec.title} is not in {root}. Download it first, or use the "
                              "shapes data set that works without internet.")
    try:
        ds = spec.torchvision_class(root=str(root), train=train, download=False)
    except (RuntimeError, ValueError, OSError) as exc:
        raise DataUnavailable(f"{spec.title} in {root} could not be read: {exc}") from None
    images = ds.data.to(torch.uint8).contiguous()  # (N, 28, 28)
    labels = ds.targets.to(torch.int64).contiguous()  # (N,)
    return ImageSet(spec.key, "train" if train else "test", images, labels, spec.classes,
                    f"{spec.title} from {root}")


def download(spec: DatasetSpec, root: Path, timeout: float = 10.0) -> Iterator[tuple[str, float]]:
    """Download and unpack the IDX files, yielding (file name, fraction done) as bytes arrive."""
    raw = raw_folder(spec, root)
    raw.mkdir(parents=True, exist_ok=True)
    resources = spec.torchvision_class.resources
    for index, (filename, md5) in enumerate(resources):
        target = raw / filename
        if not check_integrity(str(raw / Path(filename).stem)):
            errors = []
            for mirror in spec.torchvision_class.mirrors:
                try:
                    for part in _fetch(f"{mirror}{filename}", target, timeout):
                        yield filename, (index + part) / len(resources)
                    break
                except (URLError, OSError, TimeoutError) as exc:
                    errors.append(f"{mirror}: {exc}")
            else:
                raise DataUnavailable(
                    f"Could not download {spec.title} (no internet connection?). "
                    f"Tried {'; '.join(errors)}. Training can use the shapes data set instead.")
            if not check_integrity(str(target), md5):
                target.unlink(missing_ok=True)
                raise DataUnavailable(f"{filename} arrived damaged (checksum differs); try again.")
            with gzip.open(target, "rb") as src:
                (raw / target.stem).write_bytes(src.read())
        yield filename, (index + 1) / len(resources)


def _fetch(url: str, target: Path, timeout: float) -> Iterator[float]:
    """Stream ``url`` into ``target``, yielding the fraction received (0 when size is unknown)."""
    request = urllib.request.Request(url, headers={"User-Agent": "cnnviz"})
    partial = target.with_suffix(target.suffix + ".part")
    with urllib.request.urlopen(request, timeout=timeout) as response, open(partial, "wb") as out:
        total = int(response.headers.get("Content-Length") or 0)
        received = 0
        while chunk := response.read(1 << 16):
            out.write(chunk)
            received += len(chunk)
            yield received / total if total else 0.0
    partial.replace(target)


def write_idx(spec: DatasetSpec, root: Path, train: bool, images: torch.Tensor,
              labels: torch.Tensor) -> None:
    """Write uint8 images (N, 28, 28) and labels (N,) as raw IDX files torchvision reads."""
    raw = raw_folder(spec, root)
    raw.mkdir(parents=True, exist_ok=True)
    prefix = "train" if train else "t10k"
    n, h, w = images.shape
    (raw / f"{prefix}-images-idx3-ubyte").write_bytes(
        struct.pack(">IIII", 2051, n, h, w) + images.to(torch.uint8).numpy().tobytes())
    (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(
        struct.pack(">II", 2049, n) + labels.to(torch.uint8).numpy().tobytes())
