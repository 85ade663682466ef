"""`draw_program`: a compiled program (`autograd.compile`) drawn as its statements.

Each statement of the generated source is a node, forward ones in one box and backward ones in
another, with an edge from every statement whose result it reads: the data flow of the
program that replaced the graph, and of the backward pass written out.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Tuple

from autograd.program import NAME
from visualize.dot import drawing_class
from visualize.format import escape_string
from visualize.style import CLUSTER_BORDER, EDGE, PROGRAM_COLORS

_ASSIGNMENT = re.compile(r"^    (\w+) = (.*?)(?:   # (.*))?$")


def program_dot(source: str, max_statements: int = 400) -> str:
    """The DOT text of a compiled program's source (see `draw_program`)."""
    parts = source.split("\ndef backward(")
    if len(parts) != 2 or not parts[0].startswith("def forward("):
        raise ValueError("draw_program: expected the source of a compiled program (def forward "
                         "..., def backward ...), as Compiled.source() returns")
    params = parts[0][len("def forward("):parts[0].index(")")].split(", ")
    forward, backward = _statements(parts[0]), _statements(parts[1])
    if len(forward) + len(backward) > max_statements:
        raise ValueError(f"draw_program: the program has {len(forward) + len(backward)} "
                         f"statements, more than max_statements={max_statements} can show "
                         "readably; read Compiled.source() instead, or raise the limit")
    lines = ["digraph {", '  rankdir=TB; node [fontname="Helvetica", fontsize=10];']
    known: Dict[str, str] = {}
    for p in params:
        known[p] = f"in_{p}"
        lines.append(f'  "{known[p]}" [label="{escape_string(p)}", shape=box, style=filled, '
                     f'fillcolor="{PROGRAM_COLORS["input"]}"];')
    known["g"] = "seed_g"
    lines.append('  "seed_g" [label="g = 1 (the seed)", shape=box, style=filled, '
                 f'fillcolor="{PROGRAM_COLORS["backward"]}"];')
    for phase, statements in (("forward", forward), ("backward", backward)):
        color = PROGRAM_COLORS[phase]
        lines.append(f'  subgraph "cluster_{phase}" {{ label="{phase}"; color="{CLUSTER_BORDER}";')
        for k, (name, rhs, word) in enumerate(statements):
            node = f"{phase}_{k}"
            label = escape_string(f"{name}\n{word or rhs}")
            lines.append(f'    "{node}" [label="{label}", shape=ellipse, style=filled, '
                         f'fillcolor="{color}"];')
            for read in dict.fromkeys(NAME.findall(rhs)):
                if read in known:
                    saved = phase == "backward" and not (read.startswith("g_") or read == "g")
                    style = (f'color="{PROGRAM_COLORS["saved"]}", style=dashed, '
                             'constraint=false' if saved else f'color="{EDGE}"')
                    lines.append(f'    "{known[read]}" -> "{node}" [{style}];')
            known[name] = node
        lines.append("  }")
    return "\n".join(lines + ["}"]) + "\n"


def _statements(text: str) -> List[Tuple[str, str, str]]:
    """(name, right-hand side, comment) of each one-line assignment."""
    found = []
    for line in text.splitlines():
        match = _ASSIGNMENT.match(line)
        if match and not line.strip().startswith("#"):
            found.append((match.group(1), match.group(2), match.group(3) or ""))
    return found


def draw_program(compiled: Any, format: str = "svg", max_statements: int = 400) -> Any:
    """Draw a compiled function's program (`autograd.compile(fn)`, called at least once): one
    node per statement, forward then backward, edges where a statement reads another's result
    (dashed: a backward statement reading a forward value). Returns a graphviz Digraph, as
    `draw_dot` does."""
    try:
        import graphviz
    except ImportError as exc:
        raise ImportError("draw_program needs the graphviz Python package: pip install "
                          "graphviz (or pip install 'seegrad[viz]')") from exc
    source = compiled.source() if hasattr(compiled, "source") else str(compiled)
    body = program_dot(source, max_statements).splitlines(keepends=True)[1:-1]
    return drawing_class(graphviz.Digraph)(format=format, body=body)
