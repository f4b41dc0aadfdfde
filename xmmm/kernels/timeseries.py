r"""Time recursions over stacks of series: AR(1) filtering, random gaps, random Fourier features.

Each takes a stack ``(n_series, n_time)`` (time last, C-contiguous ``float64``)
of standardised innovations or uniforms and write into ``out``; the random
numbers come from the caller (:mod:`xmmm.random`), so a kernel holds no state.

.. math::
    a_{s,0} = e_{s,0}, \qquad a_{s,t} = \rho_s \, a_{s,t-1} + \sqrt{1 - \rho_s^2} \; e_{s,t}

is a stationary AR(1) with unit variance when the ``e`` are independent with
unit variance (and lag-1 autocorrelation ``rho``).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from xmmm.kernels._numba import series_kernel

__all__ = ["ar1_filter", "cosine_features", "gap_mask"]


@series_kernel
def _ar1_kernel(e, rho, out):
    n_series, n_time = e.shape
    for s in prange(n_series):
        r = rho[s]
        innovation = np.sqrt(1.0 - r * r)
        previous = e[s, 0]
        out[s, 0] = previous
        for t in range(1, n_time):
            previous = r * previous + innovation * e[s, t]
            out[s, t] = previous


def ar1_filter(e: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """The stationary unit-variance AR(1) of innovations ``e`` (..., T), one ``rho`` per series (...).

    Examples
    --------
    >>> ar1_filter(np.array([[1.0, 0.0, 0.0]]), np.array([0.5]))
    array([[1.  , 0.5 , 0.25]])
    """
    e = np.asarray(e, dtype=float)
    flat = np.ascontiguousarray(e.reshape(-1, e.shape[-1]))
    r = np.ascontiguousarray(np.broadcast_to(np.asarray(rho, dtype=float), e.shape[:-1]).reshape(-1))
    out = np.empty_like(flat)
    _ar1_kernel(flat, r, out)
    return out.reshape(e.shape)


@series_kernel
def _gap_kernel(u_start, u_length, p, longest, out):
    n_series, n_time = u_start.shape
    for s in prange(n_series):
        left = 0
        for t in range(n_time):
            if left == 0 and u_start[s, t] < p:
                left = 1 + int(u_length[s, t] * longest)
            if left > 0:
                out[s, t] = 1.0
                left -= 1
            else:
                out[s, t] = 0.0


def gap_mask(u_start: np.ndarray, u_length: np.ndarray, share: float, longest: int) -> np.ndarray:
    """Random gaps covering ``share`` of the periods in the long run, each 1 to ``longest`` periods.

    Outside a gap, a gap starts with probability ``p = share / (share + E[L] (1 - share))``
    (``E[L] = (1 + longest) / 2``, the mean length, uniform on 1 .. ``longest``),
    which makes the long-run missing share ``share``.

    Parameters
    ----------
    u_start, u_length : numpy.ndarray
        Uniforms on (0, 1), shape (..., T).

    Returns
    -------
    numpy.ndarray of bool, shape (..., T)

    Examples
    --------
    >>> gap_mask(np.array([[0.9, 0.01, 0.9, 0.9]]), np.array([[0.5, 0.6, 0.5, 0.5]]), 0.2, 2)
    array([[False,  True,  True, False]])
    """
    if share <= 0:
        return np.zeros(np.shape(u_start), dtype=bool)
    mean_length = (1 + longest) / 2.0
    p = share / (share + mean_length * (1.0 - share))
    shape = np.shape(u_start)
    a = np.ascontiguousarray(np.asarray(u_start, dtype=float).reshape(-1, shape[-1]))
    b = np.ascontiguousarray(np.asarray(u_length, dtype=float).reshape(-1, shape[-1]))
    out = np.empty_like(a)
    _gap_kernel(a, b, float(p), int(longest), out)
    return out.reshape(shape) > 0.5


#: the cosine of a feature is computed directly every this many periods; in between it is rotated
#: by the angle-addition formulas (four products per period instead of a cosine), so the error stays
#: within a few units in the last place
_REANCHOR = 32


@series_kernel
def _cosine_kernel(omega, phase, out):
    n_series, n_time = out.shape
    n_features = omega.shape[1]
    for s in prange(n_series):
        for t in range(n_time):
            out[s, t] = 0.0
        for j in range(n_features):
            w, p = omega[s, j], phase[s, j]
            cw, sw = np.cos(w), np.sin(w)
            c, si = 0.0, 0.0
            for t in range(n_time):
                if t % _REANCHOR == 0:
                    c, si = np.cos(w * t + p), np.sin(w * t + p)
                else:
                    c, si = c * cw - si * sw, si * cw + c * sw
                out[s, t] += c


def cosine_features(omega: np.ndarray, phase: np.ndarray, n_time: int) -> np.ndarray:
    """``sum_j cos(omega_j t + phase_j)`` for ``t = 0 .. n_time - 1``: (..., n_time) from (..., J) frequencies.

    The sum of random Fourier features of a Gaussian-process path, one Numba
    loop over the whole stack of series.

    Examples
    --------
    >>> cosine_features(np.array([[0.0, np.pi]]), np.array([[0.0, 0.0]]), 3)
    array([[2., 0., 2.]])
    """
    omega = np.asarray(omega, dtype=float)
    shape = omega.shape[:-1]
    w = np.ascontiguousarray(omega.reshape(-1, omega.shape[-1]))
    ph = np.ascontiguousarray(np.broadcast_to(np.asarray(phase, dtype=float), omega.shape).reshape(w.shape))
    out = np.empty((w.shape[0], int(n_time)))
    _cosine_kernel(w, ph, out)
    return out.reshape(shape + (int(n_time),))
