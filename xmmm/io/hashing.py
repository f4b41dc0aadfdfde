"""Content hash and provenance: what identifies a dataset's numbers, and what made them.

**Provenance.**  Every data file carries ``xmmm_content_hash`` (see
:func:`content_hash`), ``xmmm_version``, ``xmmm_numpy_version`` and
``xmmm_numba_version``; :func:`xmmm.io.provenance` reads them without loading
data.  On reading, the hash and the library versions move from ``attrs`` to
``dataset.encoding["xmmm_provenance"]``, so a dataset read back is identical to
the one written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

__all__ = ["content_hash", "HASH_ATTR"]

#: The attribute holding a file's :func:`content_hash`.
HASH_ATTR = "xmmm_content_hash"
#: Attributes written with the hash: the versions of the libraries that made the numbers.
_VERSION_ATTRS = {"xmmm_numpy_version": "numpy", "xmmm_numba_version": "numba"}
#: The first line hashed: the version of the definition of the hash.
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
