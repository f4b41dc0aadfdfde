"""Files: NetCDF and Zarr, long tables with a ground-truth sidecar, config files, provenance.

Four kinds of file:

* **NetCDF** (``.nc``, :func:`to_netcdf` / :func:`open_dataset`): the whole
  Dataset -- data, ground truth, coordinates and the generating config in
  ``attrs["xmmm_config"]`` -- written with netCDF4 and read back identical
  (``xarray.testing.assert_identical``), dtypes included.  A file is enough to
  reproduce itself: ``xmmm.generate_dataset(xmmm.open_result(path).config)`` equals
  the file's Dataset, and ``xmmm verify FILE`` checks that it does.
* **Studies** (``.nc`` or ``.zarr``, written block by block by
  :func:`xmmm.simulate`): the same layout with a leading ``replicate`` dim;
  :func:`open_dataset` reads both, and ``open_dataset(path, replicate=r)``
  returns one replicate as an ordinary dataset.
* **Long tables** (:func:`to_csv`, :func:`to_parquet`): the modelling table
  ``date, geo, y, x1-..., c1-...`` for tools that cannot read NetCDF, with the
  ground truth in a JSON *sidecar* named after the whole file name plus
  ``.truth.json`` (``sales.csv`` -> ``sales.csv.truth.json``), so a CSV and a
  Parquet file of the same stem in one folder never share a sidecar.
* **Configs** (:func:`load_config`, :func:`save_config`): YAML (``.yaml``,
  ``.yml``) or JSON (``.json``) holding :meth:`MMMDataConfig.to_dict` output.

**Writes are atomic.**  The content goes to a hidden temporary file in the
target's folder, named ``.<target name>.xmmm-<host>-<pid>-<random>.tmp``, is
flushed to disk and only then replaces the target (:func:`os.replace`; a Zarr
store, a folder, is moved aside first).  If anything fails, or the write is
interrupted, the temporary file is removed and an existing target is left as it
was.  A run killed outright (``kill -9``) cannot clean up: the next write to the
same target removes such leftovers of processes that no longer run (only names
of exactly that pattern, never other files).  The Python functions replace an
existing target, as xarray does; the ``xmmm`` command refuses unless given
``--overwrite``.

NetCDF is written and read with netCDF4 directly, variable by variable in
slabs of a few MB, never through xarray's global file lock: an interrupt
(Ctrl-C) stops a write or a read within a fraction of a second and cannot leave
a lock held.

**Provenance.**  Every data file carries ``xmmm_content_hash`` (see
:func:`content_hash`), ``xmmm_version``, ``xmmm_numpy_version`` and
``xmmm_numba_version``; :func:`provenance` reads them without loading data.
On reading, the hash and the library versions move from ``attrs`` to
``dataset.encoding["xmmm_provenance"]``, so a dataset read back is identical to
the one written.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import math
import os
import re
import shutil
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xmmm.errors import ConfigError, DataFileError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import xarray as xr

    from xmmm.config import MMMDataConfig

__all__ = [
    "to_netcdf",
    "open_dataset",
    "replicate_dataset",
    "content_hash",
    "provenance",
    "remove_stale_temps",
    "to_csv",
    "to_parquet",
    "truth_sidecar_path",
    "truth_json",
    "load_config",
    "save_config",
    "CONFIG_SUFFIXES",
    "DATA_SUFFIXES",
    "NETCDF_SUFFIXES",
    "HASH_ATTR",
]

#: File name endings understood by :func:`load_config` / :func:`save_config`.
CONFIG_SUFFIXES = (".yaml", ".yml", ".json")
#: File name endings of dataset files (the CLI picks the writer from these).
DATA_SUFFIXES = (".nc", ".csv", ".parquet")
#: File name endings written as NetCDF-4 (studies also go to ``.zarr``).
NETCDF_SUFFIXES = (".nc", ".nc4", ".netcdf", ".cdf")
#: The attribute holding a file's :func:`content_hash`.
HASH_ATTR = "xmmm_content_hash"
#: Attributes written with the hash: the versions of the libraries that made the numbers.
_VERSION_ATTRS = {"xmmm_numpy_version": "numpy", "xmmm_numba_version": "numba"}
_STUDY_ATTRS = ("n_replicates", "first_replicate", "xmmm_priors")

# The attribute carrying a variable's in-memory dtype through a file (strings
# come back as variable-length text and dates in another unit otherwise); it is
# removed again on reading.
_DTYPE_ATTR = "xmmm_dtype"
_COMPRESSION = {"zlib": True, "complevel": 4, "shuffle": True}
# Smaller variables are stored contiguously: a compressed (chunked) variable
# carries a few KiB of HDF5 index, more than compression saves on small arrays.
_MIN_COMPRESSED_BYTES = 16 * 1024
# HDF5 chunks of compressed variables, and the bytes handed to one netCDF call:
# small enough that an interrupt is seen within a fraction of a second.
_CHUNK_BYTES = 4 * 2**20
_SLAB_BYTES = 16 * 2**20
_TIME_UNITS = {"ns": "nanoseconds", "us": "microseconds", "ms": "milliseconds", "s": "seconds",
               "m": "minutes", "h": "hours", "D": "days"}


# --------------------------------------------------------------------------- temporary files
def _host_tag() -> str:
    return hashlib.sha1(socket.gethostname().encode()).hexdigest()[:8]


def _temp_path(target: Path, ending: str = "tmp") -> Path:
    """``.<name>.xmmm-<host>-<pid>-<random>.<ending>`` next to ``target``: ours, and whose."""
    return target.with_name(f".{target.name}.xmmm-{_host_tag()}-{os.getpid()}-{uuid.uuid4().hex[:8]}.{ending}")


def _temp_pattern(target: Path) -> re.Pattern:
    return re.compile(rf"\.{re.escape(target.name)}\.xmmm-(?P<host>[0-9a-f]{{8}})-(?P<pid>\d+)-[0-9a-f]{{8}}\.(tmp|old)")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


#: leftovers written from another machine (a shared disk) are removed once they are this old
_FOREIGN_STALE_SECONDS = 24 * 3600


def remove_stale_temps(path: str | PathLike) -> list[Path]:
    """Remove the temporary files of earlier, killed writes to ``path``; return what was removed.

    Only names of xmmm's own pattern (``.<name>.xmmm-<host>-<pid>-<random>.tmp``
    or ``.old``) are considered, and only those of a process that no longer runs
    on this machine (or, written from another machine, older than a day): a
    write still running elsewhere keeps its file.  Every write calls this first.

    Examples
    --------
    >>> remove_stale_temps(tmp_path / "sales.nc")                 # doctest: +SKIP
    []
    """
    target = Path(path).expanduser()
    pattern = _temp_pattern(target)
    removed: list[Path] = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed
    host, now = _host_tag(), time.time()
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None:
            continue
        if match["host"] == host:
            if int(match["pid"]) == os.getpid() or _alive(int(match["pid"])):
                continue
        else:
            with contextlib.suppress(OSError):
                if now - entry.stat(follow_symlinks=False).st_mtime < _FOREIGN_STALE_SECONDS:
                    continue
        _remove(Path(entry.path))
        removed.append(Path(entry.path))
    return removed


def _remove(path: Path, *, patience: float = 0.0) -> None:
    """Remove a file or a folder; with ``patience`` (seconds), until it stays gone for a moment.

    Zarr writes from a thread of its own: after an interrupt, its last writes
    can land in a folder just removed and create it again.
    """
    deadline = time.monotonic() + patience
    gone_since = None
    while True:
        with contextlib.suppress(OSError):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            elif path.exists() or path.is_symlink():
                path.unlink()
        now = time.monotonic()
        if path.exists() or path.is_symlink():
            gone_since = None
        elif gone_since is None:
            gone_since = now
        if now >= deadline or (gone_since is not None and now - gone_since >= min(0.3, patience)):
            if not (path.exists() or path.is_symlink()) or now >= deadline:
                return
        time.sleep(0.05)


#: temporary outputs of writes that were aborted: removed once more when the interpreter exits
_ABORTED: set[Path] = set()


@atexit.register
def _remove_aborted() -> None:
    for path in list(_ABORTED):
        _remove(path)


def _named(err: BaseException, temp: Path, target: Path) -> BaseException:
    """The same error, naming the target instead of the hidden temporary file."""
    if isinstance(err, OSError) and err.errno is not None and err.strerror:
        return type(err)(err.errno, err.strerror, str(target))
    text = str(err).replace(str(temp), str(target)).replace(temp.name, target.name)
    try:
        return type(err)(f"{target}: {text}" if str(target) not in text else text)
    except Exception:  # noqa: BLE001 - an exception type that takes other arguments
        return err


def _atomic_write(targets: Sequence[Path], write: Callable[..., None]) -> None:
    """Write several files all-or-nothing: ``write(*temp_paths)`` then replace each target.

    The temporary files live in each target's folder so that :func:`os.replace`
    is a rename on one file system.  They are fsynced before the rename and
    removed if anything fails (an interrupt included), so an existing target is
    never half-written; an error names the target, not the temporary file.
    """
    temps: list[Path] = []
    try:
        for target in targets:
            remove_stale_temps(target)
            temps.append(_temp_path(target))  # noted before it exists: an interrupt cannot leak it
            fd = os.open(temps[-1], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.close(fd)
        write(*temps)
        for temp, target in zip(temps, targets, strict=True):
            _fsync(temp)
            _set_mode(temp, target)
        for temp, target in zip(temps, targets, strict=True):
            os.replace(temp, target)
        for folder in {t.parent for t in targets}:
            _fsync_dir(folder)
    except BaseException as err:
        for temp in temps:
            with contextlib.suppress(OSError):
                temp.unlink()
        if isinstance(err, (OSError, RuntimeError)) and temps:
            failed = next((t for t in temps if str(t) in str(err) or t.name in str(err)), temps[0])
            named = _named(err, failed, targets[temps.index(failed)])
            if named is not err:
                raise named from None
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
    """Give the new file the target's permissions, or the usual ones (temporary files are 0600)."""
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


