"""The cost of the harder worlds: generation time of each option against the plain panel, in one run.

Run ``python benchmarks/bench_worlds.py`` (``--quick`` for a tiny smoke run).
Each option is timed on the same 20 geo x 10 channel x 208 week panel, warm
(compiled and cached first on that shape), as the minimum and the median of
several repeats, and reported as a ratio to the plain panel measured in the
same run.  The multiplicative outcome runs the engine once more per channel
(paired runs for the incremental outcome), so its ratio grows with the
number of channels.
"""

from __future__ import annotations

import argparse
import statistics
import time

import xmmm
from xmmm import ChannelConfig, DataIssues, LevelBreak, MMMDataConfig, RegionConfig, TimeVariation


def panel(n_geos: int, n_channels: int, n_periods: int, **options) -> MMMDataConfig:
    patterns = ["seasonal", "linear_trend", "on_off"]
    channels = [ChannelConfig(name=f"channel-{i:02d}", pattern=patterns[i % 3], base_spend=1000.0 + 200.0 * i,
                              base_effectiveness=0.02) for i in range(n_channels)]
    regions = options.pop("regions", {})
    return MMMDataConfig(n_periods=n_periods, channels=channels, seed=1,
                         regions=RegionConfig(n_regions=n_geos, **regions), **options)


def variants(n_geos: int, n_channels: int, n_periods: int) -> dict[str, MMMDataConfig]:
    def make(**options):
        return panel(n_geos, n_channels, n_periods, **options)

    gp = make()
    for c in gp.channels:
        c.effectiveness_variation = TimeVariation(kind="gp", amplitude=0.2, length_scale=13.0)
    return {
        "plain": make(),
        "gp effectiveness, every channel": gp,
        "student_t noise": make(regions={"noise": "student_t", "noise_df": 4.0}),
        "ar1 noise": make(regions={"noise": "ar1", "noise_ar": 0.6}),
        "multiplicative (paired runs)": make(outcome_model="multiplicative"),
        "data issues": make(data_issues=DataIssues(missing_share=0.05, outlier_share=0.01, spend_noise=0.1,
                                                   breaks=[LevelBreak(date="2021-01-03", size=0.1)])),
    }


def timed(config: MMMDataConfig, repeats: int) -> tuple[float, float]:
    xmmm.generate_dataset(config)  # warm up on the timed shape
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        xmmm.generate_dataset(config)
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main(argv=None) -> list[tuple[str, float, float, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tiny panel, one repeat (smoke test)")
    args = parser.parse_args(argv)
    shape, repeats = ((2, 3, 60), 1) if args.quick else ((20, 10, 208), 7)
    rows = []
    plain = None
    for name, config in variants(*shape).items():
        best, median = timed(config, repeats)
        plain = plain or best
        rows.append((name, best, median, best / plain))
    print(f"{shape[0]} geos x {shape[1]} channels x {shape[2]} periods, {repeats} repeats")
    print(f"{'option':34s} {'min ms':>8s} {'median ms':>10s} {'ratio':>6s}")
    for name, best, median, ratio in rows:
        print(f"{name:34s} {1e3 * best:8.1f} {1e3 * median:10.1f} {ratio:6.2f}")
    return rows


if __name__ == "__main__":
    main()
