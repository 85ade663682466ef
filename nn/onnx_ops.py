"""The op table of the ONNX export: each recorded op written as standard ONNX operators.

`build_graph` walks the two recordings of `nn/onnx_export.py` side by side and calls the
writer of each op's name in `WRITERS`. Most ops map one to one (matmul to MatMul, conv to Conv,
standardize to LayerNormalization, ...). A few patterns are recognised: F.softmax and
F.log_softmax become Softmax and LogSoftmax, and a batch norm's call (evaluation mode) one
BatchNormalization; the ops they replace are left unused and pruned. A few ops are decomposed so
that ONNX Runtime computes the same numbers as ours, not nearly the same: logsumexp and the
attention's safe softmax (a row whose keys are all masked gives zeros), and the fused recurrent
steps and sequences (Gemm, Sigmoid, Tanh, Mul, Add, joined into the step's record as ours is; a
sequence unrolled over its timesteps). An op missing from the table raises, naming it.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from autograd import Value
from autograd.ops.recurrent import time_order
from autograd.value import inputs_of
from nn.conv import BatchNorm2d
from nn.layers import BatchNorm
from nn.parameter import Parameter

_INT64_MAX = np.iinfo(np.int64).max


class Graph:
    """The ONNX graph being built: nodes, initializers, fresh names, and the batch size read
    from the first input at run time (for sizes that grow with the batch)."""

    def __init__(self, onnx: Any, batch_source: Optional[Tuple[str, int]]) -> None:
        self.onnx, self.helper = onnx, onnx.helper
        self.nodes: List[Any] = []
        self.initializers: List[Any] = []
        self._taken: set = set()
        self._ints: Dict[tuple, str] = {}
        self._batch_source = batch_source
        self._batch: Optional[str] = None
        self.scope = ""

    def fresh(self, hint: str) -> str:
        base = f"{self.scope}/{hint}" if self.scope else hint
        name, k = base, 0
        while name in self._taken:
            k += 1
            name = f"{base}_{k}"
        self._taken.add(name)
        return name

    def emit(self, op_type: str, inputs: Sequence[str], **attrs: Any) -> str:
        """Add a node; returns the name of its output."""
        output = self.fresh(op_type)
        self.nodes.append(self.helper.make_node(op_type, list(inputs), [output],
                                                name=self.fresh(f"{op_type}_node"), **attrs))
        return output

    def constant(self, array: Any, hint: str, exact_name: bool = False) -> str:
        """An initializer holding `array` (bools, ints and floats keep their dtype)."""
        name = hint if exact_name else self.fresh(hint)
        self._taken.add(name)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.asarray(array), name))
        return name

    def ints(self, values: Sequence[int]) -> str:
        """A 1-D int64 initializer (shared between nodes asking for the same values)."""
        key = tuple(int(v) for v in values)
        if key not in self._ints:
            self._ints[key] = self.constant(np.array(key, dtype=np.int64), "ints")
        return self._ints[key]

    def scalar_int(self, value: int) -> str:
        return self.constant(np.array(value, dtype=np.int64), "index")

    def batch(self) -> str:
        """The batch size as a 1-D int64 tensor [N], read from the first input's shape."""
        if self._batch is None:
            name, axis = self._batch_source
            shape = self.emit("Shape", [name])
            self._batch = self.emit("Gather", [shape, self.ints([axis])], axis=0)
        return self._batch

    def shape_tensor(self, first: Sequence[int], second: Sequence[int], n: int,
                     reshape: bool = False) -> str:
        """A 1-D int64 tensor of a shape that is `first` at batch size n and `second` at n + 1:
        sizes that change are a N + b, computed from the run-time batch size. For a Reshape with
        one such size, -1 says it without a Shape node."""
        moving = [i for i, (p, q) in enumerate(zip(first, second)) if p != q]
        if not moving:
            return self.ints(first)
        if reshape and len(moving) == 1:
            return self.ints([-1 if i == moving[0] else d for i, d in enumerate(first)])
        pieces, run = [], []
        for i, (p, q) in enumerate(zip(first, second)):
            if p == q:
                run.append(p)
                continue
            if run:
                pieces.append(self.ints(run))
                run = []
            a, b = q - p, p - (q - p) * n
            piece = self.batch() if a == 1 else self.emit("Mul", [self.batch(), self.ints([a])])
            pieces.append(piece if b == 0 else self.emit("Add", [piece, self.ints([b])]))
        if run:
            pieces.append(self.ints(run))
        return self.emit("Concat", pieces, axis=0)


