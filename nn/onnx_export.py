"""ONNX export: record a model's forward on an example input and write it as a standard ONNX
model that ONNX Runtime (or any ONNX engine) runs.

How it works. The forward runs twice in evaluation mode with every op recorded: on the example
input, and on a second input made from it (its entries rolled by one place, and with
`dynamic_batch` one sample more). The two graphs must have the same ops in the same order; each
op is then written as standard ONNX operators by the table in `nn/onnx_ops.py`. Comparing the
two recordings is what makes the export honest:

- a size that differs between them grows with the batch, so it is written as a function of the
  input's batch size (read at run time with Shape), never frozen;
- a number the forward computed from its input outside the graph (a mask such as leaky_relu's
  `x > 0`) differs between them, so it is recognised as such a formula or refused, never written
  as a constant that would be wrong for the next input.

Parameters become initializers named by the model's state_dict; other constants become
initializers too. Everything is built and checked in memory, then written atomically.
"""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from autograd import Value
from autograd.grad_mode import enable_grad
from autograd.value import inputs_of, next_order
from nn.module import Module
from nn.onnx_ops import build_graph
from nn.serialization import check_writable, write_atomically

OPSET = 18
"""The ONNX opset written by default, and the lowest accepted: 18 has every operator used here
with its current signature (the reductions take their axes as inputs), and onnxruntime has run
it for years."""


def _import_onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ImportError("export_onnx needs the onnx package; install it with `pip install "
                          "seegrad[onnx]` (or `pip install onnx onnxruntime`)") from None
    return onnx


class Trace:
    """One recorded forward: its op nodes in creation order, its inputs and outputs, and the
    module that made each node."""

    def __init__(self, model: Module, inputs: Sequence[Any]) -> None:
        self.inputs = list(inputs)
        spans: List[list] = []      # [start, end, name, module, args, output] of each call
        handles = []
        for name, module in model.named_modules():
            def before(m: Module, args: Any, name: str = name) -> None:
                spans.append([next_order(), 0, name, m, args, None])

            def after(m: Module, args: Any, out: Any, name: str = name) -> None:
                for span in reversed(spans):
                    if span[3] is m and span[1] == 0:
                        span[1], span[5] = next_order(), out
                        break
            handles += [module.register_forward_pre_hook(before),
                        module.register_forward_hook(after)]
        try:
            with enable_grad():
                result = model(*self.inputs)
        finally:
            for handle in handles:
                handle.remove()
        self.spans = spans
        self.outputs = _flatten_outputs(result)
        self.nodes = _op_nodes(self.outputs)

    def module_of(self, node: Value) -> Tuple[str, Optional[Module]]:
        """The dotted name and the innermost module whose forward made `node`."""
        best = ("", None, -1)
        for start, end, name, module, _, _ in self.spans:
            if start < node._order < end and start > best[2]:
                best = (name, module, start)
        return best[0], best[1]


def _flatten_outputs(result: Any) -> List[Value]:
    """The forward's outputs, nested tuples and lists flattened in order; each must be a Value."""
    if isinstance(result, (tuple, list)):
        return [v for item in result for v in _flatten_outputs(item)]
    if not isinstance(result, Value):
        raise TypeError(f"export_onnx: the model returned {type(result).__name__}; every output "
                        "must be a Value (or a tuple of Values)")
    return [result]


def _op_nodes(outputs: List[Value]) -> List[Value]:
    """Every op node the outputs depend on, in creation order (inputs before their users)."""
    seen, stack, nodes = set(), list(outputs), []
    while stack:
        v = stack.pop()
        if id(v) in seen or v._op is None:
            continue
        seen.add(id(v))
        nodes.append(v)
        stack.extend(p for p in inputs_of(v) if isinstance(p, Value))
    return sorted(nodes, key=lambda v: v._order)


def _second_input(x: np.ndarray, batch_axis: int, grow: bool) -> np.ndarray:
    """An input unlike `x` for the second recording: its entries rolled by one place (the same
    values, so just as valid, in other positions), with one sample more when `grow`."""
    other = np.roll(x, 1).astype(x.dtype, copy=False)
    if grow:
        other = np.concatenate([other, np.take(other, [0], axis=batch_axis)], axis=batch_axis)
    return other


def _as_traced(x: np.ndarray) -> Any:
    """A float input as a Value that records every op applied to it; integer inputs (token
    indices) stay arrays."""
    return Value(x, requires_grad=True) if x.dtype.kind == "f" else x


