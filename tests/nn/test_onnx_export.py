"""nn.export_onnx: for every layer family and the demo models, the written model passes
onnx.checker and ONNX Runtime computes what we compute (float32 to 1e-5, float64 to 1e-10), at
the example's batch size and, with the batch symbolic, at others; what cannot be exported raises
naming the op and module, and writes nothing.

ONNX Runtime (CPU) has no float64 kernel for Conv, AveragePool and Erf (so GELU's exact form):
models with those are checked in float32, and that they fail to load in float64 is checked too,
so the day onnxruntime adds the kernels this note is updated.
"""
import functools
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Value
from nn import functional as F
from seegrad.charlm import CharLSTM
from seegrad.cnn import build_cnn
from seegrad.reverse import Reverser

onnx = pytest.importorskip("onnx", reason="the onnx extra is not installed "
                                          "(pip install seegrad[onnx])")
ort = pytest.importorskip("onnxruntime", reason="the onnx extra is not installed "
                                                "(pip install seegrad[onnx])")

TOLERANCE = {np.float32: 1e-5, np.float64: 1e-10}
BOTH = [np.float32, np.float64]


def outputs_of(model, x):
    """Our outputs for input x (in evaluation mode), flattened, as arrays."""
    model.eval()
    given = Value(x, requires_grad=False) if x.dtype.kind == "f" else x
    result = model(given)
    flat = []

    def walk(r):
        if isinstance(r, (tuple, list)):
            for item in r:
                walk(item)
        else:
            flat.append(np.asarray(r.data))
    walk(result)
    return flat


def exported(model, x, path, **options):
    """Export, check with onnx.checker, and open an onnxruntime session on the file."""
    nn.export_onnx(model, x, str(path), **options)
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    return proto, ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def assert_runs_as_ours(model, x, others, path, dtype, **options):
    """ONNX Runtime's outputs equal ours on x and on each of `others`."""
    _, session = exported(model, x, path, **options)
    name = session.get_inputs()[0].name
    tol = TOLERANCE[np.dtype(dtype).type]
    for sample in [x] + list(others):
        ours = outputs_of(model, sample)
        theirs = session.run(None, {name: sample})
        assert len(theirs) == len(ours)
        for t, o in zip(theirs, ours):
            assert t.dtype == o.dtype and t.shape == o.shape
            np.testing.assert_allclose(t, o, rtol=tol, atol=tol)


def normal(rng, shape, dtype):
    return rng.normal(size=shape).astype(dtype)


# ----- dense layers and activations ----------------------------------------------------------
ACTIVATIONS = ["relu", "tanh", "sigmoid", "softmax", "leaky_relu", "elu", "selu", "silu", "mish",
               "softplus", F.log_softmax, functools.partial(F.gelu, approximate="tanh")]


@pytest.mark.parametrize("dtype", BOTH)
@pytest.mark.parametrize("activation", ACTIVATIONS, ids=F.activation_name)
def test_dense_layers_and_activations(tmp_path, dtype, activation):
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(3, 6, dtype=dtype, seed=0), nn.Activation(activation),
                          nn.Dropout(0.5), nn.Identity(), nn.Linear(6, 4, dtype=dtype, seed=1))
    assert_runs_as_ours(model, normal(rng, (5, 3), dtype),
                        [normal(rng, (1, 3), dtype), normal(rng, (9, 3), dtype)],
                        tmp_path / "m.onnx", dtype)


@pytest.mark.parametrize("dtype", BOTH)
def test_micrograd_mlp_layer_batchnorm_prelu_maxout(tmp_path, dtype):
    rng = np.random.default_rng(1)
    norm = nn.BatchNorm(8, dtype=dtype)
    norm.running_mean = normal(rng, 8, dtype)
    norm.running_var = (1 + rng.random(8)).astype(dtype)
    model = nn.Sequential(nn.MLP(4, [8, 8], activation="tanh", dtype=dtype, seed=0), norm,
                          nn.PReLU(8, dtype=dtype), nn.Maxout(8, 3, dtype=dtype, seed=0),
                          nn.Layer(3, 2, activation="sigmoid", dtype=dtype, seed=0))
    assert_runs_as_ours(model, normal(rng, (6, 4), dtype), [normal(rng, (2, 4), dtype)],
                        tmp_path / "m.onnx", dtype)


