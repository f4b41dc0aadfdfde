"""Today's kernels give the same bits as xmmm 0.1's, on ordinary and on extreme inputs.

Bit-identity with 0.1 is an invariant (same config and seed, same bytes), so
every faster kernel is compared with the 0.1 loop it replaces, bit for bit
(``uint64`` views: signed zeros and NaN payloads count), on realistic series
and on a grid of special values: zeros of both signs, subnormals, the
smallest and largest normal numbers, values next to 1, infinities and NaN.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from reference.saturation_v01 import KERNELS as SATURATION_V01

from xmmm.kernels import saturation
from xmmm.transforms import SATURATION_TRANSFORMS

TINY = np.finfo(float).tiny
SPECIAL = np.array(
    [0.0, -0.0, 5e-324, 1e-310, TINY, 2 * TINY, 1e-300, 1e-20, 1e-8, 0.1, 0.5,
     np.nextafter(1.0, 0.0), 1.0, np.nextafter(1.0, 2.0), 1.0625, 2.0, 3.0, 1e3, 1e10, 1e100, 1e300,
     np.finfo(float).max, np.inf, np.nan, -1.0, -1e-300, -np.inf]
)


def bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a).view(np.uint64)


def assert_same_bits(new: np.ndarray, old: np.ndarray) -> None:
    assert new.shape == old.shape and new.dtype == old.dtype
    differ = bits(new) != bits(old)
    if differ.any():
        i = np.flatnonzero(differ.ravel())[0]
        raise AssertionError(f"{differ.sum()} elements differ, first at {i}: {new.ravel()[i]!r} vs {old.ravel()[i]!r}")


def inputs(rng: np.random.Generator) -> np.ndarray:
    """Rows: realistic series, log-uniform magnitudes over the whole range, special values."""
    n_time = 257
    realistic = rng.gamma(2.0, 0.5, (6, n_time))
    realistic[:, rng.random(n_time) < 0.2] = 0.0  # periods without spend
    wide = 10.0 ** rng.uniform(-320, 308, (4, n_time))
    special = np.resize(SPECIAL, (2, n_time))
    return np.concatenate([realistic, wide, special])


def parameters(name: str, n_series: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Valid random values per series, with some extreme and invalid ones mixed in."""
    spec = SATURATION_TRANSFORMS[name]
    extreme = np.array([1e-300, 1e-8, 1.0, 1e8, 1e300, 0.0, -1.0, np.inf, np.nan])
    out = []
    for p in spec.numeric_parameters:
        if p.scale == "unit":
            values = rng.uniform(0.01, 0.99, n_series)
        else:
            values = (p.default or 1.0) * np.exp(rng.normal(0.0, 0.7, n_series))
        out.append(values)
    return out, extreme


@pytest.mark.parametrize("name", list(SATURATION_TRANSFORMS))
def test_saturation_kernel_has_the_bits_of_0_1(name):
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    x = inputs(rng)
    params, extreme = parameters(name, x.shape[0], rng)
    kernel = getattr(saturation, name)
    assert_same_bits(kernel(x, *params), SATURATION_V01[name](x, *params))
    # each parameter in turn at extreme (also invalid) values, every input row
    for k in range(len(params)):
        for value in extreme:
            trial = [p.copy() for p in params]
            trial[k][:] = value
            with np.errstate(all="ignore"):
                assert_same_bits(kernel(x, *trial), SATURATION_V01[name](x, *trial))


def test_saturation_kernels_are_checked_on_a_large_random_stack():
    # a million log-uniform values per curve (large enough for the parallel versions)
    rng = np.random.default_rng(7)
    x = 10.0 ** rng.uniform(-12, 4, (2000, 500))
    x[rng.random(x.shape) < 0.1] = 0.0
    for name in ("hill_function", "logistic_saturation", "root_saturation", "hill_saturation_sigmoid"):
        params, _ = parameters(name, x.shape[0], rng)
        assert_same_bits(getattr(saturation, name)(x, *params), SATURATION_V01[name](x, *params))
