r"""Time recursions of the causal scenarios: an AR(1) filter and the target-chasing media loop.

Both run over whole stacks of series with the time loop inside the kernel.

* :func:`ar1` -- ``u_t = rho u_{t-1} + scale e_t`` per series, ``u_0 = e_0 * sigma``.
* :func:`target_chasing` -- a spend policy with feedback through the outcome.
  For each (replicate, geo) row and each period ``t``, in order: the
  shortfall of last period's sales against the target sets this period's
  spend of every feedback channel; the experiment's affine change is applied;
  the spend is adstocked (causal weights: carry-over from the past only),
  saturated and multiplied by the channel coefficient; ``y_t`` is the rest of
  the outcome (baseline, control and demand effects, the other channels,
  computed beforehand because they do not depend on ``y``) plus these
  contributions.  Rows run in parallel; channels and time inside a row.

The saturation curves are the formulas of :mod:`xmmm.kernels.saturation`,
one scalar function selected by :data:`SATURATION_IDS`.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from xmmm.kernels._numba import jit, series_kernel

__all__ = ["SATURATION_IDS", "ar1", "target_chasing"]

#: saturation name -> id of its scalar formula in the feedback loop (parameters in kernel order)
SATURATION_IDS = {
    "none": 0,
    "hill_function": 1,
    "logistic_saturation": 2,
    "inverse_scaled_logistic_saturation": 3,
    "tanh_saturation": 4,
    "tanh_saturation_baselined": 5,
    "michaelis_menten": 6,
    "root_saturation": 7,
    "hill_saturation_sigmoid": 8,
}


@jit
def _saturate(kind, x, p0, p1, p2):  # pragma: no cover - compiled
    if kind == 1:
        ks = p1**p0
        return 1.0 - ks / (ks + math.exp(p0 * math.log(x)))
    if kind == 2 or kind == 3:
        lam = p0 if kind == 2 else p1 / p0
        e = math.exp(-lam * x)
        return (1.0 - e) / (1.0 + e)
    if kind == 4:
        return p0 * math.tanh(x / (p0 * p1))
    if kind == 5:
        return p1 * p0 * math.tanh(x * math.atanh(p2) / p0) / p2
    if kind == 6:
        return p0 * x / (p1 + x)
    if kind == 7:
        return x**p0
    if kind == 8:
        return p0 / (1.0 + math.exp(-p1 * (x - p2))) - p0 / (1.0 + math.exp(p1 * p2))
    return x


@series_kernel
def _ar1(e, rho, sigma, out):  # pragma: no cover - compiled
    for i in numba.prange(e.shape[0]):
        r = rho[i]
        s = sigma[i]
        step = s * math.sqrt(1.0 - r * r)
        u = s * e[i, 0]
        out[i, 0] = u
        for t in range(1, e.shape[1]):
            u = r * u + step * e[i, t]
            out[i, t] = u


def ar1(e: np.ndarray, rho: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    r"""Stationary AR(1) series from standard normal innovations, per series.

    :math:`u_0 = \sigma e_0`, :math:`u_t = \rho u_{t-1} + \sigma \sqrt{1 - \rho^2}\, e_t`:
    the stationary standard deviation is ``sigma`` from the first period on.

    Parameters
    ----------
    e : numpy.ndarray
        (n_series, n_time) standard normal innovations.
    rho, sigma : numpy.ndarray
        (n_series,) AR coefficient in [0, 1) and stationary standard deviation.

    Examples
    --------
    >>> ar1(np.array([[1.0, 0.0, 0.0]]), np.array([0.5]), np.array([2.0]))
    array([[2. , 1. , 0.5]])
    """
    out = np.empty_like(e)
    _ar1(np.ascontiguousarray(e, dtype=float), np.asarray(rho, dtype=float), np.asarray(sigma, dtype=float), out)
    return out


@series_kernel
def _target_chasing(planned, gain, cap, a, b, scale, weights, kind, params, coefficient, rest, target,
                    out):  # pragma: no cover - compiled
    n_rows, n_ch, n_time = planned.shape
    n_lags = weights.shape[2]
    for i in numba.prange(n_rows):
        x = np.zeros((n_ch, n_time))
        shortfall = 0.0
        for t in range(n_time):
            y = rest[i, t]
            for c in range(n_ch):
                s = planned[i, c, t] + gain[i, c] * shortfall
                s = max(s, 0.0)
                s = min(s, cap[i, c])
                s = max(a[i, c, t] * s + b[i, c, t], 0.0)
                out[i, c, t] = s
                x[c, t] = s / scale[i, c]
                acc = 0.0
                for lag in range(min(n_lags, t + 1)):
                    acc += weights[i, c, lag] * x[c, t - lag]
                sat = _saturate(kind[c], acc, params[i, c, 0], params[i, c, 1], params[i, c, 2])
                y += coefficient[i, c] * sat
            shortfall = target[i, t] - y


def target_chasing(
    planned: np.ndarray,
    gain: np.ndarray,
    cap: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    scale: np.ndarray,
    weights: np.ndarray,
    kind: np.ndarray,
    params: np.ndarray,
    coefficient: np.ndarray,
    rest: np.ndarray,
    target: np.ndarray,
) -> np.ndarray:
    r"""Spend of target-chasing channels, simulated period by period with the outcome.

    .. math::
        s_{c,t} = \max\big(a_{c,t} \min(\max(s^0_{c,t} + k_c (\text{target}_{t-1} - y_{t-1}), 0),
                  \text{cap}_c) + b_{c,t},\ 0\big), \qquad
        y_t = \text{rest}_t + \sum_c \beta_c f_c\Big(\sum_l w_{c,l}\, s_{c,t-l} / \kappa_c\Big)

    with no shortfall before the first period.

    Parameters
    ----------
    planned : numpy.ndarray
        (rows, C, T) planned spend ``s^0`` of the feedback channels.
    gain, cap : numpy.ndarray
        (rows, C): spend per unit of shortfall ``k`` and the cap (``inf``: none).
    a, b : numpy.ndarray
        (rows, C, T): the affine change of experiments (1 and 0 outside them).
    scale : numpy.ndarray
        (rows, C) spend scale ``kappa``.
    weights : numpy.ndarray
        (rows, C, L) causal adstock weights (lag 0 first).
    kind : numpy.ndarray
        (C,) int64 saturation ids (:data:`SATURATION_IDS`).
    params : numpy.ndarray
        (rows, C, 3) saturation parameters in kernel order (unused ones 0).
    coefficient : numpy.ndarray
        (rows, C) channel coefficient ``beta``.
    rest, target : numpy.ndarray
        (rows, T): the outcome without these channels, and the sales target.

    Returns
    -------
    numpy.ndarray
        (rows, C, T) spend.
    """
    out = np.empty_like(planned)
    args = [np.ascontiguousarray(v, dtype=float) for v in (planned, gain, cap, a, b, scale, weights)]
    _target_chasing(
        *args,
        np.ascontiguousarray(kind, dtype=np.int64),
        np.ascontiguousarray(params, dtype=float),
        np.ascontiguousarray(coefficient, dtype=float),
        np.ascontiguousarray(rest, dtype=float),
        np.ascontiguousarray(target, dtype=float),
        out,
    )
    return out
