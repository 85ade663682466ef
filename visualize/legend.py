"""The legend drawn in a corner of every picture: node kinds and what the colours mean."""
from __future__ import annotations

import math
from typing import List, Optional, Tuple

from autograd.health import RULES, VANISHING
from visualize.style import COLORS, FRAME_COLORS, RAMP

_KINDS = (
    ("rounded record", "leaf that needs a gradient (parameter, input)"),
    ("dashed record", "constant: needs no gradient"),
    ("thick blue border", "root: where backward() starts"),
    ("small oval", "the op that made the value it points to"),
)


def _ramp_rows() -> List[Tuple[str, str]]:
    """One row per verdict colour, the bands of healthy gradients in the middle."""
    rows = [(COLORS["vanishing"], RULES["vanishing"])]
    lower = VANISHING
    for upper, colour in RAMP:
        rows.append((colour, f"{lower:g} to {upper:g}" if math.isfinite(upper) else
                     f"above {lower:g} (more than any parameter's)"))
        lower = upper
    rows += [(COLORS[kind], RULES[kind]) for kind in ("exploding", "nan", "dead_relu", "none")]
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
        title = ("gradient norm relative to the largest parameter gradient norm (hover a node "
                 "for details)")
        swatches = _ramp_rows()
    else:
        title, swatches = "", []
    if title:
        rows.append(f'<TR><TD COLSPAN="2" ALIGN="LEFT"><I>{title}</I></TD></TR>')
    rows += [f'<TR><TD BGCOLOR="{c}" WIDTH="30"> </TD><TD ALIGN="LEFT">{_html(text)}</TD></TR>'
             for c, text in swatches]
    table = ('<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">'
             '<TR><TD COLSPAN="2"><B>legend</B></TD></TR>' + "".join(rows) + "</TABLE>>")
    return ["\tsubgraph cluster_legend {\n", '\t\tgraph [style=invis]\n',
            f"\t\tlegend [shape=plaintext fontsize=9 label={table}]\n", "\t}\n"]


def _html(text: str) -> str:
    """Escape text for an HTML-like label."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
