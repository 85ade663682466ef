"""Datasets, splits and mini-batches, numpy only.

Toy problems (`make_moons`, `make_circles`, `make_spirals`, `make_xor`, `make_blobs`) return
`(X, y)` with float64 features and integer labels from 0. `load_digits()` returns the real
8x8 handwritten digits shipped with this package; `load_mnist(path)` reads MNIST's IDX files;
`load_shakespeare()` returns the bundled text for character-level language models.

The digits are the test part of "Optical Recognition of Handwritten Digits" from the UCI
Machine Learning Repository (E. Alpaydin and C. Kaynak, 1998;
https://archive.ics.uci.edu/dataset/80), licensed under Creative Commons Attribution 4.0
(CC BY 4.0). The copy in nn/data/digits.npz was converted from the digits.csv.gz that
scikit-learn distributes; see nn/data/README.md.
"""
from __future__ import annotations

import gzip
import os
import zlib
from typing import Any, Iterator, Optional, Tuple, Union

import numpy as np

from nn.init import Rng, as_generator

Dataset = Tuple[np.ndarray, np.ndarray]
_BUNDLED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
_DIGITS = os.path.join(_BUNDLED, "digits.npz")
_SHAKESPEARE = os.path.join(_BUNDLED, "shakespeare.txt.gz")


def _check_n(n_samples: int, name: str, minimum: int = 1) -> int:
    if int(n_samples) != n_samples or n_samples < minimum:
        raise ValueError(f"{name}: n_samples must be an integer >= {minimum}, got {n_samples!r}")
    return int(n_samples)


def _finish(X: np.ndarray, y: np.ndarray, noise: float, rng: np.random.Generator,
            name: str) -> Dataset:
    """Add Gaussian noise, shuffle, and return float64 features with int64 labels."""
    if noise < 0:
        raise ValueError(f"{name}: noise must be non-negative, got {noise}")
    if noise:
        X = X + rng.normal(scale=noise, size=X.shape)
    order = rng.permutation(len(y))
    return X[order].astype(np.float64), y[order].astype(np.int64)


def make_moons(n_samples: int = 100, noise: float = 0.0, seed: Rng = None) -> Dataset:
    """Two interleaving half circles (labels 0 and 1).

    >>> X, y = make_moons(100, noise=0.1, seed=0); X.shape, np.bincount(y)
    ((100, 2), array([50, 50]))
    """
    n = _check_n(n_samples, "make_moons", 2)
    rng = as_generator(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    X = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        np.stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)], 1)])
    y = np.concatenate([np.zeros(n_out), np.ones(n_in)])
    return _finish(X, y, noise, rng, "make_moons")


def make_circles(n_samples: int = 100, noise: float = 0.0, seed: Rng = None,
                 factor: float = 0.5) -> Dataset:
    """A small circle (label 1) inside a large one (label 0); `factor` is the radius ratio."""
    n = _check_n(n_samples, "make_circles", 2)
    if not 0 < factor < 1:
        raise ValueError(f"make_circles: factor must be in (0, 1), got {factor}")
    rng = as_generator(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        factor * np.stack([np.cos(t_in), np.sin(t_in)], 1)])
    y = np.concatenate([np.zeros(n_out), np.ones(n_in)])
    return _finish(X, y, noise, rng, "make_circles")


