"""Parameter files: named arrays in an .npz archive, written atomically and read without pickle."""
from __future__ import annotations

import os
import tempfile
import zipfile
from typing import Dict, Mapping

import numpy as np

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")        # a zip archive; an empty one
_NPY_MAGIC = b"\x93NUMPY"


def _check_magic(path: str) -> None:
    """Refuse a file that is neither a zip (.npz) nor an .npy file by its first bytes, before
    np.load would take it for a pickle."""
    with open(path, "rb") as f:
        head = f.read(len(_NPY_MAGIC))
    if head.startswith(_ZIP_MAGIC) or head == _NPY_MAGIC:
        return
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        raise ValueError("it contains pickled objects, which are refused for safety")
    start = f"it starts with {head!r}" if head else "the file is empty"
    raise ValueError(f"it is not an .npz archive ({start})")


def save_arrays(path: str, arrays: Mapping[str, np.ndarray]) -> None:
    """Write named arrays to an .npz file atomically (temporary file, then rename), so a crash
    never leaves a half-written file at `path`. The file gets the permissions of any new file
    (0o666 minus the umask), not mkstemp's private 0o600."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    umask = os.umask(0)
    os.umask(umask)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".npz")
    try:
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_arrays(path: str) -> Dict[str, np.ndarray]:
    """The named arrays of an .npz file written by `save_arrays`. Pickled objects are refused;
    a missing file raises FileNotFoundError, a truncated or foreign one ValueError naming it."""
    path = os.fspath(path)
    try:
        _check_magic(path)
        archive = np.load(path, allow_pickle=False)
        if not hasattr(archive, "files"):        # an .npy file: one bare array
            raise ValueError("it holds a single array, not an .npz archive of named arrays")
        with archive:
            return {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        raise FileNotFoundError(f"load: no such file {path!r}") from None
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        reason = str(exc)
        if "allow_pickle" in reason or "pickle" in reason.lower():
            reason = "it contains pickled objects, which are refused for safety"
        raise ValueError(f"load: {path!r} is not a readable parameter file saved by "
                         f"Module.save (truncated or foreign file?): {reason}") from None
