"""The long table: one row per (date, geo), made from the Dataset only on demand, and back.

Columns: ``date``, ``geo``, ``y``, then the spend of each channel as
``x1-<label>``, ``x2-<label>``, ... (0 for organic media and treatments, which
have no spend), then -- only for the channels that have them -- exposures
``e<i>-<label>`` (impressions or clicks), reach ``r<i>-<label>``, average
frequency ``f<i>-<label>`` and treatment values ``t<i>-<label>``, where ``i``
is the channel's number in its ``x<i>-`` column, and the value of each
control as ``c1-<label>``, ...; rows sorted by date, then geo.  Ground truth
(contributions, signed control effects, parameters) never enters this table.
It is what a modeller receives: with data problems configured
(``data_issues``), ``y`` is the reported ``y_observed`` (outliers included),
spend the reported ``spend_observed`` (measurement error included), and
missing rows are left out (the ``missing`` mask of the Dataset says which).

:func:`from_long_dataframe` reads such a table (or the frame of channel
contributions ``result["ground_truth"]["transformed_spend"].reset_index()``)
back into a Dataset holding only what the table holds.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["to_long_dataframe", "from_long_dataframe", "observed_view"]

_CHANNEL = re.compile(r"^x(\d+)-(.+)$")
#: the letter of each media input column and the Dataset variable it holds
MEDIA_COLUMNS = {"e": "exposure", "r": "reach", "f": "frequency", "t": "treatment_value"}
_MEDIA = re.compile(r"^([erft])(\d+)-(.+)$")
_CONTROL = re.compile(r"^c(\d+)-(.+)$")
_CONTRIBUTION = re.compile(r"^contribution_(x\d+-.+)$")
#: value of ``attrs["xmmm_source"]`` on a Dataset read from a table
LONG_TABLE = "long table"


def observed_view(dataset: xr.Dataset) -> xr.Dataset:
    """The Dataset with ``y`` and ``spend`` as a modeller receives them (reported, NaN where rows are missing).

    Without data problems (no ``y_observed``) the Dataset itself.  The hand-offs
    take their inputs from this view and their truth from the true series.

    Examples
    --------
    >>> import xmmm
    >>> ds = xmmm.generate_dataset(xmmm.get_preset_config("messy"))
    >>> bool(observed_view(ds)["y"].isnull().any()), bool(ds["y"].isnull().any())
    (True, False)
    """
    if "y_observed" not in dataset:
        return dataset
    return dataset.assign(y=dataset["y_observed"], spend=dataset["spend_observed"])


def to_long_dataframe(dataset: xr.Dataset) -> pd.DataFrame:
    """The modelling table of a (single-replicate) xmmm Dataset.

    Parameters
    ----------
    dataset : xarray.Dataset
        As made by :func:`xmmm.generate_mmm_dataset` (``result.dataset``) or
        read back with :func:`xmmm.open_dataset`.

    Returns
    -------
    pandas.DataFrame
        Columns ``date, geo, y, x1-..., [e1-..., r1-..., f1-..., t1-...,] c1-...`` (and ``c<K+1>-demand``
        when demand is observed, :attr:`xmmm.config.MMMDataConfig.demand_column`: ``demand_observed`` shifted
        by a constant so its smallest value is 0 when it has negative ones); one row per (date, geo) the
        modeller receives (every one, unless ``missing`` says otherwise),
        sorted by date then geo, with a fresh RangeIndex.

    Examples
    --------
    >>> import xmmm
    >>> df = xmmm.to_long_dataframe(xmmm.generate_mmm_dataset(n_periods=20).dataset)
    >>> list(df.columns[:3]), len(df)
    (['date', 'geo', 'y'], 60)
    """
    if "replicate" in dataset.dims:
        raise ValueError(
            "to_long_dataframe takes one dataset; select a replicate first, e.g. study.isel(replicate=0)"
        )
    geo_names = np.array([str(g) for g in dataset.variables["geo"].values], dtype=str)
    order = np.argsort(geo_names, kind="stable")
    n_dates, n_geos = dataset.sizes["date"], dataset.sizes["geo"]

    def block(var: str, along: str | None) -> np.ndarray:
        """Rows ``(column, date * geo)``, geos sorted by name: the frame's own block layout."""
        variable = dataset.variables[var]
        dims = ((along,) if along else ()) + ("date", "geo")
        values = np.transpose(variable.values, [variable.dims.index(d) for d in dims])
        return values[..., order].reshape(-1, n_dates * n_geos)

    reported = "y_observed" in dataset  # data problems: the table holds what a modeller receives
    channel_names = [str(c) for c in dataset.variables["channel_column"].values]
    names = ["y"] + channel_names
    parts = [block("y_observed" if reported else "y", None), block("spend_observed" if reported else "spend", "channel")]
    for letter, var in MEDIA_COLUMNS.items():
        if var in dataset.variables:
            values = block(var, "channel")
            has = ~np.isnan(values).all(axis=1)  # only the channels that have this input
            names += [letter + name[1:] for name, keep in zip(channel_names, has) if keep]
            parts.append(values[has])
    if dataset.sizes.get("control", 0):
        names += [str(c) for c in dataset.variables["control_column"].values]
        parts.append(block("control_value", "control"))
    if "demand_observed" in dataset:
        # observed demand (or its proxy) is one more control column, shifted to start at 0 like every control
        # value (a constant the intercept absorbs; its coefficient per unit is still demand_coefficient)
        observed = block("demand_observed", None)
        names.append(str(dataset["demand_observed"].attrs["column"]))
        parts.append(observed - min(float(observed.min()), 0.0))
    # one float block, written once and handed to pandas without another copy
    floats = np.concatenate(parts, axis=0)
    frame = pd.DataFrame(floats.T, columns=names, copy=False)
    frame.insert(0, "date", np.repeat(dataset.variables["date"].values, n_geos))
    # the geo column: its few distinct names, repeated by index (not one string per row)
    geo_labels = pd.Series(geo_names[order]).array
    frame.insert(1, "geo", geo_labels.take(np.tile(np.arange(n_geos), n_dates)))
    if "missing" in dataset:
        frame = frame[~block("missing", None)[0].astype(bool)].reset_index(drop=True)
    return frame


