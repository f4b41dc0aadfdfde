"""Ground truth in the product description's dictionary shape, derived from a Dataset.

The Dataset is the source of truth; this module only re-labels it as nested
dicts and DataFrames for users of the description's ``result["ground_truth"]``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["ground_truth_dict"]


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
    """``{geo: {channel: value}}`` of a (geo, channel) variable."""
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
        ``seasonality``, ``noise`` and their sum ``baseline``;
        ``roas_values``, ``mroas_values``, ``attribution_percentages``: ``{geo: {channel: value}}``;
        ``transformed_spend``: DataFrame of channel contributions over time, columns
        ``contribution_<x column>``;
        ``control_effects``: DataFrame of signed control effects, columns ``effect_<c column>``;
        ``control_coefficients``: ``{geo: {control: value}}``; ``media_share``: ``{geo: percent}``.

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
    return {
        "transformation_parameters": _transformation_parameters(dataset, geos, channels),
        "baseline_components": baseline,
        "roas_values": _per_geo_channel(dataset, "roas", geos, channels),
        "mroas_values": _per_geo_channel(dataset, "mroas", geos, channels),
        "attribution_percentages": _per_geo_channel(dataset, "attribution", geos, channels),
        "transformed_spend": contributions,
        "control_effects": effects,
        "control_coefficients": control_coefficients,
        "media_share": dict(zip(geos, dataset.variables["media_share"].values.tolist())),
    }