# --------------------------------------------------------------------------- content hash
_HASH_VERSION = b"xmmm-content-hash-v1\n"


def _kind(dtype) -> str:
    return {"f": "float", "c": "complex", "i": "int", "u": "uint", "b": "bool", "M": "datetime",
            "m": "timedelta", "U": "string", "S": "string", "O": "string"}[dtype.kind]


def _canonical_bytes(values) -> bytes | memoryview:
    """The bytes a variable's values are hashed as (see :func:`content_hash`)."""
    import numpy as np

    a = np.asarray(values)
    kind = a.dtype.kind
    if kind in "USO":
        items = [str(v).encode("utf-8") for v in a.ravel(order="C")]
        lengths = np.array([len(b) for b in items], dtype="<u8")
        return lengths.tobytes() + b"".join(items)
    if kind == "f":
        a = np.ascontiguousarray(a, dtype="<f8")
        nan = np.isnan(a)
        if nan.any():
            a = np.where(nan, np.float64("nan"), a)  # one NaN bit pattern
    elif kind == "c":
        a = np.ascontiguousarray(a, dtype="<c16")
    elif kind == "i":
        a = np.ascontiguousarray(a, dtype="<i8")
    elif kind == "u":
        a = np.ascontiguousarray(a, dtype="<u8")
    elif kind == "b":
        a = np.ascontiguousarray(a, dtype="u1")
    elif kind in "Mm":
        a = np.ascontiguousarray(a.astype(a.dtype.str[:3] + "[ns]").view("<i8"))
    return memoryview(a.reshape(-1)).cast("B") if a.size else b""


