"""``ground_truth_dict`` as xmmm 0.1 built it: per-pair Dataset indexing.

Kept verbatim (apart from this docstring) as the reference that the
whole-array version in :mod:`xmmm.ground_truth` must reproduce exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["ground_truth_dict_v01"]


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


def ground_truth_dict_v01(dataset: xr.Dataset) -> dict:
    """The description's ground-truth mapping of a single-replicate Dataset.

    Returns
    -------
    dict
        ``transformation_parameters``: ``{"channels": {channel: {geo: {"adstock_function",
        "adstock_params", "saturation_function", "saturation_params", "effectiveness",
        "channel_coefficient", "spend_scale"}}}}``;
        ``baseline_components``: DataFrame indexed by (date, geo) with ``level``, ``trend``,
        ``seasonality``, ``noise`` and their sum ``baseline``;
        ``roas_values``, ``mroas_values``, ``attribution_percentages``: ``{geo: {channel: value}}``;
        ``transformed_spend``: DataFrame of channel contributions over time, columns
        ``contribution_<x column>``;
        ``control_effects``: DataFrame of signed control effects, columns ``effect_<c column>``;
        ``control_coefficients``: ``{geo: {control: value}}``; ``media_share``: ``{geo: percent}``.
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

    baseline = _long_frame(
        dataset,
        {
            "level": dataset["baseline_level"],
            "trend": dataset["baseline_trend"],
            "seasonality": dataset["baseline_seasonality"],
            "noise": dataset["baseline_noise"],
            "baseline": dataset["baseline"],
        },
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
    return {
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
