"""Files: the NetCDF native format, long tables with a ground-truth sidecar, config files.

Three kinds of file:

* **NetCDF** (``.nc``, :func:`to_netcdf` / :func:`open_dataset`): the whole
  Dataset -- data, ground truth, coordinates and the generating config in
  ``attrs["xmmm_config"]`` -- written with the ``netcdf4`` engine and read back
  identical (``xarray.testing.assert_identical``), dtypes included.  A file is
  enough to reproduce itself: ``xmmm.generate_dataset(xmmm.open_result(path).config)``
  equals the file's Dataset.
* **Long tables** (:func:`to_csv`, :func:`to_parquet`): the modelling table
  ``date, geo, y, x1-..., c1-...`` for tools that cannot read NetCDF, with the
  ground truth in a JSON *sidecar* named after the whole file name plus
  ``.truth.json`` (``sales.csv`` -> ``sales.csv.truth.json``), so a CSV and a
  Parquet file of the same stem in one folder never share a sidecar.
* **Configs** (:func:`load_config`, :func:`save_config`): YAML (``.yaml``,
  ``.yml``) or JSON (``.json``) holding :meth:`MMMDataConfig.to_dict` output.

Every write is atomic: the content goes to a temporary file in the target's
folder, is flushed to disk, and only then replaces the target with
:func:`os.replace`.  If anything fails the temporary file is removed and an
existing target is left as it was.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xmmm.errors import ConfigError, DataFileError

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

    from xmmm.config import MMMDataConfig

__all__ = [
    "to_netcdf",
    "open_dataset",
    "to_csv",
    "to_parquet",
    "truth_sidecar_path",
    "truth_json",
    "load_config",
    "save_config",
    "CONFIG_SUFFIXES",
    "DATA_SUFFIXES",
]

#: File name endings understood by :func:`load_config` / :func:`save_config`.
CONFIG_SUFFIXES = (".yaml", ".yml", ".json")
#: File name endings of dataset files (the CLI picks the writer from these).
DATA_SUFFIXES = (".nc", ".csv", ".parquet")

# The attribute carrying a variable's in-memory dtype through a NetCDF file
# (strings come back as fixed-width unicode and dates in nanoseconds otherwise);
# it is removed again on reading.
_DTYPE_ATTR = "xmmm_dtype"
_COMPRESSION = {"zlib": True, "complevel": 4, "shuffle": True}
# Smaller variables are stored contiguously: a compressed (chunked) variable
# carries a few KiB of HDF5 index, more than compression saves on small arrays.
_MIN_COMPRESSED_BYTES = 16 * 1024


# --------------------------------------------------------------------------- atomic writes
def _atomic_write(targets: Sequence[Path], write: Callable[..., None]) -> None:
    """Write several files all-or-nothing: ``write(*temp_paths)`` then replace each target.

    The temporary files live in each target's folder so that :func:`os.replace`
    is a rename on one file system.  They are fsynced before the rename and
    removed if anything fails, so an existing target is never half-written.
    """
    temps: list[Path] = []
    try:
        for target in targets:
            fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            os.close(fd)
            temps.append(Path(name))
        write(*temps)
        for temp, target in zip(temps, targets, strict=True):
            _fsync(temp)
            _set_mode(temp, target)
        for temp, target in zip(temps, targets, strict=True):
            os.replace(temp, target)
        for folder in {t.parent for t in targets}:
            _fsync_dir(folder)
    except BaseException:
        for temp in temps:
            with contextlib.suppress(OSError):
                temp.unlink()
        raise


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    # makes the rename itself durable; not possible on every platform
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _set_mode(temp: Path, target: Path) -> None:
    """Give the new file the target's permissions, or the usual ones (mkstemp makes 0600)."""
    try:
        mode = target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    with contextlib.suppress(OSError):
        os.chmod(temp, mode)


def _target(path: str | PathLike) -> Path:
    target = Path(path).expanduser()
    if not target.parent.is_dir():
        raise FileNotFoundError(f"{target}: the folder {target.parent} does not exist")
    if target.is_dir():
        raise IsADirectoryError(f"{target}: is a folder, not a file name")
    return target


# --------------------------------------------------------------------------- NetCDF
def to_netcdf(dataset: xr.Dataset, path: str | PathLike, *, compress: bool = True) -> None:
    """Write a whole xmmm Dataset to a NetCDF-4 file, atomically.

    Parameters
    ----------
    dataset : xarray.Dataset
        As made by :func:`xmmm.generate_dataset` (or ``result.dataset``), or a
        simulation study with a ``replicate`` dim.
    path : str or path-like
        The file to write (conventionally ``.nc``); replaced if it exists.
    compress : bool
        zlib compression (level 4, with shuffle) of every numeric variable of
        at least 16 KiB (smaller ones would grow from the chunk index).

    Examples
    --------
    >>> import xmmm, xmmm.io
    >>> ds = xmmm.generate_dataset(n_periods=30)
    >>> xmmm.io.to_netcdf(ds, tmp_path / "sales.nc")                   # doctest: +SKIP
    >>> xmmm.open_dataset(tmp_path / "sales.nc").identical(ds)         # doctest: +SKIP
    True
    """
    target = _target(path)
    prepared, encoding = _for_netcdf(dataset, compress)
    _atomic_write([target], lambda temp: prepared.to_netcdf(temp, engine="netcdf4", encoding=encoding))


