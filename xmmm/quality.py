"""Is this dataset usable for benchmarking an MMM?  Quality diagnostics from the exact truth.

:func:`check_data_quality` measures, per geo and channel, what makes
parameter recovery hard or impossible (collinear spend, media drowned in
noise, negligible channels, implausible ROAS, saturation never reached or
always reached, carry-over as long as the series, mostly-zero spend) from the
exact ground truth, and returns a :class:`QualityReport`.  Whether a long
table follows the output schema is :func:`xmmm.schema.validate_output_schema`
(re-exported here).  The true curves come from the plan rebuilt from the
Dataset (:meth:`xmmm.plan.Plan.from_dataset`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from xmmm.dataset import channel_activity
from xmmm.detect import table_findings, truth_findings
from xmmm.errors import XmmmWarning
from xmmm.plan import Plan
from xmmm.schema import validate_output_schema

__all__ = ["QualityReport", "check_data_quality", "validate_output_schema", "as_dataset"]


# --------------------------------------------------------------------------- dataset input
_NEEDED = ("spend", "saturated", "contribution", "baseline", "baseline_noise", "y", "roas", "attribution",
           "spend_scale", "channel_coefficient", "adstock_function", "saturation_function")
#: value of ``attrs["xmmm_source"]`` on a Dataset made from a ground-truth dict
GROUND_TRUTH = "ground-truth dict"
_SOURCES = {
    "long table": "a long table (e.g. result['data'])",
    GROUND_TRUTH: "a ground-truth dict (result['ground_truth'])",
}


def _per_geo_channel(values: Mapping, name: str) -> tuple[list[str], list[str], np.ndarray]:
    if not isinstance(values, Mapping) or not all(isinstance(v, Mapping) for v in values.values()):
        raise ValueError(f"ground truth {name!r} must map geo -> channel -> value")
    geos = [str(g) for g in values]
    channels: list[str] = []
    for per_channel in values.values():
        channels += [str(c) for c in per_channel if str(c) not in channels]
    table = np.full((len(geos), len(channels)), np.nan)
    for i, per_channel in enumerate(values.values()):
        for c, v in per_channel.items():
            table[i, channels.index(str(c))] = float(v)
    return geos, channels, table


def _ground_truth_dataset(truth: Mapping) -> xr.Dataset:
    """``roas`` (and ``mroas``, ``attribution`` when present) of the description's ground-truth dict."""
    geos, channels, roas = _per_geo_channel(truth["roas_values"], "roas_values")
    if not geos or not channels:
        raise ValueError("ground truth 'roas_values' is empty")
    data_vars = {"roas": (("geo", "channel"), roas)}
    for var, key in (("mroas", "mroas_values"), ("attribution", "attribution_percentages")):
        if key in truth:
            g, c, values = _per_geo_channel(truth[key], key)
            data_vars[var] = xr.DataArray(values, dims=("geo", "channel"), coords={"geo": g, "channel": c})
    ds = xr.Dataset(data_vars, coords={"geo": geos, "channel": channels}, attrs={"xmmm_source": GROUND_TRUTH})
    return ds.reindex(geo=geos, channel=channels)


