"""NetCDF files: a whole Dataset written to NetCDF-4 with netCDF4 directly, atomically.

* **NetCDF** (``.nc``, :func:`to_netcdf` / :func:`xmmm.io.open_dataset`): the whole
  Dataset -- data, ground truth, coordinates and the generating config in
  ``attrs["xmmm_config"]`` -- written with netCDF4 and read back identical
  (``xarray.testing.assert_identical``), dtypes included.  A file is enough to
  reproduce itself: ``xmmm.generate_dataset(xmmm.open_result(path).config)`` equals
  the file's Dataset, and ``xmmm verify FILE`` checks that it does.

NetCDF is written and read with netCDF4 directly, variable by variable in
slabs of a few MB, never through xarray's global file lock: an interrupt
(Ctrl-C) stops a write or a read within a fraction of a second and cannot leave
a lock held.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterable, Mapping
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xmmm.io.atomic import _atomic_write, _target
from xmmm.io.encoding import _encoded
from xmmm.io.hashing import _provenance_attrs, content_hash

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

__all__ = ["to_netcdf", "NETCDF_SUFFIXES"]

#: File name endings written as NetCDF-4 (studies also go to ``.zarr``).
NETCDF_SUFFIXES = (".nc", ".nc4", ".netcdf", ".cdf")

_COMPRESSION = {"zlib": True, "complevel": 4, "shuffle": True}
# Smaller variables are stored contiguously: a compressed (chunked) variable
# carries a few KiB of HDF5 index, more than compression saves on small arrays.
_MIN_COMPRESSED_BYTES = 16 * 1024
# HDF5 chunks of compressed variables, and the bytes handed to one netCDF call:
# small enough that an interrupt is seen within a fraction of a second.
_CHUNK_BYTES = 4 * 2**20
_SLAB_BYTES = 16 * 2**20


def _attr_value(value: Any) -> Any:
    import numpy as np

    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (dict, list, tuple)) and not (
        isinstance(value, (list, tuple)) and value and all(isinstance(v, (int, float)) for v in value)
    ):
        return json.dumps(value)
    return value


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
