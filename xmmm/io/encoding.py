"""How variables are stored in a file: in-memory dtypes to file dtypes and back.

Text is stored as variable-length strings, booleans as int8, dates and
durations as int64 counts of their unit; the in-memory dtype travels in the
``xmmm_dtype`` attribute and is restored on reading, so a dataset read back has
the dtypes it was written with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

__all__: list[str] = []


# The attribute carrying a variable's in-memory dtype through a file (strings
# come back as variable-length text and dates in another unit otherwise); it is
# removed again on reading.
_DTYPE_ATTR = "xmmm_dtype"
_TIME_UNITS = {"ns": "nanoseconds", "us": "microseconds", "ms": "milliseconds", "s": "seconds",
               "m": "minutes", "h": "hours", "D": "days"}


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
