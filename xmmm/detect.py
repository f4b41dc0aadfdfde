"""What a modeller can see of the data problems, and what the truth says about them.

:func:`table_findings` works on what a modeller receives (the long table, or
the observed series of a Dataset): rows missing from the date x geo grid, and
outliers flagged by a robust screen.  :func:`truth_findings` adds, for a
generated Dataset, every configured problem as the truth records it (missing
rows, outlier spikes, structural breaks, placebo channels, spend measurement
error) and whether the data show it.  Each finding is one sentence; problems
that the data cannot show (a placebo channel, measurement error, a level shift
confounded with trend, seasonality and media) are said to be unseen, with why.

Examples
--------
>>> import numpy as np
>>> y = np.array([[10.0, 11.0, 10.0, 60.0, 10.0, 11.0, 10.0, 10.0, 11.0]])
>>> flag_outliers(y)[0].nonzero()[0].tolist()
[3]
"""

from __future__ import annotations

import numpy as np
import xarray as xr

__all__ = ["OUTLIER_THRESHOLD", "flag_outliers", "table_findings", "truth_findings"]

#: robust standard deviations (1.4826 MAD) from the rolling median beyond which a value is flagged
OUTLIER_THRESHOLD = 5.0
#: periods in the rolling median of the outlier screen (centred)
OUTLIER_WINDOW = 7
#: an outlier also moves y by more than this share of the local level (a promotion week is not an outlier)
OUTLIER_MIN_SHARE = 0.1


def _rolling_median(y: np.ndarray, window: int) -> np.ndarray:
    half = window // 2
    padded = np.pad(y, [(0, 0)] * (y.ndim - 1) + [(half, half)], constant_values=np.nan)
    views = np.lib.stride_tricks.sliding_window_view(padded, window, axis=-1)
    import warnings

    with warnings.catch_warnings():  # an all-missing window gives NaN, which flags nothing
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(views, axis=-1)


def flag_outliers(y: np.ndarray, threshold: float = OUTLIER_THRESHOLD, window: int = OUTLIER_WINDOW,
                  min_share: float = OUTLIER_MIN_SHARE) -> np.ndarray:
    """Values far from their rolling median, statistically and materially.

    Flagged: ``|y - median| > threshold * 1.4826 * MAD`` (the residuals' robust
    standard deviation, per series) and ``|y - median| > min_share * median``
    (more than a tenth of the local level by default), so that the ordinary
    ups and downs of promotions and media bursts are not called outliers.

    Parameters
    ----------
    y : numpy.ndarray
        (..., T) series; NaN (missing) is never flagged and is left out of the medians.

    Returns
    -------
    numpy.ndarray of bool, shape of ``y``
    """
    y = np.asarray(y, dtype=float)
    local = _rolling_median(y, window)
    residual = y - local
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mad = np.nanmedian(np.abs(residual - np.nanmedian(residual, axis=-1, keepdims=True)), axis=-1, keepdims=True)
    with np.errstate(invalid="ignore"):
        extreme = np.abs(residual) > threshold * 1.4826 * np.where(mad > 0, mad, np.inf)
        return extreme & (np.abs(residual) > min_share * np.abs(local))


def _dates(ds: xr.Dataset, index) -> str:
    values = ds["date"].values[np.asarray(index)]
    text = ", ".join(str(np.datetime_as_string(d, unit="D")) for d in values[:5])
    return text + (f" (and {len(values) - 5} more)" if len(values) > 5 else "")


def _control_moves(ds: xr.Dataset) -> np.ndarray:
    """(geo, date) True where a control (a promotion, a holiday flag, a price cut) moves away from its local level.

    A spike in ``y`` in such a period may be the control's effect, so the
    screen does not call it an outlier: a move is more than 5 % of the
    control's rolling median (any change from a median of 0).
    """
    if not ds.sizes.get("control") or "control_value" not in ds:
        return np.zeros((ds.sizes["geo"], ds.sizes["date"]), dtype=bool)
    v = ds["control_value"].transpose("geo", "control", "date").values.astype(float)
    local = _rolling_median(v, OUTLIER_WINDOW)
    with np.errstate(invalid="ignore"):
        moved = np.abs(v - local) > 0.05 * np.abs(local)
    return moved.any(axis=1)


UNSEEN = {
    "placebo": "a placebo channel (spend with no effect) looks like any other channel in the data: only a "
               "model's estimate can be checked against it",
    "spend_noise": "measurement error in reported spend cannot be seen without a second source of the same spend",
    "breaks": "a level shift of the baseline cannot be told apart from trend, seasonality and media in the table "
              "alone (the truth records each break: pass the full dataset)",
}


