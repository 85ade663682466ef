"""Command line: run the workloads on the peers and print (and optionally save) the tables.

    python -m benchmarks                 # full run, under ~10 minutes on 2 cores
    python -m benchmarks --quick         # a minute or two
    python -m benchmarks --workloads 1,5 --peers ours,micrograd --out
    python -m benchmarks --threads 1     # single-threaded BLAS and torch
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Callable, Iterable, List, Optional

from benchmarks import machine, peers, workloads
from benchmarks.report import Table
from benchmarks.timing import Settings

ALL_WORKLOADS = (1, 2, 3, 4, 5, 6, 7)
MLP_WORKLOADS = {1: workloads.workload_1, 2: workloads.workload_2, 3: workloads.workload_3,
                 4: workloads.workload_4}
DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results.md")


def run(which: Iterable[int], peer_names: Iterable[str], settings: Settings,
        show: Callable[[Table], None] = lambda table: None) -> List[Table]:
    """Run the chosen workloads on the chosen peers; `show` sees each table when it is done."""
    which = sorted(set(which))
    loaded = peers.load_all(peer_names)
    tables = []
    mlp_results = {}

    def done(table: Table) -> None:
        tables.append(table)
        show(table)

    for w in which:
        if w in MLP_WORKLOADS:
            table, results = MLP_WORKLOADS[w](loaded, settings)
            mlp_results[f"Workload {w}"] = results
            done(table)
        elif w == 5:
            done(workloads.workload_5(loaded, settings))
        elif w == 6:
            done(workloads.workload_6(loaded, settings))
        elif w == 7:
            done(workloads.workload_7(mlp_results))
        else:
            raise ValueError(f"unknown workload {w}; choose from {ALL_WORKLOADS}")
    return tables


def _int_list(text: str) -> List[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def _name_list(text: str) -> List[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a short run (a minute or two)")
    parser.add_argument("--workloads", type=_int_list, default=list(ALL_WORKLOADS),
                        help="comma-separated workload numbers (default: all)")
    parser.add_argument("--peers", type=_name_list, default=list(peers.REGISTRY),
                        help=f"comma-separated peers (default: {','.join(peers.REGISTRY)})")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for BLAS and torch (sets OMP/OPENBLAS/MKL_NUM_THREADS; "
                             "default: the libraries' own). On a loaded machine multi-threaded "
                             "BLAS can be many times slower: try --threads 1")
    parser.add_argument("--out", nargs="?", const=DEFAULT_OUT, default=None,
                        help=f"also write the tables to this file (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    unknown = [name for name in args.peers if name not in peers.REGISTRY]
    if unknown:
        parser.error(f"unknown peer(s) {', '.join(unknown)}; known: {', '.join(peers.REGISTRY)}")
    if "ours" not in args.peers:
        parser.error("--peers must include ours: every ratio is to ours")
    settings = Settings.quick() if args.quick else Settings.full()

    start = time.perf_counter()
    header = machine.markdown(machine.describe(args.peers))
    mode = "quick" if args.quick else "full"
    header = (f"# Benchmarks ({mode} run: {settings.rounds} interleaved rounds, medians)\n\n"
              + header)
    print(header, flush=True)

    def show(table: Table) -> None:
        print(table.markdown(), flush=True)

    tables = run(args.workloads, args.peers, settings, show)
    footer = f"Total time {time.perf_counter() - start:.0f} s.\n"
    print(footer)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(header + "\n" + "\n".join(t.markdown() for t in tables) + "\n" + footer)
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
