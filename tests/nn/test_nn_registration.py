"""Explicit registration: Parameters, sub-modules and buffers through attribute assignment,
the containers, forward hooks, requires_grad_, and the mistakes that raise."""
import numpy as np
import pytest

from autograd import Value
import nn


class Affine(nn.Module):
    """x @ W + b with a constant offset that is not a parameter."""

    def __init__(self):
        super().__init__()
        self.W = nn.Parameter(np.ones((2, 3)))
        self.offset = Value(np.full(3, 0.5), requires_grad=False)
        self.guess = Value(np.zeros(3))                 # a plain Value, even needing a gradient
        self.b = nn.Parameter(np.zeros(3))

    def forward(self, x):
        return x @ self.W + self.b + self.offset + self.guess


def test_only_parameters_register_and_in_assignment_order():
    model = Affine()
    assert [n for n, _ in model.named_parameters()] == ["W", "b"]
    assert model.parameters()[0] is model.W
    assert isinstance(model.W, nn.Parameter) and isinstance(model.W, Value)
    assert list(model.state_dict()) == ["W", "b"]        # the constant is never saved


def test_a_constant_value_is_never_a_models_only_parameter():
    class Shift(nn.Module):
        def __init__(self):
            super().__init__()
            self.c = Value(3.0, requires_grad=False)

        def forward(self, x):
            return x + self.c

    model = Shift()
    assert model.parameters() == [] and model.state_dict() == {}
    with pytest.raises(ValueError, match="empty parameter list"):
        nn.optim.SGD(model.parameters(), lr=0.1)


def test_operations_on_parameters_give_plain_values():
    w = nn.Parameter(np.array([1.0, 2.0]), name="w")
    y = (w * w).sum()
    assert type(y) is Value and repr(w).startswith("Parameter(") and "name='w'" in repr(w)
    assert w.grad is None                                # before any backward pass
    y.backward()
    np.testing.assert_array_equal(w.grad, [2.0, 4.0])


def test_assigning_none_or_another_type_to_a_registered_name():
    layer = nn.Layer(2, 3, seed=0)
    layer.b = None                                       # a slot left empty, as PyTorch
    assert [n for n, _ in layer.named_parameters()] == ["W"] and layer.b is None
    assert layer(np.ones((1, 2))).shape == (1, 3)
    with pytest.raises(TypeError, match="cannot assign a ndarray as parameter 'W'"):
        layer.W = np.zeros((2, 3))
    model = nn.MLP(2, [3], seed=0)
    with pytest.raises(TypeError, match="as sub-module 'layers'"):
        model.layers = [nn.Layer(2, 3)]
    bn = nn.BatchNorm(3)
    with pytest.raises(TypeError, match="as buffer 'running_mean'"):
        bn.running_mean = [0.0, 0.0, 0.0]
    bn.running_mean = np.ones(3)
    np.testing.assert_array_equal(bn.state_dict()["running_mean"], np.ones(3))


def test_reassigning_a_name_moves_it_between_kinds_and_deleting_unregisters():
    model = nn.MLP(2, [2], seed=0)
    model.layers = nn.Parameter(1.0)                     # a module becomes a parameter
    assert [n for n, _ in model.named_parameters()] == ["layers"]
    assert list(model.children()) == []
    with pytest.raises(TypeError, match="cannot assign a Layer as parameter 'layers'"):
        model.layers = nn.Layer(2, 2)                    # as PyTorch: None or a Parameter
    model.layers = None                                  # the slot stays, empty
    assert model.parameters() == [] and model.layers is None
    affine = Affine()
    del affine.b
    assert [n for n, _ in affine.named_parameters()] == ["W"]
    assert not hasattr(affine, "b")


