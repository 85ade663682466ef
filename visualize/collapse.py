"""Summarise a graph too big to draw node by node.

Op nodes are grouped by (module, depth, op): the depth is the longest path from a leaf, the
module is the model module whose parameters the op consumes (inherited from its inputs).
Runs of the same op, each level feeding only the next (the adds of a long sum), merge into one
group. Leaves join a group per module (drawn from a model) or next to their first consumer;
constants are folded into the group that uses them; the root keeps a node of its own. When
that is still more than `max_nodes`, modules are coarsened, then depths bucketed, then ops
pooled, until it fits. A scalar MLP over a batch (tens of thousands of nodes) becomes a
picture of its layers: `* x12,800 -> + (run of 16) -> tanh x800`.
"""
from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from autograd.health import Verdict
from visualize.format import escape_record, escape_string, number, numbers
from visualize.names import node_modules, truncate
from visualize.options import Options
from visualize.style import (CLUSTER_BORDER, COLORS, DARK, FLAG_BORDER, ROOT_BORDER, WHITE,
                             band_color)
from visualize.trace import Graph

MAX_CLUSTERS = 16


@dataclass
class Group:
    """Nodes drawn as one: their op, module, depth range and members (node numbers)."""

    op: str
    module: str
    members: List[int] = field(default_factory=list)
    constants: int = 0
    levels: int = 1


@dataclass(frozen=True)
class Grouping:
    """The groups (in drawing order), each node's group (-1: folded constant) and how."""

    groups: List[Group]
    group_of: List[int]
    how: str


def group_nodes(graph: Graph, max_nodes: int, names: Dict[int, Tuple[str, str]]) -> Grouping:
    """Group the nodes of `graph` into at most `max_nodes` groups (max_nodes >= 10).

    >>> from autograd import Value
    >>> from visualize.trace import trace
    >>> x = Value(1.0); y = x
    >>> for _ in range(100): y = y * 0.5
    >>> [(g.op, len(g.members), g.levels) for g in group_nodes(trace(y), 10, {}).groups]
    [('leaves', 1, 1), ('*', 99, 99), ('root', 1, 1)]
    """
    facts = _Facts(graph, names)
    settings = [(md, 1, True) for md in range(_module_depth(facts.module), -1, -1)]
    bucket = 2
    while bucket <= facts.max_depth:
        settings.append((0, bucket, True))
        bucket *= 2
    settings += [(0, facts.max_depth + 1, True), (0, facts.max_depth + 1, False)]
    for md, bucket, by_op in settings:
        grouping = _group(facts, md, bucket, by_op)
        if len(grouping.groups) <= max_nodes:
            return grouping
    return grouping


def _module_depth(modules: List[str]) -> int:
    """How many components of module names to keep: the deepest level with at most
    MAX_CLUSTERS modules, made shallower while that does not merge any (so a scalar MLP is
    drawn per layer, `layers.0`, not per neuron nor as `layers.0.neurons`)."""
    deepest = max((m.count(".") + 1 for m in modules if m), default=0)
    counts = [len({truncate(m, d) for m in set(modules)}) for d in range(deepest + 1)]
    depth = next(d for d in range(deepest, -1, -1) if counts[d] <= MAX_CLUSTERS)
    while depth > 0 and counts[depth - 1] == counts[depth]:
        depth -= 1
    return depth


class _Facts:
    """Per-node facts every grouping attempt needs: kind, depth, op and module."""

    def __init__(self, graph: Graph, names: Dict[int, Tuple[str, str]]) -> None:
        self.graph = graph
        n = len(graph)
        self.is_const = [not v.requires_grad and not ps
                         for v, ps in zip(graph.nodes, graph.parents)]
        self.op = [v.op for v in graph.nodes]
        self.depth = [0] * n
        self.module = [m or "" for m in node_modules(graph, names)]
        self.first_user = [-1] * n
        self.named = [not ps and id(v) in names for v, ps in zip(graph.nodes, graph.parents)]
        for i, ps in enumerate(graph.parents):
            if not ps:
                continue
            live = [p for p in ps if not self.is_const[p]]
            self.depth[i] = 1 + max((self.depth[p] for p in live), default=0)
            for p in ps:
                if self.first_user[p] < 0:
                    self.first_user[p] = i
        self.max_depth = max(self.depth)


