"""Parameter files: named arrays in an .npz archive, written atomically and read without pickle,
with a JSON record of the architecture they belong to."""
from __future__ import annotations

import json
import os
import tempfile
import zipfile
from typing import Any, BinaryIO, Callable, Dict, Mapping, Optional, Tuple

import numpy as np

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")        # a zip archive; an empty one
_NPY_MAGIC = b"\x93NUMPY"
ARCHITECTURE = "__architecture__"      # the entry holding the JSON record, beside the arrays

Architecture = Dict[str, Any]


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


def check_writable(path: Any, caller: str) -> None:
    """Refuse a file path that cannot be written, before any work is done: its folder missing,
    not a folder or not writable, or the path itself a folder. The errors (FileNotFoundError,
    NotADirectoryError, PermissionError, IsADirectoryError) name `path` and the fix."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise IsADirectoryError(f"{caller}: cannot write {path!r}: it is a folder; give a file "
                                "name such as model.npz")
    if not os.path.exists(folder):
        raise FileNotFoundError(f"{caller}: cannot write {path!r}: the folder {folder!r} does "
                                "not exist; create it first")
    if not os.path.isdir(folder):
        raise NotADirectoryError(f"{caller}: cannot write {path!r}: {folder!r} is a file, not a "
                                 "folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(f"{caller}: cannot write {path!r}: the folder {folder!r} is not "
                              "writable; choose another")


def write_atomically(path: Any, write: Callable[[BinaryIO], None], caller: str) -> None:
    """Write a file through `write(f)` atomically: into a temporary file beside `path`, then
    renamed over it, so a crash never leaves a half-written file at `path`. The file gets the
    permissions of any new file (0o666 minus the umask), not mkstemp's private 0o600. Errors
    name `path`, not the temporary file. Used for every file the project writes."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    umask = os.umask(0)
    os.umask(umask)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-",
                                   suffix=os.path.splitext(path)[1])
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise type(exc)(f"{caller}: could not write {path!r}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def save_arrays(path: Any, arrays: Mapping[str, np.ndarray],
                architecture: Optional[Architecture] = None) -> None:
    """Write named arrays (and the JSON `architecture` record, if given) to an .npz file,
    atomically (see write_atomically)."""
    check_writable(path, "save")
    entries = dict(arrays)
    if architecture is not None:
        entries[ARCHITECTURE] = np.array(json.dumps(architecture))
    write_atomically(path, lambda f: np.savez(f, **entries), "save")


def load_file(path: Any) -> Tuple[Dict[str, np.ndarray], Optional[Architecture]]:
    """The named arrays of an .npz file written by `save_arrays`, and its architecture record
    (None for files saved without one, such as those written before records existed).
    Pickled objects are refused; a missing file raises FileNotFoundError, a truncated or
    foreign one ValueError naming it."""
    path = os.fspath(path)
    try:
        _check_magic(path)
        archive = np.load(path, allow_pickle=False)
        if not hasattr(archive, "files"):        # an .npy file: one bare array
            raise ValueError("it holds a single array, not an .npz archive of named arrays")
        with archive:
            arrays = {name: archive[name] for name in archive.files}
        record = arrays.pop(ARCHITECTURE, None)
        return arrays, None if record is None else _architecture(record)
    except FileNotFoundError:
        raise FileNotFoundError(f"load: no such file {path!r}") from None
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        reason = str(exc)
        if "allow_pickle" in reason or "pickle" in reason.lower():
            reason = "it contains pickled objects, which are refused for safety"
        raise ValueError(f"load: {path!r} is not a readable parameter file saved by "
                         f"Module.save (truncated or foreign file?): {reason}") from None


def _architecture(record: np.ndarray) -> Architecture:
    """The architecture from its JSON entry; a malformed one is refused."""
    if record.dtype.kind != "U" or record.ndim != 0:
        raise ValueError(f"its {ARCHITECTURE} entry is not a JSON text")
    try:
        architecture = json.loads(str(record))
    except json.JSONDecodeError as exc:
        raise ValueError(f"its {ARCHITECTURE} entry is not valid JSON ({exc})") from None
    if not isinstance(architecture, dict):
        raise ValueError(f"its {ARCHITECTURE} entry is not a JSON object")
    return architecture


def load_arrays(path: Any) -> Dict[str, np.ndarray]:
    """Only the named arrays of a file written by `save_arrays` (the architecture record left
    out): `model.load_state_dict(load_arrays(path))` loads the weights into any model whose
    names and shapes fit, whatever architecture the file records."""
    return load_file(path)[0]
