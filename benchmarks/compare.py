"""Before and after: our engine at a git revision (base) against this working tree (head).

    python -m benchmarks --base main                     # workloads 1-6 and 8-11
    python -m benchmarks --base 4426977 --workloads 2,5 --quick

Both sides run this tree's benchmark code against different engines. Every measurement is a
fresh process (fresh.py, or deep.py for workload 6) started in a temporary directory holding links `autograd`, `nn` and
`visualize` to the tree under test (the revision, extracted with `git archive`, or this working
tree with its uncommitted changes) and `benchmarks` to this tree's. Each round runs every case on
both sides back to back, alternating which goes first; head / base is the median over the rounds
of the ratio within a round, so a drift of the machine's speed cancels.
"""
from __future__ import annotations

import contextlib
import io
import os
import statistics
import subprocess
import tarfile
import tempfile
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple

import numpy as np

from benchmarks import deep, peers
from benchmarks.deep import ROOT
from benchmarks.fresh import in_rounds, sample
from benchmarks.report import Table, agreement, count, percent, seconds
from benchmarks.timing import Settings, paired_ratios, spread
from benchmarks.workloads import CASES, OURS, Result

ENGINE_PACKAGES = ("autograd", "nn", "visualize")
DEEP = 6
COMPARED = tuple(sorted((*CASES, DEEP)))
COLUMNS = ["variant", "base / step", "head / step", "head / base", "spread", "check"]
RATIO_NOTE = ("head / base: the median over the rounds of the ratio within a round (below 1.00× "
              "the head is faster); spread: half the interquartile range of those ratios (half "
              "the full range under four rounds), relative to their median.")


def _git(*args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True)
    except FileNotFoundError:
        raise ValueError("--base needs git, which is not installed: install git, or compare "
                         "without --base") from None


def resolve(rev: str) -> str:
    """The full hash of the commit `rev` names; ValueError when it names none."""
    proc = _git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if rev.startswith("-") or proc.returncode != 0:
        why = proc.stderr.decode(errors="replace").strip().splitlines()
        raise ValueError(f"--base {rev!r} names no commit of the repository at {ROOT}"
                         f"{' (' + why[-1] + ')' if why else ''}; give a branch, tag or commit "
                         "such as main, HEAD~1 or 4426977")
    return proc.stdout.decode().strip()


def describe(rev: str, commit: str) -> str:
    """What the two sides are, as a markdown section (for the run's header)."""
    def summary(what: str) -> str:
        line = _git("log", "-1", "--format=%h %cs %s", what).stdout.decode().strip()
        return line if len(line) <= 80 else line[:79] + "…"
    changed = _git("status", "--porcelain", "--", *ENGINE_PACKAGES).stdout.strip()
    return (f"## Sides\n\n- base: {rev} = {summary(commit)}\n"
            f"- head: this working tree, at {summary('HEAD')}"
            + (", with uncommitted changes to the engine" if changed else "") + "\n")


def _extract(commit: str, into: str) -> None:
    """Write the engine packages as they are at `commit` under the directory `into`."""
    present = [package for package in ENGINE_PACKAGES
               if _git("cat-file", "-e", f"{commit}:{package}").returncode == 0]
    if "autograd" not in present:
        raise ValueError(f"--base {commit[:10]} has no autograd package; choose a later revision")
    archive = _git("archive", "--format=tar", commit, "--", *present)
    if archive.returncode != 0:
        raise RuntimeError(f"git archive {commit[:10]} failed: "
                           f"{archive.stderr.decode(errors='replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")


def _links(directory: str, tree: str) -> str:
    """Make `directory` hold links to `tree`'s engine packages and to this tree's benchmarks."""
    os.mkdir(directory)
    for package in ENGINE_PACKAGES:
        if os.path.isdir(os.path.join(tree, package)):
            os.symlink(os.path.join(tree, package), os.path.join(directory, package))
    os.symlink(os.path.join(ROOT, "benchmarks"), os.path.join(directory, "benchmarks"))
    return directory


@contextlib.contextmanager
def sides(commit: str) -> Iterator[Dict[str, str]]:
    """{"base": directory, "head": directory} to start children in: the engine at `commit` and
    this working tree's, each with this tree's benchmarks. Removed on exit."""
    with tempfile.TemporaryDirectory(prefix="seegrad-compare-") as tmp:
        tree = os.path.join(tmp, "tree")
        _extract(commit, tree)
        yield {"base": _links(os.path.join(tmp, "base"), tree),
               "head": _links(os.path.join(tmp, "head"), ROOT)}


