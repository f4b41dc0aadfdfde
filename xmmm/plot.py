"""Figures a modeller can read at a glance, drawn from a dataset's exact ground truth.

Every function takes an ``MMMResult`` or its ``xarray.Dataset`` (also one read
back from NetCDF), a ``geos=`` selector (``None`` = all geos, one name, or a
list) and returns the :class:`matplotlib.figure.Figure`.  Multi-geo data is
drawn as one panel per geo; functions that need only one axes also accept
``ax=`` (then exactly one geo, or for :func:`plot_response_curves` one
channel, must be selected).  Each channel keeps the same colour in every
figure.

:class:`ResultPlotter` bundles the functions as methods (``result.plot``),
and :func:`save_all_plots` writes every figure as a PNG.

The functions that need no ground truth also take the long table
``result["data"]`` (:func:`plot_channel_spend`, :func:`plot_regional_comparison`
and :func:`plot_data_quality`, the last two then without the decomposition
and media-share panels); :func:`plot_channel_contributions` takes a frame with
``contribution_x<i>-<label>`` columns such as
``result["ground_truth"]["transformed_spend"].reset_index()`` and
:func:`plot_roas_comparison` the dict ``result["ground_truth"]``.  Channels read
from a table are named by their column label (``TV`` for ``x1-TV``).  Given
data without what it needs, a function raises a ValueError that names it.

Importing :mod:`xmmm` does not import matplotlib; this module does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from os import PathLike
from pathlib import Path

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.figure import Figure
from matplotlib.ticker import EngFormatter

from xmmm.dataset import channel_activity
from xmmm.plan import Plan
from xmmm.quality import _NEEDED, adstock_weights, as_dataset, check_data_quality, half_life

__all__ = [
    "PLOT_NAMES",
    "ResultPlotter",
    "plot_names",
    "plot_adstock_kernels",
    "plot_budget_response",
    "plot_channel_contributions",
    "plot_channel_spend",
    "plot_data_issues",
    "plot_data_quality",
    "plot_media_inputs",
    "plot_regional_comparison",
    "plot_response_curves",
    "plot_roas_comparison",
    "plot_time_variation",
    "save_all_plots",
]

_PER = {"D": "day", "B": "business day", "W": "week", "M": "month", "Q": "quarter", "Y": "year", "A": "year",
        "H": "hour", "h": "hour"}
_BASE_COLOR = "0.78"
#: above this many channels, kernels are lines rather than grouped bars
_MAX_GROUPED_BARS = 5
#: above this many (geo, channel) bars, ROAS is summarised per channel over geos
_MAX_ROAS_BARS = 60


# --------------------------------------------------------------------------- helpers
def _period(ds: xr.Dataset) -> str:
    """'week' for weekly data (from the ``frequency`` attribute), else 'period'."""
    freq = str(ds.attrs.get("frequency", ""))
    letters = "".join(ch for ch in freq if ch.isalpha())
    return _PER.get(letters[:1], "period") if letters else "period"


def _select(ds: xr.Dataset, dim: str, wanted) -> list[str]:
    names = [str(v) for v in ds[dim].values]
    if wanted is None:
        return names
    chosen = [wanted] if isinstance(wanted, str) else [str(w) for w in wanted]
    unknown = [w for w in chosen if w not in names]
    if unknown or not chosen:
        raise ValueError(f"unknown {dim}(s) {', '.join(map(repr, unknown)) or '(none selected)'}; "
                         f"valid: {', '.join(names)}")
    return chosen


def _channel_colors(ds: xr.Dataset) -> dict[str, tuple]:
    names = [str(c) for c in ds["channel"].values]
    cmap = plt.get_cmap("tab10" if len(names) <= 10 else "tab20")
    return {c: cmap(i % cmap.N) for i, c in enumerate(names)}


def _geo_colors(geos: Sequence[str]) -> dict[str, tuple]:
    cmap = plt.get_cmap("Dark2" if len(geos) <= 8 else "viridis")
    if len(geos) <= 8:
        return {g: cmap(i) for i, g in enumerate(geos)}
    return {g: cmap(i / max(len(geos) - 1, 1)) for i, g in enumerate(geos)}


def _facets(n: int, ax, *, what: str, panel=(5.2, 3.0), sharex=True, sharey=False, suptitle: str | None = None):
    """A figure with ``n`` panels (or the given ``ax`` when ``n == 1``); unused panels removed."""
    if ax is not None:
        if n != 1:
            raise ValueError(f"ax= draws one panel; select a single {what} (got {n}), or leave ax out")
        return ax.figure, [ax]
    if n == 1:
        panel = (max(panel[0], 8.0), max(panel[1], 4.0))
    ncols = n if n <= 3 else 2 if n == 4 else 3 if n <= 9 else 4
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel[0] * ncols, panel[1] * nrows + 0.6), squeeze=False,
                             sharex=sharex, sharey=sharey, layout="constrained")
    flat = list(axes.ravel())
    for extra in flat[n:]:
        extra.remove()
    if suptitle:
        fig.suptitle(suptitle, fontweight="bold")
    return fig, flat[:n]


def _date_axis(ax) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=7)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _finish_x(axes, xlabel: str) -> None:
    """X tick labels and label on the lowest panel of each column only (panels share x)."""
    for a in axes:
        ss = a.get_subplotspec()
        below = ss is not None and any(
            b.get_subplotspec() is not None
            and b.get_subplotspec().colspan == ss.colspan
            and b.get_subplotspec().rowspan.start > ss.rowspan.start
            for b in axes
        )
        a.tick_params(axis="x", labelbottom=not below)
        a.set_xlabel("" if below else xlabel)


def _single_title(fig, axes, single: str, multi: str, geo_names: list[str]) -> None:
    """One geo: the panel's title says everything; several: a figure title and geo names per panel."""
    if len(axes) == 1:
        axes[0].set_title(f"{single} — {geo_names[0]}" if geo_names else single)
    else:
        fig.suptitle(multi, fontweight="bold")
        for a, g in zip(axes, geo_names):
            a.set_title(g)


def _legend(fig, axes, own_figure: bool, handles=None, labels=None) -> None:
    """Outside the panels on figures made here; inside the user's ``ax`` otherwise."""
    if handles is None:
        handles, labels = axes[0].get_legend_handles_labels()
    if not handles:
        return
    if not own_figure:
        axes[0].legend(handles, labels, fontsize="small")
    elif len(axes) == 1:
        fig.legend(handles, labels, loc="outside right upper", fontsize="small")
    else:
        fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 6), fontsize="small")


# --------------------------------------------------------------------------- spend
def plot_channel_spend(data, *, geos=None, channels=None, ax=None) -> Figure:
    """Spend of each channel over time, one panel per geo.

    Parameters
    ----------
    data : MMMResult, xarray.Dataset or pandas.DataFrame
        Also the long table ``result["data"]``.
    geos, channels : str or list of str, optional
        Which geos (panels) and channels (lines); default all.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes (one geo only).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import xmmm
    >>> fig = plot_channel_spend(xmmm.generate_mmm_dataset(n_periods=52), geos="geo_a")
    """
    ds = as_dataset(data, needs=("spend",), caller="plot_channel_spend")
    geo_names = _select(ds, "geo", geos)
    chans = _select(ds, "channel", channels)
    colors = _channel_colors(ds)
    fig, axes = _facets(len(geo_names), ax, what="geo", sharey=True)
    period = _period(ds)
    top = 0.0
    for a, g in zip(axes, geo_names):
        spend = ds["spend"].sel(geo=g)
        for c in chans:
            values = spend.sel(channel=c).values
            a.plot(ds["date"].values, values, color=colors[c], lw=1.4, label=c)
            top = max(top, float(np.nanmax(values, initial=0.0)))
        a.set_ylabel(f"spend (currency per {period})")
        a.grid(alpha=0.3)
        _date_axis(a)
    # the panels share y: one limit that holds the highest spend of any panel (setting it per
    # panel would freeze the first panel's range for all of them)
    for a in axes:
        a.set_ylim(0, top * 1.05 if top > 0 else 1.0)
    _finish_x(axes, "date")
    _single_title(fig, axes, "Channel spend", "Channel spend over time", geo_names)
    _legend(fig, axes, own_figure=ax is None)
    return fig


