"""`draw_dot`: the computation graph as Graphviz DOT, one record per value, one oval per op.

The DOT text is built here (fast, deterministic, escaped once) and handed to
`graphviz.Digraph`, which renders it and displays it inline as SVG in notebooks. Graphs with
more than `max_nodes` drawn nodes are summarised by `visualize.collapse`.
"""
from __future__ import annotations

import functools
from typing import Any, Dict, List, Optional, Tuple

from autograd.gradcheck import OpFinding, check_ops
from autograd.health import Verdict
from autograd.value import Value
from visualize.collapse import collapsed_lines
from visualize.errors import explain_missing_dot
from visualize.format import escape_record, escape_string, numbers, op_label, shape_text
from visualize.health import graph_verdicts
from visualize.legend import legend_lines
from visualize.names import parameter_names
from visualize.options import Options, Step
from visualize.style import (BLACK, CONSTANT, DARK, EDGE, FLAG_BORDER, FLOW_EDGE, FRAME_COLORS,
                             ROOT_BORDER, WHITE, WRONG_VJP, fill_color)
from visualize.trace import Graph, trace


def dot_source(root: Value, model: Any = None, **options: Any) -> str:
    """The DOT text `draw_dot` would draw (needs neither graphviz package nor `dot`).

    >>> from autograd import Value
    >>> print(dot_source(Value(2.0, name='x') * 3.0, color=None).count(' -> '))
    3
    """
    return "digraph {\n" + "".join(body_lines(trace(root), Options(**options), model)) + "}\n"


def draw_dot(root: Value, format: str = "svg", rankdir: str = "LR", show_data: bool = True,
             show_grad: bool = True, max_elems: int = 6, precision: int = 4,
             color: Optional[str] = "grad", max_nodes: int = 500, model: Any = None,
             check: bool = False, lr: Optional[float] = None) -> Any:
    """Draw the graph that made `root` as a `graphviz.Digraph` (shows inline in notebooks).

    Value nodes read `name | data | grad`; with `color='grad'` they are coloured by the size
    of their gradient and flagged when it vanishes, explodes, is NaN/Inf, or sits behind a dead
    ReLU (the verdicts of `autograd.health`, the ones `nn.gradient_report` gives; `lr=` judges
    the parameters' update sizes as the report does). Pass `model=` to name parameters after
    their place in the model (`layers.0.W`) and judge them against the model's parameters.
    With `check=True` every op's VJP is checked against its own forward
    (`autograd.check_ops`) and ops with a wrong VJP are filled red, the reason in their
    tooltip (a collapsed drawing lists them in a red note instead). Rendering or displaying
    the result without Graphviz's `dot` raises `GraphvizNotFoundError`, which says how to
    install it; `.source` and `.save(path)` never need it.

    >>> from autograd import Value
    >>> a = Value(2.0, name='a'); b = (a * a).tanh(); b.backward()
    >>> draw_dot(b).render('neuron')   # doctest: +SKIP
    """
    try:
        import graphviz
    except ImportError as exc:
        raise ImportError("draw_dot needs the graphviz Python package: pip install graphviz "
                          "(or pip install 'seegrad[viz]'); dot_source() and render(path.dot) "
                          "work without it") from exc
    opts = Options(rankdir, show_data, show_grad, max_elems, precision, color, max_nodes,
                   check, lr)
    return drawing_class(graphviz.Digraph)(format=format,
                                            body=body_lines(trace(root), opts, model))


@functools.lru_cache(maxsize=None)
def drawing_class(digraph: type) -> type:
    """A subclass of graphviz's Digraph whose rendering (`render`, `view`, `pipe` and the
    inline display in notebooks) says how to install Graphviz when `dot` is missing."""

    class Drawing(digraph):  # type: ignore[misc, valid-type]
        """A graphviz.Digraph of a computation graph, as returned by `draw_dot`."""

        def render(self, *args: Any, **kwargs: Any) -> Any:
            with explain_missing_dot("draw_dot(...).render", lambda: (
                    f"The DOT source was still written to {str(self.filepath)!r}.")):
                return super().render(*args, **kwargs)

        def pipe(self, *args: Any, **kwargs: Any) -> Any:
            with explain_missing_dot("draw_dot(...).pipe (the notebook display)", lambda: (
                    "The DOT source is in `.source`; write it with `.save('graph.dot')`.")):
                return super().pipe(*args, **kwargs)

    Drawing.__qualname__ = "Drawing"
    return Drawing


