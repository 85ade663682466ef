"""The data an explorer page steps through, as one JSON-ready dict.

Step 0 shows the leaves; steps 1..F compute the op results in creation order (the forward
pass); steps F+1..F+B are the engine's backward steps. A *unit* is one drawn node (`v3` a
value, `o3` the op that made it, `g2` a group of a collapsed drawing): the step at which its
data appears (`fwd`), the step at which its gradient is complete (`done`, -1 never) and the
steps at which shares of it arrive. An *edge* is one drawn edge (`v0->o3`, the n-th of that
name) with the steps at which it carries data forward and a gradient share back.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from autograd.health import Verdict
from visualize.collapse import Grouping, group_nodes, summary
from visualize.explain import explain_in
from visualize.format import number, numbers, op_label, shape_text
from visualize.names import node_label
from visualize.options import Options
from visualize.trace import Graph
from visualize.walk import Walk

EXPLAIN_MAX_VALUES = 300         # larger graphs: explain one value with explain_gradient
MAX_CELLS = 20                   # rows and columns of an array shown in the details panel


def page_data(graph: Graph, passes: Walk, opts: Options, names: Dict[int, Tuple[str, str]],
              verdicts: Optional[List[Verdict]], collapsed: bool, max_paths: int) -> dict:
    """Everything the page's script needs (see the module docstring)."""
    labels = tuple(node_label(graph, names, i) for i in range(len(graph)))
    fwd = [0] * len(graph)
    for k, i in enumerate(passes.forward):
        fwd[i] = 1 + k
    done = [-1] * len(graph)
    for k, (i, _) in enumerate(passes.backward):
        done[i] = 1 + len(passes.forward) + k
    page = (_collapsed if collapsed else _full)(graph, passes, opts, names, labels, fwd, done)
    if not collapsed:
        page["details"] = [_details(graph, passes, opts, names, labels, verdicts, done, i)
                            for i in range(len(graph))]
    page["note"] = _stale_note(graph, passes)
    small = not collapsed and len(graph) <= EXPLAIN_MAX_VALUES
    page["explain"] = _explanations(graph, labels, opts, max_paths, page) if small else []
    page["explainNote"] = "" if small else (
        f"Explaining gradients here needs a drawing of every node with at most "
        f"{EXPLAIN_MAX_VALUES} values; this graph has {len(graph):,}. In Python, "
        f"visualize.explain_gradient(root, value) explains one value of any graph.")
    return page


def _full(graph: Graph, passes: Walk, opts: Options, names: Dict[int, Tuple[str, str]],
          labels: Tuple[str, ...], fwd: List[int], done: List[int]) -> dict:
    """Units, edges and steps of a drawing of every node."""
    units: List[dict] = []
    edges: List[dict] = []
    arrivals: Dict[int, List[int]] = {}
    for share in (s for shares in passes.received.values() for s in shares):
        arrivals.setdefault(share.input, []).append(done[share.user])
    sent = {(s.user, s.position): s for shares in passes.sent.values() for s in shares}
    for i, (v, ps) in enumerate(zip(graph.nodes, graph.parents)):
        grad = passes.grads.get(i)
        units.append({"id": f"v{i}", "label": labels[i], "fwd": fwd[i], "done": done[i],
                      "data": _num(v.data, opts), "details": i, "needsGrad": v.requires_grad,
                      "grad": None if grad is None else _num(grad, opts),
                      "arrivals": sorted(arrivals.get(i, []))})
        if not ps:
            continue
        units.append({"id": f"o{i}", "label": labels[i], "fwd": fwd[i], "done": done[i],
                      "details": i, "op": True})
        seen: Dict[int, int] = {}
        for j, p in enumerate(ps):
            share = sent.get((i, j))
            edges.append({"key": f"v{p}->o{i}", "nth": seen.get(p, 0), "fwd": fwd[i],
                          "bwd": done[i] if share else -1, "user": i, "position": j,
                          "share": None if share is None else _num(share.value, opts)})
            seen[p] = seen.get(p, 0) + 1
        edges.append({"key": f"o{i}->v{i}", "nth": 0, "fwd": fwd[i], "bwd": done[i],
                      "user": i, "position": -1,
                      "share": None if done[i] < 0 else _num(passes.grads.get(i), opts)})
    unit_of = {u["id"]: k for k, u in enumerate(units)}
    steps = [_start(graph)]
    steps += [{"phase": "forward", "focus": unit_of[f"o{i}"],
               "text": _forward_text(graph, labels, opts, i)} for i in passes.forward]
    steps += [{"phase": "backward", "focus": unit_of[f"v{i}"],
               "text": _backward_text(graph, passes, labels, opts, i, g)}
              for i, g in passes.backward]
    return {"units": units, "edges": edges, "steps": steps, "collapsed": ""}