# --------------------------------------------------------------------------- contributions
def plot_channel_contributions(data, *, geos=None, channels=None, kind: str = "area", baseline: bool = False,
                               ax=None) -> Figure:
    """True contribution of each channel to ``y`` over time, one panel per geo.

    Parameters
    ----------
    data : MMMResult, xarray.Dataset or pandas.DataFrame
        Also a frame with ``date``, ``geo`` and ``contribution_x<i>-<label>``
        columns, e.g. ``result["ground_truth"]["transformed_spend"].reset_index()``
        (then without ``baseline=True``).
    geos, channels : str or list of str, optional
    kind : {"area", "line"}
        Stacked areas (the stack's top is the total media effect) or one line per channel.
    baseline : bool
        Stack the channels on top of the baseline plus control effects and draw
        ``y`` as a black line: the decomposition of ``y``, exactly.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes (one geo only).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if kind not in ("area", "line"):
        raise ValueError(f"kind must be 'area' or 'line'; got {kind!r}")
    needs = ("contribution", "baseline", "y") if baseline else ("contribution",)
    caller = "plot_channel_contributions" + (" with baseline=True" if baseline else "")
    ds = as_dataset(data, needs=needs, caller=caller)
    geo_names = _select(ds, "geo", geos)
    chans = _select(ds, "channel", channels)
    colors = _channel_colors(ds)
    fig, axes = _facets(len(geo_names), ax, what="geo", sharey=False)
    dates = ds["date"].values
    period = _period(ds)
    for a, g in zip(axes, geo_names):
        contrib = ds["contribution"].sel(geo=g)
        series = [contrib.sel(channel=c).values for c in chans]
        base = np.zeros(len(dates))
        if baseline:
            base = ds["baseline"].sel(geo=g).values
            if "control_effect" in ds and ds.sizes.get("control", 0):
                base = base + ds["control_effect"].sel(geo=g).sum("control").values
            if kind == "area":
                a.fill_between(dates, 0, base, color=_BASE_COLOR, lw=0, label="baseline + controls")
            else:
                a.plot(dates, base, color="0.5", lw=1.2, label="baseline + controls")
        if kind == "area":
            bottom = base
            for c, v in zip(chans, series):
                a.fill_between(dates, bottom, bottom + v, color=colors[c], lw=0, alpha=0.9, label=c)
                bottom = bottom + v
        else:
            for c, v in zip(chans, series):
                a.plot(dates, v, color=colors[c], lw=1.4, label=c)
        if baseline:
            a.plot(dates, ds["y"].sel(geo=g).values, color="black", lw=1.0, label="y (sales)")
        a.set_ylabel(f"{'y' if baseline else 'contribution'} (units of y per {period})")
        if not baseline:
            a.set_ylim(bottom=0)
        a.grid(alpha=0.3)
        _date_axis(a)
    _finish_x(axes, "date")
    what = "Decomposition of y" if baseline else "Channel contributions"
    _single_title(fig, axes, what, f"{what} over time", geo_names)
    _legend(fig, axes, own_figure=ax is None)
    return fig


# --------------------------------------------------------------------------- ROAS
def plot_roas_comparison(data, *, geos=None, channels=None, mroas: bool = False, ax=None) -> Figure:
    """True ROAS per channel, bars grouped by geo (one colour per channel).

    With more than 60 (geo, channel) pairs the figure summarises instead: one
    bar per channel at the mean over geos, each geo a dot.

    Parameters
    ----------
    data : MMMResult, xarray.Dataset or dict
        Also the ground-truth dict ``result["ground_truth"]`` (its
        ``roas_values`` and ``mroas_values``).
    geos, channels : str or list of str, optional
    mroas : bool
        Also mark the marginal ROAS of each bar (a black diamond).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    ds = as_dataset(data, needs=("roas",), caller="plot_roas_comparison")
    geo_names = _select(ds, "geo", geos)
    chans = _select(ds, "channel", channels)
    colors = _channel_colors(ds)
    roas = ds["roas"].sel(geo=geo_names, channel=chans).transpose("geo", "channel").values
    summary = roas.size > _MAX_ROAS_BARS
    own = ax is None
    if ax is None:
        n_slots = len(chans) if summary else len(geo_names) * (len(chans) + 1)
        fig, ax = plt.subplots(figsize=(min(18.0, max(6.0, 1.0 + 0.45 * n_slots)), 4.2), layout="constrained")
    fig = ax.figure
    if summary:
        # one bar per channel (mean over geos), the geos as dots: hundreds of bars are unreadable
        x = np.arange(len(chans))
        ax.bar(x, roas.mean(axis=0), color=[colors[c] for c in chans], alpha=0.6, label="mean over geos")
        jitter = np.linspace(-0.25, 0.25, len(geo_names))
        for j in range(len(chans)):
            ax.plot(x[j] + jitter, roas[:, j], ls="none", marker="o", ms=3, color="0.2",
                    label="one geo" if j == 0 else "_geo")
            if mroas and "mroas" in ds:
                m = ds["mroas"].sel(geo=geo_names, channel=chans[j]).values
                ax.plot([x[j]], [m.mean()], ls="none", marker="D", ms=6, color="black",
                        label="mROAS (mean over geos)" if j == 0 else "_mroas")
        ax.set_xticks(x, chans, rotation=0 if len(chans) <= 8 else 45, ha="center" if len(chans) <= 8 else "right")
        ax.set_xlabel("channel")
    else:
        width = 0.8 / len(chans)
        x = np.arange(len(geo_names))
        annotate = roas.size <= 24
        for j, c in enumerate(chans):
            pos = x - 0.4 + width * (j + 0.5)
            bars = ax.bar(pos, roas[:, j], width=width * 0.95, color=colors[c], label=c)
            if annotate:
                ax.bar_label(bars, fmt="%.2f", fontsize="x-small", padding=2)
            if mroas and "mroas" in ds:
                m = ds["mroas"].sel(geo=geo_names, channel=c).values
                ax.plot(pos, m, ls="none", marker="D", ms=5, color="black", label="mROAS" if j == 0 else "_mroas")
        ax.set_xticks(x, geo_names, rotation=0 if len(geo_names) <= 8 else 60)
        ax.set_xlabel("geo")
    ax.axhline(1.0, color="0.4", ls="--", lw=0.8, label="break-even (ROAS 1)")
    ax.set_ylabel("ROAS (y per unit of spend)")
    highest = [float(np.nanmax(roas, initial=0.0)), 1.0]
    if mroas and "mroas" in ds:
        highest.append(float(np.nanmax(ds["mroas"].sel(geo=geo_names, channel=chans).values, initial=0.0)))
    ax.set_ylim(0, max(highest) * 1.15)  # room above the tallest bar for its label
    ax.grid(axis="y", alpha=0.3)
    ax.set_title("True ROAS" + (" and marginal ROAS" if mroas else "") + " by channel and geo"
                 + (f" ({len(geo_names)} geos)" if summary else ""))
    # beside the axes, never over the bars and their labels
    handles, labels = ax.get_legend_handles_labels()
    if own:
        fig.legend(handles, labels, fontsize="small", loc="outside right upper")
    else:
        ax.legend(handles, labels, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return fig


# --------------------------------------------------------------------------- regions
def plot_regional_comparison(data, *, geos=None) -> Figure:
    """``y`` and the media share per geo: time series, distribution, decomposition, share.

    Four panels: ``y`` over time (one line per geo); the distribution of
    ``y`` per geo (box plots); the average ``y`` per period split into
    baseline plus controls and each channel's contribution; the media share
    of ``y`` (percent).  Works for one geo as well.

    From the long table ``result["data"]`` (no contributions) the last two
    panels become the average ``y`` per geo (with its standard deviation)
    and the average spend per geo split by channel.

    Parameters
    ----------
    data : MMMResult, xarray.Dataset or pandas.DataFrame
    geos : str or list of str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    ds = as_dataset(data, needs=("y",), caller="plot_regional_comparison")
    geo_names = _select(ds, "geo", geos)
    chans = [str(c) for c in ds["channel"].values]
    colors = _channel_colors(ds)
    gcolors = _geo_colors(geo_names)
    period = _period(ds)
    width = max(11.0, 0.5 * len(geo_names) + 6)
    fig, axs = plt.subplots(2, 2, figsize=(width, 7.5), layout="constrained")
    (a_time, a_box), (a_dec, a_share) = axs
    sub = ds.sel(geo=geo_names)
    dates = ds["date"].values

    for g in geo_names:
        a_time.plot(dates, sub["y"].sel(geo=g).values, color=gcolors[g], lw=1.2, label=g)
    a_time.set_title("Sales over time")
    a_time.set_ylabel(f"y (sales per {period})")
    a_time.set_xlabel("date")
    _date_axis(a_time)
    if len(geo_names) <= 10:
        a_time.legend(fontsize="small", ncols=min(len(geo_names), 5), loc="upper left")

    y = sub["y"].transpose("date", "geo").values
    box = a_box.boxplot([y[:, i] for i in range(len(geo_names))], patch_artist=True, widths=0.6)
    for patch, g in zip(box["boxes"], geo_names):
        patch.set_facecolor(gcolors[g])
        patch.set_alpha(0.6)
    a_box.set_xticks(range(1, len(geo_names) + 1), geo_names, rotation=0 if len(geo_names) <= 8 else 60)
    a_box.set_title("Distribution of sales")
    a_box.set_ylabel(f"y (sales per {period})")
    a_box.set_xlabel("geo")

    x = np.arange(len(geo_names))
    if "contribution" not in sub:  # a table: no decomposition, no media share
        _mean_panels(sub, geo_names, chans, colors, gcolors, period, a_dec, a_share)
        fig.suptitle("Regional comparison" if len(geo_names) > 1 else f"Sales overview — {geo_names[0]}",
                     fontweight="bold")
        return fig
    media = sub["contribution"].mean("date").transpose("geo", "channel")
    rest = sub["y"].mean("date").values - media.sum("channel").values
    a_dec.bar(x, rest, color=_BASE_COLOR, label="baseline + controls")
    bottom = rest.copy()
    for c in chans:
        v = media.sel(channel=c).values
        a_dec.bar(x, v, bottom=bottom, color=colors[c], label=c)
        bottom = bottom + v
    a_dec.set_xticks(x, geo_names, rotation=0 if len(geo_names) <= 8 else 60)
    a_dec.set_title(f"Average sales per {period}, decomposed")
    a_dec.set_ylabel(f"y (sales per {period})")
    a_dec.set_xlabel("geo")
    a_dec.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)  # beside the bars

    share = sub["media_share"].values if "media_share" in sub else 100 * media.sum("channel").values / sub["y"].mean(
        "date").values
    bars = a_share.bar(x, share, color=[gcolors[g] for g in geo_names], alpha=0.8)
    if len(geo_names) <= 16:
        a_share.bar_label(bars, fmt="%.1f%%", fontsize="small", padding=2)
    a_share.set_xticks(x, geo_names, rotation=0 if len(geo_names) <= 8 else 60)
    a_share.set_ylim(0, max(float(np.nanmax(share)) * 1.2, 1.0))
    a_share.set_title("Media share of sales")
    a_share.set_ylabel("media contribution / y (%)")
    a_share.set_xlabel("geo")
    fig.suptitle("Regional comparison" if len(geo_names) > 1 else f"Sales overview — {geo_names[0]}",
                 fontweight="bold")
    return fig


def _mean_panels(sub, geo_names, chans, colors, gcolors, period, a_mean, a_spend) -> None:
    """Mean ``y`` per geo and mean spend per geo by channel: what a table without ground truth supports."""
    x = np.arange(len(geo_names))
    y = sub["y"].transpose("geo", "date")
    mean = y.mean("date").values
    bars = a_mean.bar(x, mean, yerr=y.std("date").values, color=[gcolors[g] for g in geo_names], alpha=0.8,
                      ecolor="black", capsize=3)
    if len(geo_names) <= 16:
        a_mean.bar_label(bars, fmt="%.0f", fontsize="small", label_type="center")
    a_mean.set_xticks(x, geo_names, rotation=0 if len(geo_names) <= 8 else 60)
    a_mean.set_title(f"Average sales per {period} (± std)")
    a_mean.set_ylabel(f"y (sales per {period})")
    a_mean.set_xlabel("geo")
    if "spend" not in sub:
        a_spend.remove()
        return
    spend = sub["spend"].mean("date").transpose("geo", "channel")
    bottom = np.zeros(len(geo_names))
    for c in chans:
        v = spend.sel(channel=c).values
        a_spend.bar(x, v, bottom=bottom, color=colors[c], label=c)
        bottom = bottom + v
    a_spend.set_xticks(x, geo_names, rotation=0 if len(geo_names) <= 8 else 60)
    a_spend.set_title(f"Average spend per {period}")
    a_spend.set_ylabel(f"spend (currency per {period})")
    a_spend.set_xlabel("geo")
    if len(chans) <= 10:
        a_spend.legend(fontsize="small", loc="lower right")


# --------------------------------------------------------------------------- dashboard
def plot_data_quality(data, *, geos=None) -> Figure:
    """A one-page dashboard of the dataset and its :func:`~xmmm.check_data_quality` verdict.

    Panels: ``y`` over time; the distribution of ``y``; the decomposition of
    ``y`` (summed over the selected geos); the correlation of spend between
    channels (mean over geos; high values mean effects cannot be told apart);
    the share of zero-spend periods per channel; the quality report's verdict
    and warnings.

    From the long table ``result["data"]`` (no ground truth) the
    decomposition panel shows the spend of each channel instead (summed over
    the selected geos), and the report is the table's (see
    :func:`~xmmm.check_data_quality`).

    Parameters
    ----------
    data : MMMResult, xarray.Dataset or pandas.DataFrame
    geos : str or list of str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    ds = as_dataset(data, needs=("y", "spend"), caller="plot_data_quality")
    geo_names = _select(ds, "geo", geos)
    chans = [str(c) for c in ds["channel"].values]
    colors = _channel_colors(ds)
    gcolors = _geo_colors(geo_names)
    period = _period(ds)
    sub = ds.sel(geo=geo_names)
    report = check_data_quality(sub, warn=False)
    dates = ds["date"].values

    fig = plt.figure(figsize=(15, 11), layout="constrained")
    grid = fig.add_gridspec(3, 3)
    a_time = fig.add_subplot(grid[0, :2])
    a_hist = fig.add_subplot(grid[0, 2])
    a_dec = fig.add_subplot(grid[1, :2])
    a_corr = fig.add_subplot(grid[1, 2])
    a_zero = fig.add_subplot(grid[2, 0])
    a_text = fig.add_subplot(grid[2, 1:])

    for g in geo_names:
        a_time.plot(dates, sub["y"].sel(geo=g).values, color=gcolors[g], lw=1.2, label=g)
    if len(geo_names) <= 8:
        for g in geo_names:
            a_hist.hist(sub["y"].sel(geo=g).values, bins=25, histtype="stepfilled", alpha=0.45, color=gcolors[g],
                        label=g)
    else:  # dozens of overlaid histograms are mud: pool the geos
        a_hist.hist(sub["y"].values.ravel(), bins=40, color="0.45", label="all geos")
    a_time.set_title("Sales over time")
    a_time.set_ylabel(f"y (sales per {period})")
    a_time.set_xlabel("date")
    _date_axis(a_time)
    if len(geo_names) <= 10:
        a_time.legend(fontsize="small", ncols=min(len(geo_names), 5), loc="upper left")
    a_hist.set_title("Distribution of sales")
    a_hist.set_xlabel(f"y (sales per {period})")
    a_hist.set_ylabel("number of periods")

    total = sub.sum("geo")
    if "contribution" not in sub:  # a table: the spend instead of the decomposition
        a_dec.stackplot(dates, *(total["spend"].sel(channel=c).values for c in chans),
                        colors=[colors[c] for c in chans], labels=chans, lw=0)
        a_dec.set_title("Spend by channel" + (" (sum over geos)" if len(geo_names) > 1 else ""))
        a_dec.set_ylabel(f"spend (currency per {period})")
    else:
        _decomposition(a_dec, dates, total, chans, colors, len(geo_names), period)
    a_dec.set_xlabel("date")
    _date_axis(a_dec)
    if len(chans) <= 6:
        a_dec.legend(fontsize="small", loc="lower left", ncols=min(len(chans) + 2, 5))
    elif "contribution" in sub:  # a legend of many channels would hide the panel; the zero-spend panel names the colours
        a_dec.set_title(a_dec.get_title() + "; grey: baseline + controls, colours as in the zero-spend panel",
                        fontsize="medium")
    else:
        a_dec.set_title(a_dec.get_title() + "; colours as in the zero-spend panel", fontsize="medium")

    corr = report.metrics["spend_correlation"].mean("geo").values
    image = a_corr.imshow(corr, cmap="RdBu_r", vmin=-1, vmax=1)
    a_corr.set_xticks(range(len(chans)), chans, rotation=45, ha="right")
    a_corr.set_yticks(range(len(chans)), chans)
    a_corr.set_xlabel("channel")
    a_corr.set_ylabel("channel")
    if len(chans) <= 10:
        for i in range(len(chans)):
            for j in range(len(chans)):
                if np.isfinite(corr[i, j]):
                    a_corr.text(j, i, f"{corr[i, j]:.2f}", ha="center", va="center", fontsize="small",
                                color="white" if abs(corr[i, j]) > 0.6 else "black")
    fig.colorbar(image, ax=a_corr, shrink=0.8, label="correlation")
    a_corr.set_title("Spend correlation" + (" (mean over geos)" if len(geo_names) > 1 else ""))

    zero = 100 * report.metrics["zero_spend_share"]
    x = np.arange(len(chans))
    a_zero.bar(x, zero.mean("geo").values, color=[colors[c] for c in chans], alpha=0.85)
    if len(geo_names) > 1:
        lo, hi = zero.min("geo").values, zero.max("geo").values
        mid = zero.mean("geo").values
        a_zero.errorbar(x, mid, yerr=np.clip([mid - lo, hi - mid], 0.0, None), fmt="none", ecolor="black", capsize=3,
                        label="range over geos")
        a_zero.legend(fontsize="small")
    a_zero.set_xticks(x, chans, rotation=30, ha="right")
    a_zero.set_ylim(0, 100)
    a_zero.set_ylabel("periods with zero spend (%)")
    a_zero.set_title("Zero-spend share per channel")

    a_text.axis("off")
    a_text.set_title("Quality check", loc="left")
    text = _wrap_report(report)
    a_text.text(0.0, 1.0, text, va="top", ha="left", family="monospace", fontsize="small",
                transform=a_text.transAxes, color="darkred" if not report.passed else "black")
    title = "Data quality" + (f" — {geo_names[0]}" if len(geo_names) == 1 else f" — {len(geo_names)} geos")
    fig.suptitle(title, fontweight="bold")
    return fig


