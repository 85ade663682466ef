"""What to say when Graphviz's `dot` program is missing: the error and how to install it."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

INSTALL_HINT = (
    "Install Graphviz, which provides it: sudo apt-get install graphviz (Debian/Ubuntu), "
    "brew install graphviz (macOS), conda install -c conda-forge graphviz (conda), or "
    "winget install graphviz (Windows), and make sure `dot` is on your PATH.")


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's `dot` program is not installed (or not on PATH)."""


@contextmanager
def explain_missing_dot(what: str, source_note: Callable[[], str]) -> Iterator[None]:
    """Turn the graphviz package's ExecutableNotFound into a GraphvizNotFoundError that says
    how to install Graphviz (`what` failed; `source_note()` says where the DOT source is)."""
    import graphviz
    try:
        yield
    except graphviz.ExecutableNotFound as exc:
        raise GraphvizNotFoundError(
            f"{what}: Graphviz's `dot` program was not found. {source_note()} "
            f"{INSTALL_HINT}") from exc