class Unsupported(ValueError):
    """What a writer raises for a case it cannot write (build_graph names the op and module)."""


class Node:
    """What a writer sees of one recorded op: its inputs as graph tensors (`input`), its raw
    inputs and attributes in both recordings, its output's dtype and shapes."""

    def __init__(self, builder: "_Builder", index: int) -> None:
        self.builder, self.graph = builder, builder.graph
        self.v, self.w = builder.first.nodes[index], builder.second.nodes[index]
        self.args, self.args2 = inputs_of(self.v), inputs_of(self.w)
        self.attrs, self.attrs2 = self.v.attrs, self.w.attrs
        self.dtype = self.v.dtype
        self.shape, self.shape2 = self.v.shape, self.w.shape

    def input(self, k: int, dtype: Any = None) -> str:
        """Input k as a tensor name, cast to `dtype` (the output's when None) if it differs."""
        dtype = self.dtype if dtype is None else np.dtype(dtype)
        return self.builder.tensor(self.args[k], self.args2[k], dtype, self)

    def raw(self, k: int) -> Any:
        a = self.args[k]
        return a.data if isinstance(a, Value) else a

    def emit(self, op_type: str, inputs: Sequence[str], **attrs: Any) -> str:
        return self.graph.emit(op_type, inputs, **attrs)

    def shape_of(self, shape: Sequence[int], shape2: Sequence[int], reshape: bool = False) -> str:
        return self.graph.shape_tensor(shape, shape2, self.builder.n, reshape)

    def elem_type(self) -> int:
        return self.graph.helper.np_dtype_to_tensor_dtype(np.dtype(self.dtype))


class _Builder:
    """Turns the two recordings into ONNX nodes, one op after the other."""

    def __init__(self, onnx: Any, first: Any, second: Any, in_names: List[str],
                 batch_axis: Optional[int], params: Dict[int, str], buffers: Dict[int, str]
                 ) -> None:
        self.first, self.second = first, second
        self.n = None
        source = None
        if batch_axis is not None:
            self.n = np.shape(_raw(first.inputs[0]))[batch_axis]
            source = (in_names[0], batch_axis)
        self.graph = Graph(onnx, source)
        self.params, self.buffers = params, buffers
        self.names: Dict[int, str] = {}          # id of a Value or array of trace 1 -> tensor
        for x, name in zip(first.inputs, in_names):
            self.names[id(x)] = name
            self.graph.fresh(name)                # reserved: no node output takes it
        self.first_inputs = {id(x): i for i, x in enumerate(first.inputs)}
        self.position = {id(v): i for i, v in enumerate(first.nodes)}

    def tensor(self, a: Any, b: Any, dtype: np.dtype, node: Node) -> str:
        """The tensor of an op's input `a` (its counterpart in the second recording is `b`),
        cast to `dtype` when it differs."""
        if isinstance(a, Value) and (a._op is not None or id(a) in self.first_inputs):
            name, have = self.names[id(a)], a.dtype
        elif isinstance(a, Parameter):
            name, have = self._parameter(a), a.dtype
        elif isinstance(a, np.ndarray) and id(a) in self.first_inputs:
            name, have = self.names[id(a)], a.dtype
        else:
            return self.constant(a, b, dtype, node)
        return name if have == dtype else self.graph.emit("Cast", [name], to=_elem(self, dtype))

    def _parameter(self, p: Parameter) -> str:
        if id(p) not in self.names:
            name = self.params.get(id(p))
            if name is None:
                raise Unsupported("it uses a parameter that is not in the model's state_dict")
            self.names[id(p)] = self.graph.constant(np.asarray(p.data), name, exact_name=True)
        return self.names[id(p)]

    def constant(self, a: Any, b: Any, dtype: np.dtype, node: Node) -> str:
        """A number or array the op used, as an initializer of `dtype`; sized by the batch when
        its shape grows with it (a state of zeros), refused when its entries depend on the
        input."""
        da, db = _raw(a), _raw(b)
        sa, sb = np.shape(da), np.shape(db)
        if sa == sb:
            if not np.array_equal(da, db, equal_nan=True):
                raise Unsupported(f"one of its inputs, an array of shape {sa}, was computed from "
                                  "the model's input outside the recorded graph, so it would be "
                                  "wrong for any other input")
            name = self.buffers.get(id(da))
            if name is None or np.asarray(da).dtype != dtype:
                return self.graph.constant(np.asarray(da, dtype=_kind_dtype(da, dtype)), "const")
            if id(da) not in self.names:        # a buffer used as it is: named as in state_dict
                self.names[id(da)] = self.graph.constant(da, name, exact_name=True)
            return self.names[id(da)]
        flat = np.asarray(da).reshape(-1)
        if flat.size and (flat == flat[0]).all() and (np.asarray(db) == flat[0]).all():
            fill = self.graph.constant(np.asarray(flat[0], dtype=_kind_dtype(da, dtype)), "fill")
            return self.graph.emit("Expand", [fill, node.shape_of(sa, sb)])
        raise Unsupported(f"one of its inputs, an array of shape {sa}, grows with the batch "
                          "and holds more than one repeated value: it was computed from the "
                          "model's input outside the recorded graph (then it cannot be "
                          "exported), or is a constant sized by the batch (then export with "
                          "dynamic_batch=False)")