class _ContentHasher:
    """Builds :func:`content_hash` from variables given whole or in slabs along their first dim."""

    def __init__(self) -> None:
        self._variables: dict[str, tuple[tuple, tuple, str, Any]] = {}

    def start(self, name: str, dims, shape, dtype) -> None:
        self._variables[name] = (tuple(map(str, dims)), tuple(int(n) for n in shape), _kind(dtype), hashlib.sha256())

    def update(self, name: str, values) -> None:
        """Feed the next slab (along the first dim, in order) of a started variable."""
        self._variables[name][3].update(_canonical_bytes(values))

    def add(self, name: str, variable) -> None:
        self.start(name, variable.dims, variable.shape, variable.dtype)
        self.update(name, variable.values)

    def hexdigest(self) -> str:
        total = hashlib.sha256(_HASH_VERSION)
        for name in sorted(self._variables):
            dims, shape, kind, digest = self._variables[name]
            total.update(json.dumps([name, list(dims), list(shape), kind]).encode() + b"\n")
            total.update(digest.hexdigest().encode() + b"\n")
        return "sha256:" + total.hexdigest()


def content_hash(dataset: xr.Dataset) -> str:
    """A hash of a Dataset's data: equal hashes mean the same numbers and labels.

    ``"sha256:"`` followed by the SHA-256 of: the line ``xmmm-content-hash-v1``;
    then, for every variable of the Dataset (data variables and coordinates
    alike, whatever their names, sorted by name), the JSON line ``[name, dims,
    shape, kind]`` and the hex SHA-256 of its values in C order as canonical
    bytes: floats as little-endian float64 (every NaN as the one quiet NaN),
    integers as little-endian int64 (unsigned: uint64), booleans as one byte,
    dates and durations as int64 nanoseconds, text as UTF-8 with each element
    preceded by its byte length (uint64).  ``kind`` is one of ``float``,
    ``int``, ``uint``, ``bool``, ``datetime``, ``timedelta``, ``string``.
    Attributes (the config, titles, units, versions) and encodings are not
    hashed, so the hash does not depend on compression, chunking, the file
    format (NetCDF, Zarr or memory) or the dtype width a format stores.  It is
    written into every data file as ``xmmm_content_hash``, so a benchmark suite
    can pin a dataset by it.

    Parameters
    ----------
    dataset : xarray.Dataset
        In memory or lazy (dask-backed variables are computed).

    Returns
    -------
    str

    Examples
    --------
    >>> import xmmm
    >>> h = content_hash(xmmm.generate_dataset(n_periods=20, seed=1))
    >>> h == content_hash(xmmm.generate_dataset(n_periods=20, seed=1)), h.startswith("sha256:")
    (True, True)
    >>> h == content_hash(xmmm.generate_dataset(n_periods=20, seed=2))
    False
    """
    hasher = _ContentHasher()
    for name, variable in dataset.variables.items():
        hasher.add(str(name), variable)
    return hasher.hexdigest()