def _start(graph: Graph) -> dict:
    leaves = sum(1 for v, ps in zip(graph.nodes, graph.parents) if not ps and v.requires_grad)
    constants = sum(1 for v, ps in zip(graph.nodes, graph.parents)
                    if not ps and not v.requires_grad)
    return {"phase": "start", "focus": -1,
            "text": f"Start: the {leaves} leaves that need a gradient (inputs, parameters) and "
                    f"{constants} constants hold their data. Press next (→) to run the "
                    f"forward pass."}


def _forward_text(graph: Graph, labels: Tuple[str, ...], opts: Options, i: int) -> str:
    v = graph.nodes[i]
    inputs = ", ".join(labels[p] for p in graph.parents[i])
    return f"{labels[i]} = {op_label(v.op, v.attrs)} of ({inputs}) = {_num(v.data, opts)}"


def _backward_text(graph: Graph, passes: Walk, labels: Tuple[str, ...], opts: Options,
                   i: int, g: Any) -> str:
    received = passes.received.get(i, [])
    if not received:
        text = (f"{labels[i]} is the root: its gradient is the seed "
                f"d{labels[i]}/d{labels[i]} = {_num(g, opts)}.")
    elif len(received) == 1:
        text = (f"{labels[i]}'s gradient is complete: {_num(g, opts)}, the share from "
                f"{labels[received[0].user]}.")
    else:
        parts = " + ".join(f"{_num(s.value, opts)} (from {labels[s.user]})" for s in received)
        text = (f"{labels[i]} is used {len(received)} times, so its gradient is the sum of "
                f"their shares: {parts} = {_num(g, opts)}.")
    sent = passes.sent.get(i, [])
    if sent:
        op = op_label(graph.nodes[i].op, graph.nodes[i].attrs)
        gives = ", ".join(f"{_num(s.value, opts)} to {labels[s.input]}" for s in sent)
        text += f" The VJP of {op} sends {gives}."
    elif not graph.parents[i]:
        text += f" It is a leaf: this is {labels[i]}.grad."
    return text


