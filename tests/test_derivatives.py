"""Saturation derivatives against pymc-marketing's own functions differentiated by pytensor.

Every declared saturation carries ``derivative`` (df/dx, used for exact
marginal returns) and ``concave`` (for which parameters the curve is concave on
x >= 0).  The oracle for the derivative is pytensor's symbolic gradient of the
pymc-marketing function of the same name; the concavity rule is checked
against the derivative itself (non-increasing where concave is claimed, rising
somewhere where it is not).  Cases come from the registry.
"""

from __future__ import annotations

import warnings
import zlib

import numpy as np
import pytest

from xmmm.transforms import SATURATION_TRANSFORMS

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="xtensor module is experimental", category=UserWarning)
    transformers = pytest.importorskip("pymc_marketing.mmm.transformers")
    pytensor = pytest.importorskip("pytensor")
    import pytensor.tensor as pt
    from pytensor.graph.rewriting.utils import rewrite_graph
    from pytensor.xtensor import as_xtensor

from test_kernels import draw  # noqa: E402 - the same valid parameter draws as the kernel tests

SPECS = [pytest.param(spec, id=name) for name, spec in SATURATION_TRANSFORMS.items()]


def pymc_gradient(spec):
    """d/dx of pymc-marketing's function, elementwise, as pytensor differentiates it."""
    x = pt.matrix("x", dtype="float64")
    params = {p.name: pt.vector(p.name, dtype="float64") for p in spec.numeric_parameters}
    y = getattr(transformers, spec.pymc_function)(
        as_xtensor(x, dims=("series", "date")),
        **{k: as_xtensor(v, dims=("series",)) for k, v in params.items()},
    )
    # xtensor ops have no gradient of their own: lower the graph to plain tensors first
    lowered = rewrite_graph(y.transpose("series", "date").values, include=("lower_xtensor",))
    gradient = pytensor.grad(pt.sum(lowered), x)
    compiled = pytensor.function([x, *params.values()], gradient)
    return lambda xs, values: compiled(xs, *(values[name] for name in params))


@pytest.mark.parametrize("spec", SPECS)
def test_every_saturation_declares_a_derivative_and_a_concavity_rule(spec):
    assert spec.derivative is not None and spec.concave is not None


@pytest.mark.parametrize("spec", SPECS)
def test_derivative_matches_pytensor_gradient_of_pymc_marketing(spec):
    rng = np.random.default_rng(zlib.crc32(spec.name.encode()))
    x = rng.gamma(2.0, 1.0, (6, 40)) * 1.5 + 1e-3  # strictly positive: x = 0 is a limit, tested below
    params = draw(spec, x.shape[0], rng)
    ours = spec.derivative_of(x, **params)
    if spec.pymc_function is None:  # "none": the identity
        np.testing.assert_array_equal(ours, np.ones_like(x))
        return
    expected = pymc_gradient(spec)(x, params)
    # pytensor differentiates tanh as 1 - tanh**2: exact only to ~1e-16 of the largest slope in a tail
    atol = 1e-14 * np.abs(expected).max()
    np.testing.assert_allclose(ours, expected, rtol=1e-9, atol=atol)


@pytest.mark.parametrize("spec", SPECS)
def test_derivative_is_the_slope_of_the_curve(spec):
    # an independent check of the same numbers: central differences of the curve itself
    rng = np.random.default_rng(zlib.crc32(spec.name.encode()) + 1)
    x = rng.uniform(0.2, 3.0, (5, 30))
    params = draw(spec, x.shape[0], rng)
    h = 1e-5
    slope = (spec.apply(x + h, **params) - spec.apply(x - h, **params)) / (2 * h)
    np.testing.assert_allclose(spec.derivative_of(x, **params), slope, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(
    ("name", "params", "expected"),
    [
        ("hill_function", {"slope": 0.5, "kappa": 0.4}, np.inf),
        ("hill_function", {"slope": 1.0, "kappa": 0.4}, 1 / 0.4),
        ("hill_function", {"slope": 2.0, "kappa": 0.4}, 0.0),
        ("root_saturation", {"alpha": 0.5}, np.inf),
        ("root_saturation", {"alpha": 1.0}, 1.0),
        ("michaelis_menten", {"alpha": 3.0, "lam": 0.5}, 6.0),
        ("logistic_saturation", {"lam": 2.0}, 1.0),
        ("tanh_saturation", {"b": 2.0, "c": 0.5}, 2.0),
    ],
)
def test_derivative_at_zero_is_the_limit(name, params, expected):
    spec = SATURATION_TRANSFORMS[name]
    assert spec.derivative_of(np.array([[0.0]]), **params)[0, 0] == expected
    if np.isfinite(expected):  # and the curve's slope from the right agrees
        h = 1e-7
        right = spec.apply(np.array([[h]]), **params)[0, 0] / h
        assert right == pytest.approx(expected, rel=1e-5, abs=1e-5)


@pytest.mark.parametrize("spec", SPECS)
def test_concavity_rule_agrees_with_the_derivative(spec):
    rng = np.random.default_rng(zlib.crc32(spec.name.encode()) + 2)
    n = 40
    params = draw(spec, n, rng)
    if spec.name == "hill_function":
        params["slope"] = np.where(np.arange(n) % 2 == 0, rng.uniform(0.3, 1.0, n), rng.uniform(1.2, 4.0, n))
    if spec.name == "hill_saturation_sigmoid":
        params["lam"] = np.where(np.arange(n) % 2 == 0, 0.0, rng.uniform(0.5, 3.0, n))
    x = np.broadcast_to(np.linspace(0.0, 10.0, 2001), (n, 2001))
    d = spec.derivative_of(x, **params)
    rising = (np.diff(d, axis=-1) > 1e-12 * np.abs(d[:, 1:]) + 1e-300).any(axis=-1)
    concave = spec.is_concave(**params)
    np.testing.assert_array_equal(concave, ~rising)
