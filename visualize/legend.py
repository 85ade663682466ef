"""The legend drawn in a corner of every picture: node kinds and what the colours mean."""
from __future__ import annotations

from typing import List, Optional, Tuple

from visualize import health

FRAME_COLORS = {"current": "#ffd54f", "done": "#c7e9c0", "waiting": "#ffffff"}

_KINDS = (
    ("rounded record", "leaf that needs a gradient (parameter, input)"),
    ("dashed record", "constant: needs no gradient"),
    ("thick blue border", "root: where backward() starts"),
    ("small oval", "the op that made the value it points to"),
)


def _ramp_rows() -> List[Tuple[str, str]]:
    rows = [(health.COLORS["vanishing"], f"vanishing: below {health.VANISHING:g}, or exactly 0")]
    lower = health.VANISHING
    for upper, colour in health.RAMP:
        rows.append((colour, f"{lower:g} to {upper:g}"))
        lower = upper
    rows += [(health.COLORS["exploding"], f"exploding: above {health.EXPLODING:g}"),
             (health.COLORS["nan"], "NaN or Inf in the gradient"),
             (health.COLORS["dead_relu"], "dead ReLU: output 0 for the whole batch")]
    return rows


def legend_lines(color: Optional[str], frames: bool = False, collapsed: bool = False) -> List[str]:
    """DOT lines of a legend cluster (an HTML-like table node) for the chosen colouring."""
    rows = [f'<TR><TD ALIGN="LEFT"><B>{shape}</B></TD><TD ALIGN="LEFT">{text}</TD></TR>'
            for shape, text in _KINDS]
    if collapsed:
        rows.append('<TR><TD ALIGN="LEFT"><B>op xN</B></TD><TD ALIGN="LEFT">N nodes of one op '
                    'grouped; hover for details</TD></TR>')
    if frames:
        title = "backward pass"
        swatches = [(FRAME_COLORS["current"], "being processed now: sends its gradient to "
                     "its inputs (red edges)"),
                    (FRAME_COLORS["done"], "gradient complete"),
                    (FRAME_COLORS["waiting"], "waiting for its gradient (grad ?)")]
    elif color == "grad":
        title = "largest |grad| relative to the root's gradient (hover a node for details)"
        swatches = _ramp_rows()
    else:
        title, swatches = "", []
    if title:
        rows.append(f'<TR><TD COLSPAN="2" ALIGN="LEFT"><I>{title}</I></TD></TR>')
    rows += [f'<TR><TD BGCOLOR="{c}" WIDTH="30"> </TD><TD ALIGN="LEFT">{text}</TD></TR>'
             for c, text in swatches]
    table = ('<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">'
             '<TR><TD COLSPAN="2"><B>legend</B></TD></TR>' + "".join(rows) + "</TABLE>>")
    return ["\tsubgraph cluster_legend {\n", '\t\tgraph [style=invis]\n',
            f"\t\tlegend [shape=plaintext fontsize=9 label={table}]\n", "\t}\n"]
