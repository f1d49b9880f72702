"""Data sets: torchvision IDX files in a data directory, download with progress, offline shapes."""

import functools
import gzip
import hashlib
import http.server
import threading

import numpy as np
import pytest
import torch
import torchvision

from cnnviz.lenet import data, shapes
from tests.tiny_idx import TEST_SIZE, TRAIN_SIZE, tiny_images, write_split, write_tiny_datasets


def test_data_dir_from_environment_and_default(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(tmp_path))
    assert data.data_dir() == tmp_path
    monkeypatch.delenv("CNNVIZ_DATA_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert data.data_dir() == tmp_path / "cache" / "cnnviz" / "data"


@pytest.mark.parametrize("key", ["fashion", "mnist"])
def test_load_split_reads_the_idx_files_through_torchvision(tmp_path, key):
    write_tiny_datasets(tmp_path)
    spec = data.DATASETS[key]
    assert data.is_available(spec, tmp_path)
    train = data.load_split(spec, tmp_path, train=True)
    test = data.load_split(spec, tmp_path, train=False)
    assert train.images.shape == (TRAIN_SIZE, 28, 28)
    assert train.images.dtype == torch.uint8
    assert len(test) == TEST_SIZE
    assert test.labels.dtype == torch.int64
    seed = 10 if key == "fashion" else 11
    images, labels = tiny_images(TRAIN_SIZE, seed)
    assert np.array_equal(train.images.numpy(), images)
    assert np.array_equal(train.labels.numpy(), labels)
    assert train.classes == spec.classes
    assert len(spec.classes) == 10
    floats = train.float_images()
    assert floats.shape == (TRAIN_SIZE, 1, 28, 28)
    assert torch.equal(floats[0, 0], torchvision.transforms.functional.to_tensor(images[0])[0])


def test_write_idx_round_trips_through_torchvision(tmp_path):
    images, labels = shapes.make_shapes(30, seed=5)
    spec = data.DATASETS["mnist"]
    data.write_idx(spec, tmp_path, True, images, labels)
    data.write_idx(spec, tmp_path, False, images[:10], labels[:10])
    ds = torchvision.datasets.MNIST(str(tmp_path), train=True, download=False)
    assert torch.equal(ds.data, images)
    assert torch.equal(ds.targets, labels)


def test_missing_data_set_says_what_to_do(tmp_path):
    spec = data.DATASETS["fashion"]
    assert not data.is_available(spec, tmp_path)
    with pytest.raises(data.DataUnavailable, match="Download it first, or use the shapes"):
        data.load_split(spec, tmp_path, train=True)


def fake_spec(mirrors, resources):
    """A data set like FashionMNIST whose files come from the given mirrors."""
    cls = type("TinyFashion", (torchvision.datasets.FashionMNIST,),
               {"mirrors": mirrors, "resources": resources})
    return data.DatasetSpec("tiny", "Tiny Fashion", data.FASHION_CLASSES, cls)


@pytest.fixture
def served_gz_files(tmp_path):
    """A local HTTP server holding gzipped tiny IDX files; yields (url, resources)."""
    site = tmp_path / "site"
    site.mkdir()
    write_split(site, "train", *tiny_images(TRAIN_SIZE, 1))
    write_split(site, "t10k", *tiny_images(TEST_SIZE, 2))
    resources = []
    for raw in sorted(site.iterdir()):
        packed = gzip.compress(raw.read_bytes())
        (site / f"{raw.name}.gz").write_bytes(packed)
        resources.append((f"{raw.name}.gz", hashlib.md5(packed).hexdigest()))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", resources
    server.shutdown()
    server.server_close()


@pytest.mark.slow
def test_download_reports_progress_and_unpacks(tmp_path, served_gz_files):
    url, resources = served_gz_files
    spec = fake_spec(["http://127.0.0.1:9/nothing-here/", url], resources)  # first mirror fails
    root = tmp_path / "data"
    steps = list(data.download(spec, root))
    fractions = [f for _, f in steps]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0
    assert {name for name, _ in steps} == {name for name, _ in resources}
    assert data.is_available(spec, root)
    train = data.load_split(spec, root, train=True)
    assert np.array_equal(train.images.numpy(), tiny_images(TRAIN_SIZE, 1)[0])
    assert list(data.download(spec, root))[-1][1] == 1.0  # already there: nothing fetched


def test_download_without_internet_explains_and_suggests_shapes(tmp_path):
    spec = fake_spec(["http://127.0.0.1:9/"], [("train-images-idx3-ubyte.gz", "0" * 32)])
    with pytest.raises(data.DataUnavailable, match="no internet connection.*shapes"):
        list(data.download(spec, tmp_path, timeout=2))


@pytest.mark.slow
def test_damaged_download_is_rejected(tmp_path, served_gz_files):
    url, resources = served_gz_files
    spec = fake_spec([url], [(name, "0" * 32) for name, _ in resources])
    with pytest.raises(data.DataUnavailable, match="damaged"):
        list(data.download(spec, tmp_path))
    assert not list((tmp_path / "TinyFashion" / "raw").glob("*.gz"))


def test_shapes_are_deterministic_balanced_and_distinct():
    a_images, a_labels = shapes.make_shapes(200, seed=4)
    b_images, b_labels = shapes.make_shapes(200, seed=4)
    assert torch.equal(a_images, b_images)
    assert torch.equal(a_labels, b_labels)
    assert a_images.shape == (200, 28, 28)
    assert a_images.dtype == torch.uint8
    assert torch.bincount(a_labels).tolist() == [20] * 10
    means = torch.stack([a_images[a_labels == c].float().mean(0) for c in range(10)])
    distances = torch.cdist(means.flatten(1), means.flatten(1))
    assert distances[~torch.eye(10, dtype=torch.bool)].min() > 100  # every class looks different
    assert not torch.equal(shapes.make_shapes(20, seed=5)[0], a_images[:20])


def test_shapes_splits_differ_and_carry_class_names():
    train, test = shapes.shapes_split(True, n=50), shapes.shapes_split(False, n=50)
    assert train.classes == test.classes == shapes.SHAPE_CLASSES
    assert not torch.equal(train.images, test.images)
    assert "offline" in train.source


def test_data_sets_are_bright_objects_on_dark_background():
    images, _ = shapes.make_shapes(50, seed=0)
    assert images[:, 0, :].float().mean() < 30
    assert images.float().amax(dim=(1, 2)).min() > 150