def as_dataset(data, needs: Sequence[str] | None = None, *, caller: str = "this function") -> xr.Dataset:
    """The xmmm Dataset of an ``MMMResult``, a Dataset, a long table or a ground-truth dict.

    Parameters
    ----------
    data : MMMResult, xarray.Dataset, pandas.DataFrame or dict
        A generated dataset (``result``, ``result.dataset``, or one read from
        disk); a long table (``result["data"]``, or a frame with
        ``contribution_x<i>-<label>`` columns), read with
        :func:`xmmm.export.from_long_dataframe`; or the ground-truth dict
        ``result["ground_truth"]`` (anything with ``"roas_values"``), which
        gives ``roas`` and, when present, ``mroas`` and ``attribution``
        (geo, channel).
    needs : sequence of str, optional
        Variables the caller requires.  A full generated dataset must hold
        all of xmmm's variables whatever ``needs`` says; a table or a
        ground-truth dict only those in ``needs``.
    caller : str
        Named in the error message.

    Raises
    ------
    TypeError
        Anything else.
    ValueError
        A Dataset without xmmm's variables, one with a ``replicate`` dim, a
        table that cannot be read, or a table or dict without a variable in
        ``needs`` (the message names the caller, the variable, and points to
        the full dataset).
    """
    if isinstance(data, pd.DataFrame):
        from xmmm.export import from_long_dataframe

        ds = from_long_dataframe(data)
    elif isinstance(data, Mapping) and "roas_values" in data:
        ds = _ground_truth_dataset(data)
    else:
        ds = getattr(data, "dataset", data)
    if not isinstance(ds, xr.Dataset):
        raise TypeError(
            "expected an MMMResult (from xmmm.generate_mmm_dataset), its xarray.Dataset, the long table "
            f"result['data'] or the dict result['ground_truth']; got {type(data).__name__}"
        )
    if "replicate" in ds.dims:
        raise ValueError("this takes one dataset; select a replicate first, e.g. study.isel(replicate=0)")
    source = ds.attrs.get("xmmm_source")
    if source is None:
        missing = [v for v in _NEEDED if v not in ds.variables]
        if missing:
            raise ValueError(f"not an xmmm dataset: variable(s) {', '.join(missing)} missing")
        return ds
    missing = [v for v in (needs or ()) if v not in ds.variables]
    if missing:
        raise ValueError(
            f"{caller} needs {', '.join(map(repr, missing))}, which {_SOURCES.get(source, source)} does not hold; "
            f"pass the full dataset (`result` or `result.dataset`), which has {'them' if len(missing) > 1 else 'it'}"
        )
    return ds


def transform_parameters(ds: xr.Dataset, family: str, channel, geos=None) -> tuple:
    """``(spec, numeric, structural)`` of one channel: numeric values are arrays over ``geo``.

    ``geos`` (a list of geo names) selects and orders the geos; default all.
    """
    plan = Plan.from_dataset(ds)
    stage = plan.stages(family)[list(plan.channels).index(str(channel))]
    return stage.transform, plan.numeric(family, channel, geos), dict(stage.options)


def adstock_weights(ds: xr.Dataset, channel) -> np.ndarray:
    """True carry-over weights of one channel, shape (geo, lag)."""
    return Plan.from_dataset(ds).weights(channel)


