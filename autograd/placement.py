"""Where a written program's arrays live (for `autograd.program`): each pass reads a written
function's lines with `ast` and gives them back rewritten.

- `in_place`: an element-wise op whose operand dies there, an array the function made that
  nothing else refers to, of the result's shape and dtype, is written into that operand
  (`out=`), as numpy reuses the temporary in `a @ b + c`: nothing new is allocated and the
  array is still in cache. The names of such arrays at the end tell the caller which returned
  gradients are the program's own.
- `lend`: the other large results (`out=SPARE`) go into arrays lent from the last call
  (`autograd.buffers`).
- `released`: each intermediate is deleted after the statement that last reads it, so its
  memory goes back at once.
"""
from __future__ import annotations

import ast
from typing import Dict, List, Optional, Set, Tuple

import numpy as np

SPARE = "SPARE"
"""Where a written statement's large result goes: `in_place` may make it a dying operand,
`lend` makes the rest an array lent from the last call."""


def _statements(lines: List[str]) -> List[Tuple[int, ast.stmt]]:
    """The statements of a function written as `lines` (an entry may hold several physical
    lines), each with the index of the entry it ends in."""
    entry_of = [i for i, line in enumerate(lines) for _ in line.split("\n")]
    body = ast.parse("\n".join(lines)).body[0].body
    return [(entry_of[stmt.end_lineno - 1], stmt) for stmt in body]


def released(lines: List[str], kept: Set[str]) -> Tuple[List[str], List[int]]:
    """A function's lines with `del` after the statement that last reads each name it assigns
    (but the `kept` ones, and what it returns), so an intermediate array is freed as soon as
    it is dead instead of when the function returns; and where each line went."""
    statements = _statements(lines)
    assigned: Dict[str, None] = {}      # an ordered set
    last: Dict[str, int] = {}           # name -> the entry of the statement last using it
    for at, stmt in statements:
        for name in _assigned(stmt):
            assigned[name] = None
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name):
                last[node.id] = at
    at, stmt = statements[-1]
    at_return = at if isinstance(stmt, ast.Return) else -1
    dying: Dict[int, List[str]] = {}
    for name in assigned:
        if name not in kept and last[name] != at_return:
            dying.setdefault(last[name], []).append(name)
    out: List[str] = []
    moved: List[int] = []
    for i, line in enumerate(lines):
        moved.append(len(out))
        out.append(line)
        if i in dying:
            out.append(f"    del {', '.join(dying[i])}")
    return out, moved


def _assigned(stmt: ast.stmt) -> List[str]:
    """The names a statement binds."""
    targets = (stmt.targets if isinstance(stmt, ast.Assign) else
               [stmt.target] if isinstance(stmt, ast.AugAssign) else [])
    return [node.id for target in targets for node in ast.walk(target)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)]


