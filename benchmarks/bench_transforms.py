"""Time xmmm's transform kernels against pymc-marketing's compiled functions, a memory copy and serial.

Run from the repository root::

    python benchmarks/bench_transforms.py           # small (9 x 129) and large (1000 x 520)
    python benchmarks/bench_transforms.py --quick   # tiny sizes, a smoke test

Both sides are warmed up on the timed shape first (Numba compiles or loads its
cache on first call; pytensor compiles once in ``pytensor.function``), and the
results are checked to agree before timing.  Then, repeat after repeat, every
contender of a case is called once in turn (so that a change in the machine's
load hits them alike) and the minimum and median over the repeats are kept:

- ``xmmm``: xmmm's kernel on one thread (the serial version);
- ``auto``: the same call as the threading policy runs it (see
  :mod:`xmmm.kernels._numba`);
- ``pymc``: pymc-marketing's function compiled with ``pytensor.function``;
- ``copy``: ``x.copy()`` of the same stack, the memory floor.

Ratios (of medians): ``speedup`` = pymc / xmmm, ``xmmm/copy``, ``auto/serial``.
The main cases are geometric adstock, Hill and adstock + Hill; then adstock +
Hill with the marginal (+1 %) pass for mROAS, fused in one kernel
(:func:`xmmm.kernels.effects.media_effects`) against the two separate
passes of the 0.1 generator; then every other saturation curve.

Hill costs one ``exp`` and one ``log`` of the C library per element: a
faster Hill would need a vectorised exp/log that gives different last bits,
which the bit-identity of generated data rules out (the kernels keep calling
the C library, as xmmm 0.1 did).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_generate import timings  # noqa: E402  (one rotating-order timer for every benchmark)

L_MAX = 12
SIZES = {"small": (9, 129), "large": (1000, 520)}
QUICK_SIZES = {"tiny": (3, 20), "small": (5, 40)}
FACTOR = 1.0 + 0.01  # the marginal step of the generator


def _pymc():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="xtensor module is experimental")
        import pytensor
        from pymc_marketing.mmm import transformers
        from pytensor.xtensor import xtensor
    return pytensor, transformers, xtensor


def pymc_functions() -> dict[str, Callable]:
    """pymc-marketing's adstock, Hill and adstock + Hill, compiled once each."""
    pytensor, transformers, xtensor = _pymc()
    x = xtensor("x", dims=("series", "date"), dtype="float64")
    alpha, slope, kappa = (xtensor(n, dims=("series",), dtype="float64") for n in ("alpha", "slope", "kappa"))
    adstocked = transformers.geometric_adstock(
        x, alpha=alpha, l_max=L_MAX, normalize=True, mode=transformers.ConvMode.After, dim="date"
    )
    saturated = transformers.hill_function(x, slope=slope, kappa=kappa)
    both = transformers.hill_function(adstocked, slope=slope, kappa=kappa)
    for y in (adstocked, saturated, both):
        assert y.dims == ("series", "date")
    return {
        "adstock": pytensor.function([x, alpha], adstocked),
        "hill": pytensor.function([x, slope, kappa], saturated),
        "adstock+hill": pytensor.function([x, alpha, slope, kappa], both),
    }


def pymc_saturation(name: str, n_params: int) -> Callable:
    """pymc-marketing's saturation ``name`` compiled for per-series parameters."""
    pytensor, transformers, xtensor = _pymc()
    x = xtensor("x", dims=("series", "date"), dtype="float64")
    params = [xtensor(f"p{k}", dims=("series",), dtype="float64") for k in range(n_params)]
    from xmmm.transforms import SATURATION_TRANSFORMS

    spec = SATURATION_TRANSFORMS[name]
    kwargs = {p.name: v for p, v in zip(spec.numeric_parameters, params, strict=True)}
    return pytensor.function([x, *params], getattr(transformers, spec.pymc_function)(x, **kwargs))


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


