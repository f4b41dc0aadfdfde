"""Kernels against their oracle, pymc-marketing itself.

Cases are generated from the registry: every adstock x every structural choice
(normalize, mode, Weibull type), every saturation, several shapes, one random
parameter draw per series.  A new transform in :mod:`xmmm.transforms` is tested
here without editing this file.
"""

from __future__ import annotations

import zlib
import itertools
import warnings

import numpy as np
import pytest
import xarray as xr

from xmmm.transforms import ADSTOCK_TRANSFORMS, SATURATION_TRANSFORMS, TransformError

with warnings.catch_warnings():
    # pytensor warns once, on import, that its xtensor module is experimental
    warnings.filterwarnings("ignore", message="xtensor module is experimental", category=UserWarning)
    transformers = pytest.importorskip("pymc_marketing.mmm.transformers")
    pytensor = pytest.importorskip("pytensor")
    from pytensor.xtensor import as_xtensor, xtensor

# (n_series, n_time): one period; fewer periods than l_max; a realistic series
SHAPES = [(1, 1), (3, 5), (4, 60)]
L_MAX = 8
RTOL = 1e-10


# --------------------------------------------------------------------------- helpers


def draw(spec, n_series: int, rng: np.random.Generator, **structural) -> dict:
    """One random value per series for every numeric parameter, valid for ``spec``."""
    for _ in range(100):
        params = {}
        for p in spec.numeric_parameters:
            if p.scale == "unit":
                lo = p.lower + (0.02 if not p.lower_inclusive else 0.0)
                hi = p.upper - (0.02 if not p.upper_inclusive else 0.0)
                values = rng.uniform(lo, hi, n_series)
            elif p.scale == "positive":
                values = (p.default or 1.0) * np.exp(rng.normal(0.0, 0.5, n_series))
            else:
                values = p.default + rng.normal(0.0, 1.0, n_series)
            params[p.name] = values
        try:
            spec.resolve({**params, **structural})
        except TransformError:
            continue
        return params
    raise AssertionError(f"could not draw valid parameters for {spec.name}")


def spend(shape, rng: np.random.Generator) -> np.ndarray:
    x = rng.gamma(2.0, 1.0, shape)
    x[rng.random(shape) < 0.2] = 0.0  # spend-free periods
    return x


def structural_cases(specs) -> list:
    """(spec, structural kwargs) for every combination of categorical options."""
    cases = []
    for spec in specs.values():
        if spec.pymc_function is None:
            continue
        options = [p for p in spec.structural_parameters if p.choices is not None]
        for combo in itertools.product(*(p.choices for p in options)):
            kwargs = dict(zip((p.name for p in options), combo, strict=True))
            if "l_max" in {p.name for p in spec.structural_parameters}:
                kwargs["l_max"] = L_MAX
            ident = "-".join([spec.name, *(f"{k}={v}" for k, v in kwargs.items() if k != "l_max")])
            cases.append(pytest.param(spec, kwargs, id=ident))
    return cases


def pymc_structural(structural: dict) -> dict:
    """Structural options spelled as pymc-marketing expects them."""
    out = dict(structural)
    if "mode" in out:
        out["mode"] = transformers.ConvMode(out["mode"])
    if "type" in out:
        out["type"] = transformers.WeibullType(out["type"])
    return out


def compile_pymc(spec, structural: dict):
    """pymc-marketing's function on symbolic (series, date) inputs, compiled once."""
    x = xtensor("x", dims=("series", "date"), dtype="float64")
    params = {p.name: xtensor(p.name, dims=("series",), dtype="float64") for p in spec.numeric_parameters}
    function = getattr(transformers, spec.pymc_function)
    if spec.family == "adstock":
        y = function(x, **params, **pymc_structural(structural), dim="date")
    else:
        y = function(x, **params)
    compiled = pytensor.function([x, *params.values()], y)

    def evaluate(x_values: np.ndarray, param_values: dict) -> np.ndarray:
        out = compiled(x_values, *(param_values[name] for name in params))
        return xr.DataArray(out, dims=y.dims).transpose("series", "date").values

    return evaluate


