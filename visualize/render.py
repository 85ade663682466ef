"""Write drawings to files with Graphviz's `dot` program, or as DOT source without it."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Optional, Union

from autograd.value import Value
from visualize.dot import dot_source
from visualize.errors import INSTALL_HINT, GraphvizNotFoundError

FORMATS = ("svg", "png", "pdf", "dot")

__all__ = ["render", "run_dot", "svg_text", "GraphvizNotFoundError", "INSTALL_HINT",
           "FORMATS"]


def render(root: Value, path: Union[str, os.PathLike], model: Any = None,
           **draw_options: Any) -> Path:
    """Draw the graph of `root` to `path`: .svg, .png, .pdf or .dot, chosen by the extension.

    Parent folders are created. Without the `dot` program, the DOT source is still written
    next to `path` (as .dot) before `GraphvizNotFoundError` says how to install Graphviz.

    >>> from autograd import Value
    >>> y = Value(2.0, name='x').tanh(); y.backward()
    >>> render(y, 'figures/tanh.svg')   # doctest: +SKIP
    PosixPath('figures/tanh.svg')
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"render: cannot tell the format from {str(path)!r}; end the path "
                         f"with one of {', '.join('.' + f for f in FORMATS)}")
    source = dot_source(root, model=model, **draw_options)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "dot":
        path.write_text(source, encoding="utf-8")
        return path
    run_dot(source, path, fmt)
    return path


def run_dot(source: str, path: Path, fmt: str, fallback: Optional[Path] = None) -> None:
    """Lay out `source` with `dot` into `path`; without `dot`, write the source to `fallback`
    (default `path` with the extension .dot) and raise GraphvizNotFoundError."""
    program = shutil.which("dot")
    if program is None:
        fallback = path.with_suffix(".dot") if fallback is None else fallback
        fallback.write_text(source, encoding="utf-8")
        raise GraphvizNotFoundError(
            f"render: Graphviz's `dot` program was not found, so {str(path)!r} could not be "
            f"drawn. The DOT source was written to {str(fallback)!r} instead. {INSTALL_HINT}")
    result = subprocess.run([program, f"-T{fmt}", "-o", str(path)], input=source.encode(),
                            capture_output=True)
    if result.returncode != 0:
        raise RuntimeError(f"render: dot failed on {str(path)!r}: "
                           f"{result.stderr.decode(errors='replace').strip()}")


def svg_text(source: str, caller: str) -> str:
    """The SVG that `dot` lays out from `source`, as text (for pages that inline it); without
    `dot`, GraphvizNotFoundError says how to install Graphviz."""
    program = shutil.which("dot")
    if program is None:
        raise GraphvizNotFoundError(f"{caller}: Graphviz's `dot` program was not found, so the "
                                    f"graph could not be laid out. {INSTALL_HINT}")
    result = subprocess.run([program, "-Tsvg"], input=source.encode(), capture_output=True)
    if result.returncode != 0:
        raise RuntimeError(f"{caller}: dot failed: "
                           f"{result.stderr.decode(errors='replace').strip()}")
    return result.stdout.decode("utf-8")