def _collapsed(graph: Graph, passes: Walk, opts: Options, names: Dict[int, Tuple[str, str]],
               labels: Tuple[str, ...], fwd: List[int], done: List[int]) -> dict:
    """Units, edges and steps of a collapsed drawing: a group is computed when all its values
    are, and complete when all their gradients are."""
    grouping = group_nodes(graph, opts.max_nodes, names)
    groups = grouping.groups
    group_fwd = [max(fwd[m] for m in g.members) for g in groups]
    needs = [[m for m in g.members if graph.nodes[m].requires_grad] for g in groups]
    group_done = [max(done[m] for m in ms) if ms and min(done[m] for m in ms) >= 0 else -1
                  for ms in needs]
    forward = sorted((k for k in range(len(groups)) if group_fwd[k]), key=group_fwd.__getitem__)
    backward = sorted((k for k in range(len(groups)) if group_done[k] >= 0),
                      key=group_done.__getitem__)
    page_fwd = [0] * len(groups)
    page_done = [-1] * len(groups)
    for s, k in enumerate(forward):
        page_fwd[k] = 1 + s
    for s, k in enumerate(backward):
        page_done[k] = 1 + len(forward) + s
    titles = [_group_title(g) for g in groups]
    units = []
    for k, g in enumerate(groups):
        members = [graph.nodes[m] for m in g.members]
        grads = [passes.grads.get(m) for m in g.members]
        kept = [x for x in grads if x is not None]
        units.append({"id": f"g{k}", "label": titles[k], "fwd": page_fwd[k],
                      "done": page_done[k], "details": k, "needsGrad": bool(needs[k]),
                      "data": summary([v.data for v in members], opts),
                      "grad": summary(kept, opts) if kept else None, "arrivals": []})
    steps = [_start(graph)]
    steps += [{"phase": "forward", "focus": k,
               "text": f"{titles[k]}: all {len(groups[k].members):,} values of the group "
                       f"computed: {units[k]['data']}"} for k in forward]
    steps += [{"phase": "backward", "focus": k,
               "text": f"{titles[k]}: all {len(needs[k]):,} gradients of the group complete: "
                       f"{units[k]['grad']}"} for k in backward]
    return {"units": units, "edges": _group_edges(graph, grouping, page_fwd, page_done),
            "steps": steps, "collapsed": _collapse_note(graph, grouping, opts),
            "details": [_group_details(graph, g, units[k]) for k, g in enumerate(groups)]}


def _group_title(group: Any) -> str:
    n = len(group.members)
    title = group.op if n == 1 else f"{group.op} x{n:,}"
    return f"{title} in {group.module}" if group.module else title


def _group_edges(graph: Graph, grouping: Grouping, fwd: List[int], done: List[int]
                 ) -> List[dict]:
    pairs = sorted({(grouping.group_of[p], grouping.group_of[i])
                    for i, ps in enumerate(graph.parents) for p in ps
                    if grouping.group_of[p] >= 0 and grouping.group_of[p] != grouping.group_of[i]})
    return [{"key": f"g{a}->g{b}", "nth": 0, "fwd": fwd[b], "bwd": done[b], "user": b,
             "position": -1, "share": None} for a, b in pairs]


def _collapse_note(graph: Graph, grouping: Grouping, opts: Options) -> str:
    return (f"This graph has {len(graph):,} values ({graph.drawn_node_count():,} nodes with "
            f"their ops), more than max_nodes={opts.max_nodes}, so it is collapsed as draw_dot "
            f"collapses it: values grouped by {grouping.how}. Each step computes, or completes "
            f"the gradients of, one whole group. Pass a larger max_nodes to step through "
            f"every node.")


def _group_details(graph: Graph, group: Any, unit: dict) -> dict:
    shapes = sorted({shape_text(graph.nodes[m].shape, graph.nodes[m].dtype) or "scalar"
                     for m in group.members})
    return {"title": unit["label"], "kind": f"a group of {len(group.members):,} values",
            "facts": [["op", group.op], ["module", group.module or "-"],
                      ["shapes", ", ".join(shapes[:5]) + (" ..." if len(shapes) > 5 else "")],
                      ["data", unit["data"]], ["grad", unit["grad"] or "none"]],
            "data": None, "grad": None, "shares": []}