def _raw(x: Any) -> Any:
    return x.data if isinstance(x, Value) else x


def _kind_dtype(data: Any, dtype: np.dtype) -> np.dtype:
    """Floats become `dtype`; booleans and integers keep theirs."""
    kind = np.asarray(data).dtype
    return dtype if kind.kind == "f" else kind


def _elem(builder: Any, dtype: np.dtype) -> int:
    return builder.graph.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


# ----- the writers: one per op name ----------------------------------------------------------
Writer = Callable[[Node], str]


def _unary(op_type: str) -> Writer:
    return lambda n: n.emit(op_type, [n.input(0)])


def _binary(op_type: str) -> Writer:
    return lambda n: n.emit(op_type, [n.input(0), n.input(1)])


def _axes_of(n: Node) -> Optional[str]:
    axis = n.attrs["axis"]
    return None if axis is None else n.graph.ints(axis)


def _reduce(op_type: str) -> Writer:
    def write(n: Node) -> str:
        axes = _axes_of(n)
        return n.emit(op_type, [n.input(0)] + ([axes] if axes else []),
                      keepdims=int(n.attrs["keepdims"]))
    return write


def _reshape(n: Node) -> str:
    return n.emit("Reshape", [n.input(0), n.shape_of(n.shape, n.shape2, reshape=True)])


def _broadcast(n: Node) -> str:
    return n.emit("Expand", [n.input(0), n.shape_of(n.shape, n.shape2)])


def _transpose(n: Node) -> str:
    axes = n.attrs["axes"]
    perm = list(reversed(range(len(n.shape)))) if axes is None else list(axes)
    return n.emit("Transpose", [n.input(0)], perm=perm)


def _concatenate(n: Node) -> str:
    return n.emit("Concat", [n.input(k) for k in range(len(n.args))], axis=n.attrs["axis"])


def _astype(n: Node) -> str:
    return n.emit("Cast", [n.input(0, n.args[0].dtype)], to=n.elem_type())


def _logsumexp(n: Node) -> str:
    """Ours: the maximum (0 where it is infinite) subtracted, exponentiated, summed, logged,
    added back."""
    x, axes = n.input(0), _axes_of(n)
    with_axes = [axes] if axes else []
    peak = n.emit("ReduceMax", [x] + with_axes, keepdims=1)
    finite = n.emit("Not", [n.emit("IsInf", [peak])])
    zero = n.graph.constant(np.zeros((), n.dtype), "zero")
    peak = n.emit("Where", [finite, peak, zero])
    total = n.emit("ReduceSum", [n.emit("Exp", [n.emit("Sub", [x, peak])])] + with_axes,
                   keepdims=1)
    out = n.emit("Add", [n.emit("Log", [total]), peak])
    if n.attrs["keepdims"]:
        return out
    return n.emit("Squeeze", [out] + ([axes] if axes else []))