def table_findings(ds: xr.Dataset) -> tuple[list[str], list[str], dict[str, np.ndarray]]:
    """Findings from what a modeller receives: ``(seen, unseen, metrics)``.

    ``ds`` holds ``y`` (or ``y_observed``) as the modeller has it and, when rows
    are missing, the ``missing`` mask; metrics ``missing_share`` and
    ``outliers_flagged`` per geo.
    """
    geos = [str(g) for g in ds["geo"].values]
    y = ds["y_observed" if "y_observed" in ds else "y"].transpose("geo", "date").values
    missing = ds["missing"].transpose("geo", "date").values.astype(bool) if "missing" in ds else np.isnan(y)
    seen: list[str] = []
    n_geo, n_date = missing.shape
    if missing.any():
        everywhere = np.flatnonzero(missing.all(axis=0))
        text = f"{int(missing.sum())} of {missing.size} (date, geo) rows are missing ({100 * missing.mean():.1f} %)"
        if everywhere.size:
            text += f"; {everywhere.size} date(s) in every geo: {_dates(ds, everywhere)}"
        whole = [geos[g] for g in np.flatnonzero(missing.all(axis=1))]
        if whole:
            text += f"; geo(s) with no row at all: {', '.join(whole)}"
        per_geo = [f"{geos[g]} ({100 * missing[g].mean():.0f} %)" for g in range(n_geo) if missing[g].any()]
        seen.append(text + "; per geo: " + ", ".join(per_geo))
    flagged = flag_outliers(np.where(missing, np.nan, y)) & ~_control_moves(ds)
    if flagged.any():
        where = [f"{geos[g]} on {_dates(ds, np.flatnonzero(flagged[g]))}" for g in range(n_geo) if flagged[g].any()]
        seen.append(f"{int(flagged.sum())} value(s) of y look like outliers (no control moves then; more than {OUTLIER_THRESHOLD:g} robust sd "
                    f"and {OUTLIER_MIN_SHARE:.0%} of the level from the {OUTLIER_WINDOW}-period rolling median): "
                    + "; ".join(where))
    metrics = {"missing_share": missing.mean(axis=1), "outliers_flagged": flagged.sum(axis=1).astype(float),
               "_flagged": flagged}
    return seen, [UNSEEN["breaks"], UNSEEN["placebo"], UNSEEN["spend_noise"]], metrics


def truth_findings(ds: xr.Dataset, flagged: np.ndarray) -> tuple[list[str], list[str], dict[str, np.ndarray]]:
    """Findings from the truth of a generated Dataset: ``(seen, unseen, metrics)``.

    Parameters
    ----------
    ds : xarray.Dataset
        A generated dataset with data problems (``missing``, ``outlier``,
        ``baseline_break``, ``placebo``, ``spend_observed``).
    flagged : numpy.ndarray
        (geo, date) the outlier screen's flags on the observed ``y``.
    """
    geos = [str(g) for g in ds["geo"].values]
    seen: list[str] = []
    unseen: list[str] = []
    metrics: dict[str, np.ndarray] = {}
    if "outlier" in ds:
        true = ds["outlier"].transpose("geo", "date").values != 0
        if "missing" in ds:
            true &= ~ds["missing"].transpose("geo", "date").values.astype(bool)
        found = (true & flagged).sum()
        metrics["outliers_true"] = true.sum(axis=1).astype(float)
        if true.any():
            seen.append(f"truth: {int(true.sum())} outlier spike(s) in the reported y (variable 'outlier'); the screen "
                        f"flags {int(found)} of them and {int((flagged & ~true).sum())} other value(s)")
    if "baseline_break" in ds:
        brk = ds["baseline_break"].transpose("geo", "date").values
        step = np.diff(brk, axis=-1)
        noise = ds["baseline_noise"].transpose("geo", "date").std("date").values
        for t in np.unique(np.nonzero(step)[1]):
            hit = np.flatnonzero(step[:, t])
            ratio = np.abs(step[hit, t]) / np.where(noise[hit] > 0, noise[hit], np.nan)
            text = (f"truth: the baseline level shifts on {_dates(ds, [t + 1])} in geo(s) "
                    + ", ".join(f"{geos[g]} ({step[g, t]:+.4g}, {r:.1f} noise sd)" for g, r in zip(hit, ratio))
                    + " (variable 'baseline_break')")
            (seen if np.nanmin(ratio) >= 3 else unseen).append(
                text + ("; large against the noise, but a model without a break term will put it into trend "
                        "or media" if np.nanmin(ratio) >= 3 else "; small against the noise"))
    if "placebo" in ds and ds["placebo"].values.any():
        for c in ds["channel"].values[ds["placebo"].values.astype(bool)]:
            spend = ds["spend"].sel(channel=c).transpose("geo", "date").values
            others = [o for o in ds["channel"].values if o != c and not bool(ds["placebo"].sel(channel=o))]
            best = []
            for o in others:
                other = ds["spend"].sel(channel=o).transpose("geo", "date").values
                r = [np.corrcoef(a, b)[0, 1] if a.std() > 0 and b.std() > 0 else np.nan for a, b in zip(spend, other)]
                best.append((float(np.nanmean(r)) if not np.isnan(r).all() else np.nan, str(o)))
            r, o = max(best, key=lambda v: -np.inf if np.isnan(v[0]) else v[0]) if best else (np.nan, "")
            unseen.append(f"truth: channel {str(c)!r} is a placebo (true effect exactly 0; spend correlation "
                          f"{r:.2f} with {o!r}, mean over geos); " + UNSEEN["placebo"])
    if "spend_observed" in ds:
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = (ds["spend_observed"] / ds["spend"]).where(ds["spend"] > 0)
        cv = ratio.std(["date", "geo"]).values
        noisy = [(str(c), float(v)) for c, v in zip(ds["channel"].values, cv) if np.isfinite(v) and v > 0]
        if noisy:
            unseen.append("truth: reported spend has measurement error (variable 'spend_observed' vs 'spend'; "
                          "realised CV " + ", ".join(f"{c} {v:.2f}" for c, v in noisy) + "); " + UNSEEN["spend_noise"])
    return seen, unseen, metrics
