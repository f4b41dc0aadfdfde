"""Reading xmmm files: a NetCDF file or a study's Zarr store, checked and decoded.

Files are read with netCDF4 directly (no xarray file lock, see
:mod:`xmmm.io.netcdf`), decoded by xarray, checked to be complete xmmm
datasets, and given back their in-memory dtypes; the provenance moves to
``encoding["xmmm_provenance"]`` (see :mod:`xmmm.io.hashing`).
"""

from __future__ import annotations

import json
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xmmm.errors import DataFileError
from xmmm.io.atomic import _one_line
from xmmm.io.encoding import _restore_dtypes
from xmmm.io.hashing import _provenance_record, _split_provenance
from xmmm.io.replicates import replicate_dataset

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

__all__ = ["open_dataset", "provenance"]


def _is_zarr_store(path: Path) -> bool:
    return path.is_dir() and any((path / m).exists() for m in ("zarr.json", ".zgroup", ".zattrs", ".zmetadata"))


def _read_netcdf(source: Path) -> xr.Dataset:
    """Every variable of a NetCDF file through netCDF4 (no xarray file lock), CF-decoded by xarray."""
    import netCDF4
    import numpy as np
    import xarray as xr

    with netCDF4.Dataset(source, "r") as nc:
        nc.set_auto_maskandscale(False)  # xarray's decode_cf masks and decodes, as xr.open_dataset would
        variables = {}
        for name, v in nc.variables.items():
            data = np.asarray(v[...]) if v.ndim == 0 or 0 not in v.shape else np.empty(
                v.shape, dtype=object if v.dtype is str else v.dtype)
            variables[name] = xr.Variable(v.dimensions, data, {k: v.getncattr(k) for k in v.ncattrs()})
        attrs = {k: nc.getncattr(k) for k in nc.ncattrs()}
    raw = xr.Dataset(variables, attrs=attrs)
    return xr.decode_cf(raw, decode_timedelta=False)


def _read_zarr(source: Path, *, lazy: bool = False, chunks=None) -> xr.Dataset:
    import xarray as xr

    opened = xr.open_zarr(source, consolidated=None, chunks=chunks)
    return opened if lazy else opened.load()


def _read(source: Path) -> xr.Dataset:
    """The raw (not yet checked) Dataset of an xmmm file: a NetCDF file or a Zarr store."""
    if not source.exists():
        raise FileNotFoundError(f"{source}: no such file")
    if source.is_dir():
        if not _is_zarr_store(source):
            raise DataFileError(f"{source}: is a folder but not a Zarr store; give an xmmm .nc file or .zarr store")
        try:
            return _read_zarr(source)
        except ImportError:
            raise DataFileError(f"{source}: reading a Zarr store needs zarr: pip install 'xmmm[dask]'") from None
        except (OSError, ValueError, RuntimeError, KeyError, TypeError, AttributeError) as err:
            raise DataFileError(f"{source}: not a readable Zarr store ({_one_line(err)})") from None
    try:
        return _read_netcdf(source)
    except (OSError, ValueError, RuntimeError, KeyError, TypeError, IndexError) as err:
        raise DataFileError(f"{source}: not a readable NetCDF file ({_one_line(err)})") from None


#: what every xmmm dataset file holds; a file missing any of these was cut or edited
_REQUIRED_VARIABLES = (
    "spend", "adstocked", "saturated", "contribution", "control_value", "control_effect", "baseline",
    "baseline_level", "baseline_trend", "baseline_seasonality", "baseline_noise", "y", "spend_level", "spend_scale",
    "effectiveness", "channel_coefficient", "roas", "mroas", "attribution", "control_coefficient", "media_share",
    "adstock_function", "saturation_function", "adstock_l_max", "adstock_normalize", "adstock_mode",
    "channel_column", "control_column",
)


def _check_xmmm(dataset: xr.Dataset, source: Path) -> None:
    missing = [key for key in ("xmmm_version", "xmmm_config") if key not in dataset.attrs]
    if missing:
        raise DataFileError(
            f"{source}: not an xmmm dataset (the file has no {' or '.join(missing)} attribute); "
            "write datasets with xmmm.io.to_netcdf or result.to_netcdf"
        )
    try:
        json.loads(dataset.attrs["xmmm_config"])
    except (TypeError, ValueError):
        raise DataFileError(f"{source}: the xmmm_config attribute is not valid JSON") from None
    dims = [d for d in ("date", "geo", "channel", "control") if d not in dataset.dims]
    absent = [v for v in _REQUIRED_VARIABLES if v not in dataset.variables]
    if dims or absent:
        what = ", ".join([f"dim {d!r}" for d in dims] + [repr(v) for v in absent])
        raise DataFileError(
            f"{source}: an incomplete xmmm dataset (no {what}); it was cut or edited: regenerate it from its "
            "config (xmmm.open_result(...).config)"
        )


def open_dataset(path: str | PathLike, *, replicate: int | None = None) -> xr.Dataset:
    """Read an xmmm file (NetCDF, or a study's NetCDF file or Zarr store) into memory.

    Parameters
    ----------
    path : str or path-like
        A ``.nc`` file written by :func:`to_netcdf` or :func:`xmmm.simulate`, or
        a ``.zarr`` store written by :func:`xmmm.simulate`.
    replicate : int, optional
        For a study: return only this replicate (a label of its ``replicate``
        coordinate) as an ordinary single dataset (see :func:`replicate_dataset`).

    Returns
    -------
    xarray.Dataset
        Identical to the Dataset that was written, dtypes included; the file's
        provenance (content hash, library versions) is in
        ``encoding["xmmm_provenance"]``.  The file is closed on return.

    Raises
    ------
    FileNotFoundError
        No such file.
    DataFileError
        The file is not NetCDF or Zarr, is corrupt, was not written by xmmm
        (no ``xmmm_version`` / ``xmmm_config`` attributes), lacks variables
        every xmmm dataset has, or ``replicate`` is given for a single dataset
        or is not in the study; the message names the file.
    """
    source = Path(path).expanduser()
    dataset = _read(source)
    _check_xmmm(dataset, source)
    dataset = _split_provenance(_restore_dtypes(dataset))
    if replicate is None:
        return dataset
    if "replicate" not in dataset.dims:
        raise DataFileError(f"{source}: holds one dataset, not a study; leave replicate out")
    try:
        return replicate_dataset(dataset, replicate)
    except KeyError as err:
        raise DataFileError(f"{source}: {err.args[0]}") from None


def provenance(path: str | PathLike) -> dict[str, Any]:
    """The provenance recorded in an xmmm file, without reading its data.

    Returns
    -------
    dict
        ``content_hash``, ``xmmm_version``, ``numpy_version``, ``numba_version``
        (empty strings for files written before xmmm recorded them), ``seed``,
        and for studies ``n_replicates``.
    """
    source = Path(path).expanduser()
    if not source.exists():
        raise FileNotFoundError(f"{source}: no such file")
    try:
        if source.is_dir():
            import zarr

            attrs = dict(zarr.open_group(source, mode="r").attrs)
        else:
            import netCDF4

            with netCDF4.Dataset(source, "r") as nc:
                attrs = {k: nc.getncattr(k) for k in nc.ncattrs()}
    except (OSError, ValueError, RuntimeError, KeyError, TypeError) as err:
        raise DataFileError(f"{source}: not a readable xmmm file ({_one_line(err)})") from None
    out: dict[str, Any] = _provenance_record(attrs)
    out["seed"] = attrs.get("seed")
    if "n_replicates" in attrs:
        out["n_replicates"] = int(attrs["n_replicates"])
    return out
