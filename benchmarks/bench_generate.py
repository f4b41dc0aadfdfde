"""Generation and what the description returns: DEFAULT_CONFIG and a 50 geo x 20 channel x 520 week panel.

Run ``python benchmarks/bench_generate.py`` (``--quick`` for a tiny smoke run).

Everything is warm (Numba kernels compiled or loaded from the cache first, by
a run of the same config) and timed in one process, the cases called in turn
repeat after repeat; minimum and median over the repeats:

- ``generate``: :func:`xmmm.generate_dataset` (the Dataset with every array);
- ``table``: :func:`xmmm.to_long_dataframe` of that Dataset;
- ``truth``: :func:`xmmm.ground_truth.ground_truth_dict` of it;
- ``description``: ``generate_mmm_dataset()`` plus ``result["data"]`` and
  ``result["ground_truth"]``, what the product description's user runs.

``truth share`` is truth / generate (target <= 20 % for the large panel).
The reference implementation needed about 330 ms for DEFAULT_CONFIG's
description outputs and about 3.5 minutes for its 50-region preset.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import numpy as np

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


def timings(contenders: dict[str, Callable[[], object]], repeats: int) -> dict[str, np.ndarray]:
    """Seconds of ``repeats`` calls of each contender, called in turn (a rotating order)."""
    names = list(contenders)
    out: dict[str, list[float]] = {name: [] for name in names}
    for name in names:  # warm up on the timed shape
        contenders[name]()
    for i in range(repeats):
        k = i % len(names)
        for name in names[k:] + names[:k]:
            start = time.perf_counter()
            contenders[name]()
            out[name].append(time.perf_counter() - start)
    return {name: np.asarray(t) for name, t in out.items()}


def description(config: MMMDataConfig) -> None:
    result = xmmm.generate_mmm_dataset(config)
    result["data"]
    result["ground_truth"]


def measure(config: MMMDataConfig, repeats: int) -> dict[str, np.ndarray]:
    from xmmm.ground_truth import ground_truth_dict

    dataset = xmmm.generate_dataset(config)
    return timings(
        {
            "generate": lambda: xmmm.generate_dataset(config),
            "table": lambda: xmmm.to_long_dataframe(dataset),
            "truth": lambda: ground_truth_dict(dataset),
            "description": lambda: description(config),
        },
        repeats,
    )


def main(argv: list[str] | None = None) -> list[tuple[str, float, float]]:
    """Print the table; return ``(case, generate seconds, table seconds)`` (minima) per config."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat (smoke test)")
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats per case")
    args = parser.parse_args(argv)
    repeats = args.repeats or (2 if args.quick else 20)
    cases = {
        "DEFAULT_CONFIG (129 x 3 x 3)": xmmm.DEFAULT_CONFIG,
        "50 geos x 20 channels x 520 weeks": large_config(*((3, 4, 30) if args.quick else (50, 20, 520))),
    }
    rows = []
    print(f"median (min) ms of {repeats} repeats, warm")
    print(f"{'case':<36}{'generate ms':>17}{'table ms':>17}{'truth ms':>17}{'description ms':>17}{'truth share':>13}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", xmmm.XmmmWarning)
        for label, config in cases.items():
            t = measure(config, repeats)
            med = {k: float(np.median(v)) * 1e3 for k, v in t.items()}
            low = {k: float(v.min()) * 1e3 for k, v in t.items()}
            cells = "".join(f"{med[k]:>9.2f} ({low[k]:>5.1f})" for k in ("generate", "table", "truth", "description"))
            print(f"{label:<36}{cells}{med['truth'] / med['generate']:>12.0%}")
            rows.append((label, low["generate"] / 1e3, low["table"] / 1e3))
    return rows


if __name__ == "__main__":
    main()