def _for_netcdf(dataset: xr.Dataset, compress: bool) -> tuple[xr.Dataset, dict]:
    """A shallow copy with each string/date variable's dtype noted, and the encoding."""
    out = dataset.copy(deep=False)
    encoding: dict[str, dict] = {}
    for name, var in out.variables.items():
        kind = var.dtype.kind
        if kind in "OUSMm":
            var.attrs = {**var.attrs, _DTYPE_ATTR: var.dtype.str if kind != "O" else "object"}
        if kind in "fiub" and compress and var.ndim and var.nbytes >= _MIN_COMPRESSED_BYTES:
            encoding[name] = dict(_COMPRESSION)
        # encodings left over from a file this was read from must not leak into the new one
        var.encoding = {}
    return out, encoding


def open_dataset(path: str | PathLike) -> xr.Dataset:
    """Read an xmmm NetCDF file into memory (the file is closed on return).

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    xarray.Dataset
        Identical to the Dataset that was written, dtypes included.

    Raises
    ------
    FileNotFoundError
        No such file.
    DataFileError
        The file is not NetCDF, is corrupt, or was not written by xmmm (no
        ``xmmm_version`` / ``xmmm_config`` attributes); the message names the file.
    """
    import xarray as xr

    source = Path(path).expanduser()
    if not source.exists():
        raise FileNotFoundError(f"{source}: no such file")
    if source.is_dir():
        raise DataFileError(f"{source}: is a folder, not an xmmm NetCDF file")
    try:
        with xr.open_dataset(source, engine="netcdf4") as opened:
            dataset = opened.load()
    except (OSError, ValueError, RuntimeError, KeyError, TypeError) as err:
        raise DataFileError(f"{source}: not a readable NetCDF file ({_one_line(err)})") from None
    missing = [key for key in ("xmmm_version", "xmmm_config") if key not in dataset.attrs]
    if missing:
        raise DataFileError(
            f"{source}: not an xmmm dataset (the NetCDF file has no {' or '.join(missing)} attribute); "
            "write datasets with xmmm.io.to_netcdf or result.to_netcdf"
        )
    try:
        json.loads(dataset.attrs["xmmm_config"])
    except (TypeError, ValueError):
        raise DataFileError(f"{source}: the xmmm_config attribute is not valid JSON") from None
    return _from_netcdf(dataset)


def _from_netcdf(dataset: xr.Dataset) -> xr.Dataset:
    import numpy as np
    import xarray as xr

    variables = {}
    for name, var in dataset.variables.items():
        attrs = dict(var.attrs)
        dtype = attrs.pop(_DTYPE_ATTR, None)
        data = var.values
        if dtype == "object":
            data = np.array([str(v) for v in data.ravel()], dtype=object).reshape(data.shape)
        elif dtype is not None and np.dtype(dtype) != data.dtype:
            data = data.astype(np.dtype(dtype))
        variables[name] = xr.Variable(var.dims, data, attrs)
    coords = {name: variables.pop(name) for name in dataset.coords}
    return xr.Dataset(variables, coords=coords, attrs=dict(dataset.attrs))


def _one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


# --------------------------------------------------------------------------- long tables
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
        ``channels`` / ``controls`` (name -> export column), ``regions``,
        ``transformation_parameters`` (``channels -> channel -> geo -> {adstock_function,
        adstock_params, saturation_function, saturation_params, effectiveness,
        channel_coefficient, spend_scale}``), ``roas_values``, ``mroas_values``,
        ``attribution_percentages`` (``geo -> channel -> value``),
        ``control_coefficients`` (``geo -> control -> value``), ``media_share``
        (``geo -> percent``) and, with ``series``, ``series`` holding ``date``,
        ``geo`` and ``contribution_<x column>``, ``effect_<c column>``, ``baseline``,
        ``level``, ``trend``, ``seasonality``, ``noise`` columns in the long
        table's row order (date, then geo). Non-finite numbers become ``null``.
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
        index = frames[0].index
        columns: dict[str, list] = {
            "date": [d.strftime("%Y-%m-%d") if _midnight(d) else d.isoformat() for d in index.get_level_values("date")],
            "geo": [str(g) for g in index.get_level_values("geo")],
        }
        for frame in frames:
            ordered = frame.reindex(index)
            for col in ordered.columns:
                columns[str(col)] = ordered[col].tolist()
        out["series"] = columns
    return _plain(out)


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
    text = json.dumps(truth_json(dataset, series=series), indent=1, allow_nan=False)

    def write(temp_table: Path, temp_sidecar: Path) -> None:
        write_frame(frame, temp_table)
        temp_sidecar.write_text(text + "\n", encoding="utf-8")

    _atomic_write([target, sidecar], write)


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


