"""Ground truth: the truth arithmetic of a generation, and the description's dictionary shape.

Two jobs, both on exact generated numbers, never estimates:

* :func:`media_metrics` -- ROAS, marginal ROAS, attribution and media share
  from spend, contributions and the outcome (plain arrays, used by the
  generator for every replicate at once);
* :func:`ground_truth_dict` -- the same truth re-labelled as the product
  description's nested dicts and DataFrames (``result["ground_truth"]``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["MARGINAL_STEP", "channel_summary", "ground_truth_dict", "media_metrics", "world_series"]

#: relative spend step of the marginal ROAS ground truth (+1 % of spend)
MARGINAL_STEP = 0.01


def media_metrics(
    spend: np.ndarray, contribution: np.ndarray, extra: np.ndarray, y: np.ndarray,
    incremental: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    r"""ROAS, marginal ROAS, attribution and media share of a generation.

    Parameters
    ----------
    spend, contribution : numpy.ndarray
        (..., G, S, T) spend and channel contributions.
    extra : numpy.ndarray
        (..., G, S): the extra outcome over the window when the channel's spend
        is raised by :data:`MARGINAL_STEP` in every period (the spend scale
        held fixed).
    y : numpy.ndarray
        (..., G, T) the outcome.
    incremental : numpy.ndarray, optional
        (..., G, S, T) each channel's incremental outcome (``y`` minus ``y``
        with the channel off, from paired runs) where it differs from the
        contribution (multiplicative outcome, log-normal noise): the ROAS is
        then ``sum_t incremental / sum_t spend``, the causal return;
        attribution and media share stay those of the contributions (which add
        up to the media's part of ``y``).

    Returns
    -------
    dict
        ``roas`` and ``mroas`` (..., G, S) in y per unit of spend,
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
    with np.errstate(divide="ignore", invalid="ignore"):
        roas = np.where(total_spend > 0, returned / total_spend, 0.0)
        mroas = np.where(total_spend > 0, extra / (MARGINAL_STEP * total_spend), 0.0)
        media = total_contribution.sum(axis=-1, keepdims=True)
        attribution = np.where(media > 0, 100.0 * total_contribution / media, 0.0)
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
        total media contribution); NaN where a channel never spends.

    Examples
    --------
    >>> import xmmm
    >>> table = channel_summary(xmmm.generate_dataset(n_periods=30))
    >>> list(table.columns)
    ['spend', 'contribution', 'ROAS', 'mROAS', 'attribution %']
    """
    spend = dataset["spend"].sum(["date", "geo"]).values
    contribution = dataset["contribution"].sum(["date", "geo"]).values
    geo_spend = dataset["spend"].sum("date").transpose("geo", "channel").values
    # the per-geo marginal ROAS is extra / (step * geo spend): summing the extras gives the national figure
    extra = (dataset["mroas"].transpose("geo", "channel").values * MARGINAL_STEP * geo_spend).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        roas = np.where(spend > 0, contribution / spend, np.nan)
        mroas = np.where(spend > 0, extra / (MARGINAL_STEP * spend), np.nan)
        total = contribution.sum()
        attribution = 100.0 * contribution / total if total > 0 else contribution * np.nan
    return pd.DataFrame(
        {"spend": spend, "contribution": contribution, "ROAS": roas, "mROAS": mroas, "attribution %": attribution},
        index=pd.Index([str(c) for c in dataset["channel_column"].values], name="channel"),
    )


def _per_geo_channel(da: xr.DataArray) -> dict[str, dict[str, float]]:
    da = da.transpose("geo", "channel")
    channels = [str(c) for c in da["channel"].values]
    return {
        str(geo): {c: float(v) for c, v in zip(channels, row)}
        for geo, row in zip(da["geo"].values, da.values)
    }


def _long_frame(dataset: xr.Dataset, variables: dict[str, xr.DataArray]) -> pd.DataFrame:
    index = pd.MultiIndex.from_product(
        [dataset["date"].values, np.asarray(dataset["geo"].values).astype(str)], names=["date", "geo"]
    )
    return pd.DataFrame({k: v.transpose("date", "geo").values.reshape(-1) for k, v in variables.items()}, index=index)


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
    columns: dict[str, xr.DataArray] = {}
    channels = dataset["channel_column"].values
    controls = dataset["control_column"].values

    def per(name: str, prefix: str, labels, dim: str) -> None:
        columns.update({f"{prefix}{col}": dataset[name].isel({dim: j}) for j, col in enumerate(labels)})

    if "y_observed" in dataset:
        columns.update({name: dataset[name] for name in ("y", "y_observed", "missing", "outlier")})
        per("spend", "spend_", channels, "channel")
    if "effectiveness_multiplier" in dataset:
        per("effectiveness_multiplier", "multiplier_", channels, "channel")
    if "incremental_outcome" in dataset:
        per("incremental_outcome", "incremental_", channels, "channel")
    if "log_baseline" in dataset:
        columns["log_baseline"] = dataset["log_baseline"]
        per("log_contribution", "log_contribution_", channels, "channel")
        if dataset.sizes.get("control", 0):
            per("log_control_effect", "log_effect_", controls, "control")
    return _long_frame(dataset, columns) if columns else None


def ground_truth_dict(dataset: xr.Dataset) -> dict:
    """The description's ground-truth mapping of a single-replicate Dataset.

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
        and ``world_series`` (:func:`world_series`) for a dataset with harder-world options.
    """
    channels = [str(c) for c in dataset["channel"].values]
    geos = [str(g) for g in dataset["geo"].values]
    adstock_params = [v for v in dataset.data_vars if v.startswith("adstock_") and dataset[v].dims == ("geo", "channel")]
    saturation_params = [
        v for v in dataset.data_vars if v.startswith("saturation_") and dataset[v].dims == ("geo", "channel")
    ]
    structural = [
        v for v in dataset.data_vars
        if v.startswith("adstock_") and dataset[v].dims == ("channel",) and v != "adstock_function"
    ]
    params: dict = {"channels": {}}
    for j, channel in enumerate(channels):
        per_geo = {}
        for g, geo in enumerate(geos):
            adstock = {v[len("adstock_"):]: float(dataset[v].values[g, j]) for v in adstock_params}
            adstock = {k: x for k, x in adstock.items() if not np.isnan(x)}
            for v in structural:
                value = dataset[v].values[j]
                adstock[v[len("adstock_"):]] = value.item() if hasattr(value, "item") else value
            saturation = {v[len("saturation_"):]: float(dataset[v].values[g, j]) for v in saturation_params}
            per_geo[geo] = {
                "adstock_function": str(dataset["adstock_function"].values[j]),
                "adstock_params": adstock,
                "saturation_function": str(dataset["saturation_function"].values[j]),
                "saturation_params": {k: x for k, x in saturation.items() if not np.isnan(x)},
                "effectiveness": float(dataset["effectiveness"].values[g, j]),
                "channel_coefficient": float(dataset["channel_coefficient"].values[g, j]),
                "spend_scale": float(dataset["spend_scale"].values[g, j]),
            }
        params["channels"][channel] = per_geo

    components = {
        "level": dataset["baseline_level"],
        "trend": dataset["baseline_trend"],
        "seasonality": dataset["baseline_seasonality"],
    }
    # a time-varying level and structural breaks, when configured, are components too
    components.update({k: dataset[f"baseline_{k}"] for k in ("drift", "break") if f"baseline_{k}" in dataset})
    baseline = _long_frame(
        dataset, {**components, "noise": dataset["baseline_noise"], "baseline": dataset["baseline"]}
    )
    contributions = _long_frame(
        dataset,
        {f"contribution_{col}": dataset["contribution"].isel(channel=j)
         for j, col in enumerate(dataset["channel_column"].values)},
    )
    effects = _long_frame(
        dataset,
        {f"effect_{col}": dataset["control_effect"].isel(control=j)
         for j, col in enumerate(dataset["control_column"].values)},
    )
    control_coefficients = {
        geo: {str(k): float(v) for k, v in zip(dataset["control"].values, row)}
        for geo, row in zip(geos, dataset["control_coefficient"].transpose("geo", "control").values)
    }
    out = {
        "transformation_parameters": params,
        "baseline_components": baseline,
        "roas_values": _per_geo_channel(dataset["roas"]),
        "mroas_values": _per_geo_channel(dataset["mroas"]),
        "attribution_percentages": _per_geo_channel(dataset["attribution"]),
        "transformed_spend": contributions,
        "control_effects": effects,
        "control_coefficients": control_coefficients,
        "media_share": {geo: float(v) for geo, v in zip(geos, dataset["media_share"].values)},
    }
    world = world_series(dataset)
    if world is not None:
        out["world_series"] = world
    return out