def _group(facts: _Facts, md: int, bucket: int, by_op: bool) -> Grouping:
    graph = facts.graph
    n, root = len(graph), len(graph) - 1
    raw_of = [-1] * n
    keys: Dict[tuple, int] = {}
    raw: List[Group] = []
    for i in range(n - 1):
        if graph.parents[i]:
            module = truncate(facts.module[i], md)
            op = facts.op[i] if by_op else "ops"
            key = (module, facts.depth[i] // bucket, op)
            if key not in keys:
                keys[key] = len(raw)
                raw.append(Group(op, module))
            raw_of[i] = keys[key]
    merged = _merge_runs(graph, raw, raw_of)
    groups: List[Group] = []
    final: Dict[Any, int] = {}
    group_of = [-1] * n

    def place(i: int, key: Any, make: Any) -> None:
        if key not in final:
            final[key] = len(groups)
            groups.append(make())
        group_of[i] = final[key]
        groups[final[key]].members.append(i)

    for i in range(n):
        if i == root:
            place(i, "root", lambda: Group(graph.nodes[i].name or "root", ""))
        elif raw_of[i] >= 0:
            r = merged[raw_of[i]]
            place(i, ("op", r), lambda: Group(raw[r].op, raw[r].module, levels=raw[r].levels))
        elif not facts.is_const[i]:
            user = facts.first_user[i]
            if facts.named[i]:
                module = truncate(facts.module[i], md)
                place(i, ("leaf", module), lambda: Group("parameters", module))
            else:
                owner = "root" if user == root else merged[raw_of[user]]
                place(i, ("leaves of", owner), lambda: Group("leaves", ""))
    for i in range(n):
        if facts.is_const[i]:
            groups[group_of[facts.first_user[i]]].constants += 1
    order = sorted(range(len(groups)), key=lambda g: groups[g].members[0])
    rank = {g: k for k, g in enumerate(order)}
    how = ("module, op and depth" if md else "op and depth") if bucket == 1 else (
        f"op and depth (in bands of {bucket} levels)" if bucket <= facts.max_depth else
        "op" if by_op else "nothing (all ops in one group)")
    return Grouping([groups[g] for g in order], [rank[g] if g >= 0 else -1 for g in group_of],
                    how)


def _merge_runs(graph: Graph, raw: List[Group], raw_of: List[int]) -> List[int]:
    """Union raw groups A -> B of the same op and module when A feeds only B and B's only
    same-op input is A; returns each raw group's representative."""
    preds: List[set] = [set() for _ in raw]
    succs: List[set] = [set() for _ in raw]
    for i, ps in enumerate(graph.parents):
        b = raw_of[i]
        if b < 0:
            continue
        for p in ps:
            a = raw_of[p]
            if a >= 0 and a != b:
                preds[b].add(a)
                succs[a].add(b)
    rep = list(range(len(raw)))

    def find(x: int) -> int:
        while rep[x] != x:
            rep[x] = rep[rep[x]]
            x = rep[x]
        return x

    for b, group in enumerate(raw):
        same = [a for a in preds[b] if raw[a].op == group.op and raw[a].module == group.module]
        if len(same) == 1 and succs[same[0]] == {b}:
            ra, rb = find(same[0]), find(b)
            if ra != rb:
                rep[rb] = ra
                raw[ra].levels += raw[rb].levels
    return [find(x) for x in range(len(raw))]


def collapsed_lines(graph: Graph, opts: Options, names: Dict[int, Tuple[str, str]],
                    verdicts: Optional[List[Verdict]]) -> List[str]:
    """DOT statements of the grouped drawing, with a graph label saying what was collapsed;
    groups are coloured by their members' `verdicts` (plain when None)."""
    grouping = group_nodes(graph, opts.max_nodes, names)
    folded = sum(g.constants for g in grouping.groups)
    note = (f"Collapsed: {len(graph):,} values ({graph.drawn_node_count():,} nodes with their "
            f"ops) exceed max_nodes={opts.max_nodes}, so they are grouped by {grouping.how}; "
            f"runs of the same op are merged and {folded:,} constants folded into the ops that "
            f"use them. xN = N nodes in a group, hover a group for details. Raise max_nodes or "
            f"draw a smaller graph to see every node.")
    wrapped = escape_string("\n".join(textwrap.wrap(note, 100))).replace("\\n", "\\l") + "\\l"
    lines = [f'\tgraph [label="{wrapped}" labelloc=t labeljust=l fontsize=12]\n']
    clusters: Dict[str, List[str]] = {}
    for k, group in enumerate(grouping.groups):
        node = f"\tg{k} [{_group_attrs(graph, group, opts, verdicts)}]\n"
        clusters.setdefault(group.module, []).append(node)
    for c, (module, nodes) in enumerate(clusters.items()):
        if not module:
            lines += nodes
            continue
        lines.append(f"\tsubgraph cluster_{c} {{\n")
        lines.append(f'\t\tgraph [label="{escape_string(module)}" style=rounded '
                     f'color="{CLUSTER_BORDER}" fontsize=10]\n')
        lines += ["\t" + s for s in nodes]
        lines.append("\t}\n")
    counts: Dict[Tuple[int, int], int] = {}
    for i, ps in enumerate(graph.parents):
        for p in ps:
            a, b = grouping.group_of[p], grouping.group_of[i]
            if a >= 0 and a != b:
                counts[(a, b)] = counts.get((a, b), 0) + 1
    for (a, b), count in sorted(counts.items()):
        width = 1 + 0.5 * math.log10(count)
        lines.append(f'\tg{a} -> g{b} [penwidth={width:.2f} tooltip="{count:,} edges"]\n')
    return lines


def _group_attrs(graph: Graph, group: Group, opts: Options,
                 verdicts: Optional[List[Verdict]]) -> str:
    """Record label, colour and tooltip of one group node."""
    members = [graph.nodes[i] for i in group.members]
    title = group.op if len(members) == 1 else f"{group.op} x{len(members):,}"
    if group.levels > 1:
        title += f" (run of {group.levels} levels)"
    fields = [escape_record(title)]
    if opts.show_data:
        fields.append("data " + escape_record(summary([v.data for v in members], opts)))
    if opts.show_grad:
        kept = [v.grad for v in members if v.grad is not None]
        fields.append("grad " + (escape_record(summary(kept, opts)) if kept else "none"))
    tip = [f"{len(members):,} node{'s' if len(members) > 1 else ''}"
           + (f" in {group.module}" if group.module else "")]
    attrs = ["shape=Mrecord" if not graph.parents[group.members[0]] else "shape=record",
             f'label="{_stack(fields, opts.rankdir)}"']
    fill, flagged = WHITE, False
    if verdicts is not None:
        member_verdicts = [verdicts[i] for i in group.members]
        kinds: Dict[str, int] = {}
        for verdict in member_verdicts:
            kinds[verdict.kind] = kinds.get(verdict.kind, 0) + 1
        tip += [f"{count:,} {kind.replace('_', ' ')}" for kind, count in sorted(kinds.items())]
        fill, flagged = _group_color(member_verdicts, kinds)
    if group.constants:
        tip.append(f"{group.constants:,} constants folded in")
    attrs.append(f'style=filled fillcolor="{fill}"')
    if group.members[-1] == len(graph) - 1:
        attrs.append(f'color="{ROOT_BORDER}" penwidth=3')
    elif flagged:
        attrs.append(f'color="{FLAG_BORDER}" penwidth=2.5')
    if any(fill == COLORS[kind] for kind in DARK):
        attrs.append("fontcolor=white")
    attrs.append(f'tooltip="{escape_string("; ".join(tip))}"')
    return " ".join(attrs)


def _stack(fields: List[str], rankdir: str) -> str:
    """Record fields stacked top to bottom (records flip with the rank direction)."""
    text = " | ".join(fields)
    return text if rankdir in ("LR", "RL") else "{ " + text + " }"


def _group_color(verdicts: List[Verdict], kinds: Dict[str, int]) -> Tuple[str, bool]:
    """Worst news first: NaN/Inf anywhere, a group where every member sits behind a dead ReLU,
    an exploding member, a group where every gradient vanishes; else the band of the largest
    healthy gradient."""
    flagged = any(v.flagged for v in verdicts)
    if kinds.get("nan"):
        return COLORS["nan"], True
    if kinds.get("dead_relu") == len(verdicts):
        return COLORS["dead_relu"], True
    if kinds.get("exploding"):
        return COLORS["exploding"], True
    if kinds.get("vanishing") == len(verdicts):
        return COLORS["vanishing"], True
    sizes = [v.relative for v in verdicts if v.kind == "ok"]
    return (band_color(max(sizes)) if sizes else COLORS["none"]), flagged


def summary(values: List[Any], opts: Options) -> str:
    """One value in full, or min/mean/max over all entries of many."""
    if len(values) == 1:
        return numbers(values[0], opts.precision, opts.max_elems)
    if all(type(x) is float for x in values):
        flat = np.fromiter(values, np.float64, len(values))
    else:
        flat = np.concatenate([np.ravel(np.asarray(x, dtype=np.float64)) for x in values])
    p = opts.precision
    return (f"min {number(np.min(flat), p)}  mean {number(np.mean(flat), p)}  "
            f"max {number(np.max(flat), p)}")
