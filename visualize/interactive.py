"""`explore`: one self-contained HTML page that steps through the forward and backward pass of
a graph, for lectures, notebooks and self-study.

The page is the drawing `draw_dot` makes (laid out by Graphviz, inlined as SVG), the data of
both passes (`visualize.page`) as JSON, and a small script and style sheet (the files in
`visualize/explorer/`), all in one file. It loads nothing: a Content-Security-Policy forbids
every network request, so it works offline and from an e-mail attachment.
"""
from __future__ import annotations

import html
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

from autograd.value import Value
from nn.checks import int_at_least
from nn.serialization import write_atomically
from visualize.dot import body_lines
from visualize.health import graph_verdicts
from visualize.names import node_label, parameter_names
from visualize.options import Options
from visualize.page import page_data
from visualize.render import svg_text
from visualize.style import EXPLORER_COLORS
from visualize.trace import trace
from visualize.walk import walk

ASSETS = Path(__file__).with_name("explorer")
INLINE_HEIGHT = 640              # pixels of the page shown inline in a notebook


@dataclass(frozen=True)
class Explorer:
    """An explorer page written to `path`; in Jupyter it shows inline (in a sandboxed iframe,
    as notebooks do not run scripts of HTML outputs they do not trust)."""

    path: Path
    html: str = field(repr=False)

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" sandbox="allow-scripts" '
                f'title="backprop explorer" style="width: 100%; height: {INLINE_HEIGHT}px; '
                f'border: 0"></iframe>')


def explore(root: Value, path: Union[str, os.PathLike] = "backprop.html", model: Any = None,
            rankdir: str = "LR", precision: int = 4, max_elems: int = 6, max_nodes: int = 500,
            max_paths: int = 20, lr: Optional[float] = None, title: Optional[str] = None
            ) -> Explorer:
    """Write a page that steps through the forward and backward pass of `root` (a one-element
    output, such as a loss) to `path`, and return it (it shows inline in Jupyter).

    Step controls (buttons, a slider, play with a speed, arrow keys and space) run the forward
    pass value by value, then the backward pass as `root.backward()` runs it: each step shows
    the gradient shares a node's VJP sends its inputs and the sum a node's gradient is. Click a
    node for its full data and gradient; pick a leaf to see every path from the root to it and
    how their terms add up to its `.grad` (`explain_gradient`). Nodes are coloured by gradient
    health at the last step, as `draw_dot` colours them (`model=` names the parameters and
    judges them against the model's, `lr=` their update sizes). Graphs of more than
    `max_nodes` drawn nodes are collapsed as `draw_dot` collapses them. Needs Graphviz's `dot`.

    >>> from autograd import Value
    >>> x = Value(0.5, name='x'); y = (x * x).tanh(); y.backward()
    >>> explore(y, 'backprop.html').path   # doctest: +SKIP
    PosixPath('backprop.html')
    """
    opts = Options(rankdir, True, True, max_elems, precision, "grad", max_nodes, False, lr)
    int_at_least(max_paths, "max_paths", "explore", 1)
    graph = trace(root)
    if root.size != 1 or not root.requires_grad:
        raise ValueError(f"explore: root must be a one-element Value that needs a gradient (a "
                         f"loss), got shape {root.shape} with requires_grad="
                         f"{root.requires_grad}; reduce an array output first (y.sum())")
    names = parameter_names(model)
    passes = walk(graph)
    collapsed = graph.drawn_node_count() > max_nodes
    verdicts = graph_verdicts(graph, model, lr)
    svg = svg_text("digraph {\n" + "".join(body_lines(graph, opts, model)) + "}\n", "explore")
    data = page_data(graph, passes, opts, names, verdicts, collapsed, max_paths)
    data["colors"] = EXPLORER_COLORS
    heading = title or f"backprop of {node_label(graph, names, len(graph) - 1)}"
    page = _page(heading, svg, data)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, lambda f: f.write(page.encode("utf-8")), "explore")
    return Explorer(path, page)


def _page(title: str, svg: str, data: dict) -> str:
    """The template with the title, colours, style, SVG, data and script filled in (in one
    pass, so nothing inserted is read as a placeholder)."""
    colors = ":root { " + " ".join(f"--c-{k}: {v};" for k, v in EXPLORER_COLORS.items()) + " }"
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    parts = {"title": html.escape(title), "colors": colors,
             "style": (ASSETS / "explorer.css").read_text(encoding="utf-8"),
             "svg": svg[svg.index("<svg"):],
             "data": text.replace("</", "<\\/").replace("<!--", "<\\u0021--"),
             "script": (ASSETS / "explorer.js").read_text(encoding="utf-8")}
    template = (ASSETS / "explorer.html").read_text(encoding="utf-8")
    return re.sub(r"@@(\w+)@@", lambda m: parts[m.group(1)], template)
