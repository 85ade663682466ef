"""What the numbers were measured on: CPU, cores, load, library versions and BLAS."""
from __future__ import annotations

import datetime
import os
import platform
import sys
from typing import Dict, List

import numpy as np

from benchmarks import THREAD_VARIABLES
from benchmarks import peers as peer_registry


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _blas() -> str:
    try:
        from threadpoolctl import threadpool_info
        pools = threadpool_info()
        return "; ".join(f"{p.get('internal_api')} {p.get('version')} ({p.get('num_threads')} "
                         f"threads, {p.get('threading_layer', '')})" for p in pools)
    except ImportError:
        pass
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version')}"
    except Exception:            # older numpy: show_config has no dicts mode
        return "unknown (numpy.show_config)"


def describe(peer_names: List[str]) -> Dict[str, str]:
    """Machine facts, as label -> text."""
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    info = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "CPU": f"{_cpu_model()}, {cores} logical cores ({usable} usable)",
        "load average (1, 5, 15 min)": load,
        "Python": f"{platform.python_implementation()} {sys.version.split()[0]}",
        "numpy": f"{np.__version__}, BLAS {_blas()}",
        "threads": ", ".join(f"{v}={os.environ[v]}" for v in THREAD_VARIABLES
                             if v in os.environ) or "the libraries' defaults",
    }
    for name in peer_names:
        peer = peer_registry.load(name)
        if isinstance(peer, peer_registry.Missing):
            info[name] = "not installed"
        elif name == "torch":
            import torch
            n = torch.get_num_threads()
            info[name] = f"{torch.__version__} ({n} thread{'' if n == 1 else 's'})"
        elif name != "numpy":
            info[name] = peer_registry.version(peer) or "installed"
    return info


def busy_warning() -> str:
    """A warning when other work is running: the numbers are then noisy, and multi-threaded
    BLAS and torch can wait on a busy core for far longer than the work takes."""
    if not hasattr(os, "getloadavg"):
        return ""
    load, cores = os.getloadavg()[0], os.cpu_count() or 1
    if load < 0.5 * cores:
        return ""
    return (f"Warning: load average {load:.1f} on {cores} cores: other work is running, so "
            "these numbers are noisy; multi-threaded BLAS and torch suffer most (try "
            "--threads 1).")


def markdown(info: Dict[str, str]) -> str:
    lines = [f"- {k}: {v}" for k, v in info.items()]
    warning = busy_warning()
    return "## Machine\n\n" + "\n".join(lines) + ("\n\n" + warning if warning else "") + "\n"