def _decomposition(a_dec, dates, total, chans, colors, n_geos: int, period: str) -> None:
    """``y`` summed over geos as baseline plus controls and each channel's contribution, and ``y`` as a line."""
    rest = total["y"].values - total["contribution"].sum("channel").values
    a_dec.stackplot(dates, rest, *(total["contribution"].sel(channel=c).values for c in chans),
                    colors=[_BASE_COLOR, *(colors[c] for c in chans)], labels=["baseline + controls", *chans],
                    lw=0)
    a_dec.plot(dates, total["y"].values, color="black", lw=0.8, label="y")
    a_dec.set_title("Decomposition of sales" + (" (sum over geos)" if n_geos > 1 else ""))
    a_dec.set_ylabel(f"y (sales per {period})")


def _wrap_report(report, width: int = 110, max_lines: int = 22) -> str:
    import textwrap

    lines = []
    for raw in report.summary().splitlines():
        if raw.startswith("  - "):
            lines += textwrap.wrap(raw, width, initial_indent="", subsequent_indent="      ")
        else:
            lines.append(raw[:width])
    if len(lines) > max_lines:
        lines = lines[: max_lines - 1] + [f"... ({len(lines) - max_lines + 1} more lines: print(check_data_quality(...)))"]
    return "\n".join(lines)