def _read(stmt: ast.stmt) -> Set[str]:
    """The names a statement reads."""
    return {node.id for node in ast.walk(stmt)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


_UFUNC_OF = {ast.Add: "add", ast.Sub: "subtract", ast.Mult: "multiply", ast.Div: "true_divide"}
"""Operators whose array result `in_place` may write into a dying operand, as the ufunc
they call; with negation and maximum (relu), the element-wise ops it rewrites (each rounds
correctly, so where the result goes cannot change a bit)."""
_IN_PLACE_UFUNCS = {*_UFUNC_OF.values(), "negative", "maximum"}
_VIEWS = {"reshape", "transpose", "swapaxes"}
"""Array methods a statement may call on a name without keeping a reference to it past the
statement (its view is a temporary)."""


def in_place(lines: List[str], kept: Set[str], layout: Dict[str, tuple]
             ) -> Tuple[List[str], Set[str]]:
    """A function's lines with each element-wise op whose operand dies there (no later
    statement reads it) written into that operand (`out=`), where the operand is an array the
    function made itself and nothing else refers to, of the result's shape and dtype
    (`layout`), as numpy reuses a temporary in `a @ b + c`: the array is still in cache, and
    nothing new is allocated. Returns the lines and the names holding such arrays at the end.
    `kept`: the parameters and what must outlive the function (never written into)."""
    statements = _statements(lines)
    live: Set[str] = set(kept)          # the names read after each statement, backwards
    dying: List[Set[str]] = []
    for _, stmt in reversed(statements):
        reads, binds = _read(stmt), set(_assigned(stmt))
        dying.append({n for n in reads if n not in live or n in binds})
        live = (live - binds) | reads
    dying.reverse()
    out = list(lines)
    owned: Set[str] = set()             # names of arrays made here that nothing else holds
    for (at, stmt), dies in zip(statements, dying):
        if isinstance(stmt, ast.Return):
            break
        made = _made(stmt)
        if made is None:                # the names it reads may be kept or aliased
            owned -= _read(stmt)
        if not (isinstance(stmt, ast.Assign) and made):
            owned -= set(_assigned(stmt))
            continue
        target = stmt.targets[0].id
        ufunc, operands = _elementwise(stmt.value)
        into = next((x.id for x in operands if isinstance(x, ast.Name) and x.id in owned
                     and x.id in dies and layout.get(x.id) == layout.get(target)
                     and layout.get(target) is not None), None) if ufunc else None
        if into is not None and "\n" not in lines[at]:
            line, value = lines[at].encode(), stmt.value    # (ast's offsets count bytes)
            args = b", ".join(line[a.col_offset:a.end_col_offset] for a in operands).decode()
            out[at] = (f"{line[:value.col_offset].decode()}np.{ufunc}({args}, out={into})"
                       f"{line[value.end_col_offset:].decode()}")
            owned.discard(into)
        owned.add(target)
    return out, owned


def _made(stmt: ast.stmt) -> Optional[bool]:
    """For a statement that keeps no reference to the arrays it reads (numpy computes with
    them, making new arrays): whether it binds a new array (or number) that nothing else
    refers to (False: it writes into one, `x[i] -= 1`); None for any other statement (it may
    alias what it reads, as `a = b` or a reshape do, or keep it, as a call of ours may)."""
    calls = [n.func for n in ast.walk(stmt) if isinstance(n, ast.Call)]
    if not all(_numpy(f) or isinstance(f, ast.Attribute) and f.attr in _VIEWS for f in calls):
        return None
    if isinstance(stmt, ast.AugAssign):
        return False
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)):
        return None
    value = stmt.value
    if isinstance(value, (ast.BinOp, ast.UnaryOp, ast.Compare)):
        return True
    if isinstance(value, ast.Call) and _numpy(value.func):
        fn = value.func
        ufunc = getattr(np, fn.attr if isinstance(fn.value, ast.Name) else fn.value.attr, None)
        out = [k.value for k in value.keywords if k.arg == "out"]
        if isinstance(ufunc, np.ufunc) and (not out or isinstance(out[0], ast.Name)
                                            and out[0].id == SPARE):
            return True                 # a ufunc or its reduce: a new array (or a spare)
    return None


def _numpy(fn: ast.expr) -> bool:
    """Whether a call's function is numpy's (`np.add`, `np.maximum.reduce`)."""
    while isinstance(fn, ast.Attribute):
        fn = fn.value
    return isinstance(fn, ast.Name) and fn.id == "np"


def _elementwise(value: ast.expr) -> Tuple[Optional[str], List[ast.expr]]:
    """The ufunc of `_IN_PLACE_UFUNCS` an expression calls last and its operands, or None."""
    if isinstance(value, ast.BinOp) and type(value.op) in _UFUNC_OF:
        return _UFUNC_OF[type(value.op)], [value.left, value.right]
    if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub):
        return "negative", [value.operand]
    if (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
            and isinstance(value.func.value, ast.Name) and value.func.value.id == "np"
            and value.func.attr in _IN_PLACE_UFUNCS
            and all(k.arg == "out" for k in value.keywords)):
        return value.func.attr, list(value.args)
    return None, []


def lend(lines: List[str], first: int) -> Tuple[List[str], int]:
    """A function's lines with each `out=SPARE` an array lent from its last call
    (`buffers.spare(k)`, numbered from `first`), and the statement keeping the results for
    the next call before its return; and the next free number."""
    out, lent = [], []
    for line in lines:
        if f"out={SPARE}" in line:
            out.append(line.replace(f"out={SPARE}", f"out=buffers.spare({first + len(lent)})"))
            lent.append(line.split("=", 1)[0].strip())
        else:
            out.append(line)
    if lent:
        out.insert(len(out) - 1, f"    buffers.keep({first}, {', '.join(lent)})   # lent to the "
                                 "next call")
    return out, first + len(lent)


def returned(lines: List[str]) -> List[str]:
    """The names a function's last statement (`return (a, b, ...)`) returns."""
    value = _statements(lines)[-1][1].value
    return [e.id if isinstance(e, ast.Name) else "" for e in getattr(value, "elts", [value])]
