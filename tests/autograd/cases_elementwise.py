"""The op table's rows for the elementwise functions beyond the basics (ag_cases appends them):
trigonometric and hyperbolic functions and their inverses, log2/log10/exp2/expm1, erf, and
the piecewise-constant sign, floor, ceil and round.

Draws keep away from where finite differences mislead: the poles of tan (+-pi/2), the ends of
arcsin, arccos and arctanh's domain (+-1), log's 0, and the jumps of the piecewise-constant
ops (0 for sign, the integers for floor and ceil, the halves for round).
"""
from __future__ import annotations

import math
from typing import List

import numpy as np
from hypothesis import strategies as st

import autograd as ag
from ag_cases import U, Case, arrays, shapes

INTEGERS = tuple(float(k) for k in range(-3, 4))
np_erf = np.vectorize(math.erf, otypes=[np.float64])


def draw_round(data):
    """x and `decimals`, with x * 10^decimals at least 0.1 from every half (round's jumps)."""
    decimals = data.draw(st.sampled_from([0, 1, 2, -1]), label="decimals")
    scale = 10.0 ** decimals
    scaled = data.draw(arrays(shapes()), label="x") * scale
    near_half = np.abs(scaled - np.floor(scaled) - 0.5) < 0.1
    return [np.asarray(np.where(near_half, scaled + 0.2, scaled) / scale)], {"decimals": decimals}


def torch_sign(t, x):
    """numpy's sign, which ours is: NaN at NaN (torch.sign gives 0 there); no gradient."""
    return t.where(t.isnan(x), x.detach(), t.sign(x))


def gelu_by_erf(x):
    return 0.5 * x * (1.0 + (x * (1.0 / math.sqrt(2.0))).erf())


CASES: List[Case] = [
    U("tan", lambda x: x.tan(), np.tan, lambda t, x: t.tan(x), low=-1.3, high=1.3),
    U("arcsin", lambda x: x.arcsin(), np.arcsin, lambda t, x: t.asin(x), low=-0.9, high=0.9),
    U("arccos", lambda x: ag.arccos(x), np.arccos, lambda t, x: t.acos(x), low=-0.9,
      high=0.9),
    U("arctan", lambda x: x.arctan(), np.arctan, lambda t, x: t.atan(x)),
    U("sinh", lambda x: x.sinh(), np.sinh, lambda t, x: t.sinh(x)),
    U("cosh", lambda x: x.cosh(), np.cosh, lambda t, x: t.cosh(x)),
    U("arctanh", lambda x: x.arctanh(), np.arctanh, lambda t, x: t.atanh(x), low=-0.9,
      high=0.9),
    U("log2", lambda x: x.log2(), np.log2, lambda t, x: t.log2(x), low=0.2),
    U("log10", lambda x: ag.log10(x), np.log10, lambda t, x: t.log10(x), low=0.2),
    U("exp2", lambda x: x.exp2(), np.exp2, lambda t, x: t.exp2(x)),
    U("expm1", lambda x: x.expm1(), np.expm1, lambda t, x: t.expm1(x)),
    U("erf", lambda x: x.erf(), np_erf, lambda t, x: t.special.erf(x), low=-4.0, high=4.0),
    U("gelu-by-erf", gelu_by_erf, lambda x: 0.5 * x * (1.0 + np_erf(x / math.sqrt(2.0))),
      lambda t, x: t.nn.functional.gelu(x)),
    U("sign", lambda x: x.sign(), np.sign, torch_sign, avoid=(0.0,)),
    U("floor", lambda x: x.floor(), np.floor, lambda t, x: t.floor(x), avoid=INTEGERS),
    U("ceil", lambda x: ag.ceil(x), np.ceil, lambda t, x: t.ceil(x), avoid=INTEGERS),
    Case("round", draw_round, lambda x, decimals: x.round(decimals),
         lambda x, decimals: np.round(x, decimals),
         lambda t, x, decimals: t.round(x, decimals=decimals)),
]