def test_an_activation_on_an_input_that_is_all_positive_still_works_for_negatives(tmp_path):
    """The example (all > 0) gives leaky_relu a condition that is all True in both recordings:
    it is still written as x > 0, not as a constant."""
    model = nn.Sequential(nn.Activation("leaky_relu"), nn.Linear(3, 2))
    rng = np.random.default_rng(14)
    assert_runs_as_ours(model, rng.random((4, 3)) + 0.1, [-rng.random((4, 3))],
                        tmp_path / "m.onnx", np.float64, dynamic_batch=False)


def test_gelu_exact_form_in_float32(tmp_path):
    rng = np.random.default_rng(2)
    model = nn.Sequential(nn.Linear(3, 5, dtype=np.float32), nn.Activation("gelu"))
    assert_runs_as_ours(model, normal(rng, (4, 3), np.float32), [normal(rng, (7, 3), np.float32)],
                        tmp_path / "m.onnx", np.float32)


@pytest.mark.parametrize("model, shape", [
    (nn.Activation("gelu"), (2, 3)),
    (nn.Conv1d(2, 3, 3, dtype=np.float64), (2, 2, 6)),
    (nn.AvgPool1d(2), (2, 2, 6)),
], ids=["Erf", "Conv", "AveragePool"])
def test_onnxruntime_has_no_float64_kernel_for_these(tmp_path, model, shape):
    """The float64 export is valid ONNX; onnxruntime cannot run it (hence float32 above)."""
    path = tmp_path / "m.onnx"
    nn.export_onnx(model, np.ones(shape), str(path))
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    with pytest.raises(Exception, match="NOT_IMPLEMENTED"):
        ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


# ----- convolutions, pooling, batch norm, flatten ---------------------------------------------
@pytest.mark.parametrize("model, shape", [
    (nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, seed=0, dtype=np.float32), nn.BatchNorm2d(4),
                   nn.Activation("relu"), nn.MaxPool2d(2), nn.Flatten(),
                   nn.Linear(4 * 3 * 3, 2, seed=0, dtype=np.float32)), (3, 3, 7, 6)),
    (nn.Sequential(nn.Conv2d(2, 4, (3, 2), stride=2, dilation=(1, 2), groups=2, seed=0,
                             dtype=np.float32), nn.AvgPool2d(2, padding=1,
                                                             count_include_pad=False),
                   nn.AdaptiveAvgPool2d((3, 2))), (2, 2, 11, 9)),
    (nn.Sequential(nn.Conv1d(3, 6, 3, padding="same", groups=3, seed=0, dtype=np.float32),
                   nn.MaxPool1d(3, stride=2, padding=1, ceil_mode=True),
                   nn.AvgPool1d(2), nn.AdaptiveAvgPool1d(1), nn.Flatten()), (2, 3, 13)),
    (nn.Sequential(nn.Conv1d(2, 2, 2, padding="valid", bias=False, seed=0, dtype=np.float32),
                   nn.AdaptiveAvgPool1d(3)), (4, 2, 8)),
], ids=["conv-bn-pool", "strided-grouped", "conv1d-pools", "adaptive-uneven"])
def test_convolution_families(tmp_path, model, shape):
    rng = np.random.default_rng(3)
    for m in model:
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean = normal(rng, 4, np.float32)
            m.running_var = (1 + rng.random(4)).astype(np.float32)
            m.weight.data[...] = normal(rng, 4, np.float32)
    other = (shape[0] + 3,) + shape[1:]
    assert_runs_as_ours(model, normal(rng, shape, np.float32), [normal(rng, other, np.float32)],
                        tmp_path / "m.onnx", np.float32)


