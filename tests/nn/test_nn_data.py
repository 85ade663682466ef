"""Datasets, splits, batches, the bundled digits and MNIST's IDX format."""
import gzip
from pathlib import Path

import numpy as np
import pytest

from nn import data

MAKERS = [data.make_moons, data.make_circles, data.make_spirals, data.make_xor, data.make_blobs]


@pytest.mark.parametrize("make", MAKERS)
def test_generators_shapes_labels_and_seeds(make):
    X, y = make(120, noise=0.1, seed=0)
    assert X.shape == (120, 2) and X.dtype == np.float64
    assert y.shape == (120,) and y.dtype.kind == "i" and y.min() == 0
    X2, y2 = make(120, noise=0.1, seed=0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = make(120, noise=0.1, seed=1)
    assert not np.array_equal(X, X3)
    with pytest.raises(ValueError, match="noise must be non-negative"):
        make(120, noise=-1.0, seed=0)


def test_generator_geometry():
    X, y = data.make_circles(200, seed=0, factor=0.5)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.5)
    X, y = data.make_moons(100, seed=0)
    np.testing.assert_allclose(np.hypot(X[y == 0, 0], X[y == 0, 1]), 1.0)
    np.testing.assert_allclose(np.hypot(X[y == 1, 0] - 1, X[y == 1, 1] - 0.5), 1.0)
    X, y = data.make_xor(4, seed=0)
    assert sorted(zip(map(tuple, X.tolist()), y.tolist())) == [
        ((0.0, 0.0), 0), ((0.0, 1.0), 1), ((1.0, 0.0), 1), ((1.0, 1.0), 0)]
    X, y = data.make_spirals(300, seed=0, n_classes=3)
    assert np.bincount(y).tolist() == [100, 100, 100]
    X, y = data.make_blobs(300, noise=0.5, seed=0, centers=4)
    centres = np.array([X[y == c].mean(0) for c in range(4)])
    spread = np.array([X[y == c].std(0) for c in range(4)])
    assert np.all(np.abs(spread - 0.5) < 0.15)
    assert np.min(np.linalg.norm(centres[:, None] - centres[None], axis=-1)
                  + np.eye(4) * 99) > 1.0


def test_train_test_split_stratified():
    X, y = data.load_digits()
    Xtr, Xte, ytr, yte = data.train_test_split(X, y, 0.2, seed=0, stratify=True)
    assert len(Xte) == 360 and len(Xtr) == 1437
    assert len(Xtr) + len(Xte) == len(X)
    np.testing.assert_allclose(np.bincount(yte) / len(yte), np.bincount(y) / len(y), atol=0.006)
    rows = {tuple(r) + (l,) for r, l in zip(Xtr.tolist(), ytr)} | {
        tuple(r) + (l,) for r, l in zip(Xte.tolist(), yte)}
    assert len(rows) == len({tuple(r) + (l,) for r, l in zip(X.tolist(), y)})
    a = data.train_test_split(X, y, 0.2, seed=3)
    b = data.train_test_split(X, y, 0.2, seed=3)
    np.testing.assert_array_equal(a[1], b[1])
    with pytest.raises(ValueError, match="X has 1797 rows but y has 10"):
        data.train_test_split(X, y[:10])
    with pytest.raises(ValueError, match="test_size"):
        data.train_test_split(X, y, 1.5)


def test_batches_cover_data_once():
    X = np.arange(10.0)[:, None]
    y = np.arange(10)
    seen = [yb for _, yb in data.batches(X, y, 4, shuffle=True, rng=0)]
    assert [len(b) for b in seen] == [4, 4, 2]
    assert sorted(np.concatenate(seen).tolist()) == list(range(10))
    assert np.concatenate(seen).tolist() != list(range(10))


def test_load_digits_is_the_uci_data():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.min() == 0 and X.max() == 16 and np.all(X == np.round(X))
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert X[0].reshape(8, 8)[0].tolist() == [0, 0, 5, 13, 9, 1, 0, 0]   # first row, a zero
    assert y[:3].tolist() == [0, 1, 2]


def test_the_digits_state_their_source_and_licence():
    readme = (Path(data.__file__).parent / "data" / "README.md").read_text()
    for fact in ("archive.ics.uci.edu/dataset/80", "Alpaydin", "CC BY 4.0", "1797"):
        assert fact in readme or fact in data.__doc__, fact
    assert "CC BY 4.0" in data.load_digits.__doc__


def _write_idx(path, array, gz):
    codes = {np.dtype(np.uint8): 0x08}
    header = bytes([0, 0, codes[array.dtype], array.ndim])
    header += b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    opener = gzip.open if gz else open
    with opener(path, "wb") as f:
        f.write(header + array.tobytes())


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist_reads_idx_files(tmp_path, gz):
    rng = np.random.default_rng(0)
    parts = {"train": (rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
                       rng.integers(0, 10, 5, dtype=np.uint8)),
             "t10k": (rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
                      rng.integers(0, 10, 3, dtype=np.uint8))}
    suffix = ".gz" if gz else ""
    for split, (images, labels) in parts.items():
        _write_idx(tmp_path / f"{split}-images-idx3-ubyte{suffix}", images, gz)
        _write_idx(tmp_path / f"{split}-labels-idx1-ubyte{suffix}", labels, gz)
    (Xtr, ytr), (Xte, yte) = data.load_mnist(tmp_path)
    np.testing.assert_array_equal(Xtr, parts["train"][0])
    np.testing.assert_array_equal(ytr, parts["train"][1])
    np.testing.assert_array_equal(Xte, parts["t10k"][0])
    assert Xte.shape == (3, 28, 28) and yte.dtype == np.uint8


def test_load_mnist_errors(tmp_path):
    _write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((2, 28, 28), np.uint8), False)
    with pytest.raises(FileNotFoundError, match="train-labels-idx1-ubyte"):
        data.load_mnist(tmp_path)
    bad = tmp_path / "train-labels-idx1-ubyte"
    bad.write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x05\x01\x02")   # says 5 labels, holds 2
    with pytest.raises(ValueError, match="truncated"):
        data.read_idx(str(bad))
    (tmp_path / "junk").write_bytes(b"PK\x03\x04")
    with pytest.raises(ValueError, match="bad magic"):
        data.read_idx(str(tmp_path / "junk"))
    with pytest.raises(FileNotFoundError, match="not a folder"):
        data.load_mnist(tmp_path / "nowhere")
