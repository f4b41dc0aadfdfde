r"""Data problems (``MMMDataConfig.data_issues``): what the modeller receives, and where it differs.

Three jobs, each only when configured:

* :func:`with_placebos` -- the spend of placebo channels, made from their
  source channel's natural spend (shift, permute or mix; the streams
  ``placebo_shift`` / ``placebo_permute`` of each (replicate, geo, placebo));
  a placebo's coefficient is 0, so its true effect is exactly 0;
* :func:`level_breaks` -- structural breaks of the baseline level,
  ``baseline_break = L_g size 1[t >= date]`` (real: part of ``y``);
* :func:`observed` -- what a modeller would receive: ``missing`` (date, geo)
  rows (listed spans and random gaps from the streams ``missing_start`` /
  ``missing_length``), ``outlier`` spikes added to the reported outcome
  (streams ``outlier_position`` / ``outlier_size`` / ``outlier_sign``),
  ``y_observed = y + outlier`` and ``spend_observed = spend x error`` (log-normal
  measurement error with mean 1, stream ``spend_measurement`` of each
  (replicate, geo, channel)), both NaN where a row is missing.  The truth
  keeps the true series.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from xmmm.kernels.timeseries import gap_mask
from xmmm.patterns import lognormal_noise
from xmmm.plan import Plan
from xmmm.random import normals, stream_keys, uniforms

__all__ = ["level_breaks", "observed", "with_placebos", "mix_weight"]


def _issues(plan: Plan):
    return plan.config.data_issues


def _keys(plan: Plan, role: str, *axes) -> np.ndarray:
    return stream_keys(plan.seed, role, plan.geos, *axes, replicates=plan.replicates)


# --------------------------------------------------------------------------- placebo channels
def mix_weight(r: np.ndarray, rho: float) -> np.ndarray:
    r"""The weight ``w`` in [0, 1] of ``x = (1 - w) s + w p`` with ``corr(x, s) = rho``.

    ``s`` and ``p`` have the same variance (``p`` is a permutation of ``s``) and
    sample correlation ``r``.  With ``a = 1 - w``,
    ``corr = (a + w r) / sqrt(a^2 + w^2 + 2 a w r)``; squaring gives a
    quadratic in ``w`` whose root in [0, 1] is taken.  Where ``rho <= r`` no
    mixing can lower the correlation to ``rho`` and ``w = 1`` (the permuted
    copy, correlation ``r``).

    Examples
    --------
    >>> float(mix_weight(np.array(0.0), np.sqrt(0.5)).round(12))     # equal parts of two uncorrelated series
    0.5
    """
    r = np.asarray(r, dtype=float)
    q = rho * rho
    # ((1-w) + w r)^2 = q ((1-w)^2 + w^2 + 2 w (1-w) r), as A w^2 + B w + C = 0
    a2 = (r - 1.0) ** 2 - q * (2.0 - 2.0 * r)
    b1 = 2.0 * (r - 1.0) - q * (-2.0 + 2.0 * r)
    c0 = 1.0 - q
    with np.errstate(invalid="ignore", divide="ignore"):
        disc = np.sqrt(np.maximum(b1 * b1 - 4.0 * a2 * c0, 0.0))
        roots = np.stack([(-b1 - disc) / (2.0 * a2), (-b1 + disc) / (2.0 * a2)])
        linear = -c0 / b1
    roots = np.where(np.abs(a2) < 1e-14, linear, roots)
    ok = (roots >= 0.0) & (roots <= 1.0)
    # the correlation falls from 1 at w = 0: its first crossing of rho is the smaller root
    w = np.where(ok, roots, np.inf).min(axis=0)
    return np.where((rho <= r) | ~np.isfinite(w), 1.0, w)


def with_placebos(plan: Plan, spend: np.ndarray) -> np.ndarray:
    """``spend`` (R, G, S, T) with each placebo channel's series made from its source's."""
    issues = _issues(plan)
    if issues is None or not issues.placebo:
        return spend
    out = spend.copy()
    n = spend.shape[-1]
    t = np.arange(n)
    names = list(plan.channels)
    for placebo in issues.placebo:  # a loop over placebo channels (one or two), each on the whole stack
        j, source = names.index(placebo.channel), spend[:, :, names.index(placebo.source), :]
        if placebo.method == "shift":
            if placebo.lag is not None:
                lag = np.full(source.shape[:-1], placebo.lag)
            else:  # uniform on 1 .. n - 1 per (replicate, geo), as pymc-marketing's add_placebo_channel
                u = uniforms(_keys(plan, "placebo_shift", [placebo.channel]), 1)[..., 0, 0]
                lag = 1 + np.minimum((u * (n - 1)).astype(int), n - 2)
            out[:, :, j, :] = np.take_along_axis(source, (t - lag[..., None]) % n, axis=-1)
            continue
        order = np.argsort(uniforms(_keys(plan, "placebo_permute", [placebo.channel]), n)[..., 0, :], axis=-1)
        permuted = np.take_along_axis(source, order, axis=-1)
        if placebo.method == "permute":
            out[:, :, j, :] = permuted
            continue
        s = source - source.mean(axis=-1, keepdims=True)
        p = permuted - permuted.mean(axis=-1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = (s * p).sum(axis=-1) / (s * s).sum(axis=-1)
        w = np.where(np.isfinite(r), mix_weight(np.nan_to_num(r), placebo.correlation), 0.0)[..., None]
        out[:, :, j, :] = (1.0 - w) * source + w * permuted
    return out


# --------------------------------------------------------------------------- structural breaks
def _in_geos(plan: Plan, geos) -> np.ndarray:
    return np.array([geos is None or g in geos for g in plan.geos])


def level_breaks(plan: Plan) -> np.ndarray | None:
    """(R, G, T) sum of the configured level shifts; ``None`` without breaks."""
    issues = _issues(plan)
    if issues is None or not issues.breaks:
        return None
    dates = plan.dates
    step = np.zeros((len(plan.geos), len(dates)))
    for brk in issues.breaks:  # a loop over configured breaks, each on every geo and date
        on = _in_geos(plan, brk.geos)[:, None] & np.asarray(dates >= pd.Timestamp(brk.date))[None, :]
        step = step + np.where(on, brk.size, 0.0)
    return plan.level[..., None] * step


# --------------------------------------------------------------------------- the modeller's view
def missing_mask(plan: Plan) -> np.ndarray:
    """(R, G, T) True where the modeller has no row."""
    issues = _issues(plan)
    n = len(plan.dates)
    shape = (len(plan.replicates), len(plan.geos), n)
    mask = np.zeros(shape, dtype=bool)
    dates = plan.dates
    for gap in issues.missing:
        start = pd.Timestamp(gap.start) if gap.start is not None else dates[0]
        end = pd.Timestamp(gap.end) if gap.end is not None else dates[-1]
        span = np.asarray((dates >= start) & (dates <= end))
        mask |= _in_geos(plan, gap.geos)[:, None] & span[None, :]
    if issues.missing_share > 0:
        mask |= gap_mask(uniforms(_keys(plan, "missing_start"), n), uniforms(_keys(plan, "missing_length"), n),
                         issues.missing_share, issues.missing_run)
    return mask


def observed(plan: Plan, arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``missing``, ``outlier``, ``y_observed`` (R, G, T) and ``spend_observed`` (R, G, S, T)."""
    issues = _issues(plan)
    if issues is None or not issues.any:
        return {}
    y, spend = arrays["y"], arrays["spend"]
    n = y.shape[-1]
    missing = missing_mask(plan)
    outlier = np.zeros_like(y)
    if issues.outlier_share > 0:
        hit = uniforms(_keys(plan, "outlier_position"), n) < issues.outlier_share
        size = issues.outlier_size * plan.level[..., None] * (0.5 + uniforms(_keys(plan, "outlier_size"), n))
        sign = np.where(uniforms(_keys(plan, "outlier_sign"), n) < issues.outlier_up, 1.0, -1.0)
        outlier = np.where(hit, np.maximum(sign * size, -y), 0.0)  # a drop reports at worst 0
    cv = np.array(issues.spend_noise_of(list(plan.channels)))
    reported = spend
    if (cv > 0).any():
        z = normals(_keys(plan, "spend_measurement", plan.channels), n)
        reported = spend * lognormal_noise(z, np.broadcast_to(cv[None, None, :, None], z.shape))
    return {
        "missing": missing,
        "outlier": outlier,
        "y_observed": np.where(missing, np.nan, y + outlier),
        "spend_observed": np.where(missing[:, :, None, :], np.nan, reported),
    }