def make_spirals(n_samples: int = 100, noise: float = 0.0, seed: Rng = None,
                 n_classes: int = 2) -> Dataset:
    """Interleaved spiral arms, one per class (CS231n's spiral data); `noise` perturbs the
    points in the plane."""
    n = _check_n(n_samples, "make_spirals", n_classes)
    rng = as_generator(seed)
    per = [n // n_classes + (1 if c < n % n_classes else 0) for c in range(n_classes)]
    parts, labels = [], []
    for c, m in enumerate(per):
        r = np.linspace(0.05, 1.0, m)
        t = np.linspace(0, 4 * np.pi / 1.3, m) * 1.3 / 2 + 2 * np.pi * c / n_classes
        parts.append(np.stack([r * np.sin(t), r * np.cos(t)], 1))
        labels.append(np.full(m, c))
    return _finish(np.concatenate(parts), np.concatenate(labels), noise, rng, "make_spirals")


def make_xor(n_samples: int = 4, noise: float = 0.0, seed: Rng = None) -> Dataset:
    """Points at the corners of the unit square, labelled x1 XOR x2; with 4 samples and no
    noise this is the XOR truth table.

    >>> X, y = make_xor(4, seed=0); sorted(zip(X.tolist(), y.tolist()))[1]
    ([0.0, 1.0], 1)
    """
    n = _check_n(n_samples, "make_xor")
    rng = as_generator(seed)
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    X = corners[np.arange(n) % 4]
    y = (X[:, 0] != X[:, 1]).astype(np.int64)
    return _finish(X, y, noise, rng, "make_xor")


def make_blobs(n_samples: int = 100, noise: float = 1.0, seed: Rng = None, centers: int = 3,
               n_features: int = 2) -> Dataset:
    """Gaussian clusters of standard deviation `noise` around `centers` random centres drawn in
    [-10, 10]^n_features; label c is centre c."""
    n = _check_n(n_samples, "make_blobs", centers)
    rng = as_generator(seed)
    means = rng.uniform(-10, 10, size=(centers, n_features))
    y = np.arange(n) % centers
    return _finish(means[y], y, noise, rng, "make_blobs")


def train_test_split(X: np.ndarray, y: np.ndarray, test_size: Union[float, int] = 0.25,
                     seed: Rng = None, stratify: Any = None
                     ) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle and split into `(X_train, X_test, y_train, y_test)`.

    `test_size` is a fraction in (0, 1) (rounded up) or a number of samples. With `stratify`
    (True to use `y`, or an array of group labels) each class keeps its proportion in both
    parts.

    >>> X, y = make_blobs(100, seed=0)
    >>> [a.shape[0] for a in train_test_split(X, y, 0.2, seed=0, stratify=True)]
    [80, 20, 80, 20]
    """
    X, y = np.asarray(X), np.asarray(y)
    n = len(X)
    if len(y) != n:
        raise ValueError(f"train_test_split: X has {n} rows but y has {len(y)}")
    if isinstance(test_size, float) and 0 < test_size < 1:
        n_test = int(np.ceil(test_size * n - 1e-9))          # scikit-learn's rounding
    elif isinstance(test_size, (int, np.integer)) and not isinstance(test_size, bool):
        n_test = int(test_size)
    else:
        raise ValueError(f"train_test_split: test_size must be a fraction in (0, 1) or a "
                         f"number of samples, got {test_size!r}")
    if not 0 < n_test < n:
        raise ValueError(f"train_test_split: a test set of {n_test} of {n} samples leaves "
                         "one side empty")
    rng = as_generator(seed)
    if stratify is None or stratify is False:
        order = rng.permutation(n)
        test, train = order[:n_test], order[n_test:]
    else:
        groups = y if stratify is True else np.asarray(stratify)
        if len(groups) != n:
            raise ValueError(f"train_test_split: stratify has {len(groups)} labels for {n} rows")
        classes, counts = np.unique(groups, return_counts=True)
        quota = counts * n_test / n
        take = np.floor(quota).astype(int)
        # Largest remainders get the leftover test places, so the total is exactly n_test.
        leftover = n_test - int(take.sum())
        order = np.lexsort((rng.random(len(classes)), -(quota - take)))
        take[order[:leftover]] += 1
        test_parts, train_parts = [], []
        for g, k in zip(classes, take):
            idx = rng.permutation(np.flatnonzero(groups == g))
            test_parts.append(idx[:k])
            train_parts.append(idx[k:])
        test = rng.permutation(np.concatenate(test_parts))
        train = rng.permutation(np.concatenate(train_parts))
    return X[train], X[test], y[train], y[test]


def batches(X: np.ndarray, y: Optional[np.ndarray], batch_size: int, shuffle: bool = True,
            rng: Rng = None) -> Iterator[Tuple[np.ndarray, Optional[np.ndarray]]]:
    """Yield `(X_batch, y_batch)` mini-batches covering the data once (the last may be
    smaller)."""
    if batch_size < 1:
        raise ValueError(f"batches: batch_size must be at least 1, got {batch_size}")
    n = len(X)
    order = as_generator(rng).permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], (None if y is None else y[idx])


def load_digits() -> Dataset:
    """The UCI 8x8 handwritten digits: X (1797, 64) float64 in 0..16, y (1797,) int64 in 0..9.

    Source: UCI ML repository, Optical Recognition of Handwritten Digits (E. Alpaydin and
    C. Kaynak), CC BY 4.0. Scale with X / 16 before training.

    >>> X, y = load_digits(); X.shape, int(X.max()), sorted(set(y.tolist()))[-1]
    ((1797, 64), 16, 9)
    """
    if not os.path.exists(_DIGITS):
        raise FileNotFoundError(f"load_digits: the bundled data file {_DIGITS} is missing; "
                                "reinstall the package (it ships nn/data/digits.npz)")
    with np.load(_DIGITS, allow_pickle=False) as archive:
        images, labels = archive["images"], archive["labels"]
    return images.reshape(len(images), -1).astype(np.float64), labels.astype(np.int64)


def load_shakespeare() -> str:
    """About 400,000 characters of Shakespeare's plays (public domain), the first part of the
    "tiny Shakespeare" text of Karpathy's char-rnn: 63 distinct characters, for character-level
    language models.

    >>> text = load_shakespeare(); len(text), text[:14]
    (399862, 'First Citizen:')
    """
    if not os.path.exists(_SHAKESPEARE):
        raise FileNotFoundError(f"load_shakespeare: the bundled data file {_SHAKESPEARE} is "
                                "missing; reinstall the package (it ships "
                                "nn/data/shakespeare.txt.gz)")
    with gzip.open(_SHAKESPEARE, "rt", encoding="utf-8") as f:
        return f.read()


_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str) -> np.ndarray:
    """Read one IDX file (the format of MNIST), gzipped or not; a damaged file raises
    ValueError naming it."""
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"read_idx: {path} could not be read ({exc}); download it "
                         "again") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise ValueError(f"read_idx: {path} is not an IDX file (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"read_idx: {path} ends inside its header (truncated download?)")
    dims = tuple(int(d) for d in np.frombuffer(raw[4:header], dtype=">u4"))
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    expected = int(np.prod(dims)) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(f"read_idx: {path} holds {len(raw) - header} data bytes but its header "
                         f"{dims} needs {expected} (truncated download?)")
    values = np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
    return values.astype(dtype.newbyteorder("="))


def _find_idx(folder: str, stem: str) -> str:
    for name in (stem, stem + ".gz"):
        candidate = os.path.join(folder, name)
        if os.path.exists(candidate):
            return candidate
    raise FileNotFoundError(f"load_mnist: missing {os.path.join(folder, stem)} (or {stem}.gz); "
                            "download the four MNIST IDX files into that folder")


def load_mnist(path: str) -> Tuple[Dataset, Dataset]:
    """Read MNIST from a folder holding the four standard IDX files (gzipped or not):
    returns `((X_train, y_train), (X_test, y_test))` with uint8 images `(N, 28, 28)`."""
    path = os.fspath(path)
    if not os.path.isdir(path):
        raise FileNotFoundError(f"load_mnist: {path!r} is not a folder")
    out = []
    for split in ("train", "t10k"):
        image_file = _find_idx(path, f"{split}-images-idx3-ubyte")
        label_file = _find_idx(path, f"{split}-labels-idx1-ubyte")
        images, labels = read_idx(image_file), read_idx(label_file)
        if images.ndim != 3 or labels.ndim != 1:
            raise ValueError(f"load_mnist: {image_file} must hold images (N, height, width) "
                             f"and {label_file} labels (N,), but they hold shapes "
                             f"{images.shape} and {labels.shape} (swapped, or from another "
                             "data set?)")
        if len(images) != len(labels):
            raise ValueError(f"load_mnist: {split} has {len(images)} images but "
                             f"{len(labels)} labels")
        out.append((images, labels))
    if out[0][0].shape[1:] != out[1][0].shape[1:]:
        raise ValueError(f"load_mnist: train images are {out[0][0].shape[1:]} but test images "
                         f"{out[1][0].shape[1:]}; the four files must come from one data set")
    return out[0], out[1]
