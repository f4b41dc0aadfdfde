r"""Saturation kernels: elementwise curves with one parameter value per series.

Every function takes a stack of series ``x`` of shape ``(n_series, n_time)``
(C-contiguous ``float64``) and one value per series for each parameter (1-D
``float64`` arrays of length ``n_series``) and returns an array shaped like
``x``.  Each formula is written in the same order of operations as
:mod:`pymc_marketing.mmm.transformers`, so results agree to rounding; terms
that depend only on the parameters are computed once per series.  No
validation here: :mod:`xmmm.transforms` checks values first.

Each curve also has its derivative ``df/dx`` (``<name>_derivative``, the
exact marginal response for response curves and budget optimisation) and a
rule saying for which parameters it is concave on ``x >= 0`` (where it is
not, e.g. a Hill curve with ``slope > 1``, an allocation problem may have
several local optima).
"""

from __future__ import annotations

import math
import threading

import numba
import numpy as np

from xmmm.kernels._numba import PARALLEL_MIN_SIZE, jit, series_kernel
from xmmm.kernels.declare import declare, positive, unit

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
    "hill_function_derivative",
    "hill_saturation_sigmoid_derivative",
    "inverse_scaled_logistic_saturation_derivative",
    "logistic_saturation_derivative",
    "michaelis_menten_derivative",
    "none_derivative",
    "root_saturation_derivative",
    "tanh_saturation_derivative",
    "tanh_saturation_baselined_derivative",
]


# --------------------------------------------------------------------------- one series
#
# Each curve is one helper over a row, with its parameter terms computed once;
# the drivers below and the fused effects kernel (:mod:`xmmm.kernels.effects`)
# call the same helpers, so both give the same bits.  A zero input skips the
# transcendental calls only where the result of the full formula is known
# exactly (e.g. Hill: exp(s log 0) = exp(-inf) = 0 for s > 0).


@jit
def _hill_row(x, s, kappa, out):  # pragma: no cover - compiled
    ks = kappa**s
    for t in range(x.shape[0]):
        xt = x[t]
        if xt == 0.0 and s > 0.0:
            e = 0.0
        else:
            # x**s as exp(s log x): half the cost of pow, within ~1e-13 of it
            e = math.exp(s * math.log(xt))
        out[t] = 1.0 - ks / (ks + e)


@jit
def _logistic_row(x, lam, out):  # pragma: no cover - compiled
    neg_lam = -lam
    finite = math.isfinite(lam)
    for t in range(x.shape[0]):
        xt = x[t]
        # exp(-lam * 0) = exp(-0.0) = 1 exactly, and (1 - 1) / (1 + 1) = 0
        e = 1.0 if xt == 0.0 and finite else math.exp(neg_lam * xt)
        out[t] = (1.0 - e) / (1.0 + e)


@jit
def _tanh_row(x, b, c, out):  # pragma: no cover - compiled
    bc = b * c
    for t in range(x.shape[0]):
        out[t] = b * math.tanh(x[t] / bc)


@jit
def _tanh_baselined_row(x, x0, gain, r, out):  # pragma: no cover - compiled
    scale = gain * x0
    rate = math.atanh(r)
    for t in range(x.shape[0]):
        out[t] = scale * math.tanh(x[t] * rate / x0) / r


@jit
def _michaelis_menten_row(x, alpha, lam, out):  # pragma: no cover - compiled
    for t in range(x.shape[0]):
        out[t] = alpha * x[t] / (lam + x[t])


@jit
def _root_row(x, alpha, out):  # pragma: no cover - compiled
    positive = alpha > 0.0
    for t in range(x.shape[0]):
        xt = x[t]
        # pow(+0, a) = +0 for a > 0 (not for -0: an odd integer power keeps the sign)
        if positive and xt == 0.0 and math.copysign(1.0, xt) > 0.0:
            out[t] = 0.0
        else:
            out[t] = xt**alpha


