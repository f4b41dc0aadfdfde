"""Cold start: a fresh process that generates the default dataset, against one that only imports the stack.

Run from the repository root::

    python benchmarks/bench_cold.py              # 10 pairs of whole processes
    python benchmarks/bench_cold.py --quick      # 1 pair, a smoke test

Two commands, each a whole new interpreter, started in turn (A B A B ...):

- A: ``import xmmm; xmmm.generate_mmm_dataset()``;
- B: ``import numpy, pandas, xarray, numba`` (the floor: the libraries xmmm stands on).

Each run is timed from outside (wall clock around the child, and the child's
user + system CPU seconds from ``resource.getrusage(RUSAGE_CHILDREN)``), and
the ratio A / B is taken pair by pair, so that a change in the machine's
speed during the run moves both alike; the median pair ratio is the figure
(target <= 1.5).  A's Numba kernels come from the on-disk cache: one unpaired
run of A first fills it.

``--without-dask`` runs both commands as if dask were not installed (it is an
optional extra): when dask is importable, xarray imports ``dask.array``
(about 0.5 s) the first time it builds or indexes a variable, so that cost
falls on A only.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence

GENERATE = "import xmmm; xmmm.generate_mmm_dataset()"
IMPORTS = "import numpy, pandas, xarray, numba"
NO_DASK = "import sys; sys.modules['dask'] = None; "  # an import of dask then fails, as when it is absent


def run_once(code: str) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh interpreter running ``code``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-W", "ignore", "-c", code], check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def paired(a: str, b: str, pairs: int) -> dict[str, list[float]]:
    """``pairs`` runs of A and of B, alternating; every run's wall and CPU seconds."""
    run_once(a)  # fill the Numba cache, warm the file system
    out: dict[str, list[float]] = {"a_wall": [], "a_cpu": [], "b_wall": [], "b_cpu": []}
    for i in range(pairs):
        order = (("a", a), ("b", b)) if i % 2 == 0 else (("b", b), ("a", a))
        for key, code in order:
            wall, cpu = run_once(code)
            out[f"{key}_wall"].append(wall)
            out[f"{key}_cpu"].append(cpu)
    return out


def summary(t: dict[str, list[float]]) -> dict[str, float]:
    row = {}
    for k, v in t.items():
        row[f"{k}_min"], row[f"{k}_median"] = min(v), statistics.median(v)
    for kind in ("wall", "cpu"):
        ratios = [x / y for x, y in zip(t[f"a_{kind}"], t[f"b_{kind}"], strict=True)]
        row[f"ratio_{kind}"] = statistics.median(ratios)
    return row


def main(argv: Sequence[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 pair (smoke test)")
    parser.add_argument("--pairs", type=int, default=None, help="pairs of runs")
    parser.add_argument("--without-dask", action="store_true", help="also run both as if dask were absent")
    args = parser.parse_args(argv)
    pairs = args.pairs or (1 if args.quick else 10)
    variants = [("as installed", "")] + ([("dask absent", NO_DASK)] if args.without_dask else [])
    rows = []
    print(f"A: {GENERATE!r}\nB: {IMPORTS!r}\n{pairs} alternating pairs of fresh processes; seconds")
    print(f"{'environment':<14}{'':<6}{'A min':>8}{'A median':>10}{'B min':>8}{'B median':>10}{'A/B (median pair)':>19}")
    for label, prefix in variants:
        row = summary(paired(prefix + GENERATE, prefix + IMPORTS, pairs))
        row["environment"] = label
        rows.append(row)
        for kind in ("wall", "cpu"):
            print(f"{label:<14}{kind:<6}{row[f'a_{kind}_min']:>8.2f}{row[f'a_{kind}_median']:>10.2f}"
                  f"{row[f'b_{kind}_min']:>8.2f}{row[f'b_{kind}_median']:>10.2f}{row[f'ratio_{kind}']:>18.2f}x")
    return rows


if __name__ == "__main__":
    main()
