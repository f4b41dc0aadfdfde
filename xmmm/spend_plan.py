"""A user's media plan (or a spend factor) read onto a generation's axes, with errors that name what differs.

A spend plan is given as

* an ``xarray.DataArray`` with dims ``date``, ``geo`` and ``channel`` in any
  order (``geo`` may be left out when there is one region; ``replicate`` may
  be added for a study), or
* a long ``pandas.DataFrame`` with columns ``date``, ``geo`` (optional with
  one region) and one column per channel, one row per (date, geo), or
* a ``numpy`` array shaped (date, geo, channel).

Channels are named by their names (``"TV"``) or their export columns
(``"x1-TV"``).  Every date, geo and channel of the generation must be there
exactly once; values must be finite and >= 0.  The result is in the engine's
layout, (geo, channel, date), or (replicate, geo, channel, date).

Examples
--------
>>> import pandas as pd, xmmm
>>> config = xmmm.customize_preset("basic", n_periods=3)
>>> axes = Axes.of_config(config)
>>> table = pd.DataFrame({"date": config.dates, "x1-TV": [1.0, 2.0, 3.0], "x2-Search": 0.0, "x3-Print": 5.0})
>>> spend_array(table, axes).shape                     # (geo, channel, date)
(1, 3, 3)
>>> spend_array(table.drop(columns="x3-Print"), axes)
Traceback (most recent call last):
...
xmmm.errors.ConfigError: spend: channel x3-Print ('Print') is missing; the plan needs one column per channel (name or export column): TV or x1-TV, Search or x2-Search, Print or x3-Print
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from xmmm.errors import ConfigError

__all__ = ["Axes", "factor_array", "spend_array"]

_SHOWN = 3


@dataclass(frozen=True)
class Axes:
    """The labelled axes of a generation: what a plan or a factor must match."""

    dates: pd.DatetimeIndex
    geos: tuple[str, ...]
    channels: tuple[str, ...]
    columns: tuple[str, ...]
    replicates: tuple[int, ...] | None = None

    @classmethod
    def of_config(cls, config) -> Axes:
        """The axes of a config's generation."""
        return cls(pd.DatetimeIndex(config.dates), tuple(config.region_names), tuple(config.channel_names),
                   tuple(config.channel_columns))

    @classmethod
    def of_dataset(cls, ds: xr.Dataset) -> Axes:
        """The axes of a generated Dataset (with ``replicates`` for a study)."""
        reps = tuple(int(r) for r in ds["replicate"].values) if "replicate" in ds.dims else None
        return cls(pd.DatetimeIndex(ds.indexes["date"]), tuple(str(g) for g in ds["geo"].values),
                   tuple(str(c) for c in ds["channel"].values), tuple(str(c) for c in ds["channel_column"].values),
                   reps)

    def channel_names(self, labels: Sequence, what: str) -> list[str]:
        """Channel names for labels given as names or export columns; an unknown label is an error."""
        lookup = {**{c: c for c in self.channels}, **dict(zip(self.columns, self.channels))}
        out = []
        for label in labels:
            name = lookup.get(str(label))
            if name is None:
                raise ConfigError(f"{what}: unknown channel {str(label)!r}; the channels are {self._choices()}")
            out.append(name)
        repeated = sorted({n for n in out if out.count(n) > 1})
        if repeated:
            raise ConfigError(f"{what}: channel {repeated[0]!r} is given twice (by name and by export column?)")
        return out

    def _choices(self) -> str:
        return ", ".join(f"{n} or {c}" for n, c in zip(self.channels, self.columns))


# --------------------------------------------------------------------------- matching labels
def _listed(values) -> str:
    values = list(values)
    shown = ", ".join(str(v) for v in values[:_SHOWN])
    return shown + (f", ... ({len(values)} in all)" if len(values) > _SHOWN else "")


def _check_dates(given: pd.DatetimeIndex, axes: Axes, what: str) -> None:
    if given.has_duplicates:
        raise ConfigError(f"{what}: date {given[given.duplicated()][0].date()} appears twice")
    missing = axes.dates.difference(given)
    extra = given.difference(axes.dates)
    if len(missing) or len(extra):
        parts = []
        if len(missing):
            parts.append(f"missing {_listed(d.date() for d in missing)}")
        if len(extra):
            parts.append(f"not in the configuration {_listed(d.date() for d in extra)}")
        raise ConfigError(
            f"{what}: dates do not match the configuration's {len(axes.dates)} dates "
            f"({axes.dates[0].date()} ... {axes.dates[-1].date()}): {'; '.join(parts)}"
        )


def _check_geos(given: Sequence[str], axes: Axes, what: str) -> None:
    given = [str(g) for g in given]
    repeated = sorted({g for g in given if given.count(g) > 1})
    if repeated:
        raise ConfigError(f"{what}: geo {repeated[0]!r} appears twice")
    missing = [g for g in axes.geos if g not in given]
    extra = [g for g in given if g not in axes.geos]
    if missing or extra:
        parts = ([f"missing {_listed(missing)}"] if missing else []) + ([f"unknown {_listed(extra)}"] if extra else [])
        raise ConfigError(f"{what}: geos do not match the configuration's ({', '.join(axes.geos)}): {'; '.join(parts)}")


