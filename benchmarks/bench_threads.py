"""The threading policy: parallel, serial and ``auto`` kernels on an idle and on a loaded machine.

Run from the repository root::

    python benchmarks/bench_threads.py            # 1000 x 520 stacks, 300 calls per mode
    python benchmarks/bench_threads.py --quick    # a smoke test

For each kernel (geometric adstock, Hill, normal draws) the three modes of
:data:`xmmm.kernels._numba.POLICY` are called in turn, call after call and in
a rotating order, so that a change in the machine's load hits them alike: first with no extra
load, then while ``--load`` processes (default: one per core) spin on the
CPU.  Reported per mode: minimum and median milliseconds and the median's
ratio to serial.  Target: under load, ``auto`` no worse than 1.2x serial
(median); idle, ``auto`` close to parallel.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

import numpy as np

MODES = ("serial", "parallel", "auto")


def kernels(n_series: int, n_time: int) -> dict[str, Callable[[], object]]:
    """Each case as a call through its ``series_kernel`` (so the policy decides)."""
    from xmmm.kernels import adstock, saturation
    from xmmm.random import normals, stream_keys

    rng = np.random.default_rng(0)
    x = rng.gamma(2.0, 1.0, (n_series, n_time))
    alpha = rng.uniform(0.1, 0.9, n_series)
    slope, kappa = rng.uniform(0.5, 3.0, n_series), rng.uniform(0.5, 2.0, n_series)
    keys = stream_keys(0, "bench", range(n_series))
    return {
        "geometric adstock": lambda: adstock.geometric_adstock(x, alpha, l_max=12, normalize=True),
        "hill": lambda: saturation.hill_function(x, slope, kappa),
        "normal draws": lambda: normals(keys, n_time),
    }


def measure(calls: dict[str, Callable[[], object]], n: int) -> dict[str, dict[str, list[float]]]:
    """Seconds of ``n`` calls per (kernel, mode), the modes interleaved call by call."""
    from xmmm.kernels._numba import POLICY, set_parallel_mode

    times: dict[str, dict[str, list[float]]] = {}
    previous = POLICY.mode
    try:
        for name, call in calls.items():
            POLICY.reset()
            per_mode: dict[str, list[float]] = {m: [] for m in MODES}
            for mode in MODES:  # warm up every version on the timed shape
                set_parallel_mode(mode)
                call()
                call()
            for i in range(n):
                # rotate the order: a call after a parallel one shares the CPU with its spinning threads
                for mode in MODES[i % 3:] + MODES[: i % 3]:
                    set_parallel_mode(mode)
                    start = time.perf_counter()
                    call()
                    per_mode[mode].append(time.perf_counter() - start)
            times[name] = per_mode
    finally:
        set_parallel_mode(previous)
    return times


def spin(n_processes: int) -> list[subprocess.Popen]:
    """Start processes that keep one core each busy."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n_processes)]


def report(label: str, times: dict[str, dict[str, list[float]]]) -> list[dict]:
    rows = []
    print(f"\n{label}")
    print(f"{'kernel':<20}{'mode':<10}{'min ms':>9}{'median ms':>11}{'median / serial':>17}")
    for name, per_mode in times.items():
        serial = float(np.median(per_mode["serial"]))
        for mode in MODES:
            t = np.asarray(per_mode[mode])
            row = {"load": label, "kernel": name, "mode": mode, "min_ms": t.min() * 1e3,
                   "median_ms": float(np.median(t)) * 1e3, "vs_serial": float(np.median(t)) / serial}
            rows.append(row)
            print(f"{name:<20}{mode:<10}{row['min_ms']:>9.3f}{row['median_ms']:>11.3f}{row['vs_serial']:>16.2f}x")
    return rows


def main(argv: Sequence[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke test (small stacks, few calls, no load)")
    parser.add_argument("--calls", type=int, default=None, help="timed calls per mode")
    parser.add_argument("--load", type=int, default=os.cpu_count() or 1, help="spinning processes under load")
    args = parser.parse_args(argv)
    shape = (400, 260) if args.quick else (1000, 520)  # quick: still above the parallel threshold
    n = args.calls or (5 if args.quick else 300)
    calls = kernels(*shape)
    print(f"{shape[0]} x {shape[1]} series, {n} calls per mode, {os.cpu_count()} cores")
    rows = report("no extra load", measure(calls, n))
    if not args.quick:
        load = spin(args.load)
        try:
            time.sleep(0.5)
            rows += report(f"{args.load} spinning process(es)", measure(calls, n))
        finally:
            for process in load:
                process.kill()
                process.wait()
    return rows


if __name__ == "__main__":
    main()
