"""The gradient verdict of every node of a drawing, from `autograd.health`: the rule
`nn.gradient_report` applies to parameters, so a parameter is judged the same in both.

The parameters are the model's when one is given (`model=`), otherwise the leaves of the graph
that need a gradient (micrograd's parameters); their largest gradient norm is the reference
against which gradients vanish. A learning rate (`lr=`) is applied to the parameters only.
A ReLU output is judged by its own dead units; with a model, a parameter also gets the dead
units of the last ReLU of its module in the graph, as the report gets them from its forward
hooks.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from autograd import health
from autograd.health import Verdict
from autograd.value import Value
from visualize.names import node_modules, parameter_names
from visualize.trace import Graph, trace


def _leaf_parameters(graph: Graph) -> List[Value]:
    return [v for v, ps in zip(graph.nodes, graph.parents) if not ps and v.requires_grad]


def reference(root: Value) -> float:
    """The largest gradient norm of the leaves of `root`'s graph that need a gradient (the
    reference of a drawing without a model); 0.0 before any backward pass.

    >>> from autograd import Value
    >>> a, b = Value(1.0), Value(2.0); y = a * 3.0 + b; y.backward(); reference(y)
    3.0
    """
    return health.reference(v.grad for v in _leaf_parameters(trace(root)))


def classify(node: Value, ref: float, lr: Optional[float] = None) -> Verdict:
    """The verdict on one node as a drawing without a model gives it: `ref` is the reference
    (see `reference`), `lr` is given when the node is a parameter, and a ReLU output is judged
    by its own dead units.

    >>> from autograd import Value
    >>> x, w = Value(1.0), Value(1.0); y = x * 1e-9 + w; y.backward()
    >>> classify(x, reference(y)).kind, classify(w, reference(y)).kind
    ('vanishing', 'ok')
    """
    dead = health.dead_units(node.data) if node.op == "relu" else None
    return health.judge(node.grad, node.data, ref, lr=lr, dead=dead,
                        needs_grad=node.requires_grad)


def graph_verdicts(graph: Graph, model: Any = None, lr: Optional[float] = None
                   ) -> List[Verdict]:
    """The verdict on every node of `graph`, in node order."""
    names = parameter_names(model)
    params = ([p for _, p in model.named_parameters()] if model is not None
              else _leaf_parameters(graph))
    ref = health.reference(p.grad for p in params)
    is_param = {id(p) for p in params}
    dead = _parameter_dead_units(graph, names) if names else {}
    out = []
    for v in graph.nodes:
        if id(v) in is_param:
            out.append(health.judge(v.grad, v.data, ref, lr=lr, dead=dead.get(id(v))))
        else:
            out.append(classify(v, ref))
    return out


def _parameter_dead_units(graph: Graph, names: Dict[int, Tuple[str, str]]
                          ) -> Dict[int, Tuple[int, int]]:
    """id(parameter) -> (dead, total) units of the last ReLU applied in its module: the
    module of a ReLU node is the one whose parameters feed it (`node_modules`), and its dead
    units count for every parameter of that module and the modules inside it."""
    under: Dict[str, List[int]] = {}
    for key, (name, _) in names.items():
        parts = name.split(".")
        for n in range(len(parts)):
            under.setdefault(".".join(parts[:n]), []).append(key)
    modules = node_modules(graph, names)
    out: Dict[int, Tuple[int, int]] = {}
    for v, module in zip(graph.nodes, modules):
        if v.op == "relu" and module is not None:
            units = health.dead_units(v.data)
            for key in under.get(module, ()):
                out[key] = units
    return out
