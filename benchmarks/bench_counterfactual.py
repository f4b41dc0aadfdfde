"""Counterfactual truth on a 50 geo x 20 channel x 520 week panel: one counterfactual, curves, the optimum.

Run ``python benchmarks/bench_counterfactual.py`` (``--quick`` for a tiny
smoke run, ``--repeats N``).  Everything is warmed up on the timed shape
(Numba compiled and cached) first; the cases then run in rotating order,
``repeats`` times each, and the minimum and median of each are printed with
the ratio of one counterfactual to one generation measured in the same run.

Targets: ``response_curves`` with 21 scales under 1 s, ``optimal_budget``
under 2 s, one counterfactual within 1.5x of a generation.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

import xmmm

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_generate import large_config  # noqa: E402


def cases(result, config):
    channel = str(result.dataset["channel"].values[0])
    spend = result.dataset["spend"].sum(["date", "geo"])
    proposal = spend * np.linspace(0.6, 1.4, spend.sizes["channel"])
    proposal = proposal * float(spend.sum() / proposal.sum())
    return {
        "generate (generate_mmm_dataset)": lambda: xmmm.generate_mmm_dataset(config),
        "counterfactual (one channel x0.5)": lambda: xmmm.counterfactual(result, scale={channel: 0.5}),
        "response_curves (21 scales)": lambda: xmmm.response_curves(result),
        "optimal_budget (by channel)": lambda: xmmm.optimal_budget(result),
        "optimal_budget (by geo and channel)": lambda: xmmm.optimal_budget(result, by=("geo", "channel")),
        "score_allocation (one proposal)": lambda: xmmm.score_allocation(result, proposal),
        "incremental_outcome (paired runs)": lambda: xmmm.incremental_outcome(result),
    }


def main(argv: list[str] | None = None) -> dict[str, list[float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat (smoke test)")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    shape = (3, 4, 30) if args.quick else (50, 20, 520)
    repeats = 1 if args.quick else args.repeats
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", xmmm.XmmmWarning)
        config = large_config(*shape)
        result = xmmm.generate_mmm_dataset(config)
        timed = cases(result, config)
        for run in timed.values():  # warm up on the timed shape
            run()
        times: dict[str, list[float]] = {name: [] for name in timed}
        names = list(timed)
        for k in range(repeats):
            for name in names[k % len(names):] + names[: k % len(names)]:  # rotate: load drifts hit all cases
                start = time.perf_counter()
                timed[name]()
                times[name].append(time.perf_counter() - start)
    print(f"{shape[0]} geos x {shape[1]} channels x {shape[2]} weeks; {repeats} runs each, warmed up")
    print(f"{'case':<40} {'min ms':>9} {'median ms':>10}")
    for name, values in times.items():
        print(f"{name:<40} {min(values) * 1e3:>9.1f} {statistics.median(values) * 1e3:>10.1f}")
    gen, cf = times[names[0]], times[names[1]]
    print(f"counterfactual / generation: min {min(cf) / min(gen):.2f}, "
          f"median {statistics.median(cf) / statistics.median(gen):.2f}")
    return times


if __name__ == "__main__":
    main()