def check_workloads(which: Iterable[int]) -> None:
    """ValueError unless every workload is one `compare` can time."""
    unknown = [w for w in which if w not in COMPARED]
    if unknown:
        raise ValueError(f"--base compares workloads {', '.join(map(str, COMPARED))}, not "
                         f"{', '.join(map(str, unknown))}: leave those out of --workloads")


def compare(commit: str, which: Iterable[int], settings: Settings,
            show: Callable[[Table], None] = lambda table: None) -> List[Table]:
    """Time ours on the chosen workloads at `commit` and in this working tree, in
    `settings.rounds` rounds of fresh processes; one table per workload, each shown when done."""
    which = sorted(set(which))
    check_workloads(which)
    tables = []
    with sides(commit) as roots:
        pair = (roots["base"], roots["head"])
        for w in which:
            table = _deep_table(commit, settings, pair) if w == DEEP else (
                _steps_table(w, commit, settings, pair))
            tables.append(table)
            show(table)
    return tables


def _table(workload: int, commit: str) -> Table:
    return Table(f"Workload {workload} before and after: ours at {commit[:7]} (base) and in "
                 "this working tree (head)", list(COLUMNS),
                 notes=[RATIO_NOTE, "check: the head's first value (loss, chain output or "
                        "gradient) against the base's."])


def _row(key: tuple, results: Dict[Tuple[tuple, str], Result],
         roots: Tuple[str, str]) -> Optional[List[str]]:
    """A case's cells under COLUMNS; None when neither side can run it."""
    base, head = (results.get((key, root)) for root in roots)
    if base is None and head is None:
        return None
    variant = ", ".join(key[1:])
    failed = [("n/a" if r is None else r.status) for r in (base, head)]
    if any(failed):
        return [variant, failed[0] or seconds(base.median), failed[1] or seconds(head.median),
                "", "", ""]
    ratios = paired_ratios(head.timing, base.timing)
    return [variant, seconds(base.median), seconds(head.median),
            f"{statistics.median(ratios):.2f}×", percent(spread(ratios)),
            agreement([head.first], [base.first], head.dtype)]


def _steps_table(workload: int, commit: str, settings: Settings,
                 roots: Tuple[str, str]) -> Table:
    """Workloads 1-5 and 8-11: ours's cases, each in fresh processes as fresh.py runs them."""
    cases = CASES[workload]({OURS: peers.load(OURS)})
    dtypes = {key: case.dtype for key, case in cases.items() if key[0] == OURS}
    results = in_rounds(dtypes, settings.rounds,
                        lambda key, root: sample(workload, key, settings, root), roots)
    table = _table(workload, commit)
    for key in dtypes:
        row = _row(key, results, roots)
        if row:
            table.add(*row)
    return table


def _deep_table(commit: str, settings: Settings, roots: Tuple[str, str]) -> Table:
    """Workload 6: ours's chain at each size, a process per size and side (deep.py), with the
    peak-RSS growth per link beside the times."""
    sizes = {(OURS, f"{count(n)} links"): n for n in settings.deep_sizes}
    per_link: Dict[Tuple[tuple, str], List[float]] = {}

    def sampler(key: tuple, root: str) -> Dict[str, Any]:
        n = sizes[key]
        out = deep.measure(OURS, n, settings.deep_timeout, root)
        if "forward" not in out:
            return out
        per_link.setdefault((key, root), []).append(out["bytes"] / n)
        return {"first": out["grad"], "seconds": out["forward"] + out["backward"]}

    results = in_rounds(dict.fromkeys(sizes, np.float64), settings.rounds, sampler, roots)
    table = _table(DEEP, commit)
    table.columns += ["base bytes/link", "head bytes/link"]
    table.notes.append("A step builds and differentiates the whole chain, once per process; "
                       "bytes/link: the median growth of peak RSS per link (see workload 6).")
    for key in sizes:
        row = _row(key, results, roots)
        if row:
            table.add(*row, *(f"{statistics.median(per_link[(key, root)]):.0f}"
                              if (key, root) in per_link else "–" for root in roots))
    return table
