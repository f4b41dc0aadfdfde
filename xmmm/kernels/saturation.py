r"""Saturation kernels: elementwise curves with one parameter value per series.

Every function takes a stack of series ``x`` of shape ``(n_series, n_time)``
(C-contiguous ``float64``) and one value per series for each parameter (1-D
``float64`` arrays of length ``n_series``) and returns an array shaped like
``x``.  Each formula is written in the same order of operations as
:mod:`pymc_marketing.mmm.transformers`, so results agree to rounding; terms
that depend only on the parameters are computed once per series.  No
validation here: :mod:`xmmm.transforms` checks values first.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from xmmm.kernels._numba import series_kernel

__all__ = [
    "hill_function",
    "hill_saturation_sigmoid",
    "inverse_scaled_logistic_saturation",
    "logistic_saturation",
    "michaelis_menten",
    "none",
    "root_saturation",
    "tanh_saturation",
    "tanh_saturation_baselined",
]


# --------------------------------------------------------------------------- drivers


@series_kernel
def _hill(x, slope, kappa, out):  # pragma: no cover - compiled
    for i in numba.prange(x.shape[0]):
        s = slope[i]
        ks = kappa[i] ** s
        for t in range(x.shape[1]):
            # x**s as exp(s log x): half the cost of pow, within ~1e-13 of it
            out[i, t] = 1.0 - ks / (ks + math.exp(s * math.log(x[i, t])))


@series_kernel
def _logistic(x, lam, out):  # pragma: no cover - compiled
    for i in numba.prange(x.shape[0]):
        neg_lam = -lam[i]
        for t in range(x.shape[1]):
            e = math.exp(neg_lam * x[i, t])
            out[i, t] = (1.0 - e) / (1.0 + e)


@series_kernel
def _tanh(x, b, c, out):  # pragma: no cover - compiled
    for i in numba.prange(x.shape[0]):
        bi = b[i]
        bc = bi * c[i]
        for t in range(x.shape[1]):
            out[i, t] = bi * math.tanh(x[i, t] / bc)


@series_kernel
def _tanh_baselined(x, x0, gain, r, out):  # pragma: no cover - compiled
    for i in numba.prange(x.shape[0]):
        x0i = x0[i]
        ri = r[i]
        scale = gain[i] * x0i
        rate = math.atanh(ri)
        for t in range(x.shape[1]):
            out[i, t] = scale * math.tanh(x[i, t] * rate / x0i) / ri


@series_kernel
def _michaelis_menten(x, alpha, lam, out):  # pragma: no cover - compiled
    for i in numba.prange(x.shape[0]):
        a = alpha[i]
        half = lam[i]
        for t in range(x.shape[1]):
            out[i, t] = a * x[i, t] / (half + x[i, t])


@series_kernel
def _root(x, alpha, out):  # pragma: no cover - compiled
    for i in numba.prange(x.shape[0]):
        a = alpha[i]
        for t in range(x.shape[1]):
            out[i, t] = x[i, t] ** a


@series_kernel
def _hill_sigmoid(x, sigma, beta, lam, out):  # pragma: no cover - compiled
    for i in numba.prange(x.shape[0]):
        si = sigma[i]
        bi = beta[i]
        li = lam[i]
        offset = si / (1.0 + math.exp(bi * li))
        for t in range(x.shape[1]):
            out[i, t] = si / (1.0 + math.exp(-bi * (x[i, t] - li))) - offset


# --------------------------------------------------------------------------- public kernels


def hill_function(x: np.ndarray, slope: np.ndarray, kappa: np.ndarray) -> np.ndarray:
    r"""Hill curve :math:`1 - \kappa^s / (\kappa^s + x^s)` per series.

    Examples
    --------
    >>> import numpy as np
    >>> hill_function(np.array([[0.0, 1.0, 3.0]]), np.array([1.0]), np.array([1.0]))
    array([[0.  , 0.5 , 0.75]])
    """
    out = np.empty_like(x)
    _hill(x, slope, kappa, out)
    return out


def logistic_saturation(x: np.ndarray, lam: np.ndarray) -> np.ndarray:
    r"""Logistic curve :math:`(1 - e^{-\lambda x}) / (1 + e^{-\lambda x})` per series."""
    out = np.empty_like(x)
    _logistic(x, lam, out)
    return out


def inverse_scaled_logistic_saturation(
    x: np.ndarray, lam: np.ndarray, eps: np.ndarray
) -> np.ndarray:
    r"""Logistic curve with rate :math:`\epsilon / \lambda` (half saturation at ``lam``)."""
    return logistic_saturation(x, eps / lam)


def tanh_saturation(x: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    r"""Tanh curve :math:`b \tanh(x / (b c))` per series."""
    out = np.empty_like(x)
    _tanh(x, b, c, out)
    return out


def tanh_saturation_baselined(
    x: np.ndarray, x0: np.ndarray, gain: np.ndarray, r: np.ndarray
) -> np.ndarray:
    r"""Baselined tanh :math:`g x_0 \tanh(x \operatorname{artanh}(r) / x_0) / r` per series."""
    out = np.empty_like(x)
    _tanh_baselined(x, x0, gain, r, out)
    return out


def michaelis_menten(x: np.ndarray, alpha: np.ndarray, lam: np.ndarray) -> np.ndarray:
    r"""Michaelis-Menten curve :math:`\alpha x / (\lambda + x)` per series."""
    out = np.empty_like(x)
    _michaelis_menten(x, alpha, lam, out)
    return out


def root_saturation(x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    r"""Root curve :math:`x^\alpha` per series."""
    out = np.empty_like(x)
    _root(x, alpha, out)
    return out


def hill_saturation_sigmoid(
    x: np.ndarray, sigma: np.ndarray, beta: np.ndarray, lam: np.ndarray
) -> np.ndarray:
    r"""Shifted sigmoid :math:`\sigma/(1 + e^{-\beta(x-\lambda)}) - \sigma/(1 + e^{\beta\lambda})`."""
    out = np.empty_like(x)
    _hill_sigmoid(x, sigma, beta, lam, out)
    return out


def none(x: np.ndarray) -> np.ndarray:
    """No saturation: a copy of ``x``."""
    return x.copy()