@jit
def _hill_sigmoid_row(x, sigma, beta, lam, out):  # pragma: no cover - compiled
    offset = sigma / (1.0 + math.exp(beta * lam))
    for t in range(x.shape[0]):
        out[t] = sigma / (1.0 + math.exp(-beta * (x[t] - lam))) - offset


# --------------------------------------------------------------------------- drivers


@series_kernel
def _hill(x, slope, kappa, out):  # pragma: no cover - compiled
    for i in numba.prange(x.shape[0]):
        _hill_row(x[i], slope[i], kappa[i], out[i])


@series_kernel
def _logistic(x, lam, out):  # pragma: no cover - compiled
    for i in numba.prange(x.shape[0]):
        _logistic_row(x[i], lam[i], out[i])


@series_kernel
def _tanh(x, b, c, out):  # pragma: no cover - compiled
    for i in numba.prange(x.shape[0]):
        _tanh_row(x[i], b[i], c[i], out[i])


@series_kernel
def _tanh_baselined(x, x0, gain, r, out):  # pragma: no cover - compiled
    for i in numba.prange(x.shape[0]):
        _tanh_baselined_row(x[i], x0[i], gain[i], r[i], out[i])


@series_kernel
def _michaelis_menten(x, alpha, lam, out):  # pragma: no cover - compiled
    for i in numba.prange(x.shape[0]):
        _michaelis_menten_row(x[i], alpha[i], lam[i], out[i])


@series_kernel
def _root(x, alpha, out):  # pragma: no cover - compiled
    for i in numba.prange(x.shape[0]):
        _root_row(x[i], alpha[i], out[i])


@series_kernel
def _hill_sigmoid(x, sigma, beta, lam, out):  # pragma: no cover - compiled
    for i in numba.prange(x.shape[0]):
        _hill_sigmoid_row(x[i], sigma[i], beta[i], lam[i], out[i])


# --------------------------------------------------------------------------- derivatives
#
# The derivative df/dx of each curve, elementwise, for the response curves and
# the budget optimiser (exact marginal returns).  Written so that no
# intermediate overflows for x >= 0: a curve's two complementary shares
# (f / ceiling and 1 - f / ceiling) are each computed directly.


@series_kernel
def _hill_derivative(x, slope, kappa, out):  # pragma: no cover - compiled
    for i in numba.prange(x.shape[0]):
        s = slope[i]
        ks = kappa[i] ** s
        # the limit at x = 0: s k^s x^(s-1) / k^(2s)
        at_zero = math.inf if s < 1.0 else (1.0 / kappa[i] if s == 1.0 else 0.0)
        for t in range(x.shape[1]):
            xt = x[i, t]
            if xt > 0.0:
                e = math.exp(s * math.log(xt))
                # s/x * f * (1 - f), with f = x^s / (k^s + x^s)
                out[i, t] = s / xt * (e / (ks + e)) * (ks / (ks + e))
            else:
                out[i, t] = at_zero


@series_kernel
def _logistic_derivative(x, lam, out):  # pragma: no cover - compiled
    for i in numba.prange(x.shape[0]):
        li = lam[i]
        for t in range(x.shape[1]):
            e = math.exp(-li * x[i, t])
            out[i, t] = 2.0 * li * e / ((1.0 + e) * (1.0 + e))


@series_kernel
def _tanh_derivative(x, b, c, out):  # pragma: no cover - compiled
    for i in numba.prange(x.shape[0]):
        bc = b[i] * c[i]
        ci = c[i]
        for t in range(x.shape[1]):
            ch = math.cosh(x[i, t] / bc)
            out[i, t] = 1.0 / (ci * ch * ch)


@series_kernel
def _tanh_baselined_derivative(x, x0, gain, r, out):  # pragma: no cover - compiled
    for i in numba.prange(x.shape[0]):
        x0i = x0[i]
        rate = math.atanh(r[i])
        slope = gain[i] * rate / r[i]
        for t in range(x.shape[1]):
            ch = math.cosh(x[i, t] * rate / x0i)
            out[i, t] = slope / (ch * ch)