# --------------------------------------------------------------------------- true curves
_RESPONSE_AXIS = {
    "spend": "spend (currency per {period}, sustained)",
    "impressions": "impressions (per {period}, sustained)",
    "clicks": "clicks (per {period}, sustained)",
    "reach_frequency": "reach (people per {period}, sustained, at the mean frequency)",
    "value": "value - baseline value (sustained)",
}


def plot_response_curves(data, *, geos=None, channels=None, ax=None, points: int = 200) -> Figure:
    """The true response curve of each channel in currency units, one panel per channel.

    The curve is the contribution per period of spending ``s`` every period
    (the long-run, steady-state response):
    ``channel_coefficient * saturation(gain * s / spend_scale)``, with
    ``gain`` the sum of the adstock weights (1 when normalised).  The part of
    the curve inside the observed spend range (smallest to largest non-zero
    spend) is drawn solid and thick; a dot marks the mean spend while active.

    Parameters
    ----------
    data : MMMResult or xarray.Dataset
    geos, channels : str or list of str, optional
        Geos are lines (one colour each), channels are panels.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes (one channel only).
    points : int
        Points along each curve.

    Returns
    -------
    matplotlib.figure.Figure
    """
    ds = as_dataset(data, needs=("spend", "spend_scale", "channel_coefficient", "adstock_function",
                                 "saturation_function"), caller="plot_response_curves")
    plan = Plan.from_dataset(ds)
    geo_names = _select(ds, "geo", geos)
    chans = _select(ds, "channel", channels)
    gcolors = _geo_colors(geo_names)
    ccolors = _channel_colors(ds)
    fig, axes = _facets(len(chans), ax, what="channel", panel=(5.0, 3.6), sharex=False)
    period = _period(ds)
    follows = ({str(c): str(f) for c, f in zip(ds["channel"].values, ds["effect_follows"].values)}
               if "effect_follows" in ds else {})
    activity = channel_activity(ds)
    for a, c in zip(axes, chans):
        unit = follows.get(c, "spend")
        frequency = None
        if unit == "reach_frequency":  # reach at the channel's mean frequency while active
            spend = ds["reach"].sel(channel=c, geo=geo_names).transpose("geo", "date").values
            frequency = ds["frequency"].sel(channel=c, geo=geo_names).where(
                ds["reach"].sel(channel=c, geo=geo_names) > 0).mean("date").transpose("geo").values
        else:
            spend = activity.sel(channel=c, geo=geo_names).transpose("geo", "date").values
        top = max(float(spend.max()) * 1.6, 1e-9)
        low = min(float(spend.min()) * 1.6, 0.0)
        s = np.linspace(low, top, points)
        active = [row[row != 0] for row in spend]
        means = np.array([v.mean() if v.size else 0.0 for v in active])
        # the curves and the mean-spend points in one call: the last column is the mean
        grid = np.concatenate([np.broadcast_to(s, (len(geo_names), points)), means[:, None]], axis=1)
        curve = plan.steady_state_contribution(c, grid, geo_names, frequency=frequency)
        for k, g in enumerate(geo_names):
            col = ccolors[c] if len(geo_names) == 1 else gcolors[g]
            a.plot(s, curve[k, :points], color=col, lw=1.0, ls="--", alpha=0.7)
            if active[k].size:
                inside = (s >= active[k].min()) & (s <= active[k].max())
                a.plot(s[inside], curve[k, :points][inside], color=col, lw=3.0, label=g)
                a.plot([means[k]], [curve[k, -1]], "o", color=col, ms=6, mec="black", mew=0.6)
        a.set_title(f"{c} ({ds['saturation_function'].sel(channel=c).item()})")
        a.set_xlabel(_RESPONSE_AXIS.get(unit, "{unit}").format(unit=unit, period=period))
        a.set_ylabel(f"contribution (y per {period})")
        a.set_xlim(low, top)
        if unit != "value":
            a.set_ylim(bottom=0)
        a.grid(alpha=0.3)
    handles = [plt.Line2D([], [], color="0.3", lw=3.0, label="observed spend range"),
               plt.Line2D([], [], color="0.3", lw=1.0, ls="--", label="outside observed range"),
               plt.Line2D([], [], color="0.3", marker="o", ls="none", mec="black", label="mean active spend")]
    if len(geo_names) > 1:
        handles += [plt.Line2D([], [], color=gcolors[g], lw=3.0, label=g) for g in geo_names[:12]]
    labels = [h.get_label() for h in handles]
    if len(axes) == 1:
        axes[0].legend(handles, labels, fontsize="small", loc="lower right")
        if ax is None:
            fig.suptitle(f"True response curve — {geo_names[0] if len(geo_names) == 1 else 'by geo'}",
                         fontweight="bold")
    else:
        fig.suptitle("True response curves (steady state)" + (f" — {geo_names[0]}" if len(geo_names) == 1 else ""),
                     fontweight="bold")
        fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 6), fontsize="small")
    return fig