@pytest.mark.parametrize("dtype", BOTH)
def test_max_and_adaptive_pooling_in_both_dtypes(tmp_path, dtype):
    rng = np.random.default_rng(4)
    model = nn.Sequential(nn.MaxPool2d(3, stride=2, padding=1, dilation=1, ceil_mode=True),
                          nn.AdaptiveAvgPool2d((2, None)), nn.Flatten())
    assert_runs_as_ours(model, normal(rng, (2, 3, 9, 8), dtype),
                        [normal(rng, (5, 3, 9, 8), dtype)], tmp_path / "m.onnx", dtype)


# ----- layer norm, attention, transformer -------------------------------------------------------
@pytest.mark.parametrize("dtype", BOTH)
@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_encoder(tmp_path, dtype, norm_first):
    rng = np.random.default_rng(5)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1, norm_first=norm_first,
                                       batch_first=True, dtype=dtype, seed=0)
    model = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8, dtype=dtype))
    assert_runs_as_ours(model, normal(rng, (2, 5, 8), dtype), [normal(rng, (3, 5, 8), dtype)],
                        tmp_path / "m.onnx", dtype)


class CausalSelfAttention(nn.Module):
    def __init__(self, dtype):
        super().__init__()
        self.attention = nn.MultiheadAttention(8, 4, dtype=dtype, seed=0)
        self.norm = nn.LayerNorm((5, 8), dtype=dtype)

    def forward(self, x):
        out, weights = self.attention(x, x, x, is_causal=True)
        return self.norm(out.swapaxes(0, 1)), weights


@pytest.mark.parametrize("dtype", BOTH)
def test_causal_multihead_attention_sequence_first(tmp_path, dtype):
    rng = np.random.default_rng(6)
    model = CausalSelfAttention(dtype)
    model.norm.weight.data[...] = normal(rng, (5, 8), dtype)
    assert_runs_as_ours(model, normal(rng, (5, 2, 8), dtype), [normal(rng, (5, 4, 8), dtype)],
                        tmp_path / "m.onnx", dtype, batch_axis=1)


# ----- recurrent layers -----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", BOTH)
@pytest.mark.parametrize("layer", [
    lambda dt: nn.RNN(3, 4, num_layers=2, nonlinearity="relu", batch_first=True, dtype=dt, seed=0),
    lambda dt: nn.LSTM(3, 4, num_layers=2, batch_first=True, dtype=dt, seed=0),
    lambda dt: nn.GRU(3, 4, bidirectional=True, batch_first=True, dtype=dt, seed=0),
    lambda dt: nn.LSTM(3, 4, bidirectional=True, bias=False, batch_first=True, dtype=dt, seed=0),
], ids=["RNN", "LSTM", "GRU", "LSTM-bidirectional-nobias"])
def test_recurrent_sequences(tmp_path, dtype, layer):
    rng = np.random.default_rng(7)
    assert_runs_as_ours(layer(dtype), normal(rng, (2, 6, 3), dtype),
                        [normal(rng, (5, 6, 3), dtype)], tmp_path / "m.onnx", dtype)


@pytest.mark.parametrize("dtype", BOTH)
def test_recurrent_sequence_first_with_the_batch_on_axis_1(tmp_path, dtype):
    rng = np.random.default_rng(8)
    proto, _ = exported(nn.GRU(3, 4, dtype=dtype, seed=0), normal(rng, (6, 2, 3), dtype),
                        tmp_path / "m.onnx", batch_axis=1)
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_value or d.dim_param for d in dims] == [6, "batch", 3]
    assert_runs_as_ours(nn.GRU(3, 4, dtype=dtype, seed=0), normal(rng, (6, 2, 3), dtype),
                        [normal(rng, (6, 7, 3), dtype)], tmp_path / "m.onnx", dtype,
                        batch_axis=1)


@pytest.mark.parametrize("dtype", BOTH)
@pytest.mark.parametrize("cell", [nn.RNNCell, nn.LSTMCell, nn.GRUCell])
def test_recurrent_cells(tmp_path, dtype, cell):
    rng = np.random.default_rng(9)
    assert_runs_as_ours(cell(3, 5, dtype=dtype, seed=0), normal(rng, (4, 3), dtype),
                        [normal(rng, (1, 3), dtype)], tmp_path / "m.onnx", dtype)