def _safe_softmax(n: Node) -> str:
    """Softmax over the last axis as ours: a row whose scores are all -inf gives zeros."""
    x, last = n.input(0), n.graph.ints([-1])
    zero = n.graph.constant(np.zeros((), n.dtype), "zero")
    one = n.graph.constant(np.ones((), n.dtype), "one")
    peak = n.emit("ReduceMax", [x, last], keepdims=1)
    peak = n.emit("Where", [n.emit("IsInf", [peak], detect_positive=0), zero, peak])
    weights = n.emit("Exp", [n.emit("Sub", [x, peak])])
    total = n.emit("ReduceSum", [weights, last], keepdims=1)
    total = n.emit("Where", [n.emit("Equal", [total, zero]), one, total])
    return n.emit("Div", [weights, total])


def _standardize(n: Node) -> str:
    """(x - mean) / sqrt(var + eps) over the last axes: LayerNormalization with scale 1."""
    axes = n.attrs["axes"]
    ones = n.graph.constant(np.ones(n.shape[len(n.shape) + axes[0]:], n.dtype), "ones")
    return n.emit("LayerNormalization", [n.input(0), ones], axis=int(axes[0]),
                  epsilon=float(n.attrs["eps"]))


def _where(n: Node) -> str:
    return n.emit("Where", [_condition(n), n.input(0), n.input(1)])


def _condition(n: Node) -> str:
    """where's condition: a formula of the input recognised in both recordings (`a > 0` or
    `b > 0` as leaky_relu, elu and prelu take it; `indices == k` as an Embedding's padding row),
    or a constant, else refused (it would be wrong for the next input). The formulas come first:
    a condition that equals `a > 0` for two different inputs is that formula, even where it
    happens to be the same for both (all True, say, for inputs that are all positive)."""
    c, c2 = np.asarray(n.attrs["cond"]), np.asarray(n.attrs2["cond"])
    for k in (0, 1):
        a, b = n.args[k], n.args2[k]
        if isinstance(a, Value) and not _is_constant(n.builder, a) and _same(
                c, _raw(a) > 0) and _same(c2, _raw(b) > 0):
            zero = n.graph.constant(np.zeros((), a.dtype), "zero")
            return n.emit("Greater", [n.input(k, a.dtype), zero])
    for x, x2 in zip(n.builder.first.inputs, n.builder.second.inputs):
        if isinstance(x, np.ndarray) and c.shape == x.shape + (1,):
            for k in np.unique(x[c[..., 0]]):
                if _same(c, (x == k)[..., None]) and _same(c2, (x2 == k)[..., None]):
                    name = n.builder.names[id(x)]
                    equal = n.emit("Equal", [name, n.graph.constant(np.asarray(k, x.dtype), "k")])
                    return n.emit("Unsqueeze", [equal, n.graph.ints([-1])])
    if c.shape == c2.shape and np.array_equal(c, c2):
        return n.graph.constant(c, "condition")
    raise Unsupported("its condition was computed from the model's input outside the recorded "
                      "graph, by a formula the export does not recognise")


def _same(a: np.ndarray, b: Any) -> bool:
    return a.shape == np.shape(b) and bool(np.array_equal(a, b))


def _is_constant(builder: _Builder, a: Value) -> bool:
    return a._op is None and id(a) not in builder.first_inputs and not isinstance(a, Parameter)