def _has_decision_truth(ds) -> bool:
    return isinstance(ds, xr.Dataset) and "response_incremental_outcome" in ds and "optimal_spend" in ds


def _decision_parts(data) -> tuple[xr.Dataset, xr.Dataset]:
    """``(curves, optimum)`` of a dataset holding decision truth, or of such a pair."""
    if isinstance(data, tuple) and len(data) == 2:
        return data
    ds = getattr(data, "dataset", data)
    if not _has_decision_truth(ds):
        raise ValueError(
            "plot_budget_response needs response curves and an optimum: pass "
            "xmmm.with_decision_truth(result), or (xmmm.response_curves(result), xmmm.optimal_budget(result))"
        )

    def part(prefix: str) -> xr.Dataset:
        names = {v: v[len(prefix):] for v in ds.data_vars if v.startswith(prefix)}
        return ds[list(names)].rename(names)

    return part("response_"), part("optimal_")


def plot_budget_response(data, *, channels=None, ax=None) -> Figure:
    """True response curves of the budget decision, with today's and the optimal spend marked.

    One panel per channel: the total incremental outcome over the window
    (against the channel switched off) as the channel's whole spend path is
    scaled, today's spend (circle) and the optimal spend (star) at the same
    budget; the legend gives the marginal ROAS at both.  Curves per geo
    (``by=("geo", "channel")``) are drawn one line per geo.

    Parameters
    ----------
    data : xarray.Dataset, MMMResult or (Dataset, Dataset)
        A dataset from :func:`xmmm.with_decision_truth` (or read back from its
        file), or ``(xmmm.response_curves(...), xmmm.optimal_budget(...))``.
    channels : str or list of str, optional
    ax : matplotlib.axes.Axes, optional
        Draw into this axes (one channel only).

    Returns
    -------
    matplotlib.figure.Figure
    """
    curves, optimum = _decision_parts(data)
    if "replicate" in curves.dims:
        raise ValueError("plot_budget_response draws one dataset: select a replicate, e.g. .isel(replicate=0)")
    chans = _select(curves, "channel", channels)
    colors = _channel_colors(curves)
    per_geo = "geo" in curves["incremental_outcome"].dims
    geo_names = [str(g) for g in curves["geo"].values] if per_geo else [None]
    gcolors = _geo_colors(geo_names) if per_geo else {}
    fig, axes = _facets(len(chans), ax, what="channel", panel=(5.0, 3.6), sharex=False)
    for a, c in zip(axes, chans):
        for g in geo_names:
            where = {"channel": c, **({"geo": g} if g is not None else {})}
            col = gcolors.get(g, colors[c])
            a.plot(curves["spend"].sel(where), curves["incremental_outcome"].sel(where), color=col, lw=2.0,
                   label=g if g is not None else None)
            today = (float(optimum["current_spend"].sel(where)), float(optimum["current_incremental_outcome"].sel(where)))
            best = (float(optimum["spend"].sel(where)), float(optimum["incremental_outcome"].sel(where)))
            a.plot(*today, "o", color=col, ms=8, mec="black", mew=0.8, zorder=3)
            a.plot(*best, "*", color=col, ms=15, mec="black", mew=0.8, zorder=4)
            a.annotate("", xy=best, xytext=today, arrowprops={"arrowstyle": "->", "color": "0.35", "lw": 1.0})
        if not per_geo:
            a.text(0.98, 0.04, f"mROAS today {float(optimum['current_mroas'].sel(channel=c)):.3g}\n"
                   f"mROAS optimal {float(optimum['mroas'].sel(channel=c)):.3g}\n"
                   f"spend x{float(optimum['scale'].sel(channel=c)):.2f}",
                   transform=a.transAxes, ha="right", va="bottom", fontsize="small",
                   bbox={"boxstyle": "round", "fc": "white", "ec": "0.8"})
        a.set_title(str(c))
        a.set_xlabel("spend, total over the window")
        a.set_ylabel("incremental outcome")
        a.xaxis.set_major_formatter(EngFormatter(sep=""))
        a.yaxis.set_major_formatter(EngFormatter(sep=""))
        a.set_xlim(left=0)
        a.set_ylim(bottom=0)
        a.grid(alpha=0.3)
    handles = [plt.Line2D([], [], color="0.3", lw=2.0, label="response (spend path scaled)"),
               plt.Line2D([], [], color="0.3", marker="o", ls="none", mec="black", label="today"),
               plt.Line2D([], [], color="0.3", marker="*", ms=12, ls="none", mec="black", label="optimal")]
    if per_geo:
        handles += [plt.Line2D([], [], color=gcolors[g], lw=2.0, label=g) for g in geo_names[:12]]
    labels = [h.get_label() for h in handles]
    eng = EngFormatter(sep="", places=1)
    gain = float(optimum["gain"])
    title = (f"True budget response — optimum: {'+' if gain >= 0 else '-'}{eng(abs(gain))} incremental outcome "
             f"({float(optimum['gain_share']):+.1%}) for a budget of {eng(float(optimum['budget']))}")
    if len(axes) == 1:
        axes[0].legend(handles, labels, fontsize="small", loc="upper left")
        if ax is None:
            fig.suptitle(title.replace(" for a budget", "\nfor a budget"), fontweight="bold")
    else:
        fig.suptitle(title, fontweight="bold")
        fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 6), fontsize="small")
    return fig