def test_a_forgotten_super_init_is_a_clear_error():
    class NoInit(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(1.0)

    class NoInitModule(nn.Module):
        def __init__(self):
            self.layer = nn.Layer(2, 2)

    class NoInitAtAll(nn.Module):
        def __init__(self):
            self.size = 3

        def forward(self, x):
            return x

    with pytest.raises(AttributeError, match="cannot assign parameter 'w' before "
                                             r"Module.__init__\(\) call"):
        NoInit()
    with pytest.raises(AttributeError, match=r"NoInitModule.__init__ must call "
                                             r"super\(\).__init__\(\) first"):
        NoInitModule()
    with pytest.raises(AttributeError, match=r"must call super\(\).__init__\(\)"):
        NoInitAtAll()(1.0)


@pytest.mark.parametrize("value, fix", [
    ([nn.Layer(2, 2), nn.Layer(2, 2)], "nn.ModuleList"),
    ((nn.Layer(2, 2),), "nn.ModuleList"),
    ({"encoder": nn.Layer(2, 2)}, "nn.ModuleDict"),
    ([nn.Parameter(1.0)], "nn.ParameterList"),
    ({"w": nn.Parameter(1.0)}, "one attribute per parameter"),
], ids=["list", "tuple", "dict", "parameter-list", "parameter-dict"])
def test_a_plain_container_of_layers_or_parameters_is_refused(value, fix):
    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.parts = value

    with pytest.raises(TypeError, match=f"Holder.parts: a plain {type(value).__name__} .*is "
                                        f"not registered.*use {fix}"):
        Holder()


def test_plain_containers_of_other_things_are_plain_attributes():
    class Notes(nn.Module):
        def __init__(self):
            super().__init__()
            self.seen = []
            self.sizes = {"in": 2, "out": 3}
            self.inputs = [Value(1.0)]

    notes = Notes()
    notes.seen.append(1)
    assert notes.parameters() == [] and notes.sizes["out"] == 3


def test_module_dict_registers_its_layers():
    class TwoHeads(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Layer(4, 8, seed=0)
            self.heads = nn.ModuleDict({"mean": nn.Layer(8, 1, None, seed=1),
                                        "scale": nn.Layer(8, 1, "softplus", seed=2)})

        def forward(self, x):
            h = self.body(x)
            return {k: head(h) for k, head in self.heads.items()}

    model = TwoHeads()
    assert [n for n, _ in model.named_parameters()] == [
        "body.W", "body.b", "heads.mean.W", "heads.mean.b", "heads.scale.W", "heads.scale.b"]
    out = model(np.ones((5, 4)))
    (out["mean"].sum() + out["scale"].sum()).backward()
    assert all(p.grad is not None for p in model.parameters())
    assert "mean" in model.heads and len(model.heads) == 2 and model.heads.keys() == [
        "mean", "scale"]
    with pytest.raises(KeyError, match="no module named 'var'.*mean, scale"):
        model.heads["var"]
    with pytest.raises(ValueError, match="without '.'"):
        model.heads["a.b"] = nn.Layer(8, 1)
    with pytest.raises(TypeError, match="must be an nn.Module"):
        model.heads["other"] = np.ones(3)
    copy = TwoHeads()
    copy.load_state_dict(model.state_dict())
    np.testing.assert_array_equal(copy.heads["scale"].W.data, model.heads["scale"].W.data)


def test_module_list_indexes_like_a_list_and_keeps_its_order():
    layers = nn.ModuleList([nn.Layer(2, 2, seed=i) for i in range(3)])
    first, last = layers[0], layers[-1]
    replacement = nn.Layer(2, 2, seed=9)
    layers[1] = replacement
    assert list(layers) == [first, replacement, last] and len(layers) == 3
    assert [n for n, _ in layers.named_parameters()][2:4] == ["1.W", "1.b"]
    assert list(layers[1:]) == [replacement, last]
    layers.append(nn.Dropout(0.1))
    assert len(layers) == 4
    with pytest.raises(IndexError, match="index 4 is out of range for 4 items"):
        layers[4]
    with pytest.raises(TypeError, match="must be an nn.Module"):
        layers.append(lambda x: x)
    with pytest.raises(NotImplementedError, match="ModuleList does not define forward"):
        layers(np.ones(2))


def test_parameter_list_keeps_micrograds_neuron_weights():
    n = nn.Neuron(3, activation="tanh", seed=0)
    assert isinstance(n.w, nn.ParameterList) and len(n.w) == 3
    assert n.w[0] is n.parameters()[0] and n.w[-1] is n.parameters()[2]
    assert [name for name, _ in n.named_parameters()] == ["w.0", "w.1", "w.2", "b"]
    assert all(p is q for p, q in zip(n.parameters(), list(n.w) + [n.b]))  # w + [b]
    assert [name for name, _ in n.named_modules()] == [""]   # the list is not a layer
    assert repr(n) == "Neuron(3, activation='tanh')" and "(N, 1)" in n.summary()
    for add in (lambda: n.w.append(Value(1.0)), lambda: n.w.extend([2.0]),
                lambda: n.w.insert(0, Value(1.0)), lambda: n.w.__setitem__(0, 1.0),
                lambda: nn.ParameterList([Value(1.0)])):
        with pytest.raises(TypeError, match="items must be nn.Parameter.*wrap it"):
            add()
    assert len(n.w) == 3
    new = nn.Parameter(0.25)
    n.w[1] = new
    n.w.append(nn.Parameter(0.5))                            # seen wherever the list stands
    assert n.parameters()[1] is new and [name for name, _ in n.named_parameters()] == [
        "w.0", "w.1", "w.2", "w.3", "b"]
    with pytest.raises(TypeError, match="cannot assign a list as parameter 'w'"):
        n.w = [nn.Parameter(1.0)]


def test_buffers_are_registered_explicitly_saved_and_loaded(tmp_path):
    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = nn.Layer(2, 2, seed=0)
            self.register_buffer("seen", np.zeros(2))
            self.register_buffer("scratch", np.zeros(4), persistent=False)
            self.plain = np.zeros(5)                     # an array attribute: not a buffer

        def forward(self, x):
            self.seen = self.seen + np.asarray(x).sum(axis=0)
            return self.layer(x)

    model = Counter()
    model(np.ones((3, 2)))
    assert [n for n, _ in model.named_buffers()] == ["seen", "scratch"]
    assert list(model.state_dict()) == ["layer.W", "layer.b", "seen"]
    model.save(tmp_path / "counter.npz")
    other = Counter().load(tmp_path / "counter.npz")
    np.testing.assert_array_equal(other.seen, [3.0, 3.0])
    assert "Non-trainable buffers: 6" in model.summary()
    with pytest.raises(ValueError, match="already has an attribute 'plain'"):
        model.register_buffer("plain", np.ones(5))
    with pytest.raises(TypeError, match="got a Value"):
        model.register_buffer("w", Value(np.ones(2)))


def test_files_saved_with_the_historical_names_still_load(tmp_path):
    mlp = nn.MLP(2, [3, 1], seed=0)
    arrays = {"layers.0.W": np.full((2, 3), 0.5), "layers.0.b": np.arange(3.0),
              "layers.1.W": np.ones((3, 1)), "layers.1.b": np.array([2.0])}
    np.savez(tmp_path / "old.npz", **arrays)
    mlp.load(tmp_path / "old.npz")
    np.testing.assert_array_equal(mlp.layers[0].b.data, np.arange(3.0))
    neuron = nn.Neuron(2, seed=0)
    np.savez(tmp_path / "neuron.npz", **{"w.0": np.array(1.5), "w.1": np.array(-1.0),
                                         "b": np.array(0.25)})
    neuron.load(tmp_path / "neuron.npz")
    assert (neuron.w[0].data, neuron.w[1].data, neuron.b.data) == (1.5, -1.0, 0.25)
    assert type(neuron.w[0].data) is float


def test_forward_hooks_see_inputs_and_outputs_and_can_be_removed():
    layer = nn.Layer(2, 3, seed=0)
    calls = []
    handle = layer.register_forward_hook(
        lambda module, args, out: calls.append((module, args[0].shape, out.shape)))
    x = np.ones((4, 2))
    out = layer(x)
    assert calls == [(layer, (4, 2), (4, 3))]
    handle.remove()
    handle.remove()                                      # a second remove does nothing
    layer(x)
    assert len(calls) == 1
    np.testing.assert_array_equal(layer(x).data, out.data)


def test_hooks_can_replace_arguments_and_outputs():
    layer = nn.Layer(2, 2, activation=None, seed=0)
    x = np.ones((1, 2))
    plain = layer(x).data
    with layer.register_forward_pre_hook(lambda m, args: args[0] * 2.0):
        doubled = layer(x).data
    with layer.register_forward_hook(lambda m, args, out: out * 0.0):
        zeroed = layer(x).data
    np.testing.assert_allclose(doubled, 2.0 * x @ layer.W.data + layer.b.data)
    assert not np.any(zeroed)
    np.testing.assert_array_equal(layer(x).data, plain)   # both hooks are gone
    with pytest.raises(TypeError, match="hook must be callable"):
        layer.register_forward_hook("print")


def test_hooks_on_inner_layers_run_when_the_model_runs():
    model = nn.MLP(2, [4, 4, 1], seed=0)
    names = []
    handles = [layer.register_forward_hook(lambda m, a, o, i=i: names.append(i))
               for i, layer in enumerate(model.layers)]
    model(np.ones((2, 2)))
    assert names == [0, 1, 2]
    for handle in handles:
        handle.remove()


def test_requires_grad_freezes_a_module():
    model = nn.MLP(2, [3, 1], seed=0)
    assert model.layers[0].requires_grad_(False) is model.layers[0]
    model(np.ones((4, 2))).sum().backward()
    assert model.layers[0].W.grad is None and model.layers[1].W.grad is not None
    before = model.layers[0].W.data.copy()
    nn.optim.SGD(model.parameters(), lr=0.1).step()
    np.testing.assert_array_equal(model.layers[0].W.data, before)
    model.requires_grad_()
    assert all(p.requires_grad for p in model.parameters())


def test_register_parameter_checks_its_arguments():
    layer = nn.Layer(2, 2, seed=0)
    with pytest.raises(TypeError, match="must be an nn.Parameter or None.*wrap it"):
        layer.register_parameter("scale", Value(1.0))
    with pytest.raises(ValueError, match="non-empty and without '.'"):
        layer.register_parameter("a.b", nn.Parameter(1.0))
    with pytest.raises(TypeError, match="the name must be a str"):
        layer.register_parameter(3, nn.Parameter(1.0))
    layer.register_parameter("scale", nn.Parameter(2.0))
    assert [n for n, _ in layer.named_parameters()][-1] == "scale"