@series_kernel
def _michaelis_menten_derivative(x, alpha, lam, out):  # pragma: no cover - compiled
    for i in numba.prange(x.shape[0]):
        a = alpha[i]
        half = lam[i]
        for t in range(x.shape[1]):
            d = half + x[i, t]
            out[i, t] = a * half / (d * d)


@series_kernel
def _root_derivative(x, alpha, out):  # pragma: no cover - compiled
    for i in numba.prange(x.shape[0]):
        a = alpha[i]
        for t in range(x.shape[1]):
            # 0 ** (a - 1) is inf for a < 1 and 1 for a = 1: the limits at x = 0
            out[i, t] = a * x[i, t] ** (a - 1.0)


@series_kernel
def _hill_sigmoid_derivative(x, sigma, beta, lam, out):  # pragma: no cover - compiled
    for i in numba.prange(x.shape[0]):
        sb = sigma[i] * beta[i]
        bi = beta[i]
        li = lam[i]
        for t in range(x.shape[1]):
            e = math.exp(-bi * (x[i, t] - li))
            # sigma beta u (1 - u), u = 1 / (1 + e); 1 - u = 1 / (1 + 1/e) stays exact when e overflows
            out[i, t] = sb * (1.0 / (1.0 + e)) * (1.0 / (1.0 + 1.0 / e))


# --------------------------------------------------------------------------- responses
#
# The response of a series to scaling its input, summed over time: for
# factors theta, sum_t f(theta a_t) and sum_t f'(theta a_t) a_t.  The generic
# version (Transform.run_response) evaluates the curve and its derivative on
# theta * a; a curve may declare a faster one.  Hill's is separable: with
# A_t = a_t^s computed once, (theta a_t)^s = theta^s A_t, so each factor costs
# arithmetic only.


@series_kernel
def _hill_power(a, slope, out):  # pragma: no cover - compiled
    for i in numba.prange(a.shape[0]):
        s = slope[i]
        for t in range(a.shape[1]):
            at = a[i, t]
            out[i, t] = math.exp(s * math.log(at)) if at > 0.0 else 0.0


@series_kernel
def _hill_sums(a, power, theta, slope, kappa, out):  # pragma: no cover - compiled
    for i in numba.prange(a.shape[0]):
        s = slope[i]
        ks = kappa[i] ** s
        for j in range(theta.shape[0]):
            th = theta[j, i]
            if th > 0.0:
                ts = math.exp(s * math.log(th))
                value = 0.0
                share = 0.0
                for t in range(a.shape[1]):
                    e = ts * power[i, t]
                    inv = 1.0 / (ks + e)
                    f = e * inv
                    value += f
                    share += f * (ks * inv)
                out[0, j, i] = value
                # f'(x) a = s / x * f (1 - f) * a = s f (1 - f) / theta
                out[1, j, i] = s * share / th
            else:
                total = 0.0
                for t in range(a.shape[1]):
                    total += a[i, t]
                out[0, j, i] = 0.0
                if total == 0.0 or s > 1.0:
                    out[1, j, i] = 0.0
                elif s < 1.0:
                    out[1, j, i] = math.inf
                else:
                    out[1, j, i] = total / kappa[i]


def _hill_prepare(a: np.ndarray, slope: np.ndarray, kappa: np.ndarray):
    """``(a, a ** slope)``: what every factor's Hill response reuses."""
    power = np.empty_like(a)
    _hill_power(a, slope, power)
    return a, power