def _check_values(values: np.ndarray, axes: Axes, what: str, *, positive_only: bool = True) -> None:
    """Finite and >= 0 everywhere; the first offender is named (values in (..., G, S, T) layout)."""
    bad = ~np.isfinite(values) | (values < 0) if positive_only else ~np.isfinite(values)
    if not bad.any():
        return
    index = np.unravel_index(int(np.flatnonzero(bad.ravel())[0]), values.shape)
    *lead, g, c, t = index
    where = f"replicate {axes.replicates[lead[0]]}, " if lead and axes.replicates else ""
    value = float(values[index])
    kind = "not finite" if not np.isfinite(value) else "negative"
    raise ConfigError(
        f"{what}: {value!r} ({kind}) in {where}geo {axes.geos[g]!r}, channel {axes.channels[c]!r} on "
        f"{axes.dates[t].date()}; spend must be finite and >= 0"
    )


# --------------------------------------------------------------------------- spend plans
def spend_array(spend, axes: Axes, *, what: str = "spend") -> np.ndarray:
    """A spend plan on the generation's axes: (G, S, T), or (R, G, S, T) with a ``replicate`` dim.

    Parameters
    ----------
    spend : xarray.DataArray, pandas.DataFrame or numpy.ndarray
        See the module docs.
    axes : Axes
    what : str
        The argument's name, for messages.

    Raises
    ------
    ConfigError
        Dates, geos or channels that do not match (naming them), a repeated
        row, or a value that is negative or not finite (naming where).
    """
    if isinstance(spend, pd.DataFrame):
        values = _from_frame(spend, axes, what)
    elif isinstance(spend, xr.DataArray):
        values = _from_array(spend, axes, what)
    elif isinstance(spend, np.ndarray):
        shape = (len(axes.dates), len(axes.geos), len(axes.channels))
        if spend.shape != shape:
            raise ConfigError(f"{what}: a numpy array must be shaped (date, geo, channel) = {shape}; got {spend.shape}")
        values = np.moveaxis(np.asarray(spend, dtype=float), 0, -1)
    else:
        raise ConfigError(
            f"{what} must be an xarray.DataArray (date, geo, channel), a long pandas.DataFrame (date, geo, one "
            f"column per channel) or a numpy array (date, geo, channel); got {type(spend).__name__}"
        )
    values = np.ascontiguousarray(values, dtype=float)
    _check_values(values, axes, what)
    return values


def _from_frame(table: pd.DataFrame, axes: Axes, what: str) -> np.ndarray:
    if "date" not in table.columns:
        raise ConfigError(f"{what}: the table has no 'date' column; it needs date, geo and one column per channel")
    table = table.copy()
    if "geo" not in table.columns:
        if len(axes.geos) != 1:
            raise ConfigError(f"{what}: the table has no 'geo' column; the configuration has {len(axes.geos)} geos")
        table["geo"] = axes.geos[0]
    lookup = {**{c: c for c in axes.channels}, **dict(zip(axes.columns, axes.channels))}
    given = [col for col in table.columns if str(col) in lookup]
    names = axes.channel_names(given, what)
    for name, column in zip(axes.channels, axes.columns):
        if name not in names:
            raise ConfigError(
                f"{what}: channel {column} ({name!r}) is missing; the plan needs one column per channel "
                f"(name or export column): {axes._choices()}"
            )
    table["date"] = pd.to_datetime(table["date"])
    table["geo"] = table["geo"].astype(str)
    repeated = table.duplicated(["date", "geo"])
    if repeated.any():
        row = table[repeated].iloc[0]
        raise ConfigError(f"{what}: the row of geo {row['geo']!r} on {row['date'].date()} appears twice")
    _check_dates(pd.DatetimeIndex(table["date"].unique()), axes, what)
    _check_geos(table["geo"].unique(), axes, what)
    full = pd.MultiIndex.from_product([axes.dates, list(axes.geos)], names=["date", "geo"])
    indexed = table.set_index(["date", "geo"])
    if len(indexed) != len(full):
        missing = full.difference(indexed.index)[0]
        raise ConfigError(f"{what}: there is no row for geo {missing[1]!r} on {missing[0].date()}")
    frame = indexed.reindex(full)[given].rename(columns=dict(zip(given, names)))[list(axes.channels)]
    try:
        values = frame.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ConfigError(f"{what}: the channel columns must be numbers") from None
    return values.reshape(len(axes.dates), len(axes.geos), len(axes.channels)).transpose(1, 2, 0)


