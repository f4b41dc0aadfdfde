r"""The media effects of a whole stack of series in one pass: adstock, saturation, contribution, mROAS.

For each series ``i`` (spend :math:`s_{it}`, scale :math:`c_i`, coefficient
:math:`\beta_i`) one loop computes

- ``adstocked``: the adstock of :math:`x_{it} = s_{it} / c_i`;
- ``saturated``: the saturation curve of ``adstocked``;
- ``contribution``: :math:`\beta_i \cdot` ``saturated``, and ``total``, its sum over time;
- ``marginal`` (when a spend factor :math:`f` is given, e.g. 1.01): the sum over
  time of :math:`\beta_i (g(s_{it} f / c_i) - g(x_{it}))`, where :math:`g` is
  adstock then saturation, the extra contribution of the raised spend.

Every element is computed with the same operations, in the same order, as the
separate kernels (:mod:`xmmm.kernels.adstock`, :mod:`xmmm.kernels.saturation`:
the same per-row helpers) followed by NumPy's ``spend / scale``,
``coefficient * saturated``, ``(coefficient * (up - saturated)).sum(-1)``: the
sums use NumPy's pairwise summation (:func:`pairwise_sum`), so the results are
the same bits.  What the single pass saves is memory traffic and the
intermediate arrays (scaled and raised spend, the raised adstock and
saturation, their difference), and one kernel call covers series with
different transforms: the transform of each series is a small integer code,
looked up once per series, never per element.

No validation here: parameters are checked by :mod:`xmmm.transforms`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numba
import numpy as np

from xmmm.kernels import adstock as _adstock
from xmmm.kernels import saturation as _saturation
from xmmm.kernels._numba import jit, series_kernel

__all__ = [
    "ADSTOCK_CODES",
    "MAX_PARAMETERS",
    "SATURATION_CODES",
    "MediaEffects",
    "adstock_code",
    "adstock_layout",
    "adstock_saturation",
    "media_effects",
    "media_effects_stack",
    "pairwise_sum",
]

#: Adstock codes (Weibull by ``type``).
ADSTOCK_CODES: dict[str, int] = {
    "geometric_adstock": 0,
    "delayed_adstock": 1,
    "binomial_adstock": 2,
    "weibull_adstock/PDF": 3,
    "weibull_adstock/CDF": 4,
    "none": 5,
}
#: Saturation codes.
SATURATION_CODES: dict[str, int] = {
    "hill_function": 0,
    "logistic_saturation": 1,
    "inverse_scaled_logistic_saturation": 2,
    "tanh_saturation": 3,
    "tanh_saturation_baselined": 4,
    "michaelis_menten": 5,
    "root_saturation": 6,
    "hill_saturation_sigmoid": 7,
    "none": 8,
}
#: Columns of the per-series parameter tables (the most numeric parameters of any transform).
MAX_PARAMETERS = 3

_PW_BLOCKSIZE = 128  # NumPy's pairwise-summation block


# --------------------------------------------------------------------------- sums as NumPy does them


@jit
def _block_sum(a, start, n):  # pragma: no cover - compiled
    # a leaf of NumPy's pairwise_sum (loops_utils.h): up to 128 values, 8 accumulators
    if n < 8:
        res = -0.0
        for i in range(start, start + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[start], a[start + 1], a[start + 2], a[start + 3]
    r4, r5, r6, r7 = a[start + 4], a[start + 5], a[start + 6], a[start + 7]
    i = 8
    while i < n - (n % 8):
        j = start + i
        r0 += a[j]
        r1 += a[j + 1]
        r2 += a[j + 2]
        r3 += a[j + 3]
        r4 += a[j + 4]
        r5 += a[j + 5]
        r6 += a[j + 6]
        r7 += a[j + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[start + i]
        i += 1
    return res


@jit
def _pairwise(a, start, n):  # pragma: no cover - compiled
    """NumPy's pairwise_sum: blocks of up to 128 values, halved (to multiples of 8) above.

    The recursion of NumPy's C code, walked with explicit stacks (Numba cannot
    cache recursive functions): each node is split, its halves summed, and
    their sums added.
    """
    if n <= _PW_BLOCKSIZE:
        return _block_sum(a, start, n)
    depth = 2 * (64 + 1)
    node_start = np.empty(depth, np.int64)
    node_n = np.empty(depth, np.int64)
    node_stage = np.zeros(depth, np.int64)  # 0: split me, 1: left half done, 2: both halves done
    sums = np.empty(depth)
    top, n_sums = 0, 0
    node_start[0], node_n[0], node_stage[0] = start, n, 0
    while top >= 0:
        m = node_n[top]
        if m <= _PW_BLOCKSIZE:
            sums[n_sums] = _block_sum(a, node_start[top], m)
            n_sums += 1
            top -= 1
            continue
        half = m // 2
        half -= half % 8
        stage = node_stage[top]
        if stage == 2:
            sums[n_sums - 2] = sums[n_sums - 2] + sums[n_sums - 1]
            n_sums -= 1
            top -= 1
            continue
        node_stage[top] = stage + 1
        first = node_start[top] if stage == 0 else node_start[top] + half
        top += 1
        node_start[top] = first
        node_n[top] = half if stage == 0 else m - half
        node_stage[top] = 0
    return sums[0]


@jit
def _sum(a):  # pragma: no cover - compiled
    # ``a.sum()`` of a contiguous float64 row: the reduction starts from 0.0
    return 0.0 + _pairwise(a, 0, a.shape[0])


def pairwise_sum(a: np.ndarray) -> np.ndarray:
    """Sums over the last axis with the bits of ``a.sum(axis=-1)`` (NumPy's pairwise summation).

    Parameters
    ----------
    a : numpy.ndarray
        ``float64``, any shape with at least one axis.

    Returns
    -------
    numpy.ndarray
        Shape ``a.shape[:-1]``.

    Examples
    --------
    >>> a = np.random.default_rng(0).normal(size=(3, 1000))
    >>> bool((pairwise_sum(a) == a.sum(axis=-1)).all())
    True
    """
    a = np.asarray(a, dtype=np.float64)
    rows = np.ascontiguousarray(a).reshape(math.prod(a.shape[:-1]), a.shape[-1])
    out = np.empty(rows.shape[0])
    _sum_rows(rows, out)
    return out.reshape(a.shape[:-1])


@jit
def _sum_rows(rows, out):  # pragma: no cover - compiled
    for i in range(rows.shape[0]):
        out[i] = _sum(rows[i])


# --------------------------------------------------------------------------- one series


@jit
def _weights(kind, p, w):  # pragma: no cover - compiled
    if kind == 0:
        _adstock._geometric_row(p[0], w)
    elif kind == 1:
        _adstock._delayed_row(p[0], p[1], w)
    elif kind == 2:
        _adstock._binomial_row(p[0], w)
    elif kind == 3:
        _adstock._weibull_pdf_row(p[0], p[1], w)
    elif kind == 4:
        _adstock._weibull_cdf_row(p[0], p[1], w)
    else:
        w[:] = 1.0


@jit
def _adstock_row(kind, x, w, shift, out):  # pragma: no cover - compiled
    if kind == 5:  # no adstock: the series itself
        out[:] = x
    else:
        _adstock._convolve_row(x, w, shift, out)


@jit
def _saturate(kind, p, x, out):  # pragma: no cover - compiled
    if kind == 0:
        _saturation._hill_row(x, p[0], p[1], out)
    elif kind == 1:
        _saturation._logistic_row(x, p[0], out)
    elif kind == 2:
        # inverse_scaled_logistic_saturation is the logistic curve at rate eps / lam
        _saturation._logistic_row(x, p[1] / p[0], out)
    elif kind == 3:
        _saturation._tanh_row(x, p[0], p[1], out)
    elif kind == 4:
        _saturation._tanh_baselined_row(x, p[0], p[1], p[2], out)
    elif kind == 5:
        _saturation._michaelis_menten_row(x, p[0], p[1], out)
    elif kind == 6:
        _saturation._root_row(x, p[0], out)
    elif kind == 7:
        _saturation._hill_sigmoid_row(x, p[0], p[1], p[2], out)
    else:
        out[:] = x


@series_kernel
def _effects(
    spend, scale, factor, coefficient, adstock_kind, adstock_params, n_lags, normalize, shift,
    saturation_kind, saturation_params, weights, total, marginal, adstocked, saturated, contribution,
):  # pragma: no cover - compiled
    n_time = spend.shape[1]
    for i in numba.prange(spend.shape[0]):
        kind = adstock_kind[i]
        w = weights[i, : n_lags[i]]
        _weights(kind, adstock_params[i], w)
        if normalize[i] and kind != 5:
            _adstock._normalize(w)
        c = scale[i]
        b = coefficient[i]
        x = np.empty(n_time)
        for t in range(n_time):
            x[t] = spend[i, t] / c
        _adstock_row(kind, x, w, shift[i], adstocked[i])
        _saturate(saturation_kind[i], saturation_params[i], adstocked[i], saturated[i])
        for t in range(n_time):
            contribution[i, t] = b * saturated[i, t]
        total[i] = _sum(contribution[i])
        if factor > 0.0:
            # the same transforms on spend raised by ``factor``, the scale held fixed
            for t in range(n_time):
                x[t] = spend[i, t] * factor / c
            up = np.empty(n_time)
            _adstock_row(kind, x, w, shift[i], up)
            _saturate(saturation_kind[i], saturation_params[i], up, x)
            for t in range(n_time):
                x[t] = b * (x[t] - saturated[i, t])
            marginal[i] = _sum(x)
        else:
            marginal[i] = np.nan


# --------------------------------------------------------------------------- entry points


class MediaEffects(NamedTuple):
    """What :func:`media_effects` returns; arrays shaped like the spend (series) or one per series."""

    adstocked: np.ndarray
    saturated: np.ndarray
    contribution: np.ndarray
    #: ``contribution.sum(axis=-1)``
    total: np.ndarray
    #: extra contribution of the raised spend, summed over time (NaN without ``factor``)
    marginal: np.ndarray


def adstock_code(name: str, type: str = "PDF") -> int:
    """The code of an adstock (``type`` selects the Weibull weights)."""
    return ADSTOCK_CODES[f"{name}/{type}" if name == "weibull_adstock" else name]


def adstock_layout(name: str, options: Mapping) -> tuple[int, int, bool, int]:
    """``(code, n_lags, normalize, shift)`` of an adstock and its structural options.

    Examples
    --------
    >>> adstock_layout("weibull_adstock", {"l_max": 8, "normalize": True, "mode": "Overlap", "type": "CDF"})
    (4, 9, True, 4)
    >>> adstock_layout("none", {})
    (5, 1, False, 0)
    """
    kind = options.get("type", "PDF")
    n_lags = _lags(name, int(options.get("l_max", 1)), kind)
    normalize = bool(options.get("normalize", False)) and name != "none"
    return adstock_code(name, kind), n_lags, normalize, _adstock._shift(options.get("mode", "After"), n_lags)


def _lags(name: str, l_max: int, type: str) -> int:
    if name == "none":
        return 1
    return l_max + 1 if name == "weibull_adstock" and type == "CDF" else l_max


def _per_series(values, dtype, n_series: int) -> np.ndarray:
    """One value per series as a contiguous array of ``dtype`` (as is when it already is one)."""
    if (
        isinstance(values, np.ndarray)
        and values.dtype == dtype
        and values.shape == (n_series,)
        and values.flags.c_contiguous
    ):
        return values
    return np.ascontiguousarray(np.broadcast_to(np.asarray(values, dtype=dtype), (n_series,)))


def _table(values, n_series: int) -> np.ndarray:
    """Per-series parameters as an ``(n_series, MAX_PARAMETERS)`` table, left-aligned."""
    if (
        isinstance(values, np.ndarray)
        and values.dtype == np.float64
        and values.shape == (n_series, MAX_PARAMETERS)
        and values.flags.c_contiguous
    ):
        return values
    values = np.asarray(values, dtype=np.float64).reshape(n_series, -1)
    out = np.full((n_series, MAX_PARAMETERS), np.nan)
    out[:, : values.shape[1]] = values
    return out


def media_effects_stack(
    spend: np.ndarray,
    scale: np.ndarray,
    coefficient: np.ndarray,
    *,
    adstock_kind: np.ndarray,
    adstock_params: np.ndarray,
    n_lags: np.ndarray,
    normalize: np.ndarray,
    shift: np.ndarray,
    saturation_kind: np.ndarray,
    saturation_params: np.ndarray,
    factor: float | None = None,
) -> MediaEffects:
    """Media effects of a stack whose series may each have their own transforms: one kernel call.

    Parameters
    ----------
    spend : numpy.ndarray
        ``(n_series, n_time)`` spend (C-contiguous ``float64``).
    scale, coefficient : numpy.ndarray
        ``(n_series,)``: the divisor of the spend and the contribution per unit
        of saturated signal.
    adstock_kind : numpy.ndarray of int
        ``(n_series,)`` codes from :data:`ADSTOCK_CODES`.
    adstock_params : numpy.ndarray
        ``(n_series, MAX_PARAMETERS)``: each series' numeric adstock
        parameters in declaration order, left-aligned (unused columns ignored).
    n_lags : numpy.ndarray of int
        ``(n_series,)`` weights per series (``l_max``; ``l_max + 1`` for the
        Weibull CDF; 1 without adstock).
    normalize : numpy.ndarray of bool
        ``(n_series,)``.
    shift : numpy.ndarray of int
        ``(n_series,)`` the convolution shift of each series' ``mode``.
    saturation_kind, saturation_params : numpy.ndarray
        As for adstock, with :data:`SATURATION_CODES`.
    factor : float, optional
        Spend multiplier of the marginal pass (``1 + step``); ``None`` skips it.

    Returns
    -------
    MediaEffects
    """
    spend = np.ascontiguousarray(spend, dtype=np.float64)
    n_series = spend.shape[0]
    n_lags = _per_series(n_lags, np.int64, n_series)
    weights = np.empty((n_series, int(n_lags.max()) if n_series else 1))
    adstocked, saturated, contribution = (np.empty_like(spend) for _ in range(3))
    total, marginal = np.empty(n_series), np.empty(n_series)
    _effects(
        spend, _per_series(scale, np.float64, n_series), float(factor) if factor is not None else -1.0,
        _per_series(coefficient, np.float64, n_series), _per_series(adstock_kind, np.int64, n_series),
        _table(adstock_params, n_series), n_lags, _per_series(normalize, np.bool_, n_series),
        _per_series(shift, np.int64, n_series), _per_series(saturation_kind, np.int64, n_series),
        _table(saturation_params, n_series), weights, total, marginal, adstocked, saturated, contribution,
    )
    return MediaEffects(adstocked, saturated, contribution, total, marginal)


def _params(values: Sequence | Mapping | None, n_series: int) -> np.ndarray:
    """Numeric parameters (scalars or one value per series each) as an ``(n_series, k)`` table."""
    values = list(values.values()) if isinstance(values, Mapping) else list(values or ())
    out = np.full((n_series, MAX_PARAMETERS), np.nan)
    for k, v in enumerate(values):
        out[:, k] = v
    return out


def media_effects(
    spend: np.ndarray,
    scale: np.ndarray,
    coefficient: np.ndarray,
    *,
    adstock: str,
    adstock_params: Sequence | Mapping,
    saturation: str,
    saturation_params: Sequence | Mapping,
    l_max: int = 1,
    normalize: bool = False,
    mode: str = "After",
    type: str = "PDF",
    factor: float | None = None,
) -> MediaEffects:
    """Adstock, saturation, contribution and marginal contribution of a stack, in one pass.

    The same bits as the separate kernels followed by NumPy (see the module notes).

    Parameters
    ----------
    spend : numpy.ndarray
        ``(n_series, n_time)``.
    scale, coefficient : numpy.ndarray
        One value per series (or scalars).
    adstock, saturation : str
        pymc-marketing's names (or ``"none"``).
    adstock_params, saturation_params : sequence or mapping of arrays
        The numeric parameters in declaration order (a mapping's values are
        taken in its order), one value per series or scalars.
    l_max, normalize, mode, type
        The adstock's structural options.
    factor : float, optional
        Spend multiplier of the marginal pass, e.g. ``1 + 0.01``.

    Returns
    -------
    MediaEffects

    Examples
    --------
    >>> spend = np.array([[0.0, 2.0, 0.0, 0.0]])
    >>> fx = media_effects(spend, 2.0, 10.0, adstock="geometric_adstock", adstock_params=[0.5],
    ...                    saturation="hill_function", saturation_params=[1.0, 1.0], l_max=2, factor=1.01)
    >>> fx.adstocked
    array([[0. , 1. , 0.5, 0. ]])
    >>> fx.contribution
    array([[0.        , 5.        , 3.33333333, 0.        ]])
    >>> bool(fx.marginal[0] > 0)
    True
    """
    spend = np.asarray(spend, dtype=np.float64)
    n_series = spend.shape[0]
    return media_effects_stack(
        spend, scale, coefficient,
        adstock_kind=adstock_code(adstock, type),
        adstock_params=_params(adstock_params, n_series),
        n_lags=_lags(adstock, l_max, type),
        normalize=bool(normalize) and adstock != "none",
        shift=_adstock._shift(mode, _lags(adstock, l_max, type)),
        saturation_kind=SATURATION_CODES[saturation],
        saturation_params=_params(saturation_params, n_series),
        factor=factor,
    )


def adstock_saturation(
    x: np.ndarray,
    *,
    adstock: str,
    adstock_params: Sequence | Mapping,
    saturation: str,
    saturation_params: Sequence | Mapping,
    l_max: int = 1,
    normalize: bool = False,
    mode: str = "After",
    type: str = "PDF",
) -> tuple[np.ndarray, np.ndarray]:
    """Adstock then saturation of each series in one pass: ``(adstocked, saturated)``.

    The same bits as ``saturation_kernel(adstock_kernel(x, ...), ...)``.

    Examples
    --------
    >>> x = np.array([[1.0, 0.0, 0.0]])
    >>> adstocked, saturated = adstock_saturation(
    ...     x, adstock="geometric_adstock", adstock_params=[0.5], saturation="hill_function",
    ...     saturation_params=[1.0, 0.5], l_max=3)
    >>> saturated
    array([[0.66666667, 0.5       , 0.33333333]])
    """
    fx = media_effects(
        x, 1.0, 1.0, adstock=adstock, adstock_params=adstock_params, saturation=saturation,
        saturation_params=saturation_params, l_max=l_max, normalize=normalize, mode=mode, type=type,
    )
    return fx.adstocked, fx.saturated