def _provenance_attrs(dataset: xr.Dataset, digest: str) -> dict[str, str]:
    """The attributes written with the data: the hash and the versions that made the numbers.

    A dataset read back from a file keeps the versions recorded there as long
    as its data are unchanged (same hash); otherwise the running versions.
    """
    import importlib

    from xmmm._version import __version__

    old = dataset.encoding.get("xmmm_provenance") or {}
    if old.get("content_hash") == digest:
        versions = {attr: old.get(attr[len("xmmm_"):], "") for attr in _VERSION_ATTRS}
    else:
        versions = {attr: importlib.import_module(lib).__version__ for attr, lib in _VERSION_ATTRS.items()}
    return {HASH_ATTR: digest, "xmmm_version": str(dataset.attrs.get("xmmm_version", __version__)), **versions}


def _provenance_record(attrs: Mapping[str, Any]) -> dict[str, str]:
    """``content_hash``, ``xmmm_version``, ``numpy_version``, ``numba_version`` from file attributes."""
    record = {"content_hash": str(attrs.get(HASH_ATTR, "")), "xmmm_version": str(attrs.get("xmmm_version", ""))}
    record.update({attr[len("xmmm_"):]: str(attrs.get(attr, "")) for attr in _VERSION_ATTRS})
    return record


def _split_provenance(dataset: xr.Dataset) -> xr.Dataset:
    """Move the hash and the library versions from ``attrs`` to ``encoding["xmmm_provenance"]``."""
    attrs = dict(dataset.attrs)
    found = {key: attrs.pop(key) for key in (HASH_ATTR, *_VERSION_ATTRS) if key in attrs}
    dataset.attrs = attrs
    if found:
        dataset.encoding["xmmm_provenance"] = _provenance_record({**found, "xmmm_version": attrs.get("xmmm_version", "")})
    return dataset


# --------------------------------------------------------------------------- encoding
def _stored(values) -> tuple[Any, Any]:
    """``(netCDF dtype, values)`` of an array as stored: text as variable-length strings,
    booleans as int8, dates and durations as int64 counts of their unit."""
    import numpy as np

    values = np.asarray(values)
    kind = values.dtype.kind
    if kind in "OUS":
        return str, values.astype(object)
    if kind == "b":
        return "i1", values.astype("i1")
    if kind == "M" and np.datetime_data(values.dtype)[0] not in _TIME_UNITS:
        values = values.astype("M8[ns]")
    if kind in "Mm":
        return "i8", values.view("i8")
    return values.dtype, values


def _encoded(var) -> tuple[Any, Any, dict]:
    """``(netCDF dtype, values, attrs)`` of a variable as stored (see :func:`_restore_dtypes`).

    Booleans carry xarray's ``dtype: bool`` and dates CF ``units``, so plain
    ``xarray.open_dataset`` decodes them too; text and dates also note their
    in-memory dtype in ``xmmm_dtype``.
    """
    import numpy as np

    attrs = dict(var.attrs)
    kind = var.dtype.kind
    dtype, values = _stored(var.values)
    if kind in "OUSMm":
        attrs[_DTYPE_ATTR] = var.dtype.str if kind != "O" else "object"
    if kind == "b":
        attrs["dtype"] = "bool"
    if kind == "M":
        unit = np.datetime_data(var.dtype)[0]
        attrs["units"] = f"{_TIME_UNITS.get(unit, 'nanoseconds')} since 1970-01-01"
        attrs["calendar"] = "proleptic_gregorian"
    return dtype, values, attrs


def _attr_value(value: Any) -> Any:
    import numpy as np

    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (dict, list, tuple)) and not (
        isinstance(value, (list, tuple)) and value and all(isinstance(v, (int, float)) for v in value)
    ):
        return json.dumps(value)
    return value


def _restore_dtypes(dataset: xr.Dataset) -> xr.Dataset:
    """Give every variable back the dtype noted in its ``xmmm_dtype`` attribute."""
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
            if np.dtype(dtype).kind == "m" and data.dtype.kind in "iu":
                data = data.astype("i8").view(dtype)
            else:
                data = data.astype(np.dtype(dtype))
        variables[name] = xr.Variable(var.dims, data, attrs)
    coords = {name: variables.pop(name) for name in dataset.coords}
    out = xr.Dataset(variables, coords=coords, attrs=dict(dataset.attrs))
    out.encoding = dict(dataset.encoding)
    return out


