"""Ground truth: the truth arithmetic of a generation, and the description's dictionary shape.

Two jobs, both on exact generated numbers, never estimates:

* :func:`media_metrics` -- ROAS, marginal ROAS, attribution and media share
  from spend, contributions and the outcome (plain arrays, used by the
  generator for every replicate at once);
* :func:`ground_truth_dict` -- the same truth re-labelled as the product
  description's nested dicts and DataFrames (``result["ground_truth"]``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["MARGINAL_STEP", "channel_summary", "ground_truth_dict", "media_metrics", "world_series"]

#: relative spend step of the marginal ROAS ground truth (+1 % of spend)
MARGINAL_STEP = 0.01


def media_metrics(
    spend: np.ndarray, contribution: np.ndarray, extra: np.ndarray, y: np.ndarray,
    incremental: np.ndarray | None = None, *,
    revenue_per_kpi: np.ndarray | None = None, is_media: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    r"""ROAS, marginal ROAS, attribution and media share of a generation.

    Parameters
    ----------
    spend, contribution : numpy.ndarray
        (..., G, S, T) spend and channel contributions.
    extra : numpy.ndarray
        (..., G, S): the extra outcome over the window when the channel's spend
        is raised by :data:`MARGINAL_STEP` in every period (the spend scale
        held fixed), in revenue.
    y : numpy.ndarray
        (..., G, T) the outcome.
    incremental : numpy.ndarray, optional
        (..., G, S, T) each channel's incremental outcome (``y`` minus ``y``
        with the channel off, from paired runs) where it differs from the
        contribution (multiplicative outcome, log-normal noise): the ROAS is
        then ``sum_t incremental / sum_t spend``, the causal return;
        attribution and media share stay those of the contributions (which add
        up to the media's part of ``y``).
    revenue_per_kpi : numpy.ndarray, optional
        (..., G, T) revenue of one unit of ``y`` when ``y`` is not revenue:
        ROAS is then in revenue (``contribution * revenue_per_kpi``).
    is_media : numpy.ndarray, optional
        (S,) bool: the channels that attribution and media share count
        (non-media treatments are not media); default all.

    Returns
    -------
    dict
        ``roas`` and ``mroas`` (..., G, S) in revenue per unit of spend,
        ``attribution`` (..., G, S) in percent of the geo's media contribution,
        ``media_share`` (..., G) in percent of y; 0 where undefined.

    Notes
    -----
    .. math::
        \text{ROAS} = \frac{\sum_t \text{contribution}_t}{\sum_t s_t}, \qquad
        \text{mROAS} = \frac{\text{extra}}{0.01 \sum_t s_t}

    Examples
    --------
    >>> spend = np.ones((1, 1, 4)); contribution = np.full((1, 1, 4), 2.0)
    >>> m = media_metrics(spend, contribution, np.array([[0.04]]), np.full((1, 4), 10.0))
    >>> float(m["roas"][0, 0]), float(m["mroas"][0, 0]), float(m["media_share"][0])
    (2.0, 1.0, 20.0)
    """
    total_spend = spend.sum(axis=-1)
    total_contribution = contribution.sum(axis=-1)
    returned = total_contribution if incremental is None else incremental.sum(axis=-1)
    total_return = (returned if revenue_per_kpi is None
                    else ((contribution if incremental is None else incremental)
                          * revenue_per_kpi[..., None, :]).sum(axis=-1))
    counted = total_contribution if is_media is None else np.where(is_media, total_contribution, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        roas = np.where(total_spend > 0, total_return / total_spend, 0.0)
        mroas = np.where(total_spend > 0, extra / (MARGINAL_STEP * total_spend), 0.0)
        media = counted.sum(axis=-1, keepdims=True)
        attribution = np.where(media > 0, 100.0 * counted / media, 0.0)
        media_share = np.where(y.sum(axis=-1) > 0, 100.0 * media[..., 0] / y.sum(axis=-1), 0.0)
    return {"roas": roas, "mroas": mroas, "attribution": attribution, "media_share": media_share}


def channel_summary(dataset: xr.Dataset) -> pd.DataFrame:
    """The truth of every channel over all geos and dates of a single dataset.

    Returns
    -------
    pandas.DataFrame
        Indexed by the channel's export column; ``spend`` and ``contribution``
        (totals), ``ROAS`` (total contribution / total spend), ``mROAS`` (the
        extra outcome of +1 % spend in every geo and period per extra unit of
        spend, from the per-geo ``mroas``), ``attribution %`` (share of the
        total media contribution); NaN where a channel never spends.  With
        media inputs the first column is the channel's ``kind`` and
        treatments have no attribution; for a KPI that is not revenue a
        ``revenue`` column (the incremental revenue) comes after
        ``contribution`` and ROAS is in revenue.

    Examples
    --------
    >>> import xmmm
    >>> table = channel_summary(xmmm.generate_dataset(n_periods=30))
    >>> list(table.columns)
    ['spend', 'contribution', 'ROAS', 'mROAS', 'attribution %']
    """
    spend = dataset["spend"].sum(["date", "geo"]).values
    contribution = dataset["contribution"].sum(["date", "geo"]).values
    # a KPI that is not revenue: ROAS in revenue
    revenue = (dataset["incremental_revenue"].sum(["date", "geo"]).values if "incremental_revenue" in dataset
               else contribution)
    media = (np.asarray(dataset["channel_kind"].values != "treatment") if "channel_kind" in dataset.coords
             else np.ones(contribution.shape, dtype=bool))
    geo_spend = dataset["spend"].sum("date").transpose("geo", "channel").values
    # the per-geo marginal ROAS is extra / (step * geo spend): summing the extras gives the national figure
    extra = (dataset["mroas"].transpose("geo", "channel").values * MARGINAL_STEP * geo_spend).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        roas = np.where(spend > 0, revenue / spend, np.nan)
        mroas = np.where(spend > 0, extra / (MARGINAL_STEP * spend), np.nan)
        total = contribution[media].sum()
        attribution = np.where(media, 100.0 * contribution / total, np.nan) if total > 0 else contribution * np.nan
    columns = {"spend": spend, "contribution": contribution, "ROAS": roas, "mROAS": mroas,
               "attribution %": attribution}
    if "channel_kind" in dataset.coords:
        columns = {"kind": [str(k) for k in dataset["channel_kind"].values], **columns}
    if "incremental_revenue" in dataset:
        columns = {**dict(list(columns.items())[:-3]), "revenue": revenue, **dict(list(columns.items())[-3:])}
    return pd.DataFrame(columns, index=pd.Index([str(c) for c in dataset["channel_column"].values], name="channel"))


def _values(dataset: xr.Dataset, name: str, *dims: str) -> np.ndarray:
    """The whole array of one variable with its axes in ``dims`` order.

    Reads ``dataset.variables`` (no DataArray with coordinates is built) and
    moves axes with NumPy: one look-up and one ``.values`` per variable.
    """
    variable = dataset.variables[name]
    return np.transpose(variable.values, [variable.dims.index(d) for d in dims])


def _labels(dataset: xr.Dataset, dim: str) -> list[str]:
    return [str(v) for v in dataset.variables[dim].values]


def _per_geo_channel(dataset: xr.Dataset, name: str, geos: list[str], channels: list[str]) -> dict:
    """``{geo: {channel: value}}`` of a (geo, channel) variable (a (date, geo, channel) one summed over dates)."""
    if "date" in dataset.variables[name].dims:
        rows = _values(dataset, name, "date", "geo", "channel").sum(axis=0).tolist()
    else:
        rows = _values(dataset, name, "geo", "channel").tolist()
    return {geo: dict(zip(channels, row)) for geo, row in zip(geos, rows)}


def _long_frame(index: pd.MultiIndex, columns: list[str], values: np.ndarray) -> pd.DataFrame:
    """A frame on the (date, geo) index from one array of shape (date, geo, column).

    The array is made contiguous once and becomes the frame's single block.
    """
    if not columns:  # e.g. no controls: the same empty frame as a frame made from an empty dict
        return pd.DataFrame({}, index=index.copy())
    block = np.ascontiguousarray(values, dtype=np.float64).reshape(len(index), len(columns))
    # a shallow copy of the index per frame: renaming one frame's index leaves the others alone
    return pd.DataFrame(block, index=index.copy(), columns=columns, copy=False)


def _by_column(dataset: xr.Dataset, index: pd.MultiIndex, name: str, along: str, prefix: str) -> pd.DataFrame:
    """The frame of a (date, geo, ``along``) variable, columns ``<prefix><column name>``."""
    labels = dataset.variables[f"{along}_column"].values
    return _long_frame(index, [f"{prefix}{col}" for col in labels], _values(dataset, name, "date", "geo", along))


def _transformation_parameters(dataset: xr.Dataset, geos: list[str], channels: list[str]) -> dict:
    """``{"channels": {channel: {geo: {...}}}}``, read with one ``.values`` per variable."""
    variables = dataset.data_vars.variables

    def per_pair(prefix: str) -> dict[str, list[list[float]]]:
        # (channel, geo) nested lists of Python floats, in data-variable order
        return {
            v[len(prefix):]: _values(dataset, v, "channel", "geo").tolist()
            for v, var in variables.items()
            if v.startswith(prefix) and set(var.dims) == {"geo", "channel"}
        }

    adstock_params = per_pair("adstock_")
    saturation_params = per_pair("saturation_")
    structural = {
        v[len("adstock_"):]: [x.item() if hasattr(x, "item") else x for x in var.values]
        for v, var in variables.items()
        if v.startswith("adstock_") and var.dims == ("channel",) and v != "adstock_function"
    }
    scalars = {
        name: _values(dataset, name, "channel", "geo").tolist()
        for name in ("effectiveness", "channel_coefficient", "spend_scale")
    }
    adstock_functions = _labels(dataset, "adstock_function")
    saturation_functions = _labels(dataset, "saturation_function")

    out: dict = {}
    for j, channel in enumerate(channels):
        per_geo = {}
        for g, geo in enumerate(geos):
            adstock = {k: v[j][g] for k, v in adstock_params.items() if not math.isnan(v[j][g])}
            adstock.update((k, v[j]) for k, v in structural.items())
            per_geo[geo] = {
                "adstock_function": adstock_functions[j],
                "adstock_params": adstock,
                "saturation_function": saturation_functions[j],
                "saturation_params": {k: v[j][g] for k, v in saturation_params.items() if not math.isnan(v[j][g])},
                "effectiveness": scalars["effectiveness"][j][g],
                "channel_coefficient": scalars["channel_coefficient"][j][g],
                "spend_scale": scalars["spend_scale"][j][g],
            }
        out[channel] = per_geo
    return {"channels": out}


def world_series(dataset: xr.Dataset) -> pd.DataFrame | None:
    """The truths of the harder worlds over (date, geo), or ``None`` when the dataset has none.

    Columns, each where configured: ``y`` (true) with ``y_observed``, ``missing``
    and ``outlier`` (data problems), the true ``spend_<x column>`` (the long
    table holds the reported spend); ``multiplier_<x column>`` (time-varying
    effectiveness); ``incremental_<x column>`` (paired runs: multiplicative
    outcome, log-normal noise); ``log_baseline``, ``log_contribution_<x column>``
    and ``log_effect_<c column>`` (the multiplicative outcome's log-scale
    decomposition, adding up to ``log(y - noise)`` per row).

    Examples
    --------
    >>> import xmmm
    >>> ds = xmmm.generate_dataset(xmmm.get_preset_config("messy"))
    >>> list(world_series(ds).columns[:4])
    ['y', 'y_observed', 'missing', 'outlier']
    >>> world_series(xmmm.generate_dataset(xmmm.get_preset_config("basic"))) is None
    True
    """
    columns: dict[str, np.ndarray] = {}

    def per(name: str, prefix: str, along: str) -> None:
        values = _values(dataset, name, "date", "geo", along).reshape(-1, dataset.sizes[along])
        labels = dataset.variables[f"{along}_column"].values
        columns.update({f"{prefix}{col}": values[:, j] for j, col in enumerate(labels)})

    if "y_observed" in dataset.variables:
        columns.update({name: _values(dataset, name, "date", "geo").reshape(-1)
                        for name in ("y", "y_observed", "missing", "outlier")})
        per("spend", "spend_", "channel")
    if "effectiveness_multiplier" in dataset.variables:
        per("effectiveness_multiplier", "multiplier_", "channel")
    if "incremental_outcome" in dataset.variables:
        per("incremental_outcome", "incremental_", "channel")
    if "log_baseline" in dataset.variables:
        columns["log_baseline"] = _values(dataset, "log_baseline", "date", "geo").reshape(-1)
        per("log_contribution", "log_contribution_", "channel")
        if dataset.sizes.get("control", 0):
            per("log_control_effect", "log_effect_", "control")
    if not columns:
        return None
    index = pd.MultiIndex.from_product(
        [dataset.variables["date"].values, np.asarray(_labels(dataset, "geo"), dtype=str)], names=["date", "geo"]
    )
    return pd.DataFrame(columns, index=index)


def ground_truth_dict(dataset: xr.Dataset) -> dict:
    """The description's ground-truth mapping of a single-replicate Dataset.

    Every variable is read once, as a whole array (one ``.values`` each), and
    re-labelled in plain Python: the cost grows with the number of values,
    not with the number of (geo, channel) pairs times Dataset look-ups.

    Returns
    -------
    dict
        ``transformation_parameters``: ``{"channels": {channel: {geo: {"adstock_function",
        "adstock_params", "saturation_function", "saturation_params", "effectiveness",
        "channel_coefficient", "spend_scale"}}}}``;
        ``baseline_components``: DataFrame indexed by (date, geo) with ``level``, ``trend``,
        ``seasonality`` (``drift`` and ``break`` when configured), ``noise`` and their sum ``baseline``;
        ``roas_values``, ``mroas_values``, ``attribution_percentages``: ``{geo: {channel: value}}``;
        ``transformed_spend``: DataFrame of channel contributions over time, columns
        ``contribution_<x column>``;
        ``control_effects``: DataFrame of signed control effects, columns ``effect_<c column>``;
        ``control_coefficients``: ``{geo: {control: value}}``; ``media_share``: ``{geo: percent}``;
        with media inputs also ``incremental_outcomes`` (and for a KPI that is not
        revenue ``incremental_revenues``): ``{geo: {channel: value}}``.
        and ``world_series`` (:func:`world_series`) for a dataset with harder-world options.

    Examples
    --------
    >>> import xmmm
    >>> truth = ground_truth_dict(xmmm.generate_dataset(n_periods=52))
    >>> list(truth["roas_values"]) == list(truth["media_share"]) == ["geo_a", "geo_b", "geo_c"]
    True
    """
    geos, channels, controls = (_labels(dataset, d) for d in ("geo", "channel", "control"))
    # the (date, geo) index is built once for the three frames
    index = pd.MultiIndex.from_product(
        [dataset.variables["date"].values, np.asarray(geos, dtype=str)], names=["date", "geo"]
    )
    baseline_parts = {
        "level": "baseline_level",
        "trend": "baseline_trend",
        "seasonality": "baseline_seasonality",
        # a time-varying level and structural breaks, when configured, are components too
        **{k: f"baseline_{k}" for k in ("drift", "break") if f"baseline_{k}" in dataset.variables},
        "noise": "baseline_noise",
        "baseline": "baseline",
    }
    baseline = _long_frame(
        index,
        list(baseline_parts),
        np.stack([_values(dataset, name, "date", "geo") for name in baseline_parts.values()], axis=-1),
    )
    contributions = _by_column(dataset, index, "contribution", "channel", "contribution_")
    effects = _by_column(dataset, index, "control_effect", "control", "effect_")
    control_coefficients = {
        geo: dict(zip(controls, row))
        for geo, row in zip(geos, _values(dataset, "control_coefficient", "geo", "control").tolist())
    }
    extra = {}
    if "incremental_outcome" in dataset:  # media inputs or a KPI that is not revenue
        extra["incremental_outcomes"] = _per_geo_channel(dataset, "incremental_outcome", geos, channels)
    if "incremental_revenue" in dataset:
        extra["incremental_revenues"] = _per_geo_channel(dataset, "incremental_revenue", geos, channels)
    out = {
        "transformation_parameters": _transformation_parameters(dataset, geos, channels),
        "baseline_components": baseline,
        "roas_values": _per_geo_channel(dataset, "roas", geos, channels),
        "mroas_values": _per_geo_channel(dataset, "mroas", geos, channels),
        "attribution_percentages": _per_geo_channel(dataset, "attribution", geos, channels),
        "transformed_spend": contributions,
        "control_effects": effects,
        "control_coefficients": control_coefficients,
        "media_share": dict(zip(geos, dataset.variables["media_share"].values.tolist())),
        **extra,
    }
    world = world_series(dataset)
    if world is not None:
        out["world_series"] = world
    return out