def body_lines(graph: Graph, opts: Options, model: Any = None,
               step: Optional[Step] = None) -> List[str]:
    """All DOT statements of a drawing (collapsed when the graph is too big to draw whole)."""
    lines = [f"\tgraph [rankdir={opts.rankdir} fontname=Helvetica fontsize=11 "
             "nodesep=0.25 ranksep=0.35]\n",
             "\tnode [fontname=Helvetica fontsize=10 height=0.3]\n",
             f'\tedge [color="{EDGE}" arrowsize=0.6]\n']
    names = parameter_names(model)
    collapsed = step is None and graph.drawn_node_count() > opts.max_nodes
    wrong = {id(f.node): f for f in check_ops(graph.root)} if opts.check else {}
    verdicts = (graph_verdicts(graph, model, opts.lr) if step is None and opts.color == "grad"
                else None)
    if collapsed:
        lines += collapsed_lines(graph, opts, names, verdicts)
        lines += _wrong_vjp_note(list(wrong.values()))
    else:
        lines += _full_lines(graph, opts, names, step, verdicts, wrong)
    return lines + legend_lines(opts.color, frames=step is not None, collapsed=collapsed)


def _full_lines(graph: Graph, opts: Options, names: Dict[int, Tuple[str, str]],
                step: Optional[Step], verdicts: Optional[List[Verdict]],
                wrong: Dict[int, OpFinding]) -> List[str]:
    root = len(graph) - 1
    nodes, edges = [], []
    for i, (v, ps) in enumerate(zip(graph.nodes, graph.parents)):
        named = names.get(id(v))
        name = v.name or (named[0] if named else "")
        grad = v.grad if step is None else step.grads.get(i)
        verdict = verdicts[i] if verdicts is not None else None
        style = _value_style(v, ps, i == root, verdict, step, i)
        label = _value_label(v, name, grad, opts, pending=step is not None)
        nodes.append(f'\tv{i} [label="{label}" {style}]\n')
        if ps:
            hot = step is not None and step.current == i
            fill = f' style=filled fillcolor="{FRAME_COLORS["current"]}"' if hot else ""
            text = escape_string(op_label(v.op, v.attrs))
            finding = wrong.get(id(v))
            if finding is not None:
                text += "\\nwrong VJP"
                fill = (f' style=filled fillcolor="{WRONG_VJP}" color="{FLAG_BORDER}" '
                        f'penwidth=2.5 tooltip="{escape_string(str(finding))}"')
            nodes.append(f'\to{i} [label="{text}" shape=ellipse fontsize=9 margin="0.03,0.01"'
                         f'{fill}]\n')
            flow = f' [color="{FLOW_EDGE}" penwidth=2]' if hot else ""
            edges += [f"\tv{p} -> o{i}{flow}\n" for p in ps]
            edges.append(f"\to{i} -> v{i}\n")
    return nodes + edges


def _wrong_vjp_note(findings: List[OpFinding]) -> List[str]:
    """A red note listing the ops with a wrong VJP (for drawings too big to show each op)."""
    if not findings:
        return []
    text = "wrong VJP:\n" + "\n".join(str(f) for f in findings)
    return [f'\twrong_vjp [shape=note style=filled fillcolor="{WRONG_VJP}" '
            f'label="{escape_string(text)}"]\n']


def _value_label(v: Value, name: str, grad: Any, opts: Options, pending: bool) -> str:
    """`{ name shape dtype | data ... | grad ... }`; `grad ?` while a gradient is pending in
    a frame of the backward pass, `grad none` when no gradient was kept."""
    fields = [escape_record(" ".join(filter(None, [name, shape_text(v.shape, v.dtype)])))]
    if opts.show_data:
        fields.append("data " + escape_record(numbers(v.data, opts.precision, opts.max_elems)))
    if opts.show_grad:
        if not v.requires_grad:
            fields.append("no grad")
        elif grad is None:
            fields.append("grad ?" if pending else "grad none")
        else:
            fields.append("grad " + escape_record(numbers(grad, opts.precision,
                                                          opts.max_elems)))
    return "{ " + " | ".join(fields) + " }"


def _value_style(v: Value, ps: tuple, is_root: bool, verdict: Optional[Verdict],
                 step: Optional[Step], i: int) -> str:
    """Shape, fill, border, tooltip and SVG class (`grad-<verdict>`) of one value node: leaves
    that need a gradient are rounded, constants dashed and grey, the root has a thick blue
    border, flagged gradients a thick red one."""
    if not v.requires_grad:
        return f'shape=record style="filled,dashed" {CONSTANT}'
    attrs = ["shape=Mrecord" if not ps else "shape=record", "style=filled"]
    fill, border, width, tip = WHITE, BLACK, 1.0, ""
    if step is not None:
        if i == step.current:
            fill, width = FRAME_COLORS["current"], 3.0
        elif i in step.grads:
            fill = FRAME_COLORS["done"]
    elif verdict is not None:
        fill, tip = fill_color(verdict), verdict.reason
        if verdict.flagged:
            border, width = FLAG_BORDER, 2.5
        if verdict.kind in DARK:
            attrs.append("fontcolor=white")
        attrs.append(f'class="grad-{verdict.kind}"')
    if is_root and border != FLAG_BORDER:
        border, width = ROOT_BORDER, 3.0
    attrs += [f'fillcolor="{fill}"', f'color="{border}"']
    if width != 1.0:
        attrs.append(f"penwidth={width:g}")
    if tip:
        attrs.append(f'tooltip="{escape_string(tip)}"')
    return " ".join(attrs)
