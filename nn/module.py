"""`Module`: parameters, buffers, sub-modules, modes, state dicts, persistence and summaries."""
from __future__ import annotations

import os
import tempfile
import zipfile
from collections import OrderedDict
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

import numpy as np

from autograd import Value


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


class Module:
    """Base class of layers and models: `__call__` runs `forward`.

    Attributes that are `Value`s are parameters, attributes that are `Module`s are
    sub-modules, and lists or tuples of either are walked with their index in the name
    (`layers.0.W`). Arrays registered with `register_buffer` are saved but not trained.
    """

    training: bool = True
    _buffer_names: Tuple[str, ...] = ()

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation of this module; subclasses override it."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ----- structure ----------------------------------------------------------------------
    def register_buffer(self, name: str, array: np.ndarray) -> None:
        """Store `array` as attribute `name`: saved with the parameters, never trained."""
        if name not in self._buffer_names:
            self._buffer_names = self._buffer_names + (name,)
        setattr(self, name, np.asarray(array))

    def _members(self) -> Iterator[Tuple[str, Any]]:
        """(name, Value or Module) for every direct member, in attribute order."""
        for key, item in vars(self).items():
            if key.startswith("_"):
                continue
            if isinstance(item, (Value, Module)):
                yield key, item
            elif isinstance(item, (list, tuple)):
                for i, sub in enumerate(item):
                    if isinstance(sub, (Value, Module)):
                        yield f"{key}.{i}", sub

    def named_children(self) -> Iterator[Tuple[str, "Module"]]:
        """(name, module) for the direct sub-modules."""
        for name, item in self._members():
            if isinstance(item, Module):
                yield name, item

    def children(self) -> Iterator["Module"]:
        """The direct sub-modules."""
        return (m for _, m in self.named_children())

    def named_modules(self, prefix: str = "", memo: Optional[set] = None
                      ) -> Iterator[Tuple[str, "Module"]]:
        """(dotted name, module) for this module ('' for itself) and every descendant, parents
        before children, each module once (PyTorch's semantics)."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self) -> Iterator["Module"]:
        """This module and every descendant."""
        return (m for _, m in self.named_modules())

    def named_parameters(self, prefix: str = "") -> Iterator[Tuple[str, Value]]:
        """(dotted name, parameter) in a stable order, each parameter once.

        >>> from nn import MLP
        >>> [n for n, _ in MLP(2, [3, 1], seed=0).named_parameters()]
        ['layers.0.W', 'layers.0.b', 'layers.1.W', 'layers.1.b']
        """
        seen: set = set()
        for mod_name, module in self.named_modules(prefix):
            for name, item in module._members():
                if isinstance(item, Value) and id(item) not in seen:
                    seen.add(id(item))
                    yield (f"{mod_name}.{name}" if mod_name else name), item

    def parameters(self) -> List[Value]:
        """Every parameter, in the order of `named_parameters`."""
        return [p for _, p in self.named_parameters()]

    def named_buffers(self) -> Iterator[Tuple[str, np.ndarray]]:
        """(dotted name, array) for every registered buffer."""
        for mod_name, module in self.named_modules():
            for name in module._buffer_names:
                yield (f"{mod_name}.{name}" if mod_name else name), getattr(module, name)

    def num_parameters(self) -> int:
        """The number of trainable numbers."""
        return int(sum(p.size for p in self.parameters()))

    def zero_grad(self) -> None:
        """Forget the gradients of every parameter."""
        for p in self.parameters():
            p.zero_grad()

    # ----- modes and dtype ----------------------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        """Set training mode (dropout active, batch statistics) on this module and below."""
        for m in self.modules():
            m.training = bool(mode)
        return self

    def eval(self) -> "Module":
        """Set evaluation mode (dropout off, running statistics) on this module and below."""
        return self.train(False)

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the first parameter (float64 for a module without parameters)."""
        for p in self.parameters():
            return p.dtype
        return np.dtype(np.float64)

    def astype(self, dtype: Any) -> "Module":
        """Convert every parameter and floating buffer to `dtype` in place; returns self."""
        dt = np.dtype(dtype)
        if dt.kind != "f":
            raise TypeError(f"astype: modules hold floating data; got dtype {dt}")
        for p in self.parameters():
            p.data = float(p.data) if p.ndim == 0 and dt == np.float64 else np.asarray(
                p.data, dtype=dt).copy()
            p.zero_grad()
        for module in self.modules():
            for name in module._buffer_names:
                buf = getattr(module, name)
                if buf.dtype.kind == "f":
                    setattr(module, name, buf.astype(dt))
        return self

    # ----- state --------------------------------------------------------------------------
    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """Copies of every parameter and buffer as numpy arrays, by dotted name."""
        state: "OrderedDict[str, np.ndarray]" = OrderedDict()
        for name, p in self.named_parameters():
            state[name] = np.array(p.data)
        for name, buf in self.named_buffers():
            state[name] = np.array(buf)
        return state

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> None:
        """Copy `state` into the parameters and buffers, after checking every name and shape.

        Nothing changes unless everything matches; otherwise a KeyError (names) or ValueError
        (shapes) lists the missing, unexpected and mismatched entries. With `strict=False`
        missing and unexpected names are allowed but shapes must still agree.
        """
        targets = self._state_targets()
        arrays = {k: np.asarray(v.data if isinstance(v, Value) else v) for k, v in state.items()}
        missing = [k for k in targets if k not in arrays]
        unexpected = [k for k in arrays if k not in targets]
        mismatched = [f"{k}: file {arrays[k].shape} vs model {targets[k][2]}"
                      for k in targets if k in arrays and arrays[k].shape != targets[k][2]]
        bad_dtype = [f"{k}: {arrays[k].dtype}" for k in targets
                     if k in arrays and arrays[k].dtype.kind not in "fiub"]
        problems = []
        if strict and missing:
            problems.append(f"missing: {', '.join(missing)}")
        if strict and unexpected:
            problems.append(f"unexpected: {', '.join(unexpected)}")
        if mismatched:
            problems.append(f"mismatched shapes: {'; '.join(mismatched)}")
        if bad_dtype:
            problems.append(f"non-numeric: {', '.join(bad_dtype)}")
        if problems:
            kind = KeyError if (missing or unexpected) and strict else ValueError
            raise kind(f"load_state_dict: the state does not fit this {type(self).__name__} "
                       f"({'; '.join(problems)})")
        for name, (owner, attr, shape) in targets.items():
            if name not in arrays:
                continue
            new = arrays[name]
            if isinstance(owner, Value):
                owner.data = (float(new) if type(owner.data) is float
                              else np.array(new, dtype=owner.dtype))
                owner.zero_grad()
            else:
                old = getattr(owner, attr)
                setattr(owner, attr, np.array(new, dtype=old.dtype))

    def _state_targets(self) -> Dict[str, Tuple[Any, str, tuple]]:
        """name -> (parameter Value, '', shape) or (owning module, attribute, shape)."""
        targets: Dict[str, Tuple[Any, str, tuple]] = {}
        for name, p in self.named_parameters():
            targets[name] = (p, "", tuple(p.shape))
        for mod_name, module in self.named_modules():
            for attr in module._buffer_names:
                name = f"{mod_name}.{attr}" if mod_name else attr
                targets[name] = (module, attr, tuple(getattr(module, attr).shape))
        return targets

    def save(self, path: str) -> None:
        """Write parameters and buffers to an .npz file atomically (temporary file, then
        rename), so a crash never leaves a half-written file at `path`. The file gets the
        permissions of any new file (0o666 minus the umask), not mkstemp's private 0o600."""
        path = os.fspath(path)
        folder = os.path.dirname(os.path.abspath(path))
        umask = os.umask(0)
        os.umask(umask)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".npz")
        try:
            os.chmod(tmp, 0o666 & ~umask)
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **self.state_dict())
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def load(self, path: str, strict: bool = True) -> "Module":
        """Load parameters saved by `save`; checks everything before changing anything.

        Pickled objects are refused; a truncated or foreign file raises ValueError naming it.
        """
        path = os.fspath(path)
        try:
            _check_magic(path)
            archive = np.load(path, allow_pickle=False)
            if not hasattr(archive, "files"):        # an .npy file: one bare array
                raise ValueError("it holds a single array, not an .npz archive of named "
                                 "arrays")
            with archive:
                state = {name: archive[name] for name in archive.files}
        except FileNotFoundError:
            raise FileNotFoundError(f"load: no such file {path!r}") from None
        except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
            reason = str(exc)
            if "allow_pickle" in reason or "pickle" in reason.lower():
                reason = "it contains pickled objects, which are refused for safety"
            raise ValueError(f"load: {path!r} is not a readable parameter file saved by "
                             f"Module.save (truncated or foreign file?): {reason}") from None
        self.load_state_dict(state, strict=strict)
        return self

    # ----- display ------------------------------------------------------------------------
    def output_size(self, input_size: Optional[int]) -> Optional[int]:
        """The number of output features for `input_size` input features (None if unknown)."""
        size = input_size
        for child in self.children():
            size = child.output_size(size)
        return size

    def extra_repr(self) -> str:
        """The arguments shown in this module's repr."""
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        for name, child in children:
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        return "\n".join(lines) + "\n)"

    def summary(self, input_size: Optional[int] = None) -> str:
        """A table of the leaf layers with output sizes and parameter counts, and the totals.

        >>> from nn import MLP
        >>> print(MLP(2, [3, 1], seed=0).summary().splitlines()[-3])
        Total params: 13
        """
        rows = [("Layer (type)", "Output", "Params")]
        size = input_size
        for name, module in self.named_modules():
            own = [item for _, item in module._members() if isinstance(item, Value)]
            has_children = any(True for _ in module.children())
            if has_children and not own:
                continue                      # pure containers: their leaves make the rows
            if not has_children:
                size = module.output_size(size)
            count = sum(p.size for p in (own if has_children else module.parameters()))
            label = f"{name} ({type(module).__name__})" if name else type(module).__name__
            rows.append((label, "?" if size is None else f"(N, {size})", f"{count:,}"))
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        rule = "-" * (sum(widths) + 4)

        def fmt(r: tuple) -> str:
            return f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}"

        total = self.num_parameters()
        buffers = sum(int(np.size(b)) for _, b in self.named_buffers())
        lines = [f'Model: "{type(self).__name__}"', rule, fmt(rows[0]), rule]
        lines += [fmt(r) for r in rows[1:]]
        lines += [rule, f"Total params: {total:,}", f"Non-trainable buffers: {buffers:,}", rule]
        return "\n".join(lines)


class Sequential(Module):
    """Modules applied one after the other; parameters are named `layers.<i>.<name>`.

    >>> from nn import Layer
    >>> model = Sequential(Layer(2, 4, seed=0), Layer(4, 1, activation=None, seed=1))
    >>> model(np.ones((3, 2))).shape
    (3, 1)
    """

    def __init__(self, *modules: Module) -> None:
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: argument {i} is a {type(m).__name__}, not a Module "
                                "(wrap functions in nn.Activation)")
        self.layers = list(modules)

    def forward(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, index: int) -> Module:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)