def _values(df: pd.DataFrame, columns: list[str], index: pd.MultiIndex) -> np.ndarray:
    """The columns as floats on the full (date, geo) grid, shape (date, geo, column)."""
    out = np.empty((len(index), len(columns)))
    for k, c in enumerate(columns):
        try:
            out[:, k] = df[c].to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError):
            raise ValueError(f"column {c!r} must be numeric; got dtype {df[c].dtype}") from None
    n_dates, n_geos = len(index.levels[0]), len(index.levels[1])
    return out.reshape(n_dates, n_geos, len(columns))


def _regular_dates(dates: np.ndarray) -> np.ndarray:
    """The dates with the gaps of a regular series filled (the most common step); as given if irregular."""
    if len(dates) < 3:
        return dates
    steps = np.diff(dates)
    values, counts = np.unique(steps, return_counts=True)
    step = values[np.argmax(counts)]
    full = np.arange(dates[0], dates[-1] + step, step)
    return full if np.isin(dates, full).all() else dates


def from_long_dataframe(df: pd.DataFrame, *, incomplete: str = "raise") -> xr.Dataset:
    """The Dataset of a long table: the inverse of :func:`to_long_dataframe` for what the table holds.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per (date, geo), in any order, with columns ``date`` and
        ``geo`` and any of: ``y``; channel spend ``x<i>-<label>``; media
        inputs ``e<i>-``, ``r<i>-``, ``f<i>-``, ``t<i>-<label>``; control
        values ``c<j>-<label>``; channel contributions
        ``contribution_x<i>-<label>`` (as in
        ``result["ground_truth"]["transformed_spend"].reset_index()``).
        Other columns are ignored.
    incomplete : {"raise", "fill"}
        What to do when (date, geo) pairs of the grid of dates x geos are
        missing (a table with missing periods or geos): raise, or fill them
        with NaN and add the ``missing`` (date, geo) mask; dates missing in
        every geo are restored when the dates are evenly spaced (daily or
        weekly data).

    Returns
    -------
    xarray.Dataset
        Dims ``date`` (sorted), ``geo`` (sorted by name), ``channel`` and
        ``control``; variables ``spend`` (date, geo, channel),
        ``control_value`` (date, geo, control), ``y`` (date, geo),
        ``contribution`` (date, geo, channel) and ``exposure``, ``reach``,
        ``frequency``, ``treatment_value`` (date, geo, channel; NaN for the
        channels without such a column), each only when the table has its
        columns; coords ``channel`` (the labels, e.g. ``"TV"`` for
        ``x1-TV``), ``channel_column`` (the column names), ``control`` and
        ``control_column`` likewise.  ``attrs["xmmm_source"]`` is
        ``"long table"``; ``attrs["frequency"]`` is set when the dates have
        one.  Ground truth (ROAS, parameters, baseline) cannot be recovered.

    Raises
    ------
    ValueError
        No ``date`` or ``geo`` column, missing dates or geos, a repeated
        (date, geo) pair, (date, geo) pairs missing from the grid, no channel
        (``x<i>-``) and no ``contribution_`` columns, contribution columns
        that do not match the channel columns, non-numeric values.

    Examples
    --------
    >>> import xmmm
    >>> ds = xmmm.generate_mmm_dataset(n_periods=20).dataset
    >>> back = from_long_dataframe(to_long_dataframe(ds))
    >>> [str(c) for c in back["channel_column"].values], dict(back.sizes)
    (['x1-TV', 'x2-Search', 'x3-Social'], {'date': 20, 'geo': 3, 'channel': 3, 'control': 2})
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame; got {type(df).__name__}")
    columns = [str(c) for c in df.columns]
    if len(set(columns)) != len(columns):
        raise ValueError("the table has duplicate column names")
    df = df.set_axis(columns, axis=1)
    missing = [c for c in ("date", "geo") if c not in columns]
    if missing:
        raise ValueError(f"the table has no {' and no '.join(map(repr, missing))} column; "
                         "a long table has one row per (date, geo)")
    for c in ("date", "geo"):
        if df[c].isna().any():
            raise ValueError(f"column {c!r} has {int(df[c].isna().sum())} missing value(s)")
    channel_cols = [c for c in columns if _CHANNEL.match(c)]
    media_cols = [c for c in columns if _MEDIA.match(c)]
    control_cols = [c for c in columns if _CONTROL.match(c)]
    contribution_cols = [c for c in columns if _CONTRIBUTION.match(c)]
    if not channel_cols and not contribution_cols:
        raise ValueError("the table has no channel columns (x1-<label>, ...) and no contribution columns "
                         "(contribution_x1-<label>, ...)")
    if channel_cols and contribution_cols:
        named = [_CONTRIBUTION.match(c).group(1) for c in contribution_cols]
        if sorted(named) != sorted(channel_cols):
            raise ValueError(f"contribution columns {', '.join(contribution_cols)} do not match the channel "
                             f"columns {', '.join(channel_cols)}")
        contribution_cols = [f"contribution_{c}" for c in channel_cols]
    channel_names = channel_cols or [_CONTRIBUTION.match(c).group(1) for c in contribution_cols]

    try:
        dates = pd.to_datetime(df["date"])
    except (TypeError, ValueError) as err:
        raise ValueError(f"column 'date' cannot be read as dates: {err}") from None
    geos = df["geo"].astype(str)
    keys = pd.MultiIndex.from_arrays([dates, geos], names=["date", "geo"])
    repeated = keys.duplicated()
    if repeated.any():
        first = keys[repeated][0]
        raise ValueError(f"{int(repeated.sum())} repeated (date, geo) pair(s), e.g. "
                         f"({pd.Timestamp(first[0]).date()}, {first[1]}); a long table has one row per (date, geo)")
    date_grid = np.sort(dates.unique().to_numpy())
    if incomplete == "fill":
        date_grid = _regular_dates(date_grid)
    grid = pd.MultiIndex.from_product([date_grid, np.sort(geos.unique().astype(str))], names=["date", "geo"])
    absent = None
    if len(grid) != len(keys) and incomplete == "fill":
        absent = grid.get_indexer(keys)
    elif len(grid) != len(keys):
        raise ValueError(f"the table has {len(keys)} rows but {len(grid.levels[0])} dates x {len(grid.levels[1])} "
                         f"geos make {len(grid)}: {len(grid) - len(keys)} (date, geo) pair(s) are missing")
    if absent is not None:  # rows on the full grid, NaN where absent
        present = np.zeros(len(grid), dtype=bool)
        present[absent] = True
        values_cols = [c for c in columns if c not in ("date", "geo")]
        filled = {}
        for c in values_cols:
            column = np.full(len(grid), np.nan, dtype=object)
            column[absent] = df[c].to_numpy()
            filled[c] = column
        rows = pd.DataFrame(filled)
    else:
        order = keys.get_indexer(grid)
        rows = df.iloc[order]

    n_dates, n_geos = len(grid.levels[0]), len(grid.levels[1])
    data_vars: dict[str, tuple] = {}
    if "y" in columns:
        data_vars["y"] = (("date", "geo"), _values(rows, ["y"], grid)[..., 0])
    if channel_cols:
        data_vars["spend"] = (("date", "geo", "channel"), _values(rows, channel_cols, grid))
    data_vars["control_value"] = (("date", "geo", "control"), _values(rows, control_cols, grid)
                                  if control_cols else np.empty((n_dates, n_geos, 0)))
    if contribution_cols:
        data_vars["contribution"] = (("date", "geo", "channel"), _values(rows, contribution_cols, grid))
    for letter, var in MEDIA_COLUMNS.items():
        given = {c[1:]: c for c in media_cols if c[0] == letter}
        if given:
            wanted = [given.get(name[1:]) for name in channel_names]
            values = np.full((n_dates, n_geos, len(channel_names)), np.nan)
            found = [j for j, c in enumerate(wanted) if c is not None]
            values[:, :, found] = _values(rows, [wanted[j] for j in found], grid)
            data_vars[var] = (("date", "geo", "channel"), values)
    if absent is not None:
        data_vars["missing"] = (("date", "geo"), ~present.reshape(n_dates, n_geos))
    date_values = grid.levels[0].to_numpy()
    attrs = {"xmmm_source": LONG_TABLE}
    if n_dates >= 3:
        try:
            frequency = pd.DatetimeIndex(date_values, freq="infer").freq
        except ValueError:
            frequency = None
        if frequency is not None:
            attrs["frequency"] = frequency.freqstr
    return xr.Dataset(
        data_vars,
        coords={
            "date": date_values,
            "geo": np.asarray(grid.levels[1], dtype=str),
            "channel": np.array([_CHANNEL.match(c).group(2) for c in channel_names], dtype=str),
            "channel_column": ("channel", np.array(channel_names, dtype=str)),
            "control": np.array([_CONTROL.match(c).group(2) for c in control_cols], dtype=str),
            "control_column": ("control", np.array(control_cols, dtype=str)),
        },
        attrs=attrs,
    )
