"""Invariants of every registered transform, checked with hypothesis."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from xmmm.transforms import ADSTOCK_TRANSFORMS, SATURATION_TRANSFORMS, TransformError

SETTINGS = settings(max_examples=25, deadline=None)
ADSTOCKS = list(ADSTOCK_TRANSFORMS.values())
SATURATIONS = list(SATURATION_TRANSFORMS.values())

# Suprema of the bounded saturation curves (x >= 0); root_saturation is unbounded.
SUPREMUM = {
    "hill_function": lambda p: 1.0,
    "logistic_saturation": lambda p: 1.0,
    "inverse_scaled_logistic_saturation": lambda p: 1.0,
    "tanh_saturation": lambda p: p["b"],
    "tanh_saturation_baselined": lambda p: p["gain"] * p["x0"] / p["r"],
    "michaelis_menten": lambda p: p["alpha"],
    "hill_saturation_sigmoid": lambda p: p["sigma"],
}


def value_strategy(p) -> st.SearchStrategy:
    """Values of one numeric parameter, inside its declared range."""
    if p.scale == "unit":
        lo, hi = p.lower, p.upper
        return st.floats(lo, hi, exclude_min=not p.lower_inclusive, exclude_max=not p.upper_inclusive)
    if p.scale == "positive":
        return st.floats(0.05, 20.0)
    return st.floats(-20.0, 20.0)


@st.composite
def valid_params(draw, spec, **structural):
    params = {p.name: draw(value_strategy(p)) for p in spec.numeric_parameters}
    try:
        resolved = spec.resolve({**params, **structural})
    except TransformError:
        assume(False)
    return resolved


def series(min_size=1, max_size=40):
    return hnp.arrays(
        np.float64,
        st.integers(min_size, max_size),
        elements=st.floats(0.0, 1e3, allow_subnormal=False),
    )


def ids(specs):
    return [s.name for s in specs]


@pytest.mark.parametrize("spec", ADSTOCKS, ids=ids(ADSTOCKS))
@SETTINGS
@given(data=st.data(), l_max=st.integers(2, 10))
def test_normalized_adstock_preserves_total(spec, data, l_max):
    structural = {"l_max": l_max} if spec.parameters else {}
    params = data.draw(valid_params(spec, **structural))
    x = data.draw(series())
    n_lags = spec.weights(**params).shape[-1]
    # zeros appended so no carry-over falls off the end
    padded = np.concatenate([x, np.zeros(n_lags - 1)])
    y = spec.apply(padded, **params)
    np.testing.assert_allclose(y.sum(), x.sum(), rtol=1e-10, atol=1e-9)
    assert np.all(y >= 0)


@pytest.mark.parametrize("spec", ADSTOCKS, ids=ids(ADSTOCKS))
@SETTINGS
@given(data=st.data(), a=st.floats(-5, 5), b=st.floats(-5, 5))
def test_adstock_is_linear(spec, data, a, b):
    params = data.draw(valid_params(spec, normalize=data.draw(st.booleans())) if spec.parameters
                       else st.just({}))
    for name in ("mode", "type"):
        if name in params:
            choices = next(p.choices for p in spec.parameters if p.name == name)
            params[name] = data.draw(st.sampled_from(choices))
    x = data.draw(series(1, 30))
    z = data.draw(hnp.arrays(np.float64, x.shape, elements=st.floats(0.0, 1e3)))
    combined = spec.apply(a * x + b * z, **params)
    separate = a * spec.apply(x, **params) + b * spec.apply(z, **params)
    np.testing.assert_allclose(combined, separate, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("spec", [*ADSTOCKS, *SATURATIONS], ids=ids([*ADSTOCKS, *SATURATIONS]))
@SETTINGS
@given(data=st.data(), n_time=st.integers(1, 30))
def test_zeros_stay_zeros(spec, data, n_time):
    params = data.draw(valid_params(spec))
    np.testing.assert_array_equal(spec.apply(np.zeros((2, n_time)), **params), 0.0)


@pytest.mark.parametrize("spec", SATURATIONS, ids=ids(SATURATIONS))
@SETTINGS
@given(data=st.data())
def test_saturation_monotone_and_bounded(spec, data):
    params = data.draw(valid_params(spec))
    x = np.sort(data.draw(series(2, 50)))
    y = spec.apply(x, **params)
    assert np.all(np.diff(y) >= -1e-12 * np.abs(y[1:])), "non-decreasing in x"
    assert np.all(y >= 0)
    if spec.name in SUPREMUM:
        assert np.all(y <= SUPREMUM[spec.name](params) * (1 + 1e-12))
