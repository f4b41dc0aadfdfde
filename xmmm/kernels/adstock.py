r"""Adstock kernels: carry-over weights per series, then one convolution.

Every function takes a stack of series ``x`` of shape ``(n_series, n_time)``
(time last, C-contiguous ``float64``) and one value per series for each
numeric parameter (1-D ``float64`` arrays of length ``n_series``).  The
structural options ``l_max``, ``normalize``, ``mode`` (and Weibull's ``type``)
are plain Python values shared by all series.  There is no validation here:
:mod:`xmmm.transforms` checks values before calling a kernel.

The results equal :mod:`pymc_marketing.mmm.transformers` (same names, same
weights, same boundary handling) to rounding.  With weights :math:`w_0 \dots
w_{L-1}` and shift :math:`s`,

.. math::

    y_t = \sum_{l=0}^{L-1} w_l \, x_{t + s - l},

with :math:`x` zero outside the observed periods; ``mode`` sets :math:`s`:
``"After"`` :math:`s = 0` (carry-over after spend), ``"Before"``
:math:`s = L - 1` (anticipation before spend), ``"Overlap"``
:math:`s = \lfloor (L - 1) / 2 \rfloor` (both).  ``L`` is ``l_max``, except
for the Weibull CDF whose weights start with a leading 1 (``L = l_max + 1``,
as in pymc-marketing).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from xmmm.kernels._numba import jit, series_kernel
from xmmm.kernels.declare import Constraint, Parameter, declare, positive, unit

__all__ = [
    "CONV_MODES",
    "batched_convolution",
    "binomial_adstock",
    "binomial_adstock_weights",
    "delayed_adstock",
    "delayed_adstock_weights",
    "geometric_adstock",
    "geometric_adstock_weights",
    "none",
    "none_weights",
    "weibull_adstock",
    "weibull_adstock_weights",
]

CONV_MODES = ("After", "Before", "Overlap")


# --------------------------------------------------------------------------- convolution
#
# One series at a time.  The interior (every lag inside the series) is done in
# passes over blocks of 12, 8, 4 and 1 lags: each pass reads a block of shifted
# views of x and writes y once, so loads and stores per multiply-add stay few
# and the loops vectorise.  The few edge periods use a plain loop.


@jit
def _taps12(ys, x, w, lag, first):  # pragma: no cover - compiled
    b = w.shape[0] - 1 - lag
    w0, w1, w2, w3 = w[lag], w[lag + 1], w[lag + 2], w[lag + 3]
    w4, w5, w6, w7 = w[lag + 4], w[lag + 5], w[lag + 6], w[lag + 7]
    w8, w9, w10, w11 = w[lag + 8], w[lag + 9], w[lag + 10], w[lag + 11]
    x0, x1, x2, x3 = x[b:], x[b - 1 :], x[b - 2 :], x[b - 3 :]
    x4, x5, x6, x7 = x[b - 4 :], x[b - 5 :], x[b - 6 :], x[b - 7 :]
    x8, x9, x10, x11 = x[b - 8 :], x[b - 9 :], x[b - 10 :], x[b - 11 :]
    for t in range(ys.shape[0]):
        s = (
            ((w0 * x0[t] + w1 * x1[t]) + (w2 * x2[t] + w3 * x3[t]))
            + ((w4 * x4[t] + w5 * x5[t]) + (w6 * x6[t] + w7 * x7[t]))
        ) + ((w8 * x8[t] + w9 * x9[t]) + (w10 * x10[t] + w11 * x11[t]))
        ys[t] = s if first else ys[t] + s


@jit
def _taps8(ys, x, w, lag, first):  # pragma: no cover - compiled
    b = w.shape[0] - 1 - lag
    w0, w1, w2, w3 = w[lag], w[lag + 1], w[lag + 2], w[lag + 3]
    w4, w5, w6, w7 = w[lag + 4], w[lag + 5], w[lag + 6], w[lag + 7]
    x0, x1, x2, x3 = x[b:], x[b - 1 :], x[b - 2 :], x[b - 3 :]
    x4, x5, x6, x7 = x[b - 4 :], x[b - 5 :], x[b - 6 :], x[b - 7 :]
    for t in range(ys.shape[0]):
        s = ((w0 * x0[t] + w1 * x1[t]) + (w2 * x2[t] + w3 * x3[t])) + (
            (w4 * x4[t] + w5 * x5[t]) + (w6 * x6[t] + w7 * x7[t])
        )
        ys[t] = s if first else ys[t] + s


@jit
def _taps4(ys, x, w, lag, first):  # pragma: no cover - compiled
    b = w.shape[0] - 1 - lag
    w0, w1, w2, w3 = w[lag], w[lag + 1], w[lag + 2], w[lag + 3]
    x0, x1, x2, x3 = x[b:], x[b - 1 :], x[b - 2 :], x[b - 3 :]
    for t in range(ys.shape[0]):
        s = (w0 * x0[t] + w1 * x1[t]) + (w2 * x2[t] + w3 * x3[t])
        ys[t] = s if first else ys[t] + s


@jit
def _taps1(ys, x, w, lag, first):  # pragma: no cover - compiled
    wl = w[lag]
    xl = x[w.shape[0] - 1 - lag :]
    for t in range(ys.shape[0]):
        s = wl * xl[t]
        ys[t] = s if first else ys[t] + s


@jit
def _edge(x, w, shift, y, start, stop):  # pragma: no cover - compiled
    n_time = x.shape[0]
    n_lags = w.shape[0]
    for t in range(start, stop):
        acc = 0.0
        for lag in range(max(0, t + shift - n_time + 1), min(n_lags, t + shift + 1)):
            acc += w[lag] * x[t + shift - lag]
        y[t] = acc


@jit
def _convolve_row(x, w, shift, y):  # pragma: no cover - compiled
    """y[t] = sum_l w[l] x[t + shift - l], x zero outside [0, n_time)."""
    n_time = x.shape[0]
    n_lags = w.shape[0]
    # interior: the periods whose every lag falls inside the series
    lo = n_lags - 1 - shift
    hi = n_time - shift
    if hi <= lo:
        _edge(x, w, shift, y, 0, n_time)
        return
    ys = y[lo:hi]
    lag = 0
    while lag + 12 <= n_lags:
        _taps12(ys, x, w, lag, lag == 0)
        lag += 12
    while lag + 8 <= n_lags:
        _taps8(ys, x, w, lag, lag == 0)
        lag += 8
    while lag + 4 <= n_lags:
        _taps4(ys, x, w, lag, lag == 0)
        lag += 4
    while lag < n_lags:
        _taps1(ys, x, w, lag, lag == 0)
        lag += 1
    _edge(x, w, shift, y, 0, lo)
    _edge(x, w, shift, y, hi, n_time)


@series_kernel
def _convolve(x, w, shift, out):  # pragma: no cover - compiled
    for i in numba.prange(x.shape[0]):
        _convolve_row(x[i], w[i], shift, out[i])


def _shift(mode: str, n_lags: int) -> int:
    if mode == "After":
        return 0
    if mode == "Before":
        return n_lags - 1
    if mode == "Overlap":
        return (n_lags - 1) // 2
    raise ValueError(f"mode must be one of {CONV_MODES}; got {mode!r}")


def batched_convolution(x: np.ndarray, w: np.ndarray, *, mode: str = "After") -> np.ndarray:
    """Convolve each series with its own weights, as pymc-marketing does.

    Parameters
    ----------
    x : numpy.ndarray
        Shape ``(n_series, n_time)``, C-contiguous ``float64``.
    w : numpy.ndarray
        Shape ``(n_series, n_lags)``, C-contiguous ``float64``.
    mode : {"After", "Before", "Overlap"}
        Where the carry-over falls relative to the spend (see module docs).

    Returns
    -------
    numpy.ndarray
        Shape ``(n_series, n_time)``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0, 1.0, 0.0, 0.0]])
    >>> batched_convolution(x, np.array([[1.0, 0.5, 0.25]]))
    array([[0.  , 1.  , 0.5 , 0.25]])
    """
    out = np.empty_like(x)
    _convolve(x, w, _shift(mode, w.shape[1]), out)
    return out


# --------------------------------------------------------------------------- weights, one series


@jit
def _normalize(w):  # pragma: no cover - compiled
    total = 0.0
    for lag in range(w.shape[0]):
        total += w[lag]
    for lag in range(w.shape[0]):
        w[lag] = w[lag] / total


@jit
def _geometric_row(alpha, w):  # pragma: no cover - compiled
    # alpha**l by repeated products: within a few ulp of pow, and no pow calls
    w[0] = 1.0
    for lag in range(1, w.shape[0]):
        w[lag] = w[lag - 1] * alpha


@jit
def _delayed_row(alpha, theta, w):  # pragma: no cover - compiled
    for lag in range(w.shape[0]):
        d = lag - theta
        w[lag] = alpha ** (d * d)


@jit
def _binomial_row(alpha, w):  # pragma: no cover - compiled
    l_max = w.shape[0]
    exponent = 1.0 / alpha - 1.0
    for lag in range(l_max):
        w[lag] = (1.0 - lag / (l_max + 1)) ** exponent


@jit
def _weibull_pdf_row(lam, k, w):  # pragma: no cover - compiled
    # density at t = 1..l_max through its log, as pymc does, then min-max scaled
    log_norm = math.log(k) - math.log(lam)
    for lag in range(w.shape[0]):
        z = (lag + 1.0) / lam
        w[lag] = math.exp(log_norm + (k - 1.0) * math.log(z) - z**k)
    lo = w[0]
    hi = w[0]
    for lag in range(1, w.shape[0]):
        lo = min(lo, w[lag])
        hi = max(hi, w[lag])
    for lag in range(w.shape[0]):
        w[lag] = (w[lag] - lo) / (hi - lo)


@jit
def _weibull_cdf_row(lam, k, w):  # pragma: no cover - compiled
    # w[0] = 1, w[j] = prod_{t <= j} (1 - CDF(t)) for t = 1..l_max
    w[0] = 1.0
    for lag in range(1, w.shape[0]):
        w[lag] = w[lag - 1] * math.exp(-((lag / lam) ** k))


# --------------------------------------------------------------------------- drivers
#
# Per series: weights into row i of w, optional normalisation, convolution.
# ``weights`` functions call the same drivers with an empty time axis.


@series_kernel
def _geometric(x, alpha, normalize, shift, w, out):  # pragma: no cover - compiled
    for i in numba.prange(w.shape[0]):
        _geometric_row(alpha[i], w[i])
        if normalize:
            _normalize(w[i])
        _convolve_row(x[i], w[i], shift, out[i])


@series_kernel
def _delayed(x, alpha, theta, normalize, shift, w, out):  # pragma: no cover - compiled
    for i in numba.prange(w.shape[0]):
        _delayed_row(alpha[i], theta[i], w[i])
        if normalize:
            _normalize(w[i])
        _convolve_row(x[i], w[i], shift, out[i])


@series_kernel
def _binomial(x, alpha, normalize, shift, w, out):  # pragma: no cover - compiled
    for i in numba.prange(w.shape[0]):
        _binomial_row(alpha[i], w[i])
        if normalize:
            _normalize(w[i])
        _convolve_row(x[i], w[i], shift, out[i])


@series_kernel
def _weibull_pdf(x, lam, k, normalize, shift, w, out):  # pragma: no cover - compiled
    for i in numba.prange(w.shape[0]):
        _weibull_pdf_row(lam[i], k[i], w[i])
        if normalize:
            _normalize(w[i])
        _convolve_row(x[i], w[i], shift, out[i])


@series_kernel
def _weibull_cdf(x, lam, k, normalize, shift, w, out):  # pragma: no cover - compiled
    for i in numba.prange(w.shape[0]):
        _weibull_cdf_row(lam[i], k[i], w[i])
        if normalize:
            _normalize(w[i])
        _convolve_row(x[i], w[i], shift, out[i])


def _run(driver, x, params, normalize: bool, mode: str, n_lags: int):
    """Call a driver; ``x=None`` computes the weights only."""
    n_series = params[0].shape[0]
    if x is None:
        x = np.empty((n_series, 0))
    w = np.empty((n_series, n_lags))
    out = np.empty_like(x)
    driver(x, *params, bool(normalize), _shift(mode, n_lags), w, out)
    return w, out


# --------------------------------------------------------------------------- public kernels and declarations
#
# Each public kernel is followed by its declaration (xmmm.kernels.declare).

_OPTIONS = (
    Parameter("l_max", 12, lower=1, structural=True, integer=True, doc="Number of carry-over weights."),
    Parameter(
        "normalize",
        True,
        structural=True,
        choices=(True, False),
        doc="Scale the weights to sum to 1 (pymc-marketing MMM components' default).",
    ),
    Parameter(
        "mode",
        "After",
        structural=True,
        choices=CONV_MODES,
        doc="Carry-over after spend, before it, or both (pymc-marketing ConvMode).",
    ),
)


def geometric_adstock_weights(alpha: np.ndarray, *, l_max: int, normalize: bool) -> np.ndarray:
    r"""Geometric carry-over weights :math:`w_l = \alpha^l`, shape ``(n_series, l_max)``."""
    return _run(_geometric, None, (alpha,), normalize, "After", l_max)[0]


def delayed_adstock_weights(
    alpha: np.ndarray, theta: np.ndarray, *, l_max: int, normalize: bool
) -> np.ndarray:
    r"""Delayed weights :math:`w_l = \alpha^{(l - \theta)^2}`, shape ``(n_series, l_max)``."""
    return _run(_delayed, None, (alpha, theta), normalize, "After", l_max)[0]


def binomial_adstock_weights(alpha: np.ndarray, *, l_max: int, normalize: bool) -> np.ndarray:
    r"""Binomial weights :math:`w_l = (1 - l/(l_{max}+1))^{1/\alpha - 1}`, ``(n_series, l_max)``."""
    return _run(_binomial, None, (alpha,), normalize, "After", l_max)[0]


def _weibull_driver(type: str, l_max: int):
    if type == "PDF":
        return _weibull_pdf, l_max
    if type == "CDF":
        return _weibull_cdf, l_max + 1
    raise ValueError(f"type must be 'PDF' or 'CDF'; got {type!r}")


def weibull_adstock_weights(
    lam: np.ndarray, k: np.ndarray, *, l_max: int, normalize: bool, type: str = "PDF"
) -> np.ndarray:
    """Weibull weights, shape ``(n_series, l_max)`` (PDF) or ``(n_series, l_max + 1)`` (CDF).

    ``"PDF"``: the Weibull(``k``, ``lam``) density at ``1..l_max``, min-max
    scaled to [0, 1].  ``"CDF"``: a leading 1 followed by the cumulative
    product of the survival function ``1 - CDF`` at ``1..l_max``.
    """
    driver, n_lags = _weibull_driver(type, l_max)
    return _run(driver, None, (lam, k), normalize, "After", n_lags)[0]


def geometric_adstock(
    x: np.ndarray, alpha: np.ndarray, *, l_max: int, normalize: bool, mode: str = "After"
) -> np.ndarray:
    """Geometric adstock of each series (``pymc_marketing`` ``geometric_adstock``).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, 0.0, 0.0, 0.0]])
    >>> geometric_adstock(x, np.array([0.5]), l_max=3, normalize=False)
    array([[1.  , 0.5 , 0.25, 0.  ]])
    """
    return _run(_geometric, x, (alpha,), normalize, mode, l_max)[1]


GEOMETRIC = declare(
    geometric_adstock,
    "adstock",
    (unit("alpha", 0.5, "Retention rate per period."), *_OPTIONS),
    formula=r"w_l = \alpha^{l}, \quad l = 0, \dots, l_{max} - 1",
    pymc_function="geometric_adstock",
    pymc_component="GeometricAdstock",
    weights_kernel=geometric_adstock_weights,
)


def delayed_adstock(
    x: np.ndarray,
    alpha: np.ndarray,
    theta: np.ndarray,
    *,
    l_max: int,
    normalize: bool,
    mode: str = "After",
) -> np.ndarray:
    """Delayed adstock of each series (``pymc_marketing`` ``delayed_adstock``)."""
    return _run(_delayed, x, (alpha, theta), normalize, mode, l_max)[1]


DELAYED = declare(
    delayed_adstock,
    "adstock",
    (
        # alpha = 0 would make every weight 0**(l - theta)**2 = 0 unless theta
        # is a whole number, and the normalised weights 0 / 0
        unit("alpha", 0.5, "Retention rate per period.", lower_inclusive=False),
        positive("theta", 1.0, "Delay of the peak effect, in periods.", inclusive=True),
        *_OPTIONS,
    ),
    formula=r"w_l = \alpha^{(l - \theta)^2}",
    pymc_function="delayed_adstock",
    pymc_component="DelayedAdstock",
    weights_kernel=delayed_adstock_weights,
    constraints=(
        Constraint(
            holds=lambda p: p["theta"] <= p["l_max"] - 1,
            message=lambda p: f"theta must be <= l_max - 1 = {p['l_max'] - 1}; got {p['theta']!r}",
        ),
    ),
)


def weibull_adstock(
    x: np.ndarray,
    lam: np.ndarray,
    k: np.ndarray,
    *,
    l_max: int,
    normalize: bool,
    mode: str = "After",
    type: str = "PDF",
) -> np.ndarray:
    """Weibull adstock of each series (``pymc_marketing`` ``weibull_adstock``)."""
    driver, n_lags = _weibull_driver(type, l_max)
    return _run(driver, x, (lam, k), normalize, mode, n_lags)[1]


def _weibull_pdf_density(p):
    # PDF weights are min-max scaled: 0 / 0 when the density is equal at every
    # lag 1..l_max (a density that underflows before lag 1)
    lam, k = np.broadcast_arrays(np.asarray(p["lam"], float), np.asarray(p["k"], float))
    t = np.arange(1.0, p["l_max"] + 1.0)
    z = t / lam[..., np.newaxis]
    return np.exp(np.log(k)[..., np.newaxis] - np.log(lam)[..., np.newaxis]
                  + (k[..., np.newaxis] - 1.0) * np.log(z) - z ** k[..., np.newaxis])


def _weibull_pdf_unequal(p):
    if p["type"] != "PDF" or p["l_max"] < 2:
        return True
    density = _weibull_pdf_density(p)
    return density.max(axis=-1) != density.min(axis=-1)


WEIBULL = declare(
    weibull_adstock,
    "adstock",
    (
        positive("lam", 1.0, "Weibull scale."),
        positive("k", 1.0, "Weibull shape."),
        *_OPTIONS,
        Parameter("type", "PDF", structural=True, choices=("PDF", "CDF"), doc="Weights from the PDF or the CDF."),
    ),
    formula=(
        r"w_l \propto f_{k,\lambda}(l + 1) \text{ (PDF, min-max scaled)}; "
        r"w = \operatorname{cumprod}(1, 1 - F_{k,\lambda}(1..l_{max})) \text{ (CDF)}"
    ),
    pymc_function="weibull_adstock",
    pymc_component={"PDF": "WeibullPDFAdstock", "CDF": "WeibullCDFAdstock"},
    component_option="type",
    weights_kernel=weibull_adstock_weights,
    constraints=(
        Constraint(
            holds=lambda p: p["type"] != "PDF" or p["l_max"] >= 2,
            message=lambda p: f"l_max must be >= 2 when type is 'PDF'; got {p['l_max']}",
        ),
        Constraint(
            holds=_weibull_pdf_unequal,
            message=lambda p: (
                f"lam and k must give unequal PDF weights over lags 1..{p['l_max']}; "
                f"got lam={p['lam']!r}, k={p['k']!r}"
            ),
        ),
    ),
)


def binomial_adstock(
    x: np.ndarray, alpha: np.ndarray, *, l_max: int, normalize: bool, mode: str = "After"
) -> np.ndarray:
    """Binomial adstock of each series (``pymc_marketing`` ``binomial_adstock``)."""
    return _run(_binomial, x, (alpha,), normalize, mode, l_max)[1]


BINOMIAL = declare(
    binomial_adstock,
    "adstock",
    (unit("alpha", 0.5, "Retention: larger is longer carry-over."), *_OPTIONS),
    formula=r"w_l = \left(1 - \frac{l}{l_{max} + 1}\right)^{1/\alpha - 1}",
    pymc_function="binomial_adstock",
    pymc_component="BinomialAdstock",
    weights_kernel=binomial_adstock_weights,
)


def none_weights() -> np.ndarray:
    """The weights of no adstock: a single 1, shape ``(1, 1)``."""
    return np.ones((1, 1))


def none(x: np.ndarray) -> np.ndarray:
    """No adstock: a copy of ``x``."""
    return x.copy()


NONE = declare(
    none,
    "adstock",
    (),
    formula=r"y_t = x_t",
    pymc_component="NoAdstock",
    weights_kernel=none_weights,
)
