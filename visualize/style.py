"""Every colour of the drawings, and the one map from a gradient verdict to a fill colour.

The verdicts themselves (kinds, thresholds, reasons) come from `autograd.health`; this module
only says how each looks.
"""
from __future__ import annotations

import math

from autograd.health import Verdict

WHITE = "#ffffff"
BLACK = "#000000"
ROOT_BORDER = "#08519c"
FLAG_BORDER = "#b2182b"
WRONG_VJP = "#ef3b2c"
EDGE = "#555555"
FLOW_EDGE = "#d7301f"
CLUSTER_BORDER = "#999999"
CONSTANT = 'fillcolor="#f0f0f0" color="#888888" fontcolor="#555555"'

# Fill of each verdict kind; an `ok` gradient takes its band of RAMP instead.
COLORS = {
    "vanishing": "#bdbdbd",
    "exploding": "#e7298a",
    "nan": "#ff4d4d",
    "dead_relu": "#636363",
    "none": WHITE,
}
DARK = ("dead_relu",)                  # kinds drawn with white text

# Bands of an `ok` gradient's norm relative to the largest parameter gradient norm, from
# autograd.health.VANISHING up: (upper bound, colour); the last band holds everything above 1
# (an intermediate value can get a larger gradient than any parameter).
RAMP = ((1e-3, "#c6dbef"), (1e-2, "#c7e9c0"), (1e-1, "#ffffcc"), (1.0, "#fed976"),
        (math.inf, "#fd8d3c"))

FRAME_COLORS = {"current": "#ffd54f", "done": "#c7e9c0", "waiting": WHITE}


def band_color(relative: float) -> str:
    """The ramp colour of an `ok` gradient whose norm is `relative` times the reference (white
    when there is no reference to compare with)."""
    if math.isnan(relative):
        return WHITE
    for upper, color in RAMP:
        if relative <= upper:
            return color
    return RAMP[-1][1]


def fill_color(verdict: Verdict) -> str:
    """The fill of a node with this verdict."""
    return band_color(verdict.relative) if verdict.kind == "ok" else COLORS[verdict.kind]

# The explorer's step colours: a value not computed yet, computed at this forward step, waiting
# for its gradient, holding some of its users' shares, being processed, complete; the edges of
# the forward pass and of an explained gradient's paths; the ends of its heatmaps.
EXPLORER_COLORS = {"hidden": "#f4f4f4", "fresh": "#9ecae1", "waiting": WHITE,
                   "partial": "#fdd0a2", "current": FRAME_COLORS["current"],
                   "done": FRAME_COLORS["done"], "flow": FLOW_EDGE, "forward": "#3182bd",
                   "path": "#6a3d9a", "positive": "#d7301f", "negative": "#2171b5"}

# draw_program: a compiled program's statements, inputs and the seed, forward and backward.
PROGRAM_COLORS = {"input": "#e8e8e8", "forward": "#dbe9f6", "backward": "#fde2c8",
                  "saved": "#bbbbbb"}