# ----- embedding ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", BOTH)
def test_embedding_with_a_padding_row(tmp_path, dtype):
    model = nn.Sequential(nn.Embedding(6, 3, padding_idx=0, dtype=dtype, seed=0),
                          nn.Linear(3, 2, dtype=dtype, seed=0))
    x = np.array([[0, 1, 5], [2, 0, 0]])
    assert_runs_as_ours(model, x, [np.array([[3, 3, 3]]), np.array([[0, 4, 1]] * 4)],
                        tmp_path / "m.onnx", dtype)


# ----- the demo models ------------------------------------------------------------------------
def test_demo_mlp(tmp_path):
    rng = np.random.default_rng(10)
    model = nn.MLP(64, [32, 16, 10], dtype=np.float64, seed=0)
    assert_runs_as_ours(model, normal(rng, (3, 64), np.float64),
                        [normal(rng, (11, 64), np.float64)], tmp_path / "m.onnx", np.float64)


def test_demo_cnn(tmp_path):
    args = types.SimpleNamespace(seed=0, dtype="float32", activation="relu",
                                 loss="cross_entropy", load=None)
    data = types.SimpleNamespace(image_shape=(8, 8), n_classes=10)
    model = build_cnn(args, data)
    rng = np.random.default_rng(11)
    model.train()
    model(normal(rng, (16, 1, 8, 8), np.float32))       # running statistics that are not 0 and 1
    assert_runs_as_ours(model, normal(rng, (2, 1, 8, 8), np.float32),
                        [normal(rng, (5, 1, 8, 8), np.float32)], tmp_path / "m.onnx",
                        np.float32)


@pytest.mark.parametrize("dtype", BOTH)
def test_demo_lstm_language_model(tmp_path, dtype):
    rng = np.random.default_rng(12)
    model = CharLSTM(7, 6, embedding_dim=5, dtype=dtype, seed=0)
    assert_runs_as_ours(model, rng.integers(0, 7, (2, 8)), [rng.integers(0, 7, (3, 8))],
                        tmp_path / "m.onnx", dtype, output_names=["scores", "h_n", "c_n"])


@pytest.mark.parametrize("dtype", BOTH)
def test_demo_transformer(tmp_path, dtype):
    rng = np.random.default_rng(13)
    model = Reverser(6, d_model=8, nhead=2, num_layers=2, dim_feedforward=16, dtype=dtype, seed=0)
    assert_runs_as_ours(model, rng.integers(0, 10, (2, 6)), [rng.integers(0, 10, (5, 6))],
                        tmp_path / "m.onnx", dtype)


# ----- what the file holds ----------------------------------------------------------------------
def test_parameters_are_initializers_named_by_the_state_dict_and_the_batch_is_symbolic(
        tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.Activation("relu"), nn.Linear(4, 2))
    proto, _ = exported(model, np.ones((5, 3)), tmp_path / "m.onnx",
                        input_names=["features"], output_names=["scores"])
    initializers = {t.name: onnx.numpy_helper.to_array(t) for t in proto.graph.initializer}
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(initializers[name], p.data)
    assert [i.name for i in proto.graph.input] == ["features"]
    assert [o.name for o in proto.graph.output] == ["scores"]
    for value in (proto.graph.input[0], proto.graph.output[0]):
        assert value.type.tensor_type.shape.dim[0].dim_param == "batch"
    assert proto.opset_import[0].version == nn.onnx_export.OPSET


def test_the_export_runs_in_evaluation_mode_and_leaves_the_mode_as_it_was(tmp_path):
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5), nn.Sequential(nn.Dropout(0.5)))
    model[2].eval()
    _, session = exported(model, np.ones((4, 3)), tmp_path / "m.onnx")
    assert [m.training for m in model.modules()] == [True, True, True, False, False]
    model.eval()
    np.testing.assert_allclose(session.run(None, {"input": np.ones((4, 3))})[0],
                               model(np.ones((4, 3))).data, rtol=1e-10)


