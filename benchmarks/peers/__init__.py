"""The peers, found by name; a peer whose package is missing is reported, never imported."""
from __future__ import annotations

import importlib
import importlib.util
from importlib import metadata
from typing import Dict, Iterable, Optional

from benchmarks.peers.base import Peer

# name -> (module defining `PEER`, package it needs); the order is the order of table rows.
REGISTRY = {
    "ours": ("benchmarks.peers.ours", "autograd"),
    "compiled": ("benchmarks.peers.ours_compiled", "autograd"),
    "micrograd": ("benchmarks.peers.micrograd_peer", "micrograd"),
    "mygrad": ("benchmarks.peers.mygrad_peer", "mygrad"),
    "torch": ("benchmarks.peers.torch_peer", "torch"),
    "numpy": ("benchmarks.peers.numpy_floor", "numpy"),
}


class Missing(Peer):
    """Stands in for a peer whose package is not installed."""

    def __init__(self, name: str, package: str) -> None:
        self.name = name
        self.package = package


def is_installed(package: Optional[str]) -> bool:
    return package is None or importlib.util.find_spec(package) is not None


def load(name: str) -> Peer:
    """The peer called `name`, or a `Missing` when its package is not installed."""
    if name not in REGISTRY:
        raise ValueError(f"unknown peer {name!r}; known peers: {', '.join(REGISTRY)}")
    module, package = REGISTRY[name]
    if not is_installed(package):
        return Missing(name, package)
    return importlib.import_module(module).PEER


def load_all(names: Iterable[str]) -> Dict[str, Peer]:
    return {name: load(name) for name in names}


def version(peer: Peer) -> str:
    """The installed version of a peer's distribution, '' when unknown."""
    if isinstance(peer, Missing) or not peer.distribution:
        return ""
    try:
        return metadata.version(peer.distribution)
    except metadata.PackageNotFoundError:
        return ""

