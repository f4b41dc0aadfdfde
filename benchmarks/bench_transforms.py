"""Time xmmm's transform kernels against pymc-marketing's compiled functions.

Run from the repository root::

    python benchmarks/bench_transforms.py           # small (9 x 129) and large (1000 x 520)
    python benchmarks/bench_transforms.py --quick   # tiny sizes, a smoke test

Both sides are warmed up first (Numba compiles on first call; pytensor
compiles once in ``pytensor.function``), then each case is timed as the best
of several repeats.  ``x.copy()`` of the same stack is the physical floor.
Results of the two sides are checked to agree before timing.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable, Sequence

import numpy as np

L_MAX = 12
SIZES = {"small": (9, 129), "large": (1000, 520)}
QUICK_SIZES = {"tiny": (3, 20), "small": (5, 40)}


def best_of(func: Callable[[], object], repeats: int) -> float:
    """Best wall time of ``repeats`` calls, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def pymc_functions() -> dict[str, Callable]:
    """pymc-marketing's adstock, Hill and adstock + Hill, compiled once each."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="xtensor module is experimental")
        import pytensor
        from pymc_marketing.mmm.transformers import ConvMode, geometric_adstock, hill_function
        from pytensor.xtensor import xtensor

    x = xtensor("x", dims=("series", "date"), dtype="float64")
    alpha, slope, kappa = (xtensor(n, dims=("series",), dtype="float64") for n in ("alpha", "slope", "kappa"))
    adstocked = geometric_adstock(
        x, alpha=alpha, l_max=L_MAX, normalize=True, mode=ConvMode.After, dim="date"
    )
    saturated = hill_function(x, slope=slope, kappa=kappa)
    both = hill_function(adstocked, slope=slope, kappa=kappa)
    for y in (adstocked, saturated, both):
        assert y.dims == ("series", "date")
    return {
        "adstock": pytensor.function([x, alpha], adstocked),
        "hill": pytensor.function([x, slope, kappa], saturated),
        "adstock+hill": pytensor.function([x, alpha, slope, kappa], both),
    }


def xmmm_functions() -> dict[str, Callable]:
    """The same three cases with xmmm's kernels (no validation layer)."""
    from xmmm.kernels.adstock import geometric_adstock
    from xmmm.kernels.saturation import hill_function

    def adstock(x, alpha):
        return geometric_adstock(x, alpha, l_max=L_MAX, normalize=True, mode="After")

    return {
        "adstock": adstock,
        "hill": hill_function,
        "adstock+hill": lambda x, alpha, slope, kappa: hill_function(adstock(x, alpha), slope, kappa),
    }


def run(sizes: dict[str, tuple[int, int]], repeats: int) -> list[dict]:
    """Time every case at every size; return one row per (case, size)."""
    rng = np.random.default_rng(0)
    ours, theirs = xmmm_functions(), pymc_functions()
    rows = []
    for label, (n_series, n_time) in sizes.items():
        x = rng.gamma(2.0, 1.0, (n_series, n_time))
        alpha = rng.uniform(0.1, 0.9, n_series)
        slope = rng.uniform(0.5, 3.0, n_series)
        kappa = rng.uniform(0.5, 2.0, n_series)
        args = {
            "adstock": (x, alpha),
            "hill": (x, slope, kappa),
            "adstock+hill": (x, alpha, slope, kappa),
        }
        copy_time = best_of(x.copy, repeats * 4)
        for case, case_args in args.items():
            expected = theirs[case](*case_args)  # warms up both sides
            np.testing.assert_allclose(ours[case](*case_args), expected, rtol=1e-10, atol=1e-12)
            t_ours = best_of(lambda: ours[case](*case_args), repeats)  # noqa: B023
            t_theirs = best_of(lambda: theirs[case](*case_args), repeats)  # noqa: B023
            rows.append(
                {
                    "case": case,
                    "size": f"{label} {n_series}x{n_time}",
                    "xmmm_ms": t_ours * 1e3,
                    "pymc_ms": t_theirs * 1e3,
                    "speedup": t_theirs / t_ours,
                    "copy_ms": copy_time * 1e3,
                    "vs_copy": t_ours / copy_time,
                }
            )
    return rows


def format_table(rows: list[dict]) -> str:
    """A plain-text table of the rows."""
    header = (
        f"{'case':<14}{'size':<20}{'xmmm ms':>10}{'pymc ms':>10}{'speedup':>9}"
        f"{'copy ms':>10}{'xmmm/copy':>11}"
    )
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(
            f"{r['case']:<14}{r['size']:<20}{r['xmmm_ms']:>10.3f}{r['pymc_ms']:>10.3f}"
            f"{r['speedup']:>8.1f}x{r['copy_ms']:>10.3f}{r['vs_copy']:>10.1f}x"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> list[dict]:
    """Run the benchmark, print the table and return its rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, few repeats (smoke test)")
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats per case")
    args = parser.parse_args(argv)
    sizes = QUICK_SIZES if args.quick else SIZES
    repeats = args.repeats or (3 if args.quick else 30)
    rows = run(sizes, repeats)
    print(
        f"geometric adstock (l_max {L_MAX}, normalize, After) and Hill; best of {repeats}; "
        "pymc-marketing compiled once with pytensor.function, timed warm"
    )
    print(format_table(rows))
    return rows


if __name__ == "__main__":
    main()