def _hill_response(state, theta: np.ndarray, slope: np.ndarray, kappa: np.ndarray):
    """Hill's ``(sum_t f(theta a_t), sum_t f'(theta a_t) a_t)`` per factor and series, each (m, n)."""
    a, power = state
    out = np.empty((2,) + theta.shape)
    work = a.size * theta.shape[0]
    kernel = _hill_sums.parallel if work >= PARALLEL_MIN_SIZE and threading.current_thread() is \
        threading.main_thread() else _hill_sums.serial
    kernel(a, power, np.ascontiguousarray(theta), slope, kappa, out)
    return out[0], out[1]


def hill_function_derivative(x: np.ndarray, slope: np.ndarray, kappa: np.ndarray) -> np.ndarray:
    r"""Derivative of the Hill curve, :math:`s \kappa^s x^{s-1} / (\kappa^s + x^s)^2`, per series.

    At ``x = 0`` it is the limit: ``inf`` for ``s < 1``, ``1 / kappa`` for ``s = 1``, 0 for ``s > 1``.

    Examples
    --------
    >>> import numpy as np
    >>> hill_function_derivative(np.array([[0.0, 1.0, 3.0]]), np.array([1.0]), np.array([1.0]))
    array([[1.    , 0.25  , 0.0625]])
    """
    out = np.empty_like(x)
    _hill_derivative(x, slope, kappa, out)
    return out


def logistic_saturation_derivative(x: np.ndarray, lam: np.ndarray) -> np.ndarray:
    r"""Derivative of the logistic curve, :math:`2 \lambda e^{-\lambda x} / (1 + e^{-\lambda x})^2`."""
    out = np.empty_like(x)
    _logistic_derivative(x, lam, out)
    return out


def inverse_scaled_logistic_saturation_derivative(x: np.ndarray, lam: np.ndarray, eps: np.ndarray) -> np.ndarray:
    r"""Derivative of the inverse scaled logistic curve (the logistic's with rate :math:`\epsilon / \lambda`)."""
    return logistic_saturation_derivative(x, eps / lam)