def half_life(weights: np.ndarray) -> np.ndarray:
    """Periods after its peak until a carry-over kernel has decayed to half the peak weight.

    The half-life an analyst quotes: the weights are interpolated log-linearly
    between lags, so for ``geometric_adstock`` (weights ``alpha ** lag``) it is
    exactly ``ln 0.5 / ln alpha`` -- 1 period for ``alpha = 0.5``.  For delayed
    and Weibull kernels it is counted from the peak.  The kernel is zero after
    its last lag (``l_max``), so a kernel still above half its peak there
    reaches half within the next period (linearly onto the zero); a kernel of
    one lag has half-life 0.

    Parameters
    ----------
    weights : array_like
        Kernel weights, lag last (any leading dims).

    Examples
    --------
    >>> float(half_life([1.0, 0.5, 0.25, 0.125]))
    1.0
    >>> bool(np.isclose(half_life(0.7 ** np.arange(12)), np.log(0.5) / np.log(0.7)))
    True
    """
    w = np.asarray(weights, dtype=float)
    w = np.concatenate([w, np.zeros(w.shape[:-1] + (1,))], axis=-1)  # zero after the last lag
    lags = np.arange(w.shape[-1])
    peak = np.argmax(w, axis=-1)[..., None]
    top = np.take_along_axis(w, peak, axis=-1)
    half = top / 2.0
    j = np.argmax((lags > peak) & (w <= half), axis=-1)[..., None]  # the first lag at or below half the peak
    lo = np.take_along_axis(w, j - 1, axis=-1)
    hi = np.take_along_axis(w, j, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        # log-linear between the two lags (exact for a geometric decay); linear onto a zero weight
        frac = np.where(hi > 0, np.log(lo / half) / np.log(lo / hi), (lo - half) / (lo - hi))
    out = np.where(top > 0, j - 1 - peak + frac, 0.0)
    out = np.where(w.shape[-1] == 2, 0.0, out)  # one lag: all of the effect lands at once
    return out[..., 0]


def saturation_curve(ds: xr.Dataset, channel, x: np.ndarray, geos=None) -> np.ndarray:
    """The true saturation of one channel at scaled inputs ``x`` of shape (geo, n).

    ``geos`` selects the geos whose parameters are used (rows of ``x``); default all.
    """
    return Plan.from_dataset(ds).saturation_curve(channel, x, geos)


def _saturation_ceiling(plan: Plan, channel) -> np.ndarray:
    """Upper limit of the saturation curve per geo; NaN where the curve is unbounded."""
    ceiling = plan.ceiling(channel)
    return np.where(np.isfinite(ceiling) & (ceiling > 0), ceiling, np.nan)


def _elasticity(plan: Plan, channel, x0: np.ndarray) -> np.ndarray:
    """``d log f / d log x`` of the true saturation at ``x0`` (one value per geo)."""
    h = 1e-4
    x = np.stack([x0 * (1 - h), x0 * (1 + h)], axis=-1)
    with np.errstate(all="ignore"):
        lo, hi = plan.saturation_curve(channel, x).T
        e = (np.log(hi) - np.log(lo)) / (np.log1p(h) - np.log1p(-h))
    return np.where((lo > 0) & (hi > 0) & (x0 > 0), e, np.nan)


# --------------------------------------------------------------------------- report
@dataclass
class QualityReport:
    """The outcome of :func:`check_data_quality`.

    Attributes
    ----------
    issues : list of str
        Broken data (schema violations, missing, negative or infinite values);
        any issue makes :attr:`passed` false.
    warnings : list of str
        Legal data that will make parameter recovery hard, each naming the
        channel, the geos and the measured value.
    metrics : xarray.Dataset
        ``zero_spend_share``, ``roas``, ``mroas``, ``attribution``,
        ``saturation_level``, ``saturation_median_level``, ``elasticity``,
        ``adstock_half_life`` (geo, channel); ``signal_to_noise`` and
        ``media_share`` (geo); ``spend_correlation`` (geo, channel,
        other_channel).  From a long table only ``zero_spend_share``,
        ``spend_correlation`` and ``y_mean``, ``y_std``, ``y_min``,
        ``y_max`` (geo); empty when the table cannot be read.  A generated
        dataset with data problems also has ``missing_share``,
        ``outliers_flagged`` and ``outliers_true`` (geo).
    seen : list of str
        Data problems the data show (missing rows, outliers flagged by a
        robust screen) and, for a generated dataset, each problem the truth
        records that a modeller could see, with its size.
    unseen : list of str
        Problems the data cannot show, and why: from a table, the kinds that
        cannot be checked (a placebo channel, spend measurement error, level
        shifts); for a generated dataset, each such problem it has.
    """

    issues: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    metrics: xr.Dataset = field(default_factory=xr.Dataset)
    seen: list[str] = field(default_factory=list)
    unseen: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """No issues (warnings do not fail a dataset)."""
        return not self.issues

    def table(self) -> pd.DataFrame:
        """The (geo, channel) metrics as a DataFrame indexed by (geo, channel)."""
        names = [v for v in self.metrics.data_vars if self.metrics[v].dims == ("geo", "channel")]
        return self.metrics[names].to_dataframe()[names]

    def summary(self) -> str:
        """A readable report: verdict, issues, warnings and the per-channel metrics."""
        m = self.metrics
        verdict = "passed" if self.passed else "FAILED"
        lines = [f"Data quality: {verdict} ({len(self.issues)} issue(s), {len(self.warnings)} warning(s))"]
        if m.sizes:
            lines.append(
                f"{m.sizes.get('geo', 0)} geo(s) x {m.attrs.get('n_dates', '?')} dates, "
                f"{m.sizes.get('channel', 0)} channel(s)"
            )
        for title, items in (("Issues", self.issues), ("Warnings", self.warnings),
                             ("Data problems seen", self.seen), ("Cannot be seen from the data", self.unseen)):
            if items:
                lines.append(f"{title}:")
                lines += [f"  - {item}" for item in items]
        if "roas" in m:
            lines.append("Per channel (mean over geos):")
            cols = {
                "zero_spend_share": ("zero spend", lambda v: f"{100 * v:.0f}%"),
                "roas": ("ROAS", lambda v: f"{v:.3g}"),
                "attribution": ("attribution", lambda v: f"{v:.1f}%"),
                "saturation_level": ("max saturation", lambda v: "n/a" if np.isnan(v) else f"{100 * v:.0f}%"),
                "adstock_half_life": ("half-life", lambda v: f"{v:.1f}"),
            }
            mean = m[list(cols)].mean("geo")
            rows = [["channel", *(label for label, _ in cols.values())]]
            for c in m["channel"].values:
                rows.append([str(c), *(fmt(float(mean[k].sel(channel=c))) for k, (_, fmt) in cols.items())])
            widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
            for r in rows:
                lines.append("  " + "  ".join(v.rjust(w) if i else v.ljust(w) for i, (v, w) in enumerate(zip(r, widths))))
            snr = m["signal_to_noise"]
            lines.append(
                "Signal-to-noise (std of media / std of noise): "
                + ", ".join(f"{g} {float(v):.3g}" for g, v in zip(m["geo"].values, snr.values))
            )
        elif "zero_spend_share" in m:
            lines.append("Long table only (no ground truth): ROAS, attribution, saturation, adstock and "
                         "signal-to-noise not checked.")
            zero = m["zero_spend_share"].mean("geo")
            lines.append("Zero-spend share (mean over geos): "
                         + ", ".join(f"{c} {100 * float(v):.0f}%" for c, v in zip(m["channel"].values, zero.values)))
            if "y_mean" in m:
                lines.append("Mean y: " + ", ".join(f"{g} {float(v):.4g}" for g, v in zip(m["geo"].values,
                                                                                        m["y_mean"].values)))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _geo_list(items: list[tuple[str, float]], fmt: str) -> str:
    return ", ".join(f"{g} ({format(v, fmt)})" for g, v in items)


def check_data_quality(
    data,
    config=None,
    *,
    warn: bool = True,
    max_correlation: float = 0.9,
    min_signal_to_noise: float = 1.0,
    min_attribution: float = 1.0,
    roas_range: tuple[float, float] = (0.05, 20.0),
    max_zero_share: float = 0.8,
    max_half_life_share: float = 0.25,
    linear_level: float = 0.1,
    saturated_level: float = 0.9,
) -> QualityReport:
    """Diagnose what would make a model fail on this dataset, from its exact ground truth.

    Given only the long table (``result["data"]``, a pandas DataFrame) there
    is no ground truth: the report then holds the schema violations of
    :func:`validate_output_schema` as issues (a table that cannot be read at
    all is one more issue, and the report has no metrics), the spend
    correlation and zero-spend warnings, and the metrics the table supports:
    ``zero_spend_share`` (geo, channel), ``spend_correlation`` (geo, channel,
    other_channel) and ``y_mean``, ``y_std``, ``y_min``, ``y_max`` (geo).
    The ground-truth metrics (ROAS, attribution, saturation, elasticity,
    half-life, signal-to-noise, media share) and their warnings are absent,
    not filled with NaN; ``metrics.attrs["source"]`` is ``"long table"``.

    Parameters
    ----------
    data : MMMResult, xarray.Dataset or pandas.DataFrame
        A generated dataset (``result`` or ``result.dataset``), also one read
        back from NetCDF; or its long table ``result["data"]`` (see above).
    config : MMMDataConfig, optional
        With a long table: also check it against this config (columns, rows,
        geos, dates; see :func:`validate_output_schema`).
    warn : bool
        Also emit every warning with :func:`warnings.warn` as
        :class:`~xmmm.errors.XmmmWarning`.
    max_correlation : float
        Warn when the spend of two channels in one geo correlates more than
        this (in absolute value): their effects cannot be told apart.
    min_signal_to_noise : float
        Warn when, in a geo, the standard deviation over time of the total
        media contribution is below this multiple of that of the baseline noise.
    min_attribution : float
        Warn when a channel's share of media contribution (percent) is below this.
    roas_range : (float, float)
        Warn when a channel's true ROAS is outside this range.
    max_zero_share : float
        Warn when a channel spends nothing in more than this share of periods.
    max_half_life_share : float
        Warn when the adstock half-life (see :func:`half_life`) exceeds this
        share of the series length.
    linear_level, saturated_level : float
        For curves with a ceiling: warn when the largest saturated value stays
        below ``linear_level`` of the ceiling (spend never leaves the nearly
        linear start of the curve) or when the median over active periods is
        above ``saturated_level`` (the channel sits on the flat top).

    Returns
    -------
    QualityReport

    Examples
    --------
    >>> import xmmm
    >>> report = check_data_quality(xmmm.generate_mmm_dataset(), warn=False)
    >>> report.passed
    True
    >>> float(report.metrics["zero_spend_share"].sel(geo="geo_a", channel="x-TV"))
    0.0
    >>> from_table = check_data_quality(xmmm.generate_mmm_dataset()["data"], warn=False)
    >>> from_table.passed, "roas" in from_table.metrics
    (True, False)
    """
    if isinstance(data, pd.DataFrame):
        issues = validate_output_schema(data, config)
        try:
            from xmmm.export import from_long_dataframe

            table = as_dataset(from_long_dataframe(data, incomplete="fill"), needs=("spend",),
                               caller="check_data_quality")
        except ValueError as err:
            return QualityReport(issues=[*issues, f"the table cannot be read: {err}"])
        return _table_report(table, issues, warn, max_correlation, max_zero_share)
    ds = as_dataset(data, needs=("spend",), caller="check_data_quality")
    if ds.attrs.get("xmmm_source"):  # read from a table: no ground truth
        return _table_report(ds, _schema_issues(ds), warn, max_correlation, max_zero_share)
    issues = _schema_issues(ds)
    messages: list[str] = []
    for name in ("contribution", "baseline", "y"):
        bad = ~np.isfinite(ds[name].values)
        if bad.any():
            issues.append(f"{name} has {int(bad.sum())} missing or infinite value(s)")

    geos = [str(g) for g in ds["geo"].values]
    channels = [str(c) for c in ds["channel"].values]
    n_dates = ds.sizes["date"]
    # channels without spend (organic media, treatments) are measured on their exposures or values
    spend = channel_activity(ds).transpose("geo", "channel", "date")
    contribution = ds["contribution"].transpose("geo", "channel", "date")
    adstocked = ds["adstocked"].transpose("geo", "channel", "date") if "adstocked" in ds else None
    saturated = ds["saturated"].transpose("geo", "channel", "date")
    kinds = [str(k) for k in ds["channel_kind"].values] if "channel_kind" in ds.coords else ["paid"] * len(channels)
    paid = np.array([k in ("paid", "reach_frequency") for k in kinds])
    media = np.array([k != "treatment" for k in kinds])
    reach_frequency = [k.endswith("reach_frequency") for k in kinds]

    # --- per (geo, channel)
    zero_share = _zero_share(np.abs(spend.values))
    roas = ds["roas"].transpose("geo", "channel").values
    mroas = ds["mroas"].transpose("geo", "channel").values if "mroas" in ds else np.full_like(roas, np.nan)
    attribution = ds["attribution"].transpose("geo", "channel").values
    level = np.full(roas.shape, np.nan)
    median_level = np.full(roas.shape, np.nan)
    elasticity = np.full(roas.shape, np.nan)
    halves = np.full(roas.shape, np.nan)
    plan = Plan.from_dataset(ds)
    for j, c in enumerate(channels):
        ceiling = _saturation_ceiling(plan, c)
        sat = saturated.values[:, j, :]
        active = spend.values[:, j, :] != 0
        if reach_frequency[j]:  # saturation acts on the frequency, before the reach multiplies it
            sat = plan.saturation_curve(c, ds["frequency"].sel(channel=c).transpose("geo", "date").values)
        with np.errstate(invalid="ignore", divide="ignore"):
            level[:, j] = sat.max(axis=-1) / ceiling
            med = np.array([np.median(s[a]) if a.any() else np.nan for s, a in zip(sat, active)])
            median_level[:, j] = med / ceiling
        if adstocked is not None:
            x = (ds["frequency"].sel(channel=c).transpose("geo", "date").values if reach_frequency[j]
                 else adstocked.values[:, j, :])
            typical = np.array([np.median(v[a]) if a.any() else np.nan for v, a in zip(x, active)])
            elasticity[:, j] = _elasticity(plan, c, typical)
        halves[:, j] = half_life(plan.weights(c))

    # --- per geo
    total_media = contribution.sum("channel")
    noise_std = ds["baseline_noise"].transpose("geo", "date").std("date").values
    media_std = total_media.std("date").values
    with np.errstate(invalid="ignore", divide="ignore"):
        snr = np.where(noise_std > 0, media_std / noise_std, np.inf)

    # --- correlation (geo, channel, other_channel)
    corr = _spend_correlation(spend.values)

    metrics = xr.Dataset(
        {
            "zero_spend_share": (("geo", "channel"), zero_share, {"long_name": "Share of periods with zero spend"}),
            "roas": (("geo", "channel"), roas, {"long_name": "True ROAS", "units": "y per currency"}),
            "mroas": (("geo", "channel"), mroas, {"long_name": "True marginal ROAS", "units": "y per currency"}),
            "attribution": (("geo", "channel"), attribution, {"long_name": "Share of media contribution",
                                                              "units": "percent"}),
            "saturation_level": (("geo", "channel"), level, {
                "long_name": "Largest saturated value / ceiling of the curve (NaN: no ceiling)"}),
            "saturation_median_level": (("geo", "channel"), median_level, {
                "long_name": "Median saturated value over active periods / ceiling of the curve"}),
            "elasticity": (("geo", "channel"), elasticity, {
                "long_name": "d log saturation / d log input at the median active input"}),
            "adstock_half_life": (("geo", "channel"), halves, {
                "long_name": "Lag by which half of the carry-over weight has landed", "units": "periods"}),
            "signal_to_noise": (("geo",), snr, {"long_name": "std(total media contribution) / std(baseline noise)"}),
            "media_share": (("geo",), ds["media_share"].values if "media_share" in ds else np.full(len(geos), np.nan),
                            {"long_name": "Media contribution as a share of y", "units": "percent"}),
            "spend_correlation": (("geo", "channel", "other_channel"), corr, {
                "long_name": "Pearson correlation of spend over time"}),
        },
        coords={"geo": geos, "channel": channels, "other_channel": channels},
        attrs={"n_dates": n_dates},
    )

    # --- warnings, one per rule and channel (or channel pair / rule), listing the geos
    def per_channel(mask: np.ndarray, values: np.ndarray, text: str, fmt: str) -> None:
        messages.extend(_per_channel(geos, channels, mask, values, text, fmt))

    messages += _correlation_warnings(corr, geos, channels, max_correlation)
    low = [(geos[g], float(snr[g])) for g in np.flatnonzero(snr < min_signal_to_noise)]
    if low:
        messages.append(
            f"media signal is weak against noise (std of total contribution / std of baseline noise below "
            f"{min_signal_to_noise:g}) in geo(s) {_geo_list(low, '.3g')}; channel effects will be poorly identified"
        )
    spends = zero_share < 1
    if "placebo" in ds:  # a placebo's zero effect is its truth, not a problem (it is reported as unseen)
        spends &= ~ds["placebo"].values.astype(bool)[None, :]
    per_channel(spends & media & (attribution < min_attribution), attribution,
                f"attribution below {min_attribution:g}% of media contribution (negligible, hard to recover)", ".2f")
    lo, hi = roas_range
    per_channel(spends & paid & ((roas < lo) | (roas > hi)), roas, f"true ROAS outside [{lo:g}, {hi:g}]", ".3g")
    per_channel(spends & (level < linear_level), level,
                f"spend never leaves the nearly linear start of the saturation curve (largest saturated value "
                f"below {linear_level:.0%} of the ceiling; saturation parameters cannot be recovered)", ".1%")
    per_channel(spends & (median_level > saturated_level), median_level,
                f"the channel sits saturated (median saturated value above {saturated_level:.0%} of the "
                "ceiling; extra spend adds almost nothing)", ".1%")
    per_channel(halves > max_half_life_share * n_dates, halves,
                f"adstock half-life (periods) longer than {max_half_life_share:g} of the {n_dates}-period series",
                ".0f")
    per_channel(zero_share > max_zero_share, zero_share, f"zero spend in more than {max_zero_share:.0%} of periods",
                ".0%")

    seen: list[str] = []
    unseen: list[str] = []
    if any(v in ds.variables for v in _ISSUE_VARIABLES):
        seen, _, found = table_findings(ds)
        truth_seen, unseen, truth_found = truth_findings(ds, found["_flagged"])
        seen += truth_seen
        _add_findings(metrics, {**found, **truth_found})

    if warn:
        for message in messages:
            warnings.warn(message, XmmmWarning, stacklevel=2)
    return QualityReport(issues=issues, warnings=messages, metrics=metrics, seen=seen, unseen=unseen)


def _schema_issues(ds: xr.Dataset) -> list[str]:
    from xmmm.export import to_long_dataframe

    try:
        return validate_output_schema(to_long_dataframe(ds))
    except Exception as err:  # noqa: BLE001 - a broken dataset is an issue, not a crash
        return [f"the long table cannot be built: {err}"]


def _zero_share(spend: np.ndarray) -> np.ndarray:
    """Share of periods (last axis) with zero spend, among the periods with a value."""
    known = np.isfinite(spend)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(known.any(axis=-1), (known & (spend <= 0)).sum(axis=-1) / known.sum(axis=-1), np.nan)


def _spend_correlation(spend: np.ndarray) -> np.ndarray:
    """Correlation of spend over time between channels, per geo: (geo, channel, date) -> (geo, channel, channel).

    NaN for channels whose spend does not vary (or has missing values) in that geo.
    """
    n_geo, n_channel = spend.shape[:2]
    corr = np.full((n_geo, n_channel, n_channel), np.nan)
    for g in range(n_geo):
        s = spend[g][:, np.isfinite(spend[g]).all(axis=0)]  # the periods with a row
        if s.shape[-1] < 2:
            continue
        ok = s.std(axis=-1) > 0
        if ok.sum() >= 1:
            corr[g][np.ix_(ok, ok)] = np.corrcoef(s[ok]) if ok.sum() > 1 else np.ones((1, 1))
    return corr


def _per_channel(geos, channels, mask: np.ndarray, values: np.ndarray, text: str, fmt: str) -> list[str]:
    out = []
    for j, c in enumerate(channels):
        hit = [(geos[g], float(values[g, j])) for g in np.flatnonzero(mask[:, j])]
        if hit:
            out.append(f"channel {c!r}: {text} in geo(s) {_geo_list(hit, fmt)}")
    return out


def _correlation_warnings(corr: np.ndarray, geos, channels, max_correlation: float) -> list[str]:
    out = []
    for a in range(len(channels)):
        for b in range(a + 1, len(channels)):
            r = corr[:, a, b]
            hit = [(geos[g], float(r[g])) for g in np.flatnonzero(np.abs(np.nan_to_num(r)) > max_correlation)]
            if hit:
                out.append(
                    f"channels {channels[a]!r} and {channels[b]!r}: spend correlation above {max_correlation:g} "
                    f"in absolute value in geo(s) {_geo_list(hit, '.3f')}; their effects cannot be told apart"
                )
    return out


def _table_report(ds: xr.Dataset, issues: list[str], warn: bool, max_correlation: float,
                  max_zero_share: float) -> QualityReport:
    """The checks a table without ground truth supports: spend correlation, zero spend, ``y`` statistics."""
    geos = [str(g) for g in ds["geo"].values]
    channels = [str(c) for c in ds["channel"].values]
    spend = ds["spend"].transpose("geo", "channel", "date").values
    zero_share = _zero_share(spend)
    corr = _spend_correlation(spend)
    metrics = xr.Dataset(
        {
            "zero_spend_share": (("geo", "channel"), zero_share, {"long_name": "Share of periods with zero spend"}),
            "spend_correlation": (("geo", "channel", "other_channel"), corr, {
                "long_name": "Pearson correlation of spend over time"}),
        },
        coords={"geo": geos, "channel": channels, "other_channel": channels},
        attrs={"n_dates": ds.sizes["date"], "source": "long table"},
    )
    if "y" in ds:
        y = ds["y"].transpose("geo", "date").values
        with warnings.catch_warnings():  # a geo whose y is all missing gives NaN, already an issue
            warnings.simplefilter("ignore", RuntimeWarning)
            stats = {"y_mean": np.nanmean(y, axis=-1), "y_std": np.nanstd(y, axis=-1),
                     "y_min": np.nanmin(y, axis=-1), "y_max": np.nanmax(y, axis=-1)}
        for name, values in stats.items():
            metrics[name] = (("geo",), values, {"long_name": f"{name[2:]} of y over time"})
    messages = _correlation_warnings(corr, geos, channels, max_correlation)
    messages += _per_channel(geos, channels, zero_share > max_zero_share, zero_share,
                             f"zero spend in more than {max_zero_share:.0%} of periods", ".0%")
    seen, unseen = [], []
    if "y" in ds:
        seen, unseen, _ = table_findings(ds)  # sentences only: a table's metrics stay what it supports
    if warn:
        for message in messages:
            warnings.warn(message, XmmmWarning, stacklevel=3)
    return QualityReport(issues=issues, warnings=messages, metrics=metrics, seen=seen, unseen=unseen)


def _add_findings(metrics: xr.Dataset, found: Mapping[str, np.ndarray]) -> None:
    longs = {"missing_share": "Share of (date) rows missing from the table",
             "outliers_flagged": "Values of y flagged by the robust outlier screen",
             "outliers_true": "Outlier spikes in the reported y (truth)"}
    for name, values in found.items():
        if not name.startswith("_"):
            metrics[name] = (("geo",), values, {"long_name": longs[name]})


_ISSUE_VARIABLES = ("missing", "outlier", "baseline_break", "placebo", "spend_observed", "y_observed")
