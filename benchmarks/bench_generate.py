"""Generation and export times: DEFAULT_CONFIG and a 50 geo x 20 channel x 520 week panel.

Run ``python benchmarks/bench_generate.py`` (``--quick`` for a tiny smoke run).
Times are warm (Numba compiled and cached first), best of several repeats, in
one process; the reference implementation needed about 300 ms for
DEFAULT_CONFIG and about 3.5 minutes for its 50-region preset.
"""

from __future__ import annotations

import argparse
import time
import warnings

import xmmm
from xmmm import ChannelConfig, MMMDataConfig, RegionConfig, TransformConfig


def large_config(n_geos: int = 50, n_channels: int = 20, n_periods: int = 520) -> MMMDataConfig:
    patterns = ["seasonal", "linear_trend", "on_off", "delayed_start"]
    channels = [
        ChannelConfig(
            name=f"channel-{i:02d}",
            pattern=patterns[i % 4],
            base_spend=1000.0 + 250.0 * i,
            activation_probability=0.5,
            start_period=min(20, n_periods // 4),
            base_effectiveness=0.02,
        )
        for i in range(n_channels)
    ]
    return MMMDataConfig(
        n_periods=n_periods,
        channels=channels,
        regions=RegionConfig(n_regions=n_geos),
        transforms=TransformConfig(adstock_kwargs={"alpha": 0.5, "l_max": 12}),
        seed=1,
    )


def best_of(func, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> list[tuple[str, float, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat (smoke test)")
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else 20
    cases = {
        "DEFAULT_CONFIG (129 x 3 x 3)": xmmm.DEFAULT_CONFIG,
        "50 geos x 20 channels x 520 weeks": large_config(*((3, 4, 30) if args.quick else (50, 20, 520))),
    }
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", xmmm.XmmmWarning)
        for label, config in cases.items():
            xmmm.generate_dataset(config)  # compile / load the Numba cache
            generate = best_of(lambda: xmmm.generate_dataset(config), repeats)
            dataset = xmmm.generate_dataset(config)
            export = best_of(lambda: xmmm.to_long_dataframe(dataset), max(1, repeats // 4))
            rows.append((label, generate, export))
    print(f"{'case':<36} {'generate ms':>12} {'export ms':>10}")
    for label, generate, export in rows:
        print(f"{label:<36} {generate * 1e3:>12.2f} {export * 1e3:>10.2f}")
    return rows


if __name__ == "__main__":
    main()
