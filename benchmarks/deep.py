"""Workload 6's measurement, one fresh process per peer and size, so peak RSS is the graph's.

`python -m benchmarks.deep PEER LINKS` prints one JSON line: forward and backward seconds,
seconds of those spent in Python's cyclic garbage collector, bytes of peak-RSS growth, the
gradient, or the error that stopped the peer.
"""
from __future__ import annotations

import gc
import json
import os
import resource
import subprocess
import sys
import time
from typing import Any, Dict, List, Optional

from benchmarks import problems

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _peak_rss() -> int:
    """Peak resident set size of this process so far, in bytes. Linux's VmHWM starts afresh
    in a new program, while getrusage's ru_maxrss keeps the parent's peak across fork and
    exec, so the latter is only the fallback."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


class _CollectorClock:
    """Seconds spent in the cyclic garbage collector's collections (a `gc.callbacks` entry)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._start = 0.0

    def __call__(self, phase: str, info: Dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._start


def child(name: str, n: int) -> Dict[str, Any]:
    """Build and differentiate a chain of `n` links with peer `name`, in this process."""
    from benchmarks.peers import Missing, load
    peer = load(name)
    if isinstance(peer, Missing):
        return {"status": "not installed"}
    chain = peer.chain(problems.deep_chain(n))
    if chain is None:
        return {"status": "n/a"}
    warm = peer.chain(problems.deep_chain(100))
    warm.backward(warm.forward())
    del warm
    gc.collect()
    base = _peak_rss()
    stage = "forward"
    collector = _CollectorClock()
    gc.callbacks.append(collector)
    try:
        start = time.perf_counter()
        out = chain.forward()
        forward = time.perf_counter() - start
        stage = "backward"
        start = time.perf_counter()
        grad = chain.backward(out)
        backward = time.perf_counter() - start
    except Exception as exc:            # RecursionError, MemoryError, ...: where it fails
        return {"error": f"{type(exc).__name__} in {stage}"}
    finally:
        gc.callbacks.remove(collector)
    return {"forward": forward, "backward": backward, "gc": collector.seconds, "grad": grad,
            "bytes": _peak_rss() - base}


def measure(name: str, n: int, timeout: float, root: str = ROOT) -> Dict[str, Any]:
    """Run `child(name, n)` in a fresh interpreter started in `root` (see run_child); a crash
    or timeout becomes an error."""
    return run_child("benchmarks.deep", [name, str(n)], timeout, root)


def run_child(module: str, args: List[str], timeout: Optional[float] = None,
              root: str = ROOT) -> Dict[str, Any]:
    """Run `python -m module *args` in a fresh interpreter started in `root` (the repository,
    or a directory of links to the packages to import: see compare.py) and return the JSON
    object its last line prints; a crash or timeout becomes {"error": ...}."""
    cmd = [sys.executable, "-m", module, *args]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (root, os.environ.get("PYTHONPATH")) if p))
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=root,
                              env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout (> {timeout:.0f} s)"}
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        kind = f"signal {-proc.returncode}" if proc.returncode < 0 else f"exit {proc.returncode}"
        return {"error": f"crashed ({kind}): {last[:80]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    print(json.dumps(child(sys.argv[1], int(sys.argv[2]))))
