"""Long tables: CSV and Parquet for tools that cannot read NetCDF, with a ground-truth sidecar.

* **Long tables** (:func:`to_csv`, :func:`to_parquet`): the modelling table
  ``date, geo, y, x1-..., c1-...`` for tools that cannot read NetCDF, with the
  ground truth in a JSON *sidecar* named after the whole file name plus
  ``.truth.json`` (``sales.csv`` -> ``sales.csv.truth.json``), so a CSV and a
  Parquet file of the same stem in one folder never share a sidecar.

The table and its sidecar are written together, all-or-nothing (see
:mod:`xmmm.io.atomic`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xmmm.io.atomic import _atomic_write, _target
from xmmm.io.hashing import _provenance_attrs, _provenance_record, content_hash

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

__all__ = ["truth_sidecar_path", "truth_json", "to_csv", "to_parquet"]


def truth_sidecar_path(path: str | PathLike) -> Path:
    """The ground-truth sidecar of a CSV/Parquet file: the file name plus ``.truth.json``.

    >>> truth_sidecar_path("out/sales.csv").name
    'sales.csv.truth.json'
    """
    path = Path(path)
    return path.with_name(path.name + ".truth.json")


def truth_json(dataset: xr.Dataset, *, series: bool = True) -> dict:
    """The ground truth of a single-replicate Dataset as JSON-ready plain data.

    Parameters
    ----------
    dataset : xarray.Dataset
    series : bool
        Include the per-(date, geo) series: channel contributions, baseline
        components and control effects (column-oriented, one list per column).

    Returns
    -------
    dict
        ``xmmm_version``, ``seed``, ``config`` (as :meth:`MMMDataConfig.to_dict`),
        ``provenance`` (``content_hash`` of the whole Dataset, see
        :func:`content_hash`, and the versions of xmmm, numpy and numba),
        ``channels`` / ``controls`` (name -> export column), ``regions``,
        ``transformation_parameters`` (``channels -> channel -> geo -> {adstock_function,
        adstock_params, saturation_function, saturation_params, effectiveness,
        channel_coefficient, spend_scale}``), ``roas_values``, ``mroas_values``,
        ``attribution_percentages`` (``geo -> channel -> value``),
        ``control_coefficients`` (``geo -> control -> value``), ``media_share``
        (``geo -> percent``) and, with ``series``, ``series`` holding ``date``,
        ``geo`` and ``contribution_<x column>``, ``effect_<c column>``, ``baseline``,
        ``level``, ``trend``, ``seasonality``, ``noise`` columns (and those of
        :func:`xmmm.ground_truth.world_series` for harder worlds) in the order
        date, then geo, every pair (a long table with missing rows holds fewer).
        Non-finite numbers become ``null``.
    """
    from xmmm.ground_truth import ground_truth_dict

    if "replicate" in dataset.dims:
        raise ValueError("truth_json takes one dataset; select a replicate first, e.g. study.isel(replicate=0)")
    truth = ground_truth_dict(dataset)
    out: dict[str, Any] = {
        "xmmm_version": str(dataset.attrs.get("xmmm_version", "")),
        "seed": dataset.attrs.get("seed"),
        "config": json.loads(dataset.attrs["xmmm_config"]) if "xmmm_config" in dataset.attrs else None,
        "frequency": dataset.attrs.get("frequency"),
        "replicate": int(dataset.attrs.get("replicate", 0)),
        "provenance": _provenance_record(_provenance_attrs(dataset, content_hash(dataset))),
        "channels": dict(zip(map(str, dataset["channel"].values), map(str, dataset["channel_column"].values))),
        "controls": dict(zip(map(str, dataset["control"].values), map(str, dataset["control_column"].values))),
        "regions": [str(g) for g in dataset["geo"].values],
    }
    for key in (
        "transformation_parameters",
        "roas_values",
        "mroas_values",
        "attribution_percentages",
        "control_coefficients",
        "media_share",
    ):
        out[key] = truth[key]
    if series:
        frames = [truth["transformed_spend"], truth["control_effects"], truth["baseline_components"]]
        if "world_series" in truth:  # harder worlds: true y and spend, masks, multipliers, ...
            frames.append(truth["world_series"])
        index = frames[0].index
        dates = index.get_level_values("date")
        columns: dict[str, list] = {
            "date": (list(dates.strftime("%Y-%m-%d")) if bool((dates == dates.normalize()).all())
                     else [d.strftime("%Y-%m-%d") if _midnight(d) else d.isoformat() for d in dates]),
            "geo": [str(g) for g in index.get_level_values("geo")],
        }
        for frame in frames:
            ordered = frame.reindex(index)
            for col in ordered.columns:
                columns[str(col)] = _json_column(ordered[col].to_numpy())
        series_columns = columns
    else:
        series_columns = None
    out = _plain(out)
    if series_columns is not None:
        out["series"] = series_columns
    return out


def _json_column(values) -> list:
    """A numeric column as a JSON-ready list (non-finite values as None), without a Python call per value."""
    import numpy as np

    values = np.asarray(values)
    if values.dtype.kind != "f":
        return _plain(values.tolist())
    finite = np.isfinite(values)
    if finite.all():
        return values.tolist()
    return np.where(finite, values, None).tolist()


def _midnight(ts) -> bool:
    return ts.hour == 0 and ts.minute == 0 and ts.second == 0 and ts.microsecond == 0


def _plain(value: Any) -> Any:
    """JSON-safe: numpy scalars to Python, NaN/inf to None."""
    import numpy as np

    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _write_table(dataset: xr.Dataset, path: str | PathLike, write_frame: Callable, series: bool) -> None:
    from xmmm.export import to_long_dataframe

    if "replicate" in dataset.dims:
        raise ValueError(
            "a long table holds one dataset; select a replicate first, e.g. study.isel(replicate=0), "
            "or write the study with to_netcdf"
        )
    target = _target(path)
    sidecar = truth_sidecar_path(target)
    frame = to_long_dataframe(dataset)
    text = _sidecar_text(truth_json(dataset, series=series))

    def write(temp_table: Path, temp_sidecar: Path) -> None:
        write_frame(frame, temp_table)
        temp_sidecar.write_text(text + "\n", encoding="utf-8")

    _atomic_write([target, sidecar], write)


def _sidecar_text(truth: dict) -> str:
    """The sidecar as indented JSON, each series column on one line.

    (``json.dumps`` with ``indent`` falls back to its pure-Python encoder: for the
    long series columns that is seconds per MB; one line per column stays fast.)
    """
    series = truth.get("series")
    rest = {k: v for k, v in truth.items() if k != "series"}
    text = json.dumps(rest, indent=1, allow_nan=False)
    if series is None:
        return text
    columns = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v, allow_nan=False)}" for k, v in series.items())
    return text[:-2] + ',\n "series": {\n' + columns + "\n }\n}"


def to_csv(dataset: xr.Dataset, path: str | PathLike, *, series: bool = True) -> None:
    """Write the long table to CSV and the ground truth to ``<path>.truth.json``, atomically.

    Parameters
    ----------
    dataset : xarray.Dataset
        A single-replicate xmmm Dataset.
    path : str or path-like
        The CSV file; its sidecar is ``<file name>.truth.json`` in the same folder
        (see :func:`truth_sidecar_path`).
    series : bool
        Also put the per-(date, geo) truth series (contributions, baseline
        components, control effects) in the sidecar (see :func:`truth_json`).

    Notes
    -----
    Columns ``date, geo, y, x1-..., c1-...`` (see :func:`xmmm.to_long_dataframe`);
    dates as ``YYYY-MM-DD``; floats written at full precision, so reading the
    file back with pandas gives the same numbers.
    """
    _write_table(dataset, path, lambda frame, temp: frame.to_csv(temp, index=False), series)


def to_parquet(dataset: xr.Dataset, path: str | PathLike, *, series: bool = True) -> None:
    """Write the long table to Parquet (pyarrow) and the ground truth to ``<path>.truth.json``.

    As :func:`to_csv`, with the table in Apache Parquet (``date`` a timestamp
    column).  Needs ``pyarrow``: ``pip install "xmmm[parquet]"``.

    Raises
    ------
    ImportError
        pyarrow is not installed.
    """
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise ImportError(
            'writing Parquet needs pyarrow, which is not installed; install it with: pip install "xmmm[parquet]"'
        ) from None
    _write_table(
        dataset, path, lambda frame, temp: frame.to_parquet(temp, engine="pyarrow", index=False), series
    )