def _getitem(n: Node) -> str:
    """numpy indexing: slices (one Slice), then integers and integer arrays (Gather) and None
    (Unsqueeze) from left to right."""
    index = n.attrs["index"]
    items = list(index) if isinstance(index, tuple) else [index]
    ndim = len(np.shape(n.raw(0)))
    used = sum(1 if isinstance(i, (slice, int, np.integer)) else
               (0 if i is None or i is Ellipsis else 1) for i in items)
    expanded: List[Any] = []
    for item in items:
        if item is Ellipsis:
            expanded += [slice(None)] * (ndim - used)
        else:
            expanded.append(item)
    x = n.input(0)
    starts, ends, axes, steps = [], [], [], []
    axis = 0
    for item in expanded:
        if isinstance(item, slice):
            if item != slice(None):
                step = 1 if item.step is None else int(item.step)
                low, high = (0, _INT64_MAX) if step > 0 else (-1, -_INT64_MAX)
                starts.append(low if item.start is None else int(item.start))
                ends.append(high if item.stop is None else int(item.stop))
                axes.append(axis)
                steps.append(step)
            axis += 1
        elif item is not None:
            axis += 1
    if axes:
        x = n.emit("Slice", [x, n.graph.ints(starts), n.graph.ints(ends), n.graph.ints(axes),
                             n.graph.ints(steps)])
    axis = 0
    for item in expanded:
        if isinstance(item, slice):
            axis += 1
        elif item is None:
            x = n.emit("Unsqueeze", [x, n.graph.ints([axis])])
            axis += 1
        elif isinstance(item, (int, np.integer)):
            x = n.emit("Gather", [x, n.graph.scalar_int(int(item))], axis=axis)
        elif isinstance(item, np.ndarray) and item.dtype.kind in "iu":
            x = n.emit("Gather", [x, _index_tensor(n, item)], axis=axis)
            axis += item.ndim
        else:
            raise Unsupported("it indexes with a boolean mask, which ONNX export does not "
                              "support; index with integers or slices")
    return x


def _index_tensor(n: Node, item: np.ndarray) -> str:
    """An integer index array: a model input (an Embedding's indices) or a constant."""
    builder = n.builder
    if id(item) in builder.first_inputs:
        return builder.names[id(item)]
    position = [i for i, x in enumerate(n.attrs["index"] if isinstance(n.attrs["index"], tuple)
                                        else (n.attrs["index"],)) if x is item][0]
    index2 = n.attrs2["index"]
    other = index2[position] if isinstance(index2, tuple) else index2
    if not _same(item, other):
        raise Unsupported("it indexes with integers computed from the model's input outside "
                          "the recorded graph")
    return n.graph.constant(item.astype(np.int64), "indices")


def _pads(pairs: Sequence[Tuple[int, int]]) -> List[int]:
    return [b for b, _ in pairs] + [a for _, a in pairs]


def _conv(n: Node) -> str:
    a = n.attrs
    return n.emit("Conv", [n.input(0), n.input(1)], strides=list(a["stride"]),
                  pads=_pads(a["padding"]), dilations=list(a["dilation"]), group=a["groups"])


def _max_pool(n: Node) -> str:
    a = n.attrs
    return n.emit("MaxPool", [n.input(0)], kernel_shape=list(a["kernel"]),
                  strides=list(a["stride"]), pads=_pads(a["padding"]),
                  dilations=list(a["dilation"]))


def _avg_pool(n: Node) -> str:
    a = n.attrs
    if a["count_include_pad"] and any(b != e for b, e in a["padding"]):
        raise Unsupported("ceil_mode windows that hang over the end with count_include_pad="
                          "True divide differently in ONNX; use count_include_pad=False or "
                          "ceil_mode=False")
    return n.emit("AveragePool", [n.input(0)], kernel_shape=list(a["kernel"]),
                  strides=list(a["stride"]), pads=_pads(a["padding"]),
                  count_include_pad=int(a["count_include_pad"]))


def _power(n: Node) -> str:
    return n.emit("Pow", [n.input(0), n.input(1)])


# ----- log_softmax and softmax, recognised ------------------------------------------------------
def _log_softmax_axis(n: Node) -> Optional[int]:
    """The axis when this '-' node is x - logsumexp(x, axis, keepdims=True) over one axis:
    F.log_softmax, written as LogSoftmax (its logsumexp is then left unused and pruned)."""
    x, total = n.args
    if not (isinstance(total, Value) and total.op == "logsumexp" and isinstance(x, Value)):
        return None
    axis, keepdims = total.attrs["axis"], total.attrs["keepdims"]
    if inputs_of(total)[0] is not x or not keepdims or axis is None or len(axis) != 1:
        return None
    return int(axis[0])


