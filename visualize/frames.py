"""Backpropagation step by step: one picture per node the backward pass processes."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, List, Union

from autograd.engine import backward_steps
from autograd.value import Value
from visualize.dot import body_lines
from visualize.format import escape_string, numbers
from visualize.options import Options, Step
from visualize.render import run_dot
from visualize.trace import trace

FRAME_FORMATS = ("png", "svg", "gif")


def backprop_frames(root: Value, folder: Union[str, os.PathLike], format: str = "png",
                    max_frames: int = 200, seconds_per_frame: float = 1.0, model: Any = None,
                    **draw_options: Any) -> List[Path]:
    """Draw each step of `root.backward()` into `folder`; returns the files written.

    Frame k shows the gradients known after k steps and highlights the node being processed
    (its gradient is complete and flows, along red edges, to its inputs). `format='png'` or
    `'svg'` writes `step_000.png`, `step_001.png`, ...; `format='gif'` writes one animated
    `backprop.gif`. Nothing is stored on the graph: `.grad` stays as it was.

    >>> from autograd import Value
    >>> x = Value(0.5, name='x'); y = (x * x).tanh()
    >>> backprop_frames(y, 'frames', format='gif')   # doctest: +SKIP
    [PosixPath('frames/backprop.gif')]
    """
    if format not in FRAME_FORMATS:
        raise ValueError(f"backprop_frames: format must be one of {FRAME_FORMATS}, got "
                         f"{format!r}")
    graph = trace(root)
    opts = Options(**draw_options)
    if graph.drawn_node_count() > opts.max_nodes:
        raise ValueError(f"backprop_frames: the graph has {graph.drawn_node_count():,} nodes, "
                         f"more than max_nodes={opts.max_nodes}; step-by-step pictures are "
                         "for small graphs (a neuron, a tiny MLP on one sample)")
    steps = backward_steps(root)
    if len(steps) > max_frames:                    # before drawing: no partial set of files
        raise ValueError(f"backprop_frames: the backward pass has {len(steps)} steps, more "
                         f"than max_frames={max_frames}; raise max_frames or draw a smaller "
                         "graph")
    index = graph.index()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    grads: dict = {}
    paths: List[Path] = []
    work = tempfile.TemporaryDirectory() if format == "gif" else None
    out_dir, out_fmt = (Path(work.name), "png") if work else (folder, format)
    try:
        for k, (node, g) in enumerate(steps):
            i = index[id(node)]
            grads[i] = g
            what = node.name or (f"the result of {node.op}" if node.op else "a leaf")
            title = (f"backward step {k + 1}: {what} has its complete gradient "
                     f"{numbers(g, opts.precision, opts.max_elems)}"
                     + (" and passes it to its inputs" if node.parents else ""))
            lines = body_lines(graph, opts, model, Step(grads, i))
            lines.insert(3, f'\tgraph [label="{escape_string(title)}" labelloc=t fontsize=13]\n')
            path = out_dir / f"step_{k:03d}.{out_fmt}"
            # Without `dot`, the source goes to `folder` (a GIF's frames live in a temporary one).
            run_dot("digraph {\n" + "".join(lines) + "}\n", path, out_fmt,
                    fallback=folder / f"step_{k:03d}.dot")
            paths.append(path)
        if work is None:
            return paths
        return [animate_pngs(paths, folder / "backprop.gif", seconds_per_frame)]
    finally:
        if work is not None:
            work.cleanup()


def animate_pngs(pngs: List[Path], path: Path, seconds: float) -> Path:
    """Join PNG frames into a looping GIF, padding each to the largest frame."""
    try:
        from PIL import Image
    except ImportError as exc:
        raise ImportError("backprop_frames(format='gif') needs Pillow: pip install pillow "
                          "(it comes with matplotlib); or use format='png'") from exc
    images = [Image.open(p).convert("RGB") for p in pngs]
    size = (max(im.width for im in images), max(im.height for im in images))
    frames = []
    for im in images:
        canvas = Image.new("RGB", size, "white")
        canvas.paste(im, (0, 0))
        # Pillow's default palette search is slow on large frames; drawings have few colours.
        frames.append(canvas.quantize(colors=64, method=Image.Quantize.FASTOCTREE))
    frames[0].save(path, save_all=True, append_images=frames[1:],
                   duration=int(seconds * 1000), loop=0)
    return path
