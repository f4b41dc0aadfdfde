"""``to_long_dataframe`` as xmmm 0.1 built it: one column copy per channel and control.

Kept verbatim (apart from the docstrings and the name) as the reference that
the one-block version in :mod:`xmmm.export` must reproduce exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

def to_long_dataframe_v01(dataset: xr.Dataset) -> pd.DataFrame:
    """The modelling table of a (single-replicate) xmmm Dataset.

    Parameters
    ----------
    dataset : xarray.Dataset
        As made by :func:`xmmm.generate_mmm_dataset` (``result.dataset``) or
        read back with :func:`xmmm.open_dataset`.

    Returns
    -------
    pandas.DataFrame
        Columns ``date, geo, y, x1-..., c1-...``; one row per (date, geo),
        sorted by date then geo, with a fresh RangeIndex.
    """
    if "replicate" in dataset.dims:
        raise ValueError(
            "to_long_dataframe takes one dataset; select a replicate first, e.g. study.isel(replicate=0)"
        )
    geo_names = np.array([str(g) for g in dataset["geo"].values], dtype=str)
    order = np.argsort(geo_names, kind="stable")
    n_dates, n_geos = dataset.sizes["date"], dataset.sizes["geo"]

    def flat(var: str, along: str | None = None) -> np.ndarray:
        da = dataset[var]
        dims = ("date", "geo") + ((along,) if along else ())
        arr = da.transpose(*dims).values[:, order]
        return arr.reshape(n_dates * n_geos, -1) if along else arr.reshape(-1)

    columns: dict[str, object] = {
        "date": np.repeat(dataset["date"].values, n_geos),
        "geo": np.tile(geo_names[order], n_dates),
        "y": flat("y"),
    }
    spend = flat("spend", "channel")
    for j, name in enumerate(dataset["channel_column"].values):
        columns[str(name)] = spend[:, j]
    if dataset.sizes.get("control", 0):
        values = flat("control_value", "control")
        for j, name in enumerate(dataset["control_column"].values):
            columns[str(name)] = values[:, j]
    return pd.DataFrame(columns)