def _from_array(da: xr.DataArray, axes: Axes, what: str) -> np.ndarray:
    if "geo" not in da.dims and len(axes.geos) == 1:
        da = da.expand_dims(geo=list(axes.geos))
    lead = ("replicate",) if "replicate" in da.dims else ()
    wanted = set(lead) | {"date", "geo", "channel"}
    if set(da.dims) != wanted:
        raise ConfigError(f"{what}: a DataArray needs the dims date, geo and channel; got {', '.join(da.dims) or 'none'}")
    da = _relabelled(da, axes, what)
    for name in axes.channels:
        if name not in da["channel"].values:
            column = axes.columns[axes.channels.index(name)]
            raise ConfigError(f"{what}: channel {column} ({name!r}) is missing")
    if lead:
        _check_replicates(da, axes, what)
    da = da.sel(date=axes.dates, geo=list(axes.geos), channel=list(axes.channels))
    if lead and axes.replicates is not None:
        da = da.sel(replicate=list(axes.replicates))
    return np.asarray(da.transpose(*lead, "geo", "channel", "date").values, dtype=float)


def _relabelled(da: xr.DataArray, axes: Axes, what: str) -> xr.DataArray:
    """Channel coordinates as names; dates and geos checked against the axes."""
    for dim in ("date", "geo", "channel"):
        if dim in da.dims and dim not in da.coords:
            raise ConfigError(f"{what}: the {dim!r} dim has no coordinate labels")
    if "channel" in da.dims:
        da = da.assign_coords(channel=axes.channel_names(da["channel"].values, what))
    if "date" in da.dims:
        _check_dates(pd.DatetimeIndex(da.indexes["date"]), axes, what)
    if "geo" in da.dims:
        _check_geos(list(da["geo"].values), axes, what)
    return da


def _check_replicates(da: xr.DataArray, axes: Axes, what: str) -> None:
    if axes.replicates is None:
        raise ConfigError(f"{what}: has a 'replicate' dim but the dataset is not a simulation study")
    missing = [r for r in axes.replicates if r not in set(int(v) for v in da["replicate"].values)]
    if missing:
        raise ConfigError(f"{what}: replicates {_listed(missing)} are missing")


# --------------------------------------------------------------------------- factors
def factor_array(factor, axes: Axes, *, what: str = "scale") -> np.ndarray:
    """A spend factor broadcast onto the engine's layout: (G, S, T), or (R, G, S, T) with a ``replicate`` dim.

    Parameters
    ----------
    factor : number, mapping or xarray.DataArray
        One factor for all spend, ``{channel: factor}`` (names or export
        columns; channels not named keep factor 1), or a DataArray whose dims are any of ``replicate``,
        ``date``, ``geo``, ``channel``, broadcast against spend; every label
        of a dim it has must be there.
    axes : Axes

    Raises
    ------
    ConfigError
        An unknown channel, missing labels, or a factor that is negative or
        not finite.

    Examples
    --------
    >>> import xmmm
    >>> axes = Axes.of_config(xmmm.customize_preset("basic", n_periods=2))
    >>> factor_array({"TV": 0.5}, axes)[0, :, 0]
    array([0.5, 1. , 1. ])
    """
    g, s, t = len(axes.geos), len(axes.channels), len(axes.dates)
    if isinstance(factor, numbers.Real) and not isinstance(factor, bool):
        out = np.full((g, s, t), float(factor))
    elif isinstance(factor, Mapping):
        names = axes.channel_names(list(factor), what)
        values = np.ones(s)
        for name, key in zip(names, factor):
            try:
                values[axes.channels.index(name)] = float(factor[key])
            except (TypeError, ValueError):
                raise ConfigError(f"{what}[{key!r}] must be a number; got {factor[key]!r}") from None
        out = np.broadcast_to(values[None, :, None], (g, s, t))
    elif isinstance(factor, xr.DataArray):
        unknown = [d for d in factor.dims if d not in ("replicate", "date", "geo", "channel")]
        if unknown:
            raise ConfigError(f"{what}: unknown dim {unknown[0]!r}; a factor may have the dims replicate, date, geo, channel")
        da = _relabelled(factor, axes, what)
        if "replicate" in da.dims:
            _check_replicates(da, axes, what)
        template = xr.DataArray(
            np.ones((g, s, t)), dims=("geo", "channel", "date"),
            coords={"geo": list(axes.geos), "channel": list(axes.channels), "date": axes.dates},
        )
        if "replicate" in da.dims:
            template = template.expand_dims(replicate=list(axes.replicates))
        da = da.sel({d: template[d].values for d in da.dims})
        out = (template * da).transpose(*template.dims).values
    else:
        raise ConfigError(
            f"{what} must be a number, a mapping {{channel: factor}} or an xarray.DataArray; got "
            f"{type(factor).__name__}"
        )
    out = np.asarray(out, dtype=float)
    bad = ~np.isfinite(out) | (out < 0)
    if bad.any():
        value = float(out[np.unravel_index(int(np.flatnonzero(bad.ravel())[0]), out.shape)])
        raise ConfigError(f"{what}: factors must be finite and >= 0; got {value!r}")
    return out
