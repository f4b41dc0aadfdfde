"""The saturation drivers of xmmm 0.1, as the bitwise reference for today's kernels.

The loop bodies are verbatim; only the decorator differs (plain serial
``numba.njit`` with the same error model, no cache), which does not change
the arithmetic of a series.
"""

from __future__ import annotations

import math

import numba
import numpy as np

_jit = numba.njit(error_model="numpy")


@_jit
def _hill(x, slope, kappa, out):  # pragma: no cover - compiled
    for i in numba.prange(x.shape[0]):
        s = slope[i]
        ks = kappa[i] ** s
        for t in range(x.shape[1]):
            out[i, t] = 1.0 - ks / (ks + math.exp(s * math.log(x[i, t])))


@_jit
def _logistic(x, lam, out):  # pragma: no cover - compiled
    for i in numba.prange(x.shape[0]):
        neg_lam = -lam[i]
        for t in range(x.shape[1]):
            e = math.exp(neg_lam * x[i, t])
            out[i, t] = (1.0 - e) / (1.0 + e)


@_jit
def _tanh(x, b, c, out):  # pragma: no cover - compiled
    for i in numba.prange(x.shape[0]):
        bi = b[i]
        bc = bi * c[i]
        for t in range(x.shape[1]):
            out[i, t] = bi * math.tanh(x[i, t] / bc)


@_jit
def _tanh_baselined(x, x0, gain, r, out):  # pragma: no cover - compiled
    for i in numba.prange(x.shape[0]):
        x0i = x0[i]
        ri = r[i]
        scale = gain[i] * x0i
        rate = math.atanh(ri)
        for t in range(x.shape[1]):
            out[i, t] = scale * math.tanh(x[i, t] * rate / x0i) / ri


@_jit
def _michaelis_menten(x, alpha, lam, out):  # pragma: no cover - compiled
    for i in numba.prange(x.shape[0]):
        a = alpha[i]
        half = lam[i]
        for t in range(x.shape[1]):
            out[i, t] = a * x[i, t] / (half + x[i, t])


@_jit
def _root(x, alpha, out):  # pragma: no cover - compiled
    for i in numba.prange(x.shape[0]):
        a = alpha[i]
        for t in range(x.shape[1]):
            out[i, t] = x[i, t] ** a


@_jit
def _hill_sigmoid(x, sigma, beta, lam, out):  # pragma: no cover - compiled
    for i in numba.prange(x.shape[0]):
        si = sigma[i]
        bi = beta[i]
        li = lam[i]
        offset = si / (1.0 + math.exp(bi * li))
        for t in range(x.shape[1]):
            out[i, t] = si / (1.0 + math.exp(-bi * (x[i, t] - li))) - offset


def _call(driver, x, *params):
    out = np.empty_like(x)
    driver(x, *params, out)
    return out


#: name -> function(x, *per-series parameters), as the 0.1 public kernels computed them
KERNELS = {
    "hill_function": lambda x, slope, kappa: _call(_hill, x, slope, kappa),
    "logistic_saturation": lambda x, lam: _call(_logistic, x, lam),
    "inverse_scaled_logistic_saturation": lambda x, lam, eps: _call(_logistic, x, eps / lam),
    "tanh_saturation": lambda x, b, c: _call(_tanh, x, b, c),
    "tanh_saturation_baselined": lambda x, x0, gain, r: _call(_tanh_baselined, x, x0, gain, r),
    "michaelis_menten": lambda x, alpha, lam: _call(_michaelis_menten, x, alpha, lam),
    "root_saturation": lambda x, alpha: _call(_root, x, alpha),
    "hill_saturation_sigmoid": lambda x, sigma, beta, lam: _call(_hill_sigmoid, x, sigma, beta, lam),
    "none": lambda x: x.copy(),
}
