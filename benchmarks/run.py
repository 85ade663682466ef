"""Command line: run the workloads on the peers and print (and optionally save) the tables.

    python -m benchmarks                 # full run, both kinds of tables, about 15 minutes
    python -m benchmarks --quick         # a few minutes
    python -m benchmarks --no-fresh      # the one-process tables only (about 5 minutes)
    python -m benchmarks --workloads 1,5 --peers ours,micrograd --out
    python -m benchmarks --threads 1     # single-threaded BLAS and torch
    python -m benchmarks --base main     # ours at a git revision against this working tree

Workloads 1-5 and 8-11 run every peer interleaved in one process, then (unless --no-fresh) each
contender alone in fresh processes, as a user runs one model: in one process a heap warmed by
the other peers hides allocation costs. Workload 6 always runs a process per peer and size.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from typing import Callable, Iterable, List, Optional

from benchmarks import arch_workloads, compare, fresh, machine, peers, workloads
from benchmarks.report import Table
from benchmarks.timing import Settings

ALL_WORKLOADS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
IN_ONE_PROCESS = {1: workloads.workload_1, 2: workloads.workload_2, 3: workloads.workload_3,
                  4: workloads.workload_4, 5: workloads.workload_5,
                  **arch_workloads.ARCH_WORKLOADS}
MLP_WORKLOADS = (1, 2, 3, 4)
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "results.md")
BEFORE_AFTER_OUT = os.path.join(HERE, "before-after.md")


def run(which: Iterable[int], peer_names: Iterable[str], settings: Settings,
        show: Callable[[Table], None] = lambda table: None, fresh_too: bool = False
        ) -> List[Table]:
    """Run the chosen workloads on the chosen peers; `show` sees each table when it is done.
    With `fresh_too`, each of workloads 1-5 and 8-11 is followed by its fresh-process table."""
    which = sorted(set(which))
    unknown = [w for w in which if w not in ALL_WORKLOADS]
    if unknown:
        raise ValueError(f"unknown workload(s) {unknown}; choose from {ALL_WORKLOADS}")
    loaded = peers.load_all(peer_names)
    tables = []
    mlp_results, fresh_mlp_results = {}, {}

    def done(table: Table) -> None:
        tables.append(table)
        show(table)

    for w in which:
        if w in IN_ONE_PROCESS:
            table, results = IN_ONE_PROCESS[w](loaded, settings)
            done(table)
            if fresh_too:
                fresh_results = fresh.in_fresh_processes(w, loaded, settings)
                fresh_table = fresh.table(w, fresh_results, results, settings)
                extend = arch_workloads.FRESH_EXTRAS.get(w)
                done(extend(fresh_table, fresh_results) if extend else fresh_table)
            if w in MLP_WORKLOADS:
                mlp_results[f"Workload {w}"] = results
                if fresh_too:
                    fresh_mlp_results[f"Workload {w}"] = fresh_results
        elif w == 6:
            done(workloads.workload_6(loaded, settings))
        else:
            done(workloads.workload_7(mlp_results, fresh_mlp_results if fresh_too else None))
    return tables


def _rounds(n: int) -> str:
    return f"{n} round{'' if n == 1 else 's'}"


def _write_atomically(path: str, text: str) -> None:
    """Write `text` to a temporary file beside `path`, then rename it over `path`: a reader
    never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _int_list(text: str) -> List[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def _name_list(text: str) -> List[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a short run (a few minutes)")
    parser.add_argument("--workloads", type=_int_list, default=None,
                        help="comma-separated workload numbers (default: all; all but 7 with "
                             "--base)")
    parser.add_argument("--peers", type=_name_list, default=None,
                        help=f"comma-separated peers (default: {','.join(peers.REGISTRY)})")
    parser.add_argument("--fresh", action=argparse.BooleanOptionalAction, default=True,
                        help="also time workloads 1-5 and 8-11 with each contender alone in "
                             "fresh processes (default: on)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="rounds of every kind of timing (default: 9 interleaved and 5 of "
                             "fresh processes; 3 and 2 with --quick; --base uses the first)")
    parser.add_argument("--base", metavar="REV", default=None,
                        help="instead: time ours at git revision REV (before) against this "
                             "working tree (after), in fresh processes, on workloads 1-6 and 8-11")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for BLAS and torch (sets OMP/OPENBLAS/MKL_NUM_THREADS; "
                             "default: the libraries' own). On a loaded machine multi-threaded "
                             "BLAS can be many times slower: try --threads 1")
    parser.add_argument("--out", nargs="?", const="", default=None,
                        help=f"also write the tables to this file (default {DEFAULT_OUT}, or "
                             f"{BEFORE_AFTER_OUT} with --base)")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    which = args.workloads or list(compare.COMPARED if args.base else ALL_WORKLOADS)
    unknown = [w for w in which if w not in ALL_WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {unknown}; choose from {ALL_WORKLOADS}")
    if args.rounds is not None and args.rounds < 1:
        parser.error(f"--rounds {args.rounds}: give at least 1")
    settings = Settings.quick() if args.quick else Settings.full()
    if args.rounds is not None:
        settings = dataclasses.replace(settings, rounds=args.rounds, fresh_rounds=args.rounds)
    mode = "quick" if args.quick else "full"
    start = time.perf_counter()

    def show(table: Table) -> None:
        print(table.markdown(), flush=True)

    if args.base:
        if args.peers is not None:
            parser.error("--peers: --base compares our engine only")
        try:
            commit = compare.resolve(args.base)
            compare.check_workloads(which)
        except ValueError as exc:
            parser.exit(2, f"{parser.prog}: error: {exc}\n")
        header = (f"# Before and after ({mode} run: {_rounds(settings.rounds)} of fresh "
                  "processes per side, medians)\n\n" + compare.describe(args.base, commit)
                  + "\n" + machine.markdown(machine.describe([workloads.OURS])))
        print(header, flush=True)
        tables = compare.compare(commit, which, settings, show)
    else:
        names = args.peers or list(peers.REGISTRY)
        unknown = [name for name in names if name not in peers.REGISTRY]
        if unknown:
            parser.error(f"unknown peer(s) {', '.join(unknown)}; "
                         f"known: {', '.join(peers.REGISTRY)}")
        if workloads.OURS not in names:
            parser.error("--peers must include ours: every ratio is to ours")
        kinds = f"{_rounds(settings.rounds)} interleaved"
        if args.fresh:
            kinds += f" and {_rounds(settings.fresh_rounds)} of fresh processes"
        header = (f"# Benchmarks ({mode} run: {kinds}, medians)\n\n"
                  + machine.markdown(machine.describe(names)))
        print(header, flush=True)
        tables = run(which, names, settings, show, fresh_too=args.fresh)
    footer = f"Total time {time.perf_counter() - start:.0f} s.\n"
    print(footer)
    if args.out is not None:
        out = args.out or (BEFORE_AFTER_OUT if args.base else DEFAULT_OUT)
        _write_atomically(out, header + "\n" + "\n".join(t.markdown() for t in tables) + "\n"
                          + footer)
        print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