class ManyOps(nn.Module):
    """Slices (reversed too), integer indices, None, reshapes, transposes, joins, broadcasts,
    reductions, elementwise ops, a constant mask, a gather and a cast; a scalar output."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 4, seed=0)

    def forward(self, x):
        h = self.linear(x)
        a = h[:, ::-1] + h[:, 1][:, None] * 2.0
        b = ag.concatenate([a, h[..., None][..., 0] ** 2.0], axis=1)
        c = b.reshape((b.shape[0], 2, 4)).transpose((0, 2, 1))
        d = ag.broadcast_to(h[:, None, :], (h.shape[0], 3, 4))
        e = (d.sum(axis=1) + d.max(axis=(1, 2), keepdims=True)[:, 0] - d.min(axis=1)
             + d.mean(axis=1))
        f = ag.logsumexp(c, axis=1) + ag.maximum(c, 0.1).sum(axis=2)[:, :2]
        g = ag.sqrt(ag.abs(e) + 1.0).log() * ag.exp(-ag.abs(e))
        k = ag.where(np.array([True, False, True, False]), g, -g)
        t = ag.take(k, [3, 0, 0], axis=1)
        s = ag.stack([t, t * 0.5], axis=1).swapaxes(1, 2)
        return s.astype(np.float32), f, ag.tanh(c).sum()


def test_shape_reduction_and_elementwise_ops(tmp_path):
    rng = np.random.default_rng(15)
    _, session = exported(ManyOps(), normal(rng, (3, 4), np.float64), tmp_path / "m.onnx")
    for x in (normal(rng, (3, 4), np.float64), normal(rng, (6, 4), np.float64)):
        theirs = session.run(None, {"input": x})
        ours = outputs_of(ManyOps(), x)
        assert [t.dtype for t in theirs] == [np.float32, np.float64, np.float64]
        for t, o in zip(theirs, ours):
            assert t.shape == o.shape
            np.testing.assert_allclose(t, o, rtol=1e-10, atol=1e-10)


def test_batch_norms_are_batch_normalization_with_their_buffers_named(tmp_path):
    f32 = np.float32
    model = nn.Sequential(nn.Conv2d(1, 2, 3, dtype=f32), nn.BatchNorm2d(2, dtype=f32),
                          nn.BatchNorm2d(2, affine=False, dtype=f32), nn.Flatten(),
                          nn.BatchNorm(8, dtype=f32))
    proto, _ = exported(model, np.ones((2, 1, 4, 4), f32), tmp_path / "m.onnx")
    assert [n.op_type for n in proto.graph.node].count("BatchNormalization") == 3
    names = {t.name for t in proto.graph.initializer}
    assert {"1.running_mean", "1.running_var", "2.running_var", "4.gamma", "4.beta",
            "4.running_mean"} <= names


@pytest.mark.parametrize("activation, op_type", [("softmax", "Softmax"),
                                                  (F.log_softmax, "LogSoftmax")])
def test_softmax_and_log_softmax_are_written_as_such(tmp_path, activation, op_type):
    model = nn.Sequential(nn.Linear(3, 4), nn.Activation(activation))
    proto, _ = exported(model, np.ones((2, 3)), tmp_path / "m.onnx")
    kinds = [node.op_type for node in proto.graph.node]
    assert op_type in kinds and "Exp" not in kinds and "ReduceMax" not in kinds


def test_a_fixed_batch_is_written_when_asked(tmp_path):
    proto, session = exported(nn.Linear(3, 2), np.ones((5, 3)), tmp_path / "m.onnx",
                              dynamic_batch=False)
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_value for d in dims] == [5, 3]
    with pytest.raises(Exception, match="dimension|Got invalid dimensions"):
        session.run(None, {"input": np.ones((4, 3))})


# ----- what cannot be exported, and writing nothing then ------------------------------------------
class Sorts(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 3)

    def forward(self, x):
        return ag.cumsum(self.linear(x), axis=1)


class MasksOutsideTheGraph(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 3)

    def forward(self, x):
        return self.linear(x) * (x.data > 0.5)


class LoopsOverSamples(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 3)

    def forward(self, x):
        return ag.stack([self.linear(x[i]) for i in range(x.shape[0])])


@pytest.mark.parametrize("model, words", [
    (Sorts(), ["op 'cumsum'", "Sorts.forward"]),
    (nn.Sequential(nn.Linear(3, 3), nn.Activation(lambda v: ag.cumprod(v, axis=-1))),
     ["op 'cumprod'", "module '1' (Activation)"]),
    (nn.Sequential(nn.Linear(3, 3), nn.Activation(lambda v: ag.getitem(
        v, (np.arange(v.shape[0])[:, None], np.argsort(v.data, axis=-1))))),
     ["op 'getitem'", "module '1' (Activation)", "indexes with integers computed"]),
    (MasksOutsideTheGraph(), ["op '*'", "computed from the model's input outside"]),
    (LoopsOverSamples(), ["different ops for another input", "dynamic_batch=False"]),
], ids=["op", "op-in-module", "data-dependent-index", "data-dependent-constant",
        "batch-dependent-graph"])
def test_what_cannot_be_exported_raises_and_writes_nothing(tmp_path, model, words):
    path = tmp_path / "m.onnx"
    with pytest.raises(ValueError) as error:
        nn.export_onnx(model, np.random.default_rng(0).normal(size=(4, 3)), str(path))
    for word in words:
        assert word in str(error.value)
    assert os.listdir(tmp_path) == []


def test_a_fixed_batch_still_refuses_numbers_computed_from_the_input(tmp_path):
    with pytest.raises(ValueError, match="computed from the model's input outside"):
        nn.export_onnx(MasksOutsideTheGraph(), np.random.default_rng(0).normal(size=(4, 3)),
                       str(tmp_path / "m.onnx"), dynamic_batch=False)
    assert os.listdir(tmp_path) == []


def test_a_failed_export_leaves_an_existing_file_as_it_was(tmp_path):
    path = tmp_path / "m.onnx"
    path.write_bytes(b"before")
    with pytest.raises(ValueError):
        nn.export_onnx(Sorts(), np.ones((2, 3)), str(path))
    assert path.read_bytes() == b"before" and os.listdir(tmp_path) == ["m.onnx"]


@pytest.mark.parametrize("options, error, words", [
    (dict(input_names=["a", "b"]), ValueError, ["input_names", "1 distinct"]),
    (dict(output_names=[""]), ValueError, ["output_names"]),
    (dict(opset=17), ValueError, ["opset must be an int from 18"]),
    (dict(input_names=["x"], output_names=["x"]), ValueError, ["name both an input and an"]),
    (dict(batch_axis=2), ValueError, ["batch_axis=2", "dynamic_batch=False"]),
], ids=["input-names", "output-names", "opset", "same-names", "batch-axis"])
def test_bad_arguments_raise_before_anything_is_written(tmp_path, options, error, words):
    path = tmp_path / "m.onnx"
    with pytest.raises(error) as caught:
        nn.export_onnx(nn.Linear(3, 2), np.ones((2, 3)), str(path), **options)
    for word in words:
        assert word in str(caught.value)
    assert not path.exists()


def test_importing_nn_imports_neither_onnx_nor_torch():
    """They are optional: only export_onnx, to_torch and from_torch import them, when called."""
    root = Path(__file__).resolve().parents[2]
    code = "import sys, nn; print(sorted({'onnx', 'onnxruntime', 'torch'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_missing_folder_and_a_missing_onnx_are_named(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        nn.export_onnx(nn.Linear(3, 2), np.ones((2, 3)), str(tmp_path / "no" / "m.onnx"))
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"pip install seegrad\[onnx\]"):
        nn.export_onnx(nn.Linear(3, 2), np.ones((2, 3)), str(tmp_path / "m.onnx"))
    assert os.listdir(tmp_path) == []