# --------------------------------------------------------------------------- config files
def _yaml_loader():
    import yaml

    class _Loader(yaml.SafeLoader):
        """SafeLoader that leaves dates as strings (``start_date: 2020-01-01`` stays text)."""

    _Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return _Loader


def _config_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in CONFIG_SUFFIXES:
        raise ConfigError(
            f"{path}: unknown config file type {suffix or '(no extension)'!r}; use .yaml, .yml or .json"
        )
    return "json" if suffix == ".json" else "yaml"


def load_config(path: str | PathLike) -> MMMDataConfig:
    """Read a config from a YAML (``.yaml``/``.yml``) or JSON (``.json``) file.

    The file holds the fields of :class:`~xmmm.config.MMMDataConfig` as
    written by :func:`save_config` (or :meth:`MMMDataConfig.to_dict`); fields
    left out take their defaults.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    MMMDataConfig

    Raises
    ------
    FileNotFoundError
        No such file.
    ConfigError
        A syntax error (naming the file, line and column), an unknown key, a
        wrong type or a bad value (naming the file and the key path, e.g.
        ``channels[1].base_spend``).

    Examples
    --------
    >>> import xmmm
    >>> xmmm.save_config(xmmm.DEFAULT_CONFIG, tmp_path / "config.yaml")   # doctest: +SKIP
    >>> xmmm.load_config(tmp_path / "config.yaml") == xmmm.DEFAULT_CONFIG  # doctest: +SKIP
    True
    """
    from xmmm.config import MMMDataConfig

    source, data = _read_mapping(path, "config fields (n_periods, channels, ...)")
    return MMMDataConfig.from_dict(data, source=str(source))


def load_priors(path: str | PathLike) -> dict:
    """Read the priors of a simulation study from a YAML or JSON file.

    The file maps parameter paths to distributions in the dict form, e.g.
    ``transforms.adstock_alpha: {dist: Beta, alpha: 2, beta: 5}``; see
    :func:`xmmm.simulate`.  The paths and distributions are checked when the
    study starts.

    Raises
    ------
    FileNotFoundError
        No such file.
    ConfigError
        A syntax error (naming the file, line and column) or a file that is not a mapping.
    """
    return dict(_read_mapping(path, "parameter paths and distributions")[1])


def _read_mapping(path: str | PathLike, what: str) -> tuple[Path, Mapping]:
    """The mapping held by a YAML or JSON file, with errors that name the file."""
    source = Path(path).expanduser()
    kind = _config_format(source)
    if not source.exists():
        raise FileNotFoundError(f"{source}: no such file")
    try:
        text = source.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{source}: not a text file (it is not UTF-8)") from None
    except IsADirectoryError:
        raise ConfigError(f"{source}: is a folder, not a config file") from None
    data = _parse_json(text, source) if kind == "json" else _parse_yaml(text, source)
    if data is None:
        raise ConfigError(f"{source}: the file is empty; it must hold a mapping of {what}")
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: the file must hold a mapping of {what}; got a {type(data).__name__}")
    return source, data


def _parse_json(text: str, source: Path) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(f"{source}: line {err.lineno}, column {err.colno}: invalid JSON: {err.msg}") from None


def _parse_yaml(text: str, source: Path) -> Any:
    import yaml

    try:
        return yaml.load(text, Loader=_yaml_loader())  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(err, "problem", None) or _one_line(err)
        context = getattr(err, "context", None)
        detail = f"{context} {problem}" if context else problem
        raise ConfigError(f"{source}: {where}invalid YAML: {detail}") from None


def save_config(config: MMMDataConfig, path: str | PathLike) -> None:
    """Write a config to a YAML (``.yaml``/``.yml``) or JSON (``.json``) file, atomically.

    :func:`load_config` reads it back equal.  A custom pattern function is
    stored by its import name (``module:qualname``), so it must be defined at
    module level in an importable module to be read back.

    Raises
    ------
    ConfigError
        ``config`` is not an :class:`~xmmm.config.MMMDataConfig`, or the file
        extension is not one of ``.yaml``, ``.yml``, ``.json``.
    """
    from xmmm.config import MMMDataConfig

    if not isinstance(config, MMMDataConfig):
        raise ConfigError(f"save_config takes an MMMDataConfig; got {type(config).__name__}")
    target = _target(path)
    kind = _config_format(target)
    data = config.to_dict()
    if kind == "json":
        text = json.dumps(data, indent=2) + "\n"
    else:
        import yaml

        text = yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)
    _atomic_write([target], lambda temp: temp.write_text(text, encoding="utf-8"))
