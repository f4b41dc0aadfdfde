"""Spend and control-value patterns over whole (replicate, geo, series, date) arrays.

A series is a channel's spend or a control's values.  Its value is

.. math:: v_{r,g,s,t} = L_{r,g,s} \\; m_{s}(t) \\; a_{r,g,s,t} \\; \\varepsilon_{r,g,s,t}

* ``L``: the level (``base_spend`` / ``base_value`` times the regional factor);
* ``m``: the deterministic shape of the pattern (below), mean 1 while active;
* ``a``: activity, 1 or 0 (``on_off`` bursts; 1 for every other pattern);
* ``epsilon``: log-normal noise with mean 1 and coefficient of variation
  ``cv`` (``spend_volatility`` / ``value_volatility``):
  ``exp(sigma * z - sigma**2 / 2)`` with ``sigma**2 = log(1 + cv**2)``.

Shapes ``m(t)`` (``t = 0 .. n-1`` is the period number):

* every pattern but ``custom`` carries the trend
  ``trend(t) = max(0, 1 + spend_trend * t) / mean_t max(0, 1 + spend_trend * t)``,
  so the level is the mean over the series and ``m(t) / m(0) = 1 + spend_trend * t``;
* ``linear_trend``: ``m(t) = trend(t)``;
* ``seasonal``: ``m(t) = trend(t) * (1 + A * sin(2 pi y(t) + phi))`` where ``y(t)`` is
  the calendar position of the date within its year (so the cycle is annual
  for any frequency) and ``A`` in [0, 1] the ``seasonal_amplitude``;
* ``delayed_start``: ``m(t) = trend(t) * ramp(t)``, ``ramp = 0`` before
  ``start_period``, ``(t - start + 1) / ramp_up_periods`` while ramping (capped
  at 1), and 0 again from ``end_period`` on;
* ``on_off``: ``m(t) = trend(t)``, and ``a`` switches between bursts of
  uniform length on ``[min_active_periods, max_active_periods]`` and gaps of at
  least one period whose length is geometric with the mean that makes the
  long-run active share equal ``activation_probability`` (when the burst
  bounds allow it; ``p = 1`` is always on);
* ``custom``: ``m(t)`` is the user function's output (currency), with level 1
  times the regional factor and no noise added.  The function is called once
  per (replicate, geo) as ``f(channel, dates, seed)`` -- or
  ``f(channel, dates, seed, geo=name)`` when it takes a ``geo`` argument --
  with a ``seed`` of its own for every (replicate, geo, series), named like
  every other stream.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from numba import prange

from xmmm.config import PatternSpec
from xmmm.errors import ConfigError
from xmmm.kernels._numba import series_kernel
from xmmm.random import normals, stream_keys, uniforms

__all__ = ["year_fraction", "pattern_values", "lognormal_noise", "on_off_activity"]


def year_fraction(dates: pd.DatetimeIndex) -> np.ndarray:
    """Position of each date within its calendar year, in [0, 1)."""
    days_in_year = np.where(dates.is_leap_year, 366.0, 365.0)
    return (np.asarray(dates.day_of_year, dtype=float) - 1.0) / days_in_year


def lognormal_noise(z: np.ndarray, cv: np.ndarray) -> np.ndarray:
    """Mean-one log-normal factors with coefficient of variation ``cv`` from normals ``z``."""
    sigma = np.sqrt(np.log1p(np.square(cv)))
    return np.exp(sigma * z - 0.5 * sigma * sigma)


def _param(specs: Sequence[PatternSpec], name: str) -> np.ndarray:
    return np.array([getattr(s, name) for s in specs], dtype=float)


def _shapes(specs: Sequence[PatternSpec], dates: pd.DatetimeIndex) -> np.ndarray:
    """Deterministic shapes ``m`` (S, T) of every series, computed per pattern kind."""
    n = len(dates)
    t = np.arange(n, dtype=float)
    pattern = np.array([s.kind for s in specs])
    trend_raw = np.maximum(0.0, 1.0 + _param(specs, "trend")[:, None] * t)
    mean = trend_raw.mean(axis=1, keepdims=True)
    shape = np.divide(trend_raw, mean, out=np.zeros_like(trend_raw), where=mean > 0)

    seasonal = pattern == "seasonal"
    if seasonal.any():
        amp = _param(specs, "seasonal_amplitude")[seasonal, None]
        phase = _param(specs, "seasonal_phase")[seasonal, None]
        shape[seasonal] *= 1.0 + amp * np.sin(2.0 * np.pi * year_fraction(dates) + phase)

    delayed = pattern == "delayed_start"
    if delayed.any():
        start = _param(specs, "start_period")[delayed, None]
        ramp = np.maximum(_param(specs, "ramp_up_periods")[delayed, None], 1.0)
        end = np.array([s.end_period if s.end_period is not None else n for s in specs], float)
        ramp_factor = np.clip((t - start + 1.0) / ramp, 0.0, 1.0)
        ramp_factor[t >= end[delayed, None]] = 0.0
        shape[delayed] *= ramp_factor
    return shape


def pattern_values(
    specs: Sequence[PatternSpec],
    dates: pd.DatetimeIndex,
    geo_names: Sequence[str],
    levels: np.ndarray,
    *,
    seed: int,
    role: str,
    replicates: Sequence[int],
) -> np.ndarray:
    """Values of every series in every geo and replicate.

    Parameters
    ----------
    specs : sequence of PatternSpec
        One per series (the series axis): ``ChannelConfig.pattern_spec`` or
        ``ControlConfig.pattern_spec``.
    dates : pandas.DatetimeIndex
    geo_names : sequence of str
    levels : numpy.ndarray, shape (R, G, S)
        Level of each series (base level times the regional factor).
    seed : int
    role : str
        ``"spend"`` or ``"control"``; part of every stream's name.
    replicates : sequence of int
        Replicate numbers (R of them).

    Returns
    -------
    numpy.ndarray, shape (R, G, S, T)
        Non-negative values.
    """
    n = len(dates)
    names = [s.name for s in specs]
    shape = _shapes(specs, dates)  # (S, T)
    noise_keys = stream_keys(seed, f"{role}_noise", geo_names, names, replicates=replicates)
    cv = _param(specs, "volatility")[None, None, :, None]
    values = levels[..., None] * shape * lognormal_noise(normals(noise_keys, n), cv)

    on_off = np.array([s.kind == "on_off" for s in specs])
    if on_off.any():
        idx = np.flatnonzero(on_off)
        burst_keys = stream_keys(seed, f"{role}_bursts", geo_names, [names[i] for i in idx], replicates=replicates)
        active = on_off_activity(
            uniforms(burst_keys, n + 1),
            _param(specs, "activation_probability")[idx],
            _param(specs, "min_active_periods")[idx],
            _param(specs, "max_active_periods")[idx],
        )
        values[:, :, idx, :] *= active

    custom = [i for i, s in enumerate(specs) if s.kind == "custom"]
    if custom:
        # one seed per (replicate, geo, series), named like every other stream
        seeds = stream_keys(seed, f"{role}_custom", geo_names, [names[i] for i in custom], replicates=replicates)
        for j, i in enumerate(custom):
            values[:, :, i, :] = levels[:, :, i, None] * _custom_values(specs[i], dates, geo_names, seeds[:, :, j])
    return values


def _takes_geo(func: Callable) -> bool:
    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature
        return False
    return any(p.name == "geo" or p.kind is p.VAR_KEYWORD for p in parameters)


def _custom_values(spec: PatternSpec, dates: pd.DatetimeIndex, geo_names: Sequence[str],
                   keys: np.ndarray) -> np.ndarray:
    """The user function's series for every (replicate, geo): shape keys.shape + (n,).

    User callbacks cannot be vectorised: one call per (replicate, geo).
    """
    field = f"{spec.name!r}.custom_pattern_func"
    func, n = spec.custom, len(dates)
    with_geo = _takes_geo(func)
    out = np.empty(keys.shape + (n,))
    for r, g in np.ndindex(keys.shape):
        series_seed = int(keys[r, g] >> np.uint64(1))
        kwargs = {"geo": str(geo_names[g])} if with_geo else {}
        try:
            result = func(spec.source, dates, series_seed, **kwargs)
        except Exception as err:  # the user's function failed: say whose
            raise ConfigError(f"{field} raised {type(err).__name__}: {err}") from err
        out[r, g] = _checked(result, field, n)
    return out


def _checked(result, field: str, n: int) -> np.ndarray:
    try:
        arr = np.asarray(result, dtype=float)
    except (TypeError, ValueError):
        raise ConfigError(f"{field} must return an array of {n} numbers; got {type(result).__name__}") from None
    if arr.shape != (n,):
        raise ConfigError(f"{field} must return an array of shape ({n},) (one value per period); got {arr.shape}")
    if not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise ConfigError(f"{field} must return finite values; got {arr[bad]} at period {bad}")
    if (arr < 0).any():
        bad = int(np.flatnonzero(arr < 0)[0])
        raise ConfigError(f"{field} must return non-negative values; got {arr[bad]} at period {bad}")
    return arr


def on_off_activity(
    u: np.ndarray, probability: np.ndarray, min_len: np.ndarray, max_len: np.ndarray
) -> np.ndarray:
    """0/1 activity of on/off series from uniform draws.

    Parameters
    ----------
    u : numpy.ndarray, shape (..., S, T + 1)
        Uniform draws, one stream per series.
    probability, min_len, max_len : numpy.ndarray, shape (S,)
        Long-run active share and burst length bounds per series.

    Returns
    -------
    numpy.ndarray, shape (..., S, T)
    """
    n = u.shape[-1] - 1
    lead = u.shape[:-2]
    s = u.shape[-2]
    flat = np.ascontiguousarray(u).reshape(-1, u.shape[-1])
    reps = flat.shape[0] // s
    p = np.tile(np.asarray(probability, float), reps)
    lo = np.tile(np.asarray(min_len, float), reps)
    hi = np.tile(np.asarray(max_len, float), reps)
    out = np.zeros((flat.shape[0], n))
    _on_off_kernel(flat, p, lo, hi, out)
    return out.reshape(lead + (s, n))


def max_active_share(min_len: float, max_len: float) -> float:
    """Highest active share bursts of these lengths reach with one-period gaps."""
    mean_burst = 0.5 * (min_len + max_len)
    return mean_burst / (mean_burst + 1.0)


@series_kernel
def _on_off_kernel(u, p, lo, hi, out):
    n = out.shape[1]
    for s in prange(out.shape[0]):
        prob = p[s]
        if prob <= 0.0:
            continue
        if prob >= 1.0:
            for t in range(n):
                out[s, t] = 1.0
            continue
        mean_burst = 0.5 * (lo[s] + hi[s])
        # mean gap that makes the long-run share equal prob, at least one period
        mean_gap = mean_burst * (1.0 - prob) / prob
        extra = mean_gap - 1.0
        stay = extra / (1.0 + extra) if extra > 0.0 else 0.0
        k = 0
        t = 0
        active = u[s, k] < prob
        k += 1
        while t < n:
            if active:
                length = int(lo[s] + np.floor(u[s, k] * (hi[s] - lo[s] + 1.0)))
                if length > hi[s]:
                    length = int(hi[s])
                for j in range(t, min(t + length, n)):
                    out[s, j] = 1.0
            else:
                length = 1
                if stay > 0.0:
                    length += int(np.floor(np.log(u[s, k]) / np.log(stay)))
            k += 1
            t += length
            active = not active

