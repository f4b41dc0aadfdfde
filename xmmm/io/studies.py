"""Study files: a simulation study written block by block, NetCDF or Zarr, and opened lazily.

* **Studies** (``.nc`` or ``.zarr``, written block by block by
  :func:`xmmm.simulate`): the same layout as a single dataset with a leading
  ``replicate`` dim; :func:`xmmm.io.open_dataset` reads both, and
  ``open_dataset(path, replicate=r)`` returns one replicate as an ordinary
  dataset.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable, Mapping
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

from xmmm.errors import ConfigError
from xmmm.io.atomic import _ABORTED, _remove, _temp_path, remove_stale_temps
from xmmm.io.encoding import _DTYPE_ATTR, _stored
from xmmm.io.hashing import _ContentHasher, _provenance_attrs, _split_provenance
from xmmm.io.netcdf import NETCDF_SUFFIXES, _NetCDFFile
from xmmm.io.reading import _is_zarr_store, _read_zarr

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import xarray as xr

__all__ = ["study_target", "StudyWriter", "open_study"]


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