def _details(graph: Graph, passes: Walk, opts: Options, names: Dict[int, Tuple[str, str]],
             labels: Tuple[str, ...], verdicts: Optional[List[Verdict]], done: List[int],
             i: int) -> dict:
    """The details panel of value `i`: facts, full data and gradient, the shares it got."""
    v, ps = graph.nodes[i], graph.parents[i]
    kind = ("an op result" if ps else "a leaf that needs a gradient" if v.requires_grad
            else "a constant")
    facts = [["shape", str(v.shape)], ["dtype", str(v.dtype)]]
    if id(v) in names:
        facts.append(["parameter", names[id(v)][0]])
    if ps:
        inputs = ", ".join(labels[p] for p in ps)
        facts.append(["op", f"{op_label(v.op, v.attrs)} of ({inputs})"])
    if verdicts is not None:
        facts.append(["gradient health", verdicts[i].reason])
    grad = passes.grads.get(i)
    return {"title": labels[i], "kind": kind, "facts": facts, "data": cells(v.data, opts),
            "grad": None if grad is None else cells(grad, opts),
            "shares": [[labels[s.user], _num(s.value, opts), done[s.user]] for s in
                       passes.received.get(i, [])]}


def cells(x: Any, opts: Options) -> dict:
    """An array as at most MAX_CELLS x MAX_CELLS printed cells and heat values in [-1, 1]
    (a 0-d or 1-d array is one row; more dimensions are folded into rows)."""
    a = np.asarray(x)
    grid = a.reshape(1, -1) if a.ndim < 2 else a.reshape(-1, a.shape[-1])
    part = grid[:MAX_CELLS, :MAX_CELLS].astype(np.float64)
    finite = np.abs(part[np.isfinite(part)])
    scale = float(finite.max()) if finite.size else 0.0
    heat = np.where(np.isfinite(part), part / scale if scale else 0.0, 0.0)
    cut = part.shape != grid.shape
    return {"shape": str(a.shape), "dtype": str(a.dtype),
            "rows": [[number(e, opts.precision) for e in row] for row in part],
            "heat": np.round(heat, 3).tolist(),
            "cut": (f"showing the first {part.shape[0]} of {grid.shape[0]} rows and "
                    f"{part.shape[1]} of {grid.shape[1]} columns") if cut else ""}


def _stale_note(graph: Graph, passes: Walk) -> str:
    """A warning when `.grad` differs from the gradients of one backward pass shown here."""
    stale = [i for i, g in passes.backward if graph.nodes[i].grad is None or
             not np.array_equal(np.asarray(graph.nodes[i].grad), np.asarray(g), equal_nan=True)]
    if not stale:
        return ""
    return (f"{len(stale):,} of {len(passes.backward):,} values have a .grad that differs from "
            f"one backward pass from this root (backward() not called yet, called more than "
            f"once without zero_grad(), or retain_grads=False). The page shows the gradients "
            f"of one pass, which is what .grad holds after one backward().")


def _explanations(graph: Graph, labels: Tuple[str, ...], opts: Options, max_paths: int,
                  page: dict) -> List[dict]:
    """For every leaf that gets a gradient: its paths (as edge and unit numbers and text) and
    the sum line."""
    edge_of: Dict[Tuple[int, int], int] = {(e["user"], e["position"]): k
                                           for k, e in enumerate(page["edges"])}
    unit_of = {u["id"]: k for k, u in enumerate(page["units"])}
    out = []
    for i, (v, ps) in enumerate(zip(graph.nodes, graph.parents)):
        if ps or not v.requires_grad or page["units"][unit_of[f"v{i}"]]["done"] < 0:
            continue
        why = explain_in(graph, i, max_paths, opts.precision, labels)
        paths = []
        for k, path in enumerate(why.paths):
            edges = [edge_of[(u, j)] for u, j, _ in path.edges]
            edges += [edge_of[(u, -1)] for u, _, _ in path.edges]
            units = [unit_of[f"v{len(graph) - 1}"]]
            units += [unit_of[f"{kind}{n}"] for u, _, p in path.edges
                      for kind, n in (("o", u), ("v", p))]
            paths.append({"edges": edges, "units": units, "text": why.path_text(k)})
        out.append({"unit": unit_of[f"v{i}"], "label": labels[i], "paths": paths,
                    "count": why.count, "sum": why.sum_text()})
    return out


def _num(x: Any, opts: Options) -> str:
    return numbers(x, opts.precision, opts.max_elems)

