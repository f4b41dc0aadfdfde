"""Cost of spend policies: target-chasing (a feedback loop over time) against exogenous spend, same shape.

Run from the repository root::

    python benchmarks/bench_causal.py             # 50 replicates x 20 geos x 520 weeks
    python benchmarks/bench_causal.py --quick     # 5 x 4 x 104: a smoke test

The target is the ``target_chasing`` preset without its experiment, widened to
the shape; its twin is the same config with TV's ``spend_policy`` set to
``"exogenous"`` (the latent demand kept, so the only difference is the
feedback).  Each case is warmed up on the timed shape (Numba kernels loaded,
caches filled), then both are timed alternately ``--repeat`` times in one
process; reported are the minimum and the median wall time of
:func:`xmmm.generate.simulate_arrays` (the numeric core) and their ratios.
The target is a ratio under 3.  The machine may be shared: the minimum is
the better estimate of the cost, the median shows the load.
"""

from __future__ import annotations

import argparse
import statistics
import time


def configs(n_geos: int, n_periods: int):
    import xmmm

    chasing = xmmm.customize_preset("target_chasing", n_periods=n_periods, regions={"n_regions": n_geos},
                                    experiments=[])
    exogenous = chasing.copy()
    exogenous.channels[0].spend_policy = "exogenous"
    return {"target_chasing": chasing, "exogenous": exogenous}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    from xmmm.generate import simulate_arrays

    n_rep, n_geos, n_periods = (5, 4, 104) if args.quick else (50, 20, 520)
    cases = configs(n_geos, n_periods)
    replicates = list(range(n_rep))
    for config in cases.values():  # warm-up on the timed shape
        simulate_arrays(config, replicates)
    times = {name: [] for name in cases}
    for i in range(args.repeat):
        order = list(cases) if i % 2 == 0 else list(reversed(cases))
        for name in order:
            start = time.perf_counter()
            simulate_arrays(cases[name], replicates)
            times[name].append(time.perf_counter() - start)
    print(f"shape: {n_rep} replicates x {n_geos} geos x {n_periods} periods, {args.repeat} runs each")
    for name, values in times.items():
        print(f"  {name:15s} min {min(values):7.3f} s   median {statistics.median(values):7.3f} s")
    ratio_min = min(times["target_chasing"]) / min(times["exogenous"])
    ratio_median = statistics.median(times["target_chasing"]) / statistics.median(times["exogenous"])
    print(f"  ratio target_chasing / exogenous: min {ratio_min:.2f}, median {ratio_median:.2f} (target < 3)")


if __name__ == "__main__":
    main()