def _chunk_shape(shape: tuple[int, ...], itemsize: int) -> tuple[int, ...]:
    """HDF5 chunks of at most about 4 MB, whole along the trailing dims when they fit."""
    chunk = list(shape)
    for axis in range(len(shape)):
        trailing = itemsize * math.prod(chunk[axis + 1 :])
        if trailing * chunk[axis] <= _CHUNK_BYTES:
            break
        chunk[axis] = max(1, _CHUNK_BYTES // max(trailing, 1))
    return tuple(max(1, c) for c in chunk)


def _slabs(shape: tuple[int, ...], itemsize: int, chunk0: int = 1) -> Iterable[slice]:
    """Slices along the first dim of about 16 MB each (whole chunks), covering ``shape[0]``."""
    if not shape:
        yield slice(None)
        return
    row = max(1, itemsize * math.prod(shape[1:]))
    step = max(chunk0, (_SLAB_BYTES // row) // chunk0 * chunk0)
    for lo in range(0, shape[0], step):
        yield slice(lo, min(lo + step, shape[0]))
    if shape[0] == 0:
        return


# --------------------------------------------------------------------------- NetCDF files
class _NetCDFFile:
    """A NetCDF-4 file written with netCDF4 directly: dims, variables, then data in slabs."""

    def __init__(self, path: Path) -> None:
        import netCDF4

        self.path = path
        self.nc = netCDF4.Dataset(path, "w", format="NETCDF4")
        self.chunk0: dict[str, int] = {}

    def define(self, dataset: xr.Dataset, *, compress: bool, shapes: Mapping[str, tuple] | None = None,
               chunks: Mapping[str, tuple] | None = None) -> dict:
        """Create every dimension and variable of ``dataset``; return ``{name: encoded values}``.

        ``shapes`` gives the full shape of variables whose data come later
        (:meth:`write`); their values in ``dataset`` only fix dtype and
        attributes.  ``chunks`` fixes the HDF5 chunks of some variables.
        """
        shapes, chunks = dict(shapes or {}), dict(chunks or {})
        sizes = dict(dataset.sizes)
        for name, shape in shapes.items():
            sizes.update(zip(dataset[name].dims, shape))
        for dim, size in sizes.items():
            self.nc.createDimension(str(dim), int(size))
        values: dict[str, Any] = {}
        coordinates = [str(n) for n in dataset.coords if n not in dataset.dims]
        for name, var in dataset.variables.items():
            name = str(name)
            # a variable whose data come later only gives its dtype and attributes
            dtype, data, attrs = _encoded(var[:1] if name in shapes and var.ndim else var)
            shape = tuple(shapes.get(name, data.shape))
            itemsize = 8 if dtype is str else data.dtype.itemsize  # (a pointer per string)
            options: dict[str, Any] = {"fill_value": False}
            nbytes = itemsize * math.prod(shape)
            if dtype is not str and len(shape) and all(shape):
                if compress and data.dtype.kind in "fiub" and nbytes >= _MIN_COMPRESSED_BYTES:
                    options.update(_COMPRESSION, chunksizes=_chunk_shape(shape, itemsize))
                elif name in shapes:
                    options["chunksizes"] = _chunk_shape(shape, itemsize)
                if name in chunks:
                    options["chunksizes"] = tuple(chunks[name])
            v = self.nc.createVariable(name, dtype, tuple(map(str, var.dims)), **options)
            if "chunksizes" in options:
                chunk = options["chunksizes"]
                self.chunk0[name] = chunk[0]
                # each chunk is written whole, once: a cache of one chunk keeps memory flat
                v.set_var_chunk_cache(size=max(math.prod(chunk) * itemsize, 1), nelems=1, preemption=1.0)
            v.setncatts({k: _attr_value(a) for k, a in attrs.items()})
            values[name] = data
        attrs = {k: _attr_value(a) for k, a in dataset.attrs.items()}
        if coordinates:
            attrs["coordinates"] = " ".join(coordinates)
        self.nc.setncatts(attrs)
        return values

    def write(self, name: str, values, start: int = 0) -> None:
        """Write ``values`` at ``start`` along the first dim, in slabs (an interrupt lands between them)."""
        var = self.nc.variables[name]
        if not var.ndim:
            var.assignValue(values)
            return
        if 0 in values.shape:
            return
        itemsize = 8 if values.dtype.kind == "O" else values.dtype.itemsize
        for part in _slabs(values.shape, itemsize, self.chunk0.get(name, 1)):
            var[start + part.start : start + part.stop] = values[part]

    def set_attrs(self, attrs: Mapping[str, Any]) -> None:
        self.nc.setncatts({k: _attr_value(v) for k, v in attrs.items()})

    def close(self) -> None:
        if self.nc is not None:
            with contextlib.suppress(RuntimeError):  # already closed
                self.nc.close()
            self.nc = None


def to_netcdf(dataset: xr.Dataset, path: str | PathLike, *, compress: bool = True) -> None:
    """Write a whole xmmm Dataset to a NetCDF-4 file, atomically.

    Parameters
    ----------
    dataset : xarray.Dataset
        As made by :func:`xmmm.generate_dataset` (or ``result.dataset``), or a
        simulation study with a ``replicate`` dim.
    path : str or path-like
        The file to write (conventionally ``.nc``).  An existing file is
        replaced, as :meth:`xarray.Dataset.to_netcdf` does (the ``xmmm``
        command refuses unless given ``--overwrite``).
    compress : bool
        zlib compression (level 4, with shuffle) of every numeric variable of
        at least 16 KiB (smaller ones would grow from the chunk index).

    Notes
    -----
    The file also carries :func:`content_hash` of the data and the versions
    of xmmm, numpy and numba (see :func:`provenance`).  An interrupt stops the
    write within a fraction of a second and leaves no file behind.

    Examples
    --------
    >>> import xmmm, xmmm.io
    >>> ds = xmmm.generate_dataset(n_periods=30)
    >>> xmmm.io.to_netcdf(ds, tmp_path / "sales.nc")                   # doctest: +SKIP
    >>> xmmm.open_dataset(tmp_path / "sales.nc").identical(ds)         # doctest: +SKIP
    True
    """
    target = _target(path)
    digest = content_hash(dataset)
    prepared = dataset.copy(deep=False)
    prepared.attrs = {**prepared.attrs, **_provenance_attrs(dataset, digest)}

    def write(temp: Path) -> None:
        nc = _NetCDFFile(temp)
        try:
            for name, values in nc.define(prepared, compress=compress).items():
                nc.write(name, values)
        finally:
            nc.close()

    _atomic_write([target], write)


# --------------------------------------------------------------------------- reading
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


def _one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


# --------------------------------------------------------------------------- replicates of a study
def replicate_dataset(study: xr.Dataset, replicate: int) -> xr.Dataset:
    """One replicate of a study as an ordinary single dataset.

    The result has the variables, dims and attributes of
    :func:`xmmm.generate_dataset`'s output, so :func:`xmmm.to_long_dataframe`,
    :class:`xmmm.MMMResult` and the exporters take it.  Its ``xmmm_config``
    attribute is the study's config with the replicate's drawn values put in
    (see :func:`xmmm.replicate_config`), and (for replicates other than 0) its
    ``replicate`` attribute the replicate number: the replicate's random
    streams are those of that number, so ``generate_dataset`` of that config
    alone (which is replicate 0) gives other noise unless it is told the
    replicate number.  Replicate 0 of a study without priors is identical to
    ``generate_dataset(config)``.

    Parameters
    ----------
    study : xarray.Dataset
        From :func:`xmmm.simulate` (in memory, lazy or opened from a file).
    replicate : int
        The replicate *number* (a label of the ``replicate`` coordinate).

    Returns
    -------
    xarray.Dataset
        Lazy if the study is.

    Examples
    --------
    >>> import xmmm
    >>> study = xmmm.simulate(xmmm.DEFAULT_CONFIG, 3)
    >>> one = replicate_dataset(study, 1)
    >>> one.attrs["replicate"], "replicate" in one.dims
    (1, False)
    """
    import numpy as np

    from xmmm.config import MMMDataConfig

    if "replicate" not in study.dims:
        raise ValueError("replicate_dataset takes a simulation study (a Dataset with a 'replicate' dim)")
    replicate = int(replicate)
    if replicate not in study.indexes["replicate"]:
        labels = study["replicate"].values
        raise KeyError(
            f"replicate {replicate} is not in the study (replicates {labels.min()} ... {labels.max()})"
        )
    priors = [v for v in study.data_vars if v.startswith("prior_")]
    one = study.drop_vars(priors).sel(replicate=replicate).drop_vars("replicate")
    config = MMMDataConfig.from_dict(json.loads(study.attrs["xmmm_config"]))
    drawn = {
        study[v].attrs["parameter"]: np.asarray(study[v].sel(replicate=replicate).values)[None, ...]
        for v in priors
    }
    config = with_base_values(config, drawn)
    attrs = {k: v for k, v in study.attrs.items() if k not in _STUDY_ATTRS}
    attrs["xmmm_config"] = json.dumps(config.to_dict(), sort_keys=True)
    if replicate:  # replicate 0 is what generate_dataset gives, attributes included
        attrs["replicate"] = replicate
    one.attrs = attrs
    one.encoding = {}
    return one


def with_base_values(config: MMMDataConfig, values: Mapping[str, np.ndarray]) -> MMMDataConfig:
    """A copy of ``config`` whose base values are ``values`` (first replicate of each).

    ``values`` maps base-value keys (``channels.<field>``, ``controls.<field>``,
    ``regions.<field>``, ``transforms.<family>_<parameter>``) to arrays whose
    first axis is the replicate.
    """
    import numpy as np

    from xmmm.config import validate_config

    out = config.copy()
    for key, arr in values.items():
        arr = np.asarray(arr, dtype=float)[0]
        group, field = key.split(".", 1)
        if group == "regions":
            setattr(out.regions, field, float(arr))
        elif group in ("channels", "controls"):
            items = out.channels if group == "channels" else out.control_variables
            for item, v in zip(items, arr):
                # the level of a channel without spend is its base_value when it has one
                unpaid = group == "channels" and not item.has_spend and item.base_value is not None
                setattr(item, "base_value" if field == "base_spend" and unpaid else field, float(v))
        else:  # transforms.<family>_<parameter>
            family, pname = field.split("_", 1)
            kwargs = getattr(out.transforms, f"{family}_kwargs")
            per_channel = [
                dict(kwargs[i] if isinstance(kwargs, list) else kwargs) for i in range(len(out.channels))
            ]
            for kw, v in zip(per_channel, arr):
                if not np.isnan(v):
                    kw[pname] = float(v)
            setattr(out.transforms, f"{family}_kwargs", per_channel)
    validate_config(out)
    return out


# --------------------------------------------------------------------------- study files
def study_target(path: str | PathLike) -> Path:
    """Check a study's output path: ``.nc`` (NetCDF) or ``.zarr`` in an existing folder.

    Raises
    ------
    ConfigError
        Another ending, or the folder does not exist.
    FileExistsError
        A folder named ``.nc``, or something at a ``.zarr`` path that is not a
        Zarr store (it is never replaced).
    """
    target = Path(os.fspath(path)).expanduser()
    suffix = target.suffix.lower()
    if suffix not in NETCDF_SUFFIXES + (".zarr",):
        raise ConfigError(f"path must end in .nc (NetCDF) or .zarr (Zarr store); got {str(path)!r}")
    if not target.parent.is_dir():
        raise ConfigError(f"path: directory {str(target.parent)!r} does not exist")
    if suffix == ".zarr" and target.exists() and not _is_zarr_store(target):
        raise FileExistsError(f"{str(target)!r} exists and is not a Zarr store; not replacing it")
    if suffix != ".zarr" and target.is_dir():
        raise FileExistsError(f"{str(target)!r} is a directory, not a NetCDF file; not replacing it")
    return target


class StudyWriter:
    """Writes a study block by block under a temporary name and renames it when complete.

    ``template`` is the study's first replicate as a Dataset (names, dims,
    dtypes, attributes); ``reps`` the replicate numbers; ``block`` the replicates
    per block (and per chunk of the file).  :meth:`run` takes ``(lo, hi,
    {variable: values})`` blocks in order, with values laid out as the
    template's variables; the content hash is computed on the way.
    """

    kind = ""

    def __init__(self, target: Path, template: xr.Dataset, reps, block: int) -> None:
        self.target, self.template, self.reps, self.block = target, template, reps, block
        self.tmp = _temp_path(target)
        self.names = [v for v in template.data_vars if "replicate" in template[v].dims]
        self.hasher = _ContentHasher()

    @classmethod
    def for_path(cls, target: Path, template: xr.Dataset, reps, block: int) -> StudyWriter:
        kind = _ZarrStudyWriter if target.suffix.lower() == ".zarr" else _NetCDFStudyWriter
        return kind(target, template, reps, block)

    def header(self) -> xr.Dataset:
        """Everything without a replicate dim, plus the full replicate coordinate."""
        head = self.template.drop_vars(self.names + ["replicate"])
        head = head.assign_coords(replicate=("replicate", self.reps))
        head.attrs = dict(self.template.attrs)
        return head

    def _start_hash(self, head: xr.Dataset) -> None:
        for name, var in head.variables.items():
            self.hasher.add(str(name), var)
        for name in self.names:
            var = self.template[name]
            self.hasher.start(name, var.dims, (len(self.reps),) + var.shape[1:], var.dtype)

    def run(self, blocks: Iterable[tuple[int, int, Mapping[str, np.ndarray]]],
            on_block: Callable[[int], None] | None = None) -> None:
        try:
            remove_stale_temps(self.target)
            self.create()
            for lo, hi, values in blocks:
                self.write(lo, hi, values)
                for name in self.names:
                    self.hasher.update(name, values[name])
                if on_block is not None:
                    on_block(hi - lo)
            self.finish(self.hasher.hexdigest())
            self.commit()
        except BaseException:
            self.abort()
            raise

    def commit(self) -> None:
        os.replace(self.tmp, self.target)

    def abort(self) -> None:
        self.close()
        _ABORTED.add(self.tmp)
        _remove(self.tmp, patience=5.0)

    def _provenance(self, digest: str) -> dict[str, str]:
        return _provenance_attrs(self.template, digest)

    def close(self) -> None:  # pragma: no cover - overridden
        pass


class _NetCDFStudyWriter(StudyWriter):
    """NetCDF-4 with netCDF4 directly: the header, then each block into pre-created variables."""

    kind = "netcdf"
    nc: _NetCDFFile | None = None

    def create(self) -> None:
        import numpy as np
        import xarray as xr

        head = self.header()
        self._start_hash(head)
        shapes = {name: (len(self.reps),) + self.template[name].shape[1:] for name in self.names}
        full = head.copy(deep=False)
        for name in self.names:
            # the template holds one replicate: a read-only view of the full shape keeps the dtype
            # (assigning the DataArray would align it on `replicate` and fill NaN, turning masks to float)
            var = self.template[name].variable
            full[name] = xr.Variable(var.dims, np.broadcast_to(var.values[:1], shapes[name]), var.attrs)
        # a file chunk is a block: each is written whole, once
        chunks = {name: (min(self.block, shape[0]),) + shape[1:] for name, shape in shapes.items()}
        self.nc = _NetCDFFile(self.tmp)
        values = self.nc.define(full, compress=False, shapes=shapes, chunks=chunks)
        for name in head.variables:
            self.nc.write(str(name), values[str(name)])

    def write(self, lo: int, hi: int, values: Mapping[str, np.ndarray]) -> None:
        for name, a in values.items():
            self.nc.write(name, _stored(a)[1], lo)

    def finish(self, digest: str) -> None:
        self.nc.set_attrs(self._provenance(digest))
        self.close()

    def close(self) -> None:
        if self.nc is not None:
            self.nc.close()
            self.nc = None


class _ZarrStudyWriter(StudyWriter):
    """Zarr: metadata and labels through xarray (``compute=False``), then each block into its region."""

    kind = "zarr"
    root = None

    def create(self) -> None:
        try:
            import dask.array as da
            import zarr
        except ImportError:  # pragma: no cover
            raise ImportError("writing .zarr needs dask and zarr: pip install 'xmmm[dask]'") from None
        head = self.header()
        self._start_hash(head)
        lazy = head.copy(deep=False)
        n = len(self.reps)
        for name in self.names:
            var = self.template[name]
            lazy[name] = (var.dims, da.zeros((n,) + var.shape[1:], dtype=var.dtype,
                                             chunks=(self.block,) + var.shape[1:]), var.attrs)
        for var in lazy.variables.values():
            if var.dtype.kind in "OUSMm":
                var.attrs = {**var.attrs, _DTYPE_ATTR: var.dtype.str if var.dtype.kind != "O" else "object"}
            var.encoding = {}
        # Zarr format 2 with consolidated metadata: readable by zarr 2 and 3 and by other
        # implementations, fixed-width strings round-trip, and opening it warns about nothing
        # (format 3 has no specification yet for either)
        lazy.to_zarr(self.tmp, mode="w-", compute=False, consolidated=True, zarr_format=2)
        root = zarr.open_group(self.tmp, mode="r+")
        self.root = {name: root[name] for name in self.names}  # open each array once

    def write(self, lo: int, hi: int, values: Mapping[str, np.ndarray]) -> None:
        for name, a in values.items():
            self.root[name][lo:hi] = a

    def finish(self, digest: str) -> None:
        import zarr

        self.root = None
        group = zarr.open_group(self.tmp, mode="r+", zarr_format=2)
        group.attrs.update(self._provenance(digest))
        zarr.consolidate_metadata(str(self.tmp), zarr_format=2)

    def commit(self) -> None:
        old = None
        if self.target.exists():
            # a directory cannot be replaced atomically: move the old store aside first
            old = _temp_path(self.target, "old")
            os.replace(self.target, old)
        os.replace(self.tmp, self.target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def close(self) -> None:
        self.root = None


def open_study(target: Path, block: int | None = None) -> xr.Dataset:
    """A written study, opened lazily (chunked by ``block`` replicates when dask is installed).

    Labels get their in-memory dtypes back and the provenance moves to
    ``encoding["xmmm_provenance"]``, as with :func:`open_dataset`.
    """
    import numpy as np
    import xarray as xr

    try:
        import dask  # noqa: F401

        chunks = {"replicate": block} if block else None
    except ImportError:  # pragma: no cover
        chunks = None
    if target.suffix.lower() != ".zarr":
        opened = xr.open_dataset(target, engine="netcdf4", chunks=chunks)
    else:
        opened = _read_zarr(target, lazy=True, chunks=chunks)
    for name, var in list(opened.variables.items()):
        dtype = var.attrs.get(_DTYPE_ATTR)
        if dtype is None:
            continue
        attrs = {k: v for k, v in var.attrs.items() if k != _DTYPE_ATTR}
        if "replicate" in var.dims:  # data: leave it lazy
            opened[name].attrs = attrs
            continue
        values = var.values
        values = values.astype(object if dtype == "object" else np.dtype(dtype)) if dtype != values.dtype.str else values
        new = xr.Variable(var.dims, values, attrs)
        if name in opened.indexes:
            opened = opened.assign_coords({name: new})
        elif name in opened.coords:
            opened = opened.assign_coords({name: new})
        else:
            opened[name] = new
    return _split_provenance(opened)
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
