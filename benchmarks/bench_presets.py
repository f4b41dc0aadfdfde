"""Time the generation of every preset.

Run from the repository root::

    python benchmarks/bench_presets.py                 # every preset
    python benchmarks/bench_presets.py enterprise demo # some of them
    python benchmarks/bench_presets.py --quick         # two small presets, one repeat

Each preset is generated once to warm up (Numba compiles its kernels on first
use and caches them on disk), then timed as the best of ``--repeat`` calls of
``xmmm.generate_mmm_dataset``.  The size is dates x geos x channels; the
target is under one second for every preset.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

QUICK_PRESETS = ("basic", "demo")
TARGET_SECONDS = 1.0


def time_preset(name: str, repeats: int) -> dict:
    """Best wall time of generating one preset (after a warm-up), with its size."""
    from xmmm import generate_mmm_dataset, get_preset_config

    config = get_preset_config(name)
    generate_mmm_dataset(config)  # warm-up: compile and cache kernels
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        generate_mmm_dataset(config)
        times.append(time.perf_counter() - start)
    n_dates, n_geos, n_channels = config.n_periods, config.regions.n_regions, len(config.channels)
    return {
        "preset": name,
        "dates": n_dates,
        "geos": n_geos,
        "channels": n_channels,
        "controls": len(config.control_variables),
        "rows": n_dates * n_geos,
        "seconds": min(times),
    }


def report(rows: list[dict]) -> str:
    """A fixed-width table of the timings."""
    lines = [f"{'preset':<18} {'dates':>6} {'geos':>5} {'chan':>5} {'ctrl':>5} {'rows':>7} {'best s':>8}  target"]
    for r in rows:
        ok = "ok" if r["seconds"] < TARGET_SECONDS else f"SLOW (> {TARGET_SECONDS:g} s)"
        lines.append(
            f"{r['preset']:<18} {r['dates']:>6} {r['geos']:>5} {r['channels']:>5} {r['controls']:>5} "
            f"{r['rows']:>7} {r['seconds']:>8.3f}  {ok}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> list[dict]:
    """Parse arguments, time the presets, print the table; return its rows."""
    from xmmm import list_available_presets

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("presets", nargs="*", help="preset names (default: all)")
    parser.add_argument("--repeat", type=int, default=5, help="timed calls per preset (best is kept)")
    parser.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK_PRESETS)}, one repeat")
    args = parser.parse_args(argv)
    names = list(args.presets) or list(list_available_presets())
    repeats = max(1, args.repeat)
    if args.quick:
        names, repeats = list(args.presets) or list(QUICK_PRESETS), 1
    rows = [time_preset(name, repeats) for name in names]
    print(report(rows))
    return rows


if __name__ == "__main__":
    main()