def _check_inputs(example_input: Any, batch_axis: int, dynamic: bool) -> List[np.ndarray]:
    inputs = list(example_input) if isinstance(example_input, (tuple, list)) else [example_input]
    arrays = []
    for i, x in enumerate(inputs):
        a = np.asarray(x.data if isinstance(x, Value) else x)
        if a.dtype.kind not in "fiu":
            raise TypeError(f"export_onnx: example input {i} has dtype {a.dtype}; give float "
                            "arrays (or integer arrays of indices)")
        if dynamic and not -a.ndim <= batch_axis < a.ndim:
            raise ValueError(f"export_onnx: batch_axis={batch_axis} is not an axis of example "
                             f"input {i} of shape {a.shape}; give the axis that holds the "
                             "samples, or dynamic_batch=False")
        arrays.append(a)
    if dynamic and len({a.shape[batch_axis] for a in arrays}) > 1:
        raise ValueError(f"export_onnx: the example inputs have different batch sizes along "
                         f"axis {batch_axis}: {[a.shape for a in arrays]}")
    return arrays


def _names(given: Optional[Sequence[str]], count: int, stem: str) -> List[str]:
    if given is None:
        return [stem] if count == 1 else [f"{stem}_{i}" for i in range(count)]
    given = list(given)
    if len(given) != count or len(set(given)) != count or not all(
            isinstance(n, str) and n for n in given):
        raise ValueError(f"export_onnx: {stem}_names must be {count} distinct non-empty "
                         f"strings (one per model {stem}), got {given!r}")
    return given


def export_onnx(model: Module, example_input: Any, path: Any,
                input_names: Optional[Sequence[str]] = None,
                output_names: Optional[Sequence[str]] = None, dynamic_batch: bool = True,
                batch_axis: int = 0, opset: int = OPSET) -> None:
    """Write `model` as an ONNX model at `path` (a .onnx file), recorded on `example_input`.

    `example_input` is an array (or a tuple of arrays for a model taking several): floats, or
    integer indices for an Embedding. The model runs in evaluation mode (dropout off, batch
    norms on their running statistics) and is left in the mode it was in. With
    `dynamic_batch` the axis `batch_axis` of every input (and whatever grows with it) is a
    symbolic 'batch' dimension, so the ONNX model takes any batch size; every other size
    (sequence lengths included) is fixed by the example. Parameters are initializers named by
    the state_dict. An op that has no ONNX counterpart here raises a ValueError naming it and
    its module before anything is written.
    """
    onnx = _import_onnx()
    if not isinstance(model, Module):
        raise TypeError(f"export_onnx: model must be an nn.Module, got {type(model).__name__}")
    check_writable(path, "export_onnx")
    if not isinstance(opset, int) or not OPSET <= opset <= onnx.defs.onnx_opset_version():
        raise ValueError(f"export_onnx: opset must be an int from {OPSET} to "
                         f"{onnx.defs.onnx_opset_version()} (the installed onnx's newest), "
                         f"got {opset!r}")
    arrays = _check_inputs(example_input, batch_axis, bool(dynamic_batch))
    axis = batch_axis % arrays[0].ndim if dynamic_batch else None
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        first = Trace(model, [_as_traced(a) for a in arrays])
        grow = bool(dynamic_batch)
        second = Trace(model, [_as_traced(_second_input(a, axis or 0, grow)) for a in arrays])
    finally:
        for module, training in modes:
            module.training = training
    in_names = _names(input_names, len(arrays), "input")
    out_names = _names(output_names, len(first.outputs), "output")
    if set(in_names) & set(out_names):
        raise ValueError(f"export_onnx: {sorted(set(in_names) & set(out_names))} name both an "
                         "input and an output; give them different names")
    params = {id(p): name for name, p in model.named_parameters()}
    buffers = {id(b): name for name, b in model.named_buffers()}
    graph = build_graph(onnx, first, second, in_names, out_names, axis, params, buffers,
                        type(model).__name__)
    opsets = [onnx.helper.make_opsetid("", opset)]
    proto = onnx.helper.make_model(graph, opset_imports=opsets, producer_name="seegrad",
                                   ir_version=onnx.helper.find_min_ir_version_for(opsets))
    onnx.checker.check_model(proto, full_check=True)
    data = proto.SerializeToString()
    write_atomically(path, lambda f: f.write(data), "export_onnx")


__all__ = ["export_onnx", "OPSET"]