def _mode(mode: str, func: Callable) -> Callable:
    """``func`` run with the threading policy in ``mode`` (both contenders pay the same switch)."""
    from xmmm.kernels._numba import set_parallel_mode

    def call(*args):
        previous = set_parallel_mode(mode)
        try:
            return func(*args)
        finally:
            set_parallel_mode(previous)

    return call


def _serial(func: Callable) -> Callable:
    return _mode("serial", func)


def _auto(func: Callable) -> Callable:
    return _mode("auto", func)


def _row(case: str, size: str, t: dict[str, np.ndarray], baseline: str = "pymc") -> dict:
    med = {k: float(np.median(v)) for k, v in t.items()}
    row = {"case": case, "size": size, "baseline": baseline}
    for k, v in t.items():
        row[f"{k}_ms"] = med[k] * 1e3
        row[f"{k}_min_ms"] = float(v.min()) * 1e3
    row["speedup"] = med[baseline] / med["xmmm"]
    row["vs_copy"] = med["xmmm"] / med["copy"]
    row["auto_vs_serial"] = med["auto"] / med["xmmm"]
    return row


def _stack(n_series: int, n_time: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {
        "x": rng.gamma(2.0, 1.0, (n_series, n_time)),
        "alpha": rng.uniform(0.1, 0.9, n_series),
        "slope": rng.uniform(0.5, 3.0, n_series),
        "kappa": rng.uniform(0.5, 2.0, n_series),
    }


def run(sizes: dict[str, tuple[int, int]], repeats: int) -> list[dict]:
    """The three main cases at every size; one row per (case, size)."""
    rng = np.random.default_rng(0)
    ours, theirs = xmmm_functions(), pymc_functions()
    rows = []
    for label, (n_series, n_time) in sizes.items():
        s = _stack(n_series, n_time, rng)
        x = s["x"]
        args = {
            "adstock": (x, s["alpha"]),
            "hill": (x, s["slope"], s["kappa"]),
            "adstock+hill": (x, s["alpha"], s["slope"], s["kappa"]),
        }
        for case, case_args in args.items():
            np.testing.assert_allclose(ours[case](*case_args), theirs[case](*case_args), rtol=1e-10, atol=1e-12)
            t = timings(
                {
                    "xmmm": lambda: _serial(ours[case])(*case_args),  # noqa: B023
                    "auto": lambda: _auto(ours[case])(*case_args),  # noqa: B023
                    "pymc": lambda: theirs[case](*case_args),  # noqa: B023
                    "copy": x.copy,
                },
                repeats,
            )
            rows.append(_row(case, f"{label} {n_series}x{n_time}", t))
    return rows


def run_marginal(sizes: dict[str, tuple[int, int]], repeats: int) -> list[dict]:
    """Adstock + Hill + contribution + the +1 % pass: fused against the two separate passes."""
    from xmmm.kernels.effects import media_effects

    ours = xmmm_functions()
    rng = np.random.default_rng(1)
    rows = []
    for label, (n_series, n_time) in sizes.items():
        s = _stack(n_series, n_time, rng)
        spend = s["x"] * 1000.0
        scale = spend.max(axis=-1)
        coefficient = rng.uniform(100.0, 1000.0, n_series)

        def separate():
            base = ours["adstock+hill"](spend / scale[:, None], s["alpha"], s["slope"], s["kappa"])  # noqa: B023
            contribution = coefficient[:, None] * base  # noqa: B023
            up = ours["adstock+hill"](spend * FACTOR / scale[:, None], s["alpha"], s["slope"], s["kappa"])  # noqa: B023
            return contribution, contribution.sum(axis=-1), (coefficient[:, None] * (up - base)).sum(axis=-1)  # noqa: B023

        def fused():
            fx = media_effects(spend, scale, coefficient, adstock="geometric_adstock",  # noqa: B023
                               adstock_params=[s["alpha"]], saturation="hill_function",  # noqa: B023
                               saturation_params=[s["slope"], s["kappa"]], l_max=L_MAX,  # noqa: B023
                               normalize=True, factor=FACTOR)
            return fx.contribution, fx.total, fx.marginal

        for a, b in zip(fused(), separate(), strict=True):
            assert np.array_equal(a, b), "the fused kernel must give the bits of the separate passes"
        t = timings({"xmmm": _serial(fused), "auto": _auto(fused), "separate": _serial(separate), "copy": spend.copy},
                    repeats)
        rows.append(_row("adstock+hill+mroas", f"{label} {n_series}x{n_time}", t, baseline="separate"))
    return rows


def run_saturations(size: tuple[int, int], repeats: int) -> list[dict]:
    """Every other saturation curve against its pymc-marketing twin."""
    from xmmm.kernels import saturation
    from xmmm.transforms import SATURATION_TRANSFORMS

    rng = np.random.default_rng(2)
    n_series, n_time = size
    x = rng.gamma(2.0, 1.0, (n_series, n_time))
    rows = []
    for name, spec in SATURATION_TRANSFORMS.items():
        if spec.pymc_function is None or name == "hill_function":
            continue
        params = []
        for p in spec.numeric_parameters:
            if p.scale == "unit":
                params.append(rng.uniform(0.2, 0.8, n_series))
            else:
                params.append((p.default or 1.0) * np.exp(rng.normal(0.0, 0.3, n_series)))
        ours = getattr(saturation, name)
        theirs = pymc_saturation(name, len(params))
        np.testing.assert_allclose(ours(x, *params), theirs(x, *params), rtol=1e-10, atol=1e-12)
        t = timings({"xmmm": lambda: _serial(ours)(x, *params),  # noqa: B023
                     "auto": lambda: _auto(ours)(x, *params),  # noqa: B023
                     "pymc": lambda: theirs(x, *params),  # noqa: B023
                     "copy": x.copy}, repeats)
        rows.append(_row(name, f"{n_series}x{n_time}", t))
    return rows


def format_table(rows: list[dict]) -> str:
    """A plain-text table of the rows: medians (minimum in brackets) and ratios of medians."""
    baseline = rows[0]["baseline"] if rows else "pymc"
    header = (
        f"{'case':<36}{'size':<18}{'xmmm ms (min)':>17}{'auto ms':>9}{baseline + ' ms (min)':>19}"
        f"{'speedup':>9}{'copy ms':>9}{'xmmm/copy':>10}{'auto/serial':>12}"
    )
    lines = [header, "-" * len(header)]
    for r in rows:
        b = r["baseline"]
        lines.append(
            f"{r['case']:<36}{r['size']:<18}{r['xmmm_ms']:>8.3f} ({r['xmmm_min_ms']:>6.3f}){r['auto_ms']:>9.3f}"
            f"{r[f'{b}_ms']:>10.3f} ({r[f'{b}_min_ms']:>6.3f}){r['speedup']:>8.1f}x{r['copy_ms']:>9.3f}"
            f"{r['vs_copy']:>9.1f}x{r['auto_vs_serial']:>11.2f}x"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> list[dict]:
    """Run the benchmark, print the tables and return the rows of the three main cases."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, few repeats (smoke test)")
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats per case")
    args = parser.parse_args(argv)
    sizes = QUICK_SIZES if args.quick else SIZES
    repeats = args.repeats or (3 if args.quick else 30)
    rows = run(sizes, repeats)
    print(
        f"geometric adstock (l_max {L_MAX}, normalize, After) and Hill; median (min) of {repeats} repeats; "
        "xmmm on one thread, auto as the threading policy runs it; pymc-marketing compiled once with "
        "pytensor.function; speedup = pymc / xmmm"
    )
    print(format_table(rows))
    print("\ncontribution + mROAS pass: fused kernel against the two separate passes (speedup = separate / xmmm)")
    print(format_table(run_marginal(sizes, repeats)))
    largest = max(sizes.values(), key=lambda s: s[0] * s[1])
    if not args.quick:
        print("\nthe other saturation curves")
        print(format_table(run_saturations(largest, max(5, repeats // 3))))
    return rows


if __name__ == "__main__":
    main()