def _subtract(n: Node) -> str:
    axis = _log_softmax_axis(n)
    if axis is None:
        return n.emit("Sub", [n.input(0), n.input(1)])
    return n.emit("LogSoftmax", [n.input(0)], axis=axis)


def _exp(n: Node) -> str:
    """exp, or Softmax for exp(log_softmax(x)), F.softmax."""
    inner = n.args[0]
    if isinstance(inner, Value) and inner.op == "-":
        difference = Node(n.builder, n.builder.position[id(inner)])
        axis = _log_softmax_axis(difference)
        if axis is not None:
            return n.emit("Softmax", [difference.input(0)], axis=axis)
    return n.emit("Exp", [n.input(0)])


# ----- batch norms in evaluation mode, written whole ----------------------------------------------
def _batch_norm(n: Node, module: Any, x: Any, x2: Any) -> str:
    """A BatchNorm2d or BatchNorm call (evaluation mode: its running statistics) as one
    BatchNormalization of its input; the ops it recorded are then unused and pruned."""
    if isinstance(module, BatchNorm2d):
        scale, shift = module.weight, module.bias
    else:
        scale, shift = module.gamma, module.beta
    builder, channels = n.builder, n.shape[1]
    if scale is None:
        ones, zeros = np.ones(channels, n.dtype), np.zeros(channels, n.dtype)
        affine = [n.graph.constant(ones, "ones"), n.graph.constant(zeros, "zeros")]
    else:
        affine = [builder.tensor(p, p, n.dtype, n) for p in (scale, shift)]
    statistics = [builder.tensor(b, b, n.dtype, n)
                  for b in (module.running_mean, module.running_var)]
    return n.emit("BatchNormalization", [builder.tensor(x, x2, n.dtype, n)] + affine + statistics,
                  epsilon=float(module.eps))


def _call_writer(n: Node, call: Tuple[Any, Any, Any]) -> str:
    return _batch_norm(n, *call)


def _whole_modules(first: Any, second: Any) -> Dict[int, Tuple[Any, Any, Any]]:
    """The calls written as one ONNX operator: id of their output node -> (module, input in
    the first recording, input in the second)."""
    calls = {}
    for one, two in zip(first.spans, second.spans):
        module, args, out = one[3], one[4], one[5]
        if type(module) in (BatchNorm2d, BatchNorm) and len(args) == 1 and isinstance(
                out, Value) and out._op is not None:
            calls[id(out)] = (module, args[0], two[4][0])
    return calls


# ----- the fused recurrent steps and sequences, decomposed --------------------------------------
# A step's inputs and a sequence's share their order: x, state, w_ih, w_hh, b_ih, b_hh. A cell
# writer emits one step from the tensors x (N, input_size) and state, and returns its record.
def _columns(n: Node, x: str, start: int, stop: int) -> str:
    return n.emit("Slice", [x, n.graph.ints([start]), n.graph.ints([stop]), n.graph.ints([1])])


def _affine_rows(n: Node, x: str, weight: int, bias: int) -> str:
    """x @ weight.T + bias for rows x: Gemm (no bias when the layer has none)."""
    inputs = [x, n.input(weight)]
    if isinstance(n.args[bias], Value):
        inputs.append(n.input(bias))
    return n.emit("Gemm", inputs, transB=1)


def _cell_inputs(n: Node, x: str, state: str) -> Tuple[str, str, int]:
    """(x's projection x w_ih^T + b_ih, h, hidden size) of a step; a fused step's raw
    `projected` input is that same product, recomputed here from x."""
    hidden = np.shape(n.raw(3))[1]
    return _affine_rows(n, x, 2, 4), _columns(n, state, 0, hidden), hidden