def assert_matches(actual: np.ndarray, expected: np.ndarray, x: np.ndarray) -> None:
    # atol only for exact zeros and underflowing tails, relative to the input
    # (pymc computes 1 - CDF as 1 - (1 - S): exact only to ~1e-16 of a weight of 1;
    # on an all-zero input pymc's sigmoid Hill gives rounding noise ~1e-17 where the exact value is 0)
    atol = 1e-12 * max(float(np.max(np.abs(x), initial=0.0)), 1.0)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=atol)


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize(("spec", "structural"), structural_cases(ADSTOCK_TRANSFORMS))
def test_adstock_matches_pymc_marketing(spec, structural):
    rng = np.random.default_rng(zlib.crc32(spec.name.encode()))
    pymc = compile_pymc(spec, structural)
    for shape in SHAPES:
        x = spend(shape, rng)
        params = draw(spec, shape[0], rng, **structural)
        assert_matches(spec.apply(x, **params, **structural), pymc(x, params), x)


@pytest.mark.parametrize(("spec", "structural"), structural_cases(SATURATION_TRANSFORMS))
def test_saturation_matches_pymc_marketing(spec, structural):
    rng = np.random.default_rng(zlib.crc32(spec.name.encode()))
    pymc = compile_pymc(spec, structural)
    for shape in SHAPES:
        x = spend(shape, rng) * 3.0
        params = draw(spec, shape[0], rng)
        assert_matches(spec.apply(x, **params), pymc(x, params), x)


@pytest.mark.parametrize("l_max", [1, 2, 12, 20])
@pytest.mark.parametrize("mode", ["After", "Before", "Overlap"])
def test_geometric_l_max_matches_pymc_marketing(l_max, mode):
    # the convolution's lag blocks (12, 8, 4, 1) and edges for several l_max
    spec = ADSTOCK_TRANSFORMS["geometric_adstock"]
    structural = {"l_max": l_max, "normalize": False, "mode": mode}
    rng = np.random.default_rng(l_max)
    pymc = compile_pymc(spec, structural)
    for shape in [(2, 3), (2, 19), (3, 45)]:
        x = spend(shape, rng)
        params = draw(spec, shape[0], rng)
        assert_matches(spec.apply(x, **params, **structural), pymc(x, params), x)


def test_labelled_call_with_eval_matches():
    """The documented pymc-marketing call: DataArrays in, ``.eval()`` out."""
    rng = np.random.default_rng(7)
    x = xr.DataArray(spend((3, 20), rng), dims=("series", "date"))
    alpha = xr.DataArray(rng.uniform(0, 1, 3), dims="series")
    expected = transformers.geometric_adstock(
        as_xtensor(x), alpha=as_xtensor(alpha), l_max=6, normalize=True,
        mode=transformers.ConvMode.After, dim="date",
    )
    result = ADSTOCK_TRANSFORMS["geometric_adstock"].apply(x.values, alpha=alpha.values, l_max=6)
    assert expected.dims == ("series", "date")
    assert_matches(result, expected.eval(), x.values)


def test_kernel_edge_values():
    """Boundary parameters behave as pymc-marketing's formulas say."""
    adstock = ADSTOCK_TRANSFORMS
    impulse = np.array([[1.0, 0.0, 0.0, 0.0]])
    # alpha = 0: 0**0 = 1, so only the current period
    np.testing.assert_array_equal(
        adstock["geometric_adstock"].apply(impulse, alpha=0.0, l_max=3), impulse
    )
    # binomial alpha = 1: exponent 0, flat weights
    np.testing.assert_allclose(
        adstock["binomial_adstock"].apply(impulse, alpha=1.0, l_max=2, normalize=False),
        [[1.0, 1.0, 0.0, 0.0]],
    )
    # weibull CDF has l_max + 1 weights starting with 1
    w = adstock["weibull_adstock"].weights(lam=2.0, k=1.5, l_max=3, type="CDF", normalize=False)
    assert w.shape == (4,) and w[0] == 1.0


def test_kernels_accept_empty_stacks():
    from xmmm.kernels import adstock, saturation

    empty = np.empty((0, 5))
    assert adstock.geometric_adstock(empty, np.empty(0), l_max=3, normalize=True).shape == (0, 5)
    assert saturation.hill_function(empty, np.empty(0), np.empty(0)).shape == (0, 5)
    no_time = np.empty((2, 0))
    assert adstock.geometric_adstock(no_time, np.full(2, 0.5), l_max=3, normalize=True).shape == (2, 0)


def test_worker_threads_use_the_serial_kernel():
    # off the main thread the serial (non-prange) dispatcher runs; same numbers
    from concurrent.futures import ThreadPoolExecutor

    spec = ADSTOCK_TRANSFORMS["geometric_adstock"]
    rng = np.random.default_rng(3)
    x = spend((6, 30), rng)
    alpha = rng.uniform(0, 1, 6)
    expected = spec.apply(x, alpha=alpha)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: spec.apply(x, alpha=alpha), range(4)))
    for result in results:
        np.testing.assert_array_equal(result, expected)