_HALF_LIFE = "half-life: periods from the peak until the weight is half the peak"


def _periods(value, period: str) -> str:
    value = float(value)
    return f"{value:.1f} {period}{'' if round(value, 1) == 1 else 's'}"


def plot_adstock_kernels(data, *, geos=None, channels=None, ax=None) -> Figure:
    """True carry-over weights of each channel by lag, one panel per geo.

    Bars grouped by lag, one colour per channel; the legend gives each
    channel's half-life: the periods after the kernel's peak until its weight
    has fallen to half the peak (see :func:`xmmm.quality.half_life`; ``ln 0.5 / ln
    alpha`` for a geometric kernel, so 1 period for ``alpha = 0.5``).

    Parameters
    ----------
    data : MMMResult or xarray.Dataset
    geos, channels : str or list of str, optional
    ax : matplotlib.axes.Axes, optional
        Draw into this axes (one geo only).

    Returns
    -------
    matplotlib.figure.Figure
    """
    ds = as_dataset(data, needs=("adstock_function",), caller="plot_adstock_kernels")
    geo_names = _select(ds, "geo", geos)
    chans = _select(ds, "channel", channels)
    colors = _channel_colors(ds)
    fig, axes = _facets(len(geo_names), ax, what="geo", sharey=True)
    all_geos = [str(g) for g in ds["geo"].values]
    period = _period(ds)
    weights = {c: adstock_weights(ds, c) for c in chans}
    n_lags = max(w.shape[-1] for w in weights.values())
    normalized = set()
    for c in chans:
        if "adstock_normalize" in ds:
            normalized.add(bool(ds["adstock_normalize"].sel(channel=c).item()))
    width = 0.8 / len(chans)
    for a, g in zip(axes, geo_names):
        gi = all_geos.index(g)
        for j, c in enumerate(chans):
            w = weights[c][gi]
            lags = np.arange(w.shape[-1])
            hl = half_life(w)
            fn = str(ds["adstock_function"].sel(channel=c).item())
            label = f"{c} ({fn}), half-life {_periods(hl, period)}"
            if len(chans) <= _MAX_GROUPED_BARS:
                a.bar(lags - 0.4 + width * (j + 0.5), w, width=width * 0.95, color=colors[c], label=label)
            else:  # too many bars per lag to read: one line per channel
                a.plot(lags, w, marker="o", ms=3, lw=1.2, color=colors[c], label=label)
        if n_lags <= 16:
            a.set_xticks(range(n_lags))
        a.set_ylabel("weight" + (" (share of total effect)" if normalized == {True} else
                                 " (relative to lag 0)" if normalized == {False} else ""))
        a.grid(axis="y", alpha=0.3)
        if len(axes) > 1:
            a.legend(fontsize="x-small", loc="upper right", title=_HALF_LIFE, title_fontsize="x-small")
    _finish_x(axes, f"lag ({period}s after the spend)")
    _single_title(fig, axes, "True adstock kernels", "True adstock (carry-over) kernels", geo_names)
    if len(axes) == 1:
        axes[0].legend(fontsize="small", loc="upper right", title=_HALF_LIFE, title_fontsize="small")
    return fig


# --------------------------------------------------------------------------- media inputs
_COST_NAME = {"impressions": ("CPM", 1000.0), "clicks": ("CPC", 1.0)}


def _has_media_inputs(ds: xr.Dataset) -> bool:
    return "channel_kind" in ds.coords