def _rnn_cell(n: Node, x: str, state: str) -> str:
    projected, h, _ = _cell_inputs(n, x, state)
    pre = n.emit("Add", [projected, _affine_rows(n, h, 3, 5)])
    return n.emit("Tanh" if n.attrs["nonlinearity"] == "tanh" else "Relu", [pre])


def _lstm_cell(n: Node, x: str, state: str) -> str:
    projected, h, hidden = _cell_inputs(n, x, state)
    pre = n.emit("Add", [projected, _affine_rows(n, h, 3, 5)])
    c = _columns(n, state, hidden, 2 * hidden)
    i_f = n.emit("Sigmoid", [_columns(n, pre, 0, 2 * hidden)])
    g = n.emit("Tanh", [_columns(n, pre, 2 * hidden, 3 * hidden)])
    o = n.emit("Sigmoid", [_columns(n, pre, 3 * hidden, 4 * hidden)])
    i, f = _columns(n, i_f, 0, hidden), _columns(n, i_f, hidden, 2 * hidden)
    c_next = n.emit("Add", [n.emit("Mul", [f, c]), n.emit("Mul", [i, g])])
    tanh_c = n.emit("Tanh", [c_next])
    h_next = n.emit("Mul", [o, tanh_c])
    return n.emit("Concat", [h_next, c_next, i_f, g, o, tanh_c], axis=1)


def _gru_cell(n: Node, x: str, state: str) -> str:
    projected, h, hidden = _cell_inputs(n, x, state)
    hw = _affine_rows(n, h, 3, 5)
    r_z = n.emit("Sigmoid", [n.emit("Add", [_columns(n, projected, 0, 2 * hidden),
                                            _columns(n, hw, 0, 2 * hidden)])])
    r, z = _columns(n, r_z, 0, hidden), _columns(n, r_z, hidden, 2 * hidden)
    hn = _columns(n, hw, 2 * hidden, 3 * hidden)
    new = n.emit("Tanh", [n.emit("Add", [_columns(n, projected, 2 * hidden, 3 * hidden),
                                         n.emit("Mul", [r, hn])])])
    one = n.graph.constant(np.ones((), n.dtype), "one")
    h_next = n.emit("Add", [n.emit("Mul", [n.emit("Sub", [one, z]), new]),
                            n.emit("Mul", [z, h])])
    return n.emit("Concat", [h_next, r_z, new, hn], axis=1)


def _step(cell: Callable[[Node, str, str], str]) -> Writer:
    """The writer of a fused step: the cell on the step's x and state."""
    return lambda n: cell(n, n.input(0), n.input(1))


def _sequence(cell: Callable[[Node, str, str], str]) -> Writer:
    """The writer of a fused sequence: the cell unrolled over the timesteps (in the order the
    direction visits them), each step's record put back in the input's time order."""
    def write(n: Node) -> str:
        steps = n.shape[0]
        x, state = n.input(0), n.input(1)
        records: List[str] = [""] * steps
        for t in time_order(steps, n.attrs["reverse"]):
            state = cell(n, n.emit("Gather", [x, n.graph.scalar_int(t)], axis=0), state)
            records[t] = n.emit("Unsqueeze", [state, n.graph.ints([0])])
        return n.emit("Concat", records, axis=0)
    return write


WRITERS: Dict[str, Writer] = {
    "+": _binary("Add"), "-": _subtract, "*": _binary("Mul"), "/": _binary("Div"),
    "**": _power, "neg": _unary("Neg"), "exp": _exp, "log": _unary("Log"),
    "sqrt": _unary("Sqrt"), "abs": _unary("Abs"), "tanh": _unary("Tanh"),
    "sigmoid": _unary("Sigmoid"), "relu": _unary("Relu"), "sin": _unary("Sin"),
    "cos": _unary("Cos"), "erf": _unary("Erf"), "floor": _unary("Floor"),
    "ceil": _unary("Ceil"), "softplus": _unary("Softplus"),
    "maximum": _binary("Max"), "minimum": _binary("Min"), "where": _where,
    "matmul": _binary("MatMul"), "astype": _astype,
    "reshape": _reshape, "broadcast_to": _broadcast, "transpose": _transpose,
    "concatenate": _concatenate, "getitem": _getitem,
    "sum": _reduce("ReduceSum"), "max": _reduce("ReduceMax"), "min": _reduce("ReduceMin"),
    "logsumexp": _logsumexp, "safe_softmax": _safe_softmax, "standardize": _standardize,
    "conv": _conv, "max_pool": _max_pool, "avg_pool": _avg_pool,
    "rnn_step": _step(_rnn_cell), "lstm_step": _step(_lstm_cell), "gru_step": _step(_gru_cell),
    "rnn_sequence": _sequence(_rnn_cell), "lstm_sequence": _sequence(_lstm_cell),
    "gru_sequence": _sequence(_gru_cell),
}