def tanh_saturation_derivative(x: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    r"""Derivative of the tanh curve, :math:`\operatorname{sech}^2(x / (b c)) / c`."""
    out = np.empty_like(x)
    _tanh_derivative(x, b, c, out)
    return out


def tanh_saturation_baselined_derivative(
    x: np.ndarray, x0: np.ndarray, gain: np.ndarray, r: np.ndarray
) -> np.ndarray:
    r"""Derivative of the baselined tanh, :math:`g \operatorname{artanh}(r) / r \cdot \operatorname{sech}^2(x \operatorname{artanh}(r) / x_0)`."""
    out = np.empty_like(x)
    _tanh_baselined_derivative(x, x0, gain, r, out)
    return out


def michaelis_menten_derivative(x: np.ndarray, alpha: np.ndarray, lam: np.ndarray) -> np.ndarray:
    r"""Derivative of the Michaelis-Menten curve, :math:`\alpha \lambda / (\lambda + x)^2`."""
    out = np.empty_like(x)
    _michaelis_menten_derivative(x, alpha, lam, out)
    return out


def root_saturation_derivative(x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    r"""Derivative of the root curve, :math:`\alpha x^{\alpha - 1}` (``inf`` at 0 for ``alpha < 1``)."""
    out = np.empty_like(x)
    _root_derivative(x, alpha, out)
    return out


def hill_saturation_sigmoid_derivative(
    x: np.ndarray, sigma: np.ndarray, beta: np.ndarray, lam: np.ndarray
) -> np.ndarray:
    r"""Derivative of the shifted sigmoid, :math:`\sigma \beta u (1 - u)`, :math:`u = 1 / (1 + e^{-\beta(x - \lambda)})`."""
    out = np.empty_like(x)
    _hill_sigmoid_derivative(x, sigma, beta, lam, out)
    return out


def none_derivative(x: np.ndarray) -> np.ndarray:
    """Derivative of no saturation: ones shaped like ``x``."""
    return np.ones_like(x)


def _always(**numeric) -> np.ndarray:
    """Concave for every parameter value."""
    shape = np.broadcast_shapes(*(np.shape(v) for v in numeric.values())) if numeric else ()
    return np.ones(shape, dtype=bool)


# --------------------------------------------------------------------------- public kernels and declarations
#
# Each public kernel is followed by its declaration (xmmm.kernels.declare).


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


HILL = declare(
    hill_function,
    "saturation",
    (positive("slope", 1.0, "Steepness."), positive("kappa", 0.5, "Half-saturation point.")),
    formula=r"f(x) = 1 - \frac{\kappa^s}{\kappa^s + x^s}",
    pymc_function="hill_function",
    pymc_component="HillSaturation",
    derivative=hill_function_derivative,
    response=(_hill_prepare, _hill_response),
    concave=lambda slope, kappa: np.asarray(slope <= 1.0) & np.isfinite(kappa),
    coefficient="beta",
    ceiling=lambda slope, kappa: np.ones_like(slope * kappa),
)


def logistic_saturation(x: np.ndarray, lam: np.ndarray) -> np.ndarray:
    r"""Logistic curve :math:`(1 - e^{-\lambda x}) / (1 + e^{-\lambda x})` per series."""
    out = np.empty_like(x)
    _logistic(x, lam, out)
    return out


LOGISTIC = declare(
    logistic_saturation,
    "saturation",
    (positive("lam", 1.0, "Efficiency: larger saturates sooner."),),
    formula=r"f(x) = \frac{1 - e^{-\lambda x}}{1 + e^{-\lambda x}}",
    pymc_function="logistic_saturation",
    pymc_component="LogisticSaturation",
    derivative=logistic_saturation_derivative,
    concave=_always,
    coefficient="beta",
    ceiling=lambda lam: np.ones_like(lam),
)


def inverse_scaled_logistic_saturation(
    x: np.ndarray, lam: np.ndarray, eps: np.ndarray
) -> np.ndarray:
    r"""Logistic curve with rate :math:`\epsilon / \lambda` (half saturation at ``lam``)."""
    return logistic_saturation(x, eps / lam)


INVERSE_SCALED_LOGISTIC = declare(
    inverse_scaled_logistic_saturation,
    "saturation",
    (
        positive("lam", 1.0, "Half-saturation point (with the default eps)."),
        positive("eps", math.log(3), "Scaling; log(3) puts half saturation at lam."),
    ),
    formula=r"f(x) = \frac{1 - e^{-x \epsilon / \lambda}}{1 + e^{-x \epsilon / \lambda}}",
    pymc_function="inverse_scaled_logistic_saturation",
    pymc_component="InverseScaledLogisticSaturation",
    derivative=inverse_scaled_logistic_saturation_derivative,
    concave=_always,
    coefficient="beta",
    ceiling=lambda lam, eps: np.ones_like(lam * eps),
)


def tanh_saturation(x: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    r"""Tanh curve :math:`b \tanh(x / (b c))` per series."""
    out = np.empty_like(x)
    _tanh(x, b, c, out)
    return out


TANH = declare(
    tanh_saturation,
    "saturation",
    (
        positive("b", 1.0, "Saturation level."),
        positive("c", 1.0, "Cost per unit at zero spend (1 / initial slope)."),
    ),
    formula=r"f(x) = b \tanh\left(\frac{x}{b c}\right)",
    pymc_function="tanh_saturation",
    pymc_component="TanhSaturation",
    derivative=tanh_saturation_derivative,
    concave=_always,
    coefficient="b,c",
    ceiling=lambda b, c: b * np.ones_like(c),
)


def tanh_saturation_baselined(
    x: np.ndarray, x0: np.ndarray, gain: np.ndarray, r: np.ndarray
) -> np.ndarray:
    r"""Baselined tanh :math:`g x_0 \tanh(x \operatorname{artanh}(r) / x_0) / r` per series."""
    out = np.empty_like(x)
    _tanh_baselined(x, x0, gain, r, out)
    return out


TANH_BASELINED = declare(
    tanh_saturation_baselined,
    "saturation",
    (
        positive("x0", 1.0, "Reference spend."),
        positive("gain", 0.5, "Return per unit at the reference, f(x0) / x0."),
        unit("r", 0.5, "Overspend fraction f(x0) / saturation.", lower_inclusive=False, upper_inclusive=False),
    ),
    formula=r"f(x) = \frac{g x_0}{r} \tanh\left(\frac{x \operatorname{artanh}(r)}{x_0}\right)",
    pymc_function="tanh_saturation_baselined",
    pymc_component="TanhSaturationBaselined",
    derivative=tanh_saturation_baselined_derivative,
    concave=_always,
    coefficient="beta",
    ceiling=lambda x0, gain, r: gain * x0 / r,
)


def michaelis_menten(x: np.ndarray, alpha: np.ndarray, lam: np.ndarray) -> np.ndarray:
    r"""Michaelis-Menten curve :math:`\alpha x / (\lambda + x)` per series."""
    out = np.empty_like(x)
    _michaelis_menten(x, alpha, lam, out)
    return out


MICHAELIS_MENTEN = declare(
    michaelis_menten,
    "saturation",
    (
        positive("alpha", 1.0, "Maximum contribution.", inclusive=True),
        positive("lam", 0.5, "Half-saturation point."),
    ),
    formula=r"f(x) = \frac{\alpha x}{\lambda + x}",
    pymc_function="michaelis_menten",
    pymc_component="MichaelisMentenSaturation",
    derivative=michaelis_menten_derivative,
    concave=_always,
    coefficient="alpha",
    ceiling=lambda alpha, lam: alpha * np.ones_like(lam),
)


def root_saturation(x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    r"""Root curve :math:`x^\alpha` per series."""
    out = np.empty_like(x)
    _root(x, alpha, out)
    return out


ROOT = declare(
    root_saturation,
    "saturation",
    (unit("alpha", 0.5, "Exponent (concave for alpha <= 1).", lower_inclusive=False),),
    formula=r"f(x) = x^{\alpha}",
    pymc_function="root_saturation",
    pymc_component="RootSaturation",
    derivative=root_saturation_derivative,
    concave=_always,
    coefficient="beta",
    power_law=True,
)


def hill_saturation_sigmoid(
    x: np.ndarray, sigma: np.ndarray, beta: np.ndarray, lam: np.ndarray
) -> np.ndarray:
    r"""Shifted sigmoid :math:`\sigma/(1 + e^{-\beta(x-\lambda)}) - \sigma/(1 + e^{\beta\lambda})`."""
    out = np.empty_like(x)
    _hill_sigmoid(x, sigma, beta, lam, out)
    return out


HILL_SIGMOID = declare(
    hill_saturation_sigmoid,
    "saturation",
    (
        positive("sigma", 1.0, "Upper asymptote."),
        positive("beta", 1.0, "Steepness."),
        positive("lam", 1.0, "Midpoint.", inclusive=True),
    ),
    formula=r"f(x) = \frac{\sigma}{1 + e^{-\beta (x - \lambda)}} - \frac{\sigma}{1 + e^{\beta \lambda}}",
    pymc_function="hill_saturation_sigmoid",
    pymc_component="HillSaturationSigmoid",
    derivative=hill_saturation_sigmoid_derivative,
    concave=lambda sigma, beta, lam: np.asarray(lam == 0.0) & np.isfinite(sigma * beta),
    coefficient="sigma",
    ceiling=lambda sigma, beta, lam: sigma - sigma / (1.0 + np.exp(beta * lam)),
)


def none(x: np.ndarray) -> np.ndarray:
    """No saturation: a copy of ``x``."""
    return x.copy()


NONE = declare(
    none,
    "saturation",
    (),
    formula=r"f(x) = x",
    pymc_component="NoSaturation",
    derivative=none_derivative,
    concave=_always,
    coefficient="beta",
)