def plot_media_inputs(data, *, geos=None, channels=None) -> Figure:
    """The inputs beside spend, one panel per channel that has them, totals over the selected geos.

    * paid exposures: impressions or clicks per period and the cost of a
      thousand impressions (CPM) or a click (CPC), ``spend / exposures``;
    * reach and frequency (paid or organic): reach as a share of the
      population (``sum reach / sum population``, never above 100 %) and the
      average frequency ``sum impressions / sum reach`` (at least 1);
    * organic exposures: exposures per period (no spend);
    * treatments: the value (mean over geos) and its baseline value, dashed;
    * the population of each geo and, for a KPI that is not revenue, the
      revenue per unit of KPI over time.

    Parameters
    ----------
    data : MMMResult or xarray.Dataset
        Generated with media inputs (``config.has_media_inputs``).
    geos, channels : str or list of str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    ds = as_dataset(data, needs=("spend",), caller="plot_media_inputs")
    if not _has_media_inputs(ds):
        raise ValueError("plot_media_inputs needs a dataset with media inputs (exposures, reach and frequency, "
                         "organic media or treatments); this one has spend only")
    geo_names = _select(ds, "geo", geos)
    sub = ds.sel(geo=geo_names)
    kinds = {str(c): str(k) for c, k in zip(ds["channel"].values, ds["channel_kind"].values)}
    units = {str(c): str(u) for c, u in zip(ds["channel"].values, ds["exposure_unit"].values)}
    chans = [c for c in _select(ds, "channel", channels) if kinds[c] != "paid" or units[c] != "spend"]
    extra = int("population" in ds) + int("revenue_per_kpi" in ds)
    colors = _channel_colors(ds)
    period = _period(ds)
    dates = ds["date"].values
    fig, axes = _facets(len(chans) + extra, None, what="panel", panel=(5.6, 3.0), sharex=False)
    for a, c in zip(axes, chans):
        one = sub.sel(channel=c)
        kind, unit = kinds[c], units[c]
        right = a.twinx()
        if kind.endswith("reach_frequency"):
            reach = one["reach"].sum("geo")
            share = 100.0 * reach / sub["population"].sum("geo")
            frequency = (one["exposure"].sum("geo") / reach).where(reach > 0)
            a.plot(dates, share, color=colors[c], lw=1.4, label="reach (% of population)")
            a.set_ylim(0, 100)
            a.set_ylabel("reach, % of population")
            right.plot(dates, frequency, color="0.25", lw=1.0, ls="--", label="average frequency")
            right.set_ylabel("average frequency")
            right.set_ylim(bottom=1.0)
        elif kind == "treatment":
            values = one["treatment_value"].transpose("geo", "date")
            if len(geo_names) <= 4:
                for k, g in enumerate(geo_names):
                    a.plot(dates, values.sel(geo=g), color=colors[c], lw=1.2, alpha=1.0 - 0.2 * k,
                           ls=("-", "--", "-.", ":")[k], label=f"value ({g})")
            else:
                a.plot(dates, values.mean("geo"), color=colors[c], lw=1.4, label="value (mean over geos)")
            a.axhline(float(one["treatment_baseline"]), color="0.25", lw=1.0, ls="--", label="baseline value")
            a.set_ylabel("treatment value")
            right.set_visible(False)
        else:
            exposure = one["exposure"].sum("geo")
            a.plot(dates, exposure, color=colors[c], lw=1.4, label=f"{unit}")
            a.set_ylabel(f"{unit} per {period}")
            a.set_ylim(bottom=0)
            if kind == "paid":
                name, basis = _COST_NAME[unit]
                cost = basis * one["spend"].sum("geo") / exposure.where(exposure > 0)
                right.plot(dates, cost, color="0.25", lw=1.0, ls="--", label=f"{name} (spend / {unit})")
                right.set_ylabel(f"{name} (currency)")
            else:
                right.set_visible(False)
        label = {"paid": "paid", "reach_frequency": "paid reach & frequency", "organic": "organic",
                 "organic_reach_frequency": "organic reach & frequency", "treatment": "non-media treatment"}[kind]
        a.set_title(f"{c} ({label})")
        handles = a.get_legend_handles_labels()[0] + (right.get_legend_handles_labels()[0]
                                                       if right.get_visible() else [])
        a.legend(handles=handles, fontsize="x-small", loc="upper left")
        _date_axis(a)
        a.grid(alpha=0.3)
    k = len(chans)
    if "population" in ds:
        a = axes[k]
        k += 1
        pop = ds["population"].sel(geo=geo_names)
        a.bar(range(len(geo_names)), pop.values, color=_BASE_COLOR)
        a.set_xticks(range(len(geo_names)), geo_names, rotation=45 if len(geo_names) > 4 else 0, fontsize="small")
        a.set_ylabel("people")
        a.set_title("Population")
        a.grid(axis="y", alpha=0.3)
    if "revenue_per_kpi" in ds:
        a = axes[k]
        rpk = ds["revenue_per_kpi"].sel(geo=geo_names)
        gcolors = _geo_colors(geo_names)
        for g in geo_names[:6]:
            a.plot(dates, rpk.sel(geo=g), color=gcolors[g], lw=1.2, label=g)
        a.set_ylim(bottom=0)
        a.set_ylabel("revenue per unit of KPI")
        a.set_title("Revenue per KPI (y is not revenue)")
        a.legend(fontsize="x-small", loc="lower right", ncols=min(3, len(geo_names)))
        _date_axis(a)
        a.grid(alpha=0.3)
    fig.suptitle("Media inputs" + (f" ({geo_names[0]})" if len(geo_names) == 1 else f", {len(geo_names)} geos"))
    return fig


# --------------------------------------------------------------------------- bundle
# --------------------------------------------------------------------------- harder worlds
def plot_time_variation(data, *, geos=None, channels=None, ax=None) -> Figure:
    """The true time-varying effectiveness multipliers (and the baseline level's drift), one panel per geo.

    Parameters
    ----------
    data : MMMResult or xarray.Dataset
        A dataset with ``effectiveness_multiplier`` or ``baseline_drift``.
    geos, channels : str or list of str, optional
        Default all geos and the channels whose effect varies.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes (one geo only).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import xmmm
    >>> fig = plot_time_variation(xmmm.generate_mmm_dataset(xmmm.get_preset_config("time_varying")))
    """
    ds = as_dataset(data)
    if "effectiveness_multiplier" not in ds and "baseline_drift" not in ds:
        raise ValueError("plot_time_variation needs a dataset with time-varying effects "
                         "(effectiveness_multiplier or baseline_drift); this one has none")
    geo_names = _select(ds, "geo", geos)
    varying = []
    if "effectiveness_multiplier" in ds:
        m = ds["effectiveness_multiplier"]
        varying = [str(c) for c in ds["channel"].values if not bool((m.sel(channel=c) == 1).all())]
    chans = _select(ds, "channel", channels) if channels is not None else varying
    colors = _channel_colors(ds)
    fig, axes = _facets(len(geo_names), ax, what="geo", sharey=True)
    for a, g in zip(axes, geo_names):
        dates = ds["date"].values
        for c in chans:
            a.plot(dates, ds["effectiveness_multiplier"].sel(geo=g, channel=c).values, color=colors[c], lw=1.6,
                   label=f"{c} effectiveness")
        if "baseline_drift" in ds:
            level = ds["baseline_level"].sel(geo=g).values
            a.plot(dates, 1.0 + ds["baseline_drift"].sel(geo=g).values / level, color="0.35", lw=1.3, ls="--",
                   label="baseline level")
        a.axhline(1.0, color="0.6", lw=0.8, zorder=0)
        a.set_ylabel("multiplier (mean 1 over the dates)")
        a.grid(alpha=0.3)
        _date_axis(a)
    _finish_x(axes, "date")
    _single_title(fig, axes, "True time-varying effects", "True time-varying effects", geo_names)
    _legend(fig, axes, own_figure=ax is None)
    return fig


def _spans(mask: np.ndarray) -> list[tuple[int, int]]:
    """Runs of True as (first, last) index pairs."""
    edges = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1))


def plot_data_issues(data, *, geos=None, ax=None) -> Figure:
    """What a modeller receives against the truth: y and reported y, missing rows, outliers, breaks.

    Each geo's panel shows the true ``y`` (line), the reported ``y_observed``
    (points), missing rows (grey bands), outlier spikes (red, from the truth's
    ``outlier``) and structural breaks (dashed lines at their dates, with the
    shift).  Placebo channels are named in the title.

    Parameters
    ----------
    data : MMMResult or xarray.Dataset
        A dataset with data problems (``data_issues``).
    geos : str or list of str, optional
    ax : matplotlib.axes.Axes, optional
        Draw into this axes (one geo only).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import xmmm
    >>> fig = plot_data_issues(xmmm.generate_mmm_dataset(xmmm.get_preset_config("messy")), geos="north")
    """
    ds = as_dataset(data)
    if "y_observed" not in ds:
        raise ValueError("plot_data_issues needs a dataset generated with data_issues; this one has none")
    geo_names = _select(ds, "geo", geos)
    fig, axes = _facets(len(geo_names), ax, what="geo", panel=(6.0, 3.2), sharey=False)
    dates = ds["date"].values
    step = dates[1] - dates[0] if len(dates) > 1 else np.timedelta64(1, "D")
    for a, g in zip(axes, geo_names):
        y, seen = ds["y"].sel(geo=g).values, ds["y_observed"].sel(geo=g).values
        a.plot(dates, y, color="0.3", lw=1.2, label="true y")
        a.plot(dates, seen, ".", color="tab:blue", ms=3.5, label="reported y")
        for first, last in _spans(ds["missing"].sel(geo=g).values.astype(bool)):
            a.axvspan(dates[first] - step / 2, dates[last] + step / 2, color="0.85", zorder=0,
                      label="missing rows" if first == _spans(ds["missing"].sel(geo=g).values.astype(bool))[0][0]
                      else None)
        spikes = ds["outlier"].sel(geo=g).values != 0
        if spikes.any():
            a.plot(dates[spikes], np.where(np.isnan(seen), y + ds["outlier"].sel(geo=g).values, seen)[spikes],
                   "o", mfc="none", mec="tab:red", ms=7, label="outlier (truth)")
        if "baseline_break" in ds:
            brk = ds["baseline_break"].sel(geo=g).values
            for t in np.flatnonzero(np.diff(brk)) + 1:
                a.axvline(dates[t], color="tab:purple", ls="--", lw=1.2, label="level break (truth)")
                a.annotate(f"{brk[t] - brk[t - 1]:+.3g}", (dates[t], a.get_ylim()[1]), color="tab:purple",
                           fontsize="small", ha="left", va="top", xytext=(3, -3), textcoords="offset points")
        a.set_ylabel("y")
        a.grid(alpha=0.3)
        _date_axis(a)
    _finish_x(axes, "date")
    placebo = [str(c) for c in ds["channel"].values[ds["placebo"].values.astype(bool)]] if "placebo" in ds else []
    title = "Data as a modeller receives it" + (f" (placebo: {', '.join(placebo)})" if placebo else "")
    _single_title(fig, axes, title, title, geo_names)
    handles, labels = {}, []
    for a in axes:
        for h, label in zip(*a.get_legend_handles_labels()):
            if label not in handles:
                handles[label] = h
                labels.append(label)
    _legend(fig, axes, own_figure=ax is None, handles=[handles[k] for k in labels], labels=labels)
    return fig


class ResultPlotter:
    """Every plot of one dataset as a method: ``result.plot.channel_spend(geos="geo_a")``.

    Parameters
    ----------
    data : MMMResult or xarray.Dataset
    """

    def __init__(self, data) -> None:
        self._data = as_dataset(data)

    def __repr__(self) -> str:
        return f"<ResultPlotter: {', '.join(_PLOTS)}>"

    def channel_spend(self, **kwargs) -> Figure:
        """See :func:`plot_channel_spend`."""
        return plot_channel_spend(self._data, **kwargs)

    def channel_contributions(self, **kwargs) -> Figure:
        """See :func:`plot_channel_contributions`."""
        return plot_channel_contributions(self._data, **kwargs)

    def roas_comparison(self, **kwargs) -> Figure:
        """See :func:`plot_roas_comparison`."""
        return plot_roas_comparison(self._data, **kwargs)

    def regional_comparison(self, **kwargs) -> Figure:
        """See :func:`plot_regional_comparison`."""
        return plot_regional_comparison(self._data, **kwargs)

    def data_quality(self, **kwargs) -> Figure:
        """See :func:`plot_data_quality`."""
        return plot_data_quality(self._data, **kwargs)

    def response_curves(self, **kwargs) -> Figure:
        """See :func:`plot_response_curves`."""
        return plot_response_curves(self._data, **kwargs)

    def budget_response(self, **kwargs) -> Figure:
        """See :func:`plot_budget_response` (the dataset must hold decision truth)."""
        return plot_budget_response(self._data, **kwargs)

    def adstock_kernels(self, **kwargs) -> Figure:
        """See :func:`plot_adstock_kernels`."""
        return plot_adstock_kernels(self._data, **kwargs)

    def media_inputs(self, **kwargs) -> Figure:
        """See :func:`plot_media_inputs`."""
        return plot_media_inputs(self._data, **kwargs)
    def time_variation(self, **kwargs) -> Figure:
        """See :func:`plot_time_variation`."""
        return plot_time_variation(self._data, **kwargs)

    def data_issues(self, **kwargs) -> Figure:
        """See :func:`plot_data_issues`."""
        return plot_data_issues(self._data, **kwargs)


#: file stem -> (function, keyword arguments) of every figure save_all_plots writes (see PLOT_NAMES)
_PLOTS = {
    "channel_spend": (plot_channel_spend, {}),
    "channel_contributions": (plot_channel_contributions, {"baseline": True}),
    "roas_comparison": (plot_roas_comparison, {"mroas": True}),
    "regional_comparison": (plot_regional_comparison, {}),
    "data_quality": (plot_data_quality, {}),
    "response_curves": (plot_response_curves, {}),
    "adstock_kernels": (plot_adstock_kernels, {}),
}


#: figures drawn only for data that have what they show: stem -> (function, the variables, any of them)
_OPTIONAL_PLOTS = {
    "time_variation": (plot_time_variation, ("effectiveness_multiplier", "baseline_drift")),
    "data_issues": (plot_data_issues, ("y_observed",)),
    "media_inputs": (plot_media_inputs, ("channel_kind",)),
}

_FACETED = {"channel_spend", "channel_contributions", "adstock_kernels", "time_variation", "data_issues"}
#: the file stems of the figures :func:`save_all_plots` writes, in order (then any of ``_OPTIONAL_PLOTS``
#: the data have)
PLOT_NAMES = tuple(_PLOTS)


def plot_names(dataset: xr.Dataset) -> tuple[str, ...]:
    """The file stems :func:`save_all_plots` writes for ``dataset``, in order.

    :data:`PLOT_NAMES`, then ``time_variation`` when the data have time-varying
    effects or a drifting baseline, ``data_issues`` when they have data problems,
    ``media_inputs`` when they have media inputs (exposures, reach and frequency,
    organic media, treatments) and ``budget_response`` when they hold decision truth.

    Examples
    --------
    >>> import xmmm
    >>> plot_names(xmmm.generate_dataset(xmmm.get_preset_config("messy")))[-2:]
    ('adstock_kernels', 'data_issues')
    """
    extra = tuple(stem for stem, (_, needs) in _OPTIONAL_PLOTS.items() if any(v in dataset for v in needs))
    decision = ("budget_response",) if _has_decision_truth(dataset) else ()
    return PLOT_NAMES + extra + decision


def _note_left_out(fig: Figure, shown: int, total: int) -> None:
    """A line under the figure's title saying how many geos it leaves out (a legend may take the foot)."""
    if shown < total:
        note = (f"Showing {shown} of {total} geos; {total - shown} left out "
                "(choose with geos=, or --geos on the command line)")
        title = fig.get_suptitle()
        fig.suptitle(f"{title}\n{note}" if title else note, fontweight="bold" if title else "normal")


def save_all_plots(data, out_dir: str | PathLike, *, geos=None, dpi: int = 110, prefix: str = "",
                   max_geos: int | None = 6) -> list[Path]:
    """Write every figure as a PNG into ``out_dir`` (created if missing).

    Parameters
    ----------
    data : MMMResult or xarray.Dataset
    out_dir : path
    geos : str or list of str, optional
        Passed to every plot.
    dpi : int
    max_geos : int or None
        With ``geos=None``, the figures with one panel per geo
        (``channel_spend``, ``channel_contributions``, ``adstock_kernels``)
        and the lines of ``response_curves`` show only the first ``max_geos``
        geos, so a 50-geo dataset stays quick and readable; ``None`` shows all.
        A figure that leaves geos out says how many at its foot.
    prefix : str
        Put before each file name, e.g. ``"demo_"``.

    Returns
    -------
    list of pathlib.Path
        The files written: ``channel_spend.png``, ``channel_contributions.png``,
        ``roas_comparison.png``, ``regional_comparison.png``,
        ``data_quality.png``, ``response_curves.png``, ``adstock_kernels.png``,
        and ``budget_response.png`` when the data holds decision truth
        (:func:`xmmm.with_decision_truth`);
        ``time_variation.png`` / ``data_issues.png`` / ``media_inputs.png`` for
        data with time-varying effects / data problems / media inputs.
    """
    # every plot needs the full dataset's truth: check before writing anything
    ds = as_dataset(data, needs=_NEEDED, caller="save_all_plots")
    if "replicate" in ds.dims:
        raise ValueError("save_all_plots takes one dataset; select a replicate of the study first, e.g. "
                         "xmmm.replicate_dataset(study, 0)")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    names = [str(g) for g in ds["geo"].values]
    few = names[:max_geos] if geos is None and max_geos is not None and len(names) > max_geos else geos
    plots = {**_PLOTS, **{stem: (fn, {}) for stem, (fn, _) in _OPTIONAL_PLOTS.items()}}
    for stem in plot_names(ds):
        if stem not in plots:  # budget_response: written below, for the whole dataset
            continue
        fn, kwargs = plots[stem]
        chosen = few if stem in _FACETED or stem == "response_curves" else geos
        fig = fn(ds, geos=chosen, **kwargs)
        _note_left_out(fig, len(_select(ds, "geo", chosen)), len(names))
        try:
            path = out / f"{prefix}{stem}.png"
            fig.savefig(path, dpi=dpi)
            written.append(path)
        finally:
            plt.close(fig)
    if _has_decision_truth(ds):
        fig = plot_budget_response(ds)
        try:
            path = out / f"{prefix}budget_response.png"
            fig.savefig(path, dpi=dpi)
            written.append(path)
        finally:
            plt.close(fig)
    return written