def build_graph(onnx: Any, first: Any, second: Any, in_names: List[str], out_names: List[str],
                batch_axis: Optional[int], params: Dict[int, str], buffers: Dict[int, str],
                model_name: str) -> Any:
    """The ONNX GraphProto of the two recordings (see nn/onnx_export.py), or a ValueError
    naming the first op, and its module, that cannot be written."""
    ops1, ops2 = [v.op for v in first.nodes], [v.op for v in second.nodes]
    if ops1 != ops2:
        raise ValueError("export_onnx: the model records different ops for another input (of "
                         "another batch size, or other values), so one ONNX graph cannot "
                         "stand for it; try dynamic_batch=False")
    builder = _Builder(onnx, first, second, in_names, batch_axis, params, buffers)
    graph = builder.graph
    for name in out_names:
        graph.fresh(name)                         # reserved for the outputs' Identity nodes
    whole = _whole_modules(first, second)
    for index, v in enumerate(first.nodes):
        name, module = first.module_of(v)
        writer = WRITERS.get(v.op)
        if id(v) in whole:
            writer = functools.partial(_call_writer, call=whole[id(v)])
        where = (f"in module '{name}' ({type(module).__name__})" if name else
                 f"in {model_name}.forward") if module is not None else "outside any module"
        if writer is None:
            raise ValueError(f"export_onnx: op '{v.op}' {where} has no ONNX counterpart in this "
                             f"export (it writes: {', '.join(sorted(WRITERS))}); rewrite that "
                             "part of the model with these ops")
        graph.scope = name
        try:
            builder.names[id(v)] = writer(Node(builder, index))
        except Unsupported as reason:
            raise ValueError(f"export_onnx: op '{v.op}' {where} cannot be exported: "
                             f"{reason}") from None
    graph.scope = ""
    helper = onnx.helper
    inputs = [_value_info(helper, name, _raw(x), _raw(x2), builder.n)
              for name, x, x2 in zip(in_names, first.inputs, second.inputs)]
    outputs = []
    for name, v, w in zip(out_names, first.outputs, second.outputs):
        source = builder.tensor(v, w, v.dtype, None) if v._op is None else builder.names[id(v)]
        graph.nodes.append(helper.make_node("Identity", [source], [name],
                                            name=graph.fresh("output")))
        outputs.append(_value_info(helper, name, v.data, w.data, builder.n))
    nodes, initializers = _used(graph.nodes, graph.initializers, out_names)
    return helper.make_graph(nodes, model_name, inputs, outputs, initializers)


def _used(nodes: List[Any], initializers: List[Any], outputs: List[str]
          ) -> Tuple[List[Any], List[Any]]:
    """The nodes and initializers the outputs need (a fused log_softmax leaves its logsumexp
    unused), in their order."""
    needed, kept = set(outputs), []
    for node in reversed(nodes):
        if needed & set(node.output):
            kept.append(node)
            needed |= set(node.input)
    return kept[::-1], [t for t in initializers if t.name in needed]


def _value_info(helper: Any, name: str, x: Any, x2: Any, n: Optional[int]) -> Any:
    """The declared type of a graph input or output: a size that is the batch size is the
    symbolic 'batch', one that grows otherwise with it (a multiple) is left unnamed."""
    dims = [p if p == q else "batch" if (p, q) == (n, n + 1) else None
            for p, q in zip(np.shape(x), np.shape(x2))]
    dtype = np.asarray(x).dtype
    return helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(dtype), dims)
