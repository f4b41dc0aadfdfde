"""Simulation-study throughput and peak memory: replicates per second, in memory, on disk, on a cluster.

Run from the repository root::

    python benchmarks/bench_simulate.py            # 1,000 and 10,000 replicates of the `basic` preset
    python benchmarks/bench_simulate.py --quick    # tiny sizes, no cluster, one process: a smoke test

Every case runs in a fresh subprocess so that its peak resident memory
(``resource.getrusage(...).ru_maxrss``, a high-water mark) is its own.  The
child first runs the case once on the timed shape (the core and the
in-memory case: the same number of replicates; streamed cases: one block of
the timed size), so that every kernel version the timed call uses is
compiled or loaded from the cache beforehand (compile time excluded); it
records its memory, then times one call.  Reported: wall time, replicates per second,
peak RSS and the peak's growth over the warm process.

Targets: >= 1,000 `basic` replicates per second in memory on one core
(``NUMBA_NUM_THREADS=1``); peak memory of the streamed cases flat (within 20 %)
between 1,000 and 10,000 replicates.  The baseline is ``simulate_arrays`` on
the same replicates (the numeric core alone, without labelling or files).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: replicates per block of the streamed cases (memory is bounded by this, not by the study size)
STREAM_CHUNK = 500


def basic_config():
    """The `basic` preset, or a small stand-in while presets are missing."""
    import xmmm

    try:
        return xmmm.get_preset_config("basic")
    except (ImportError, AttributeError, KeyError, ValueError):
        config = xmmm.DEFAULT_CONFIG.copy()
        config.n_periods = 52
        return config


def _peak_mb() -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS
    scale = 1 / 1024 if sys.platform != "darwin" else 1 / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def run_case(case: str, n: int) -> dict:
    """One case in this process (called in the child)."""
    import warnings

    from xmmm.generate import _resolve_config, simulate_arrays
    from xmmm.study import simulate

    warnings.simplefilter("ignore")  # suspicious-setting warnings are not what is measured
    config = _resolve_config(basic_config(), {})
    # Warm up on the timed shape: a kernel runs its parallel version only on large stacks, so a
    # small warm-up would leave that version's compilation (or cache load) inside the timing.
    cluster = client = None
    kwargs: dict = {}
    tmp = Path(tempfile.mkdtemp(prefix="xmmm-bench-"))
    if case == "core":
        simulate_arrays(config, list(range(n)))
        simulate_arrays(config, list(range(n)))
    elif case == "memory":
        simulate(config, n, progress=False)
    elif case in ("netcdf", "zarr"):
        suffix = ".nc" if case == "netcdf" else ".zarr"
        kwargs = {"chunks": STREAM_CHUNK, "path": tmp / f"study{suffix}"}
        # one block of the timed size: the same kernels, imports and first write
        warm_n = min(n, STREAM_CHUNK)
        simulate(config, warm_n, chunks=STREAM_CHUNK, path=tmp / f"warm{suffix}", progress=False).close()
    elif case == "cluster":
        from distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
        kwargs = {"chunks": STREAM_CHUNK, "path": tmp / "study.zarr", "scheduler": client}
        warm_n = min(n, 2 * STREAM_CHUNK)  # one block per worker
        simulate(config, warm_n, chunks=STREAM_CHUNK, path=tmp / "warm.zarr", scheduler=client,
                 progress=False).close()
    warm = _peak_mb()
    try:
        start = time.perf_counter()
        if case == "core":
            simulate_arrays(config, list(range(n)))
        else:
            result = simulate(config, n, progress=False, **kwargs)
            result.close()
        seconds = time.perf_counter() - start
    finally:
        if client is not None:
            client.close()
            cluster.close()
        shutil.rmtree(tmp, ignore_errors=True)
    peak = _peak_mb()
    return {"case": case, "n": n, "seconds": seconds, "rate": n / seconds, "peak_mb": peak, "growth_mb": peak - warm}


def spawn(case: str, n: int, threads: int | None) -> dict:
    """Run one case in a fresh interpreter and return its measurements."""
    env = dict(os.environ)
    if threads is not None:
        env["NUMBA_NUM_THREADS"] = str(threads)
        env["OMP_NUM_THREADS"] = str(threads)
    out = subprocess.run(
        [sys.executable, __file__, "--child", case, str(n)], capture_output=True, text=True, env=env, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"case {case} n={n} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


CASES = [
    # (case, threads, description)
    ("core", 1, "simulate_arrays only (baseline), 1 thread"),
    ("memory", 1, "simulate() in memory, 1 thread"),
    ("memory", None, "simulate() in memory, all cores"),
    ("netcdf", 1, f"streamed to .nc, chunks={STREAM_CHUNK}, 1 thread"),
    ("zarr", 1, f"streamed to .zarr, chunks={STREAM_CHUNK}, 1 thread"),
    ("cluster", None, f"2-worker LocalCluster to .zarr, chunks={STREAM_CHUNK}"),
]


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, no cluster (a smoke test)")
    parser.add_argument("--child", nargs=2, metavar=("CASE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_case(args.child[0], int(args.child[1]))))
        return []

    sizes = (20, 60) if args.quick else (1_000, 10_000)
    cases = [c for c in CASES if not (args.quick and c[0] == "cluster")]
    # quick: every case in this process (a smoke test; memory figures are then not per case)
    measure = (lambda case, n, threads: run_case(case, n)) if args.quick else spawn
    config = basic_config()
    print(f"config: {len(config.region_names)} geo x {len(config.channels)} channels x "
          f"{len(config.control_variables)} controls x {config.n_periods} periods; {os.cpu_count()} cores")
    print(f"{'case':<52} {'replicates':>10} {'seconds':>8} {'replicates/s':>13} {'peak MB':>8} {'growth MB':>10}")
    results = []
    for case, threads, label in cases:
        for n in sizes:
            r = measure(case, n, threads)
            r["label"] = label
            results.append(r)
            print(f"{label:<52} {n:>10,} {r['seconds']:>8.2f} {r['rate']:>13,.0f} {r['peak_mb']:>8.0f} "
                  f"{r['growth_mb']:>10.0f}", flush=True)
    for case in ("netcdf", "zarr", "cluster"):
        small, large = ([r for r in results if r["case"] == case and r["n"] == n] for n in sizes)
        if small and large:
            ratio = large[0]["peak_mb"] / small[0]["peak_mb"]
            print(f"{case}: peak memory at {sizes[1]:,} / at {sizes[0]:,} replicates = {ratio:.2f}"
                  f"{'' if ratio <= 1.2 else '  (above the 1.2 target)'}")
    return results


if __name__ == "__main__":
    main()
