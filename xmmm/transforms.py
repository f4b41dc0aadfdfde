r"""The transform registry and its labelled wrappers.

Every adstock and saturation function is declared once, next to its kernel
(:mod:`xmmm.kernels.adstock`, :mod:`xmmm.kernels.saturation`; see
:mod:`xmmm.kernels.declare`): its name (pymc-marketing's), its parameters with
defaults, valid ranges and variation scale, cross-parameter constraints, its
ceiling, its pymc-marketing twin and component.  This module is the lookup
(:func:`get_transform`, :data:`ADSTOCK_TRANSFORMS`,
:data:`SATURATION_TRANSFORMS`) and the labelled entry points
(:func:`adstock`, :func:`saturation`) that config validation, the parameter
plan, the quality checks, the hand-offs, the docs and the tests read.

Defaults follow pymc-marketing's MMM components, not its bare functions: in
particular ``normalize=True`` (the adstock components' default; the bare
``pymc_marketing.mmm.transformers`` functions default to ``False``).

Kernels compile on first call and are cached on disk.

Examples
--------
>>> import numpy as np
>>> import xarray as xr
>>> from xmmm import transforms
>>> spend = xr.DataArray([[1.0, 0.0, 0.0]], dims=("channel", "date"))
>>> transforms.adstock(spend, "geometric_adstock", alpha=0.5, l_max=2).values
array([[0.66666667, 0.33333333, 0.        ]])
>>> transforms.get_transform("saturation", "hill_function").apply(np.array([1.0]), kappa=1.0)
array([0.5])
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from xmmm.errors import TransformError
from xmmm.kernels import adstock as _adstock_kernels  # noqa: F401 - their declare() calls fill the registry
from xmmm.kernels import saturation as _saturation_kernels  # noqa: F401
from xmmm.kernels.declare import FAMILIES, SCALES, Constraint, Parameter, Transform, registry

if TYPE_CHECKING:  # xarray is imported only when a labelled wrapper runs
    import xarray as xr

__all__ = [
    "ADSTOCK_TRANSFORMS",
    "FAMILIES",
    "SATURATION_TRANSFORMS",
    "SCALES",
    "Constraint",
    "Parameter",
    "Transform",
    "TransformSpec",
    "adstock",
    "get_transform",
    "saturation",
]

#: The declaration of one transform (the former name of :class:`Transform`).
TransformSpec = Transform

ADSTOCK_TRANSFORMS: dict[str, Transform] = registry("adstock")
SATURATION_TRANSFORMS: dict[str, Transform] = registry("saturation")
_REGISTRY = {"adstock": ADSTOCK_TRANSFORMS, "saturation": SATURATION_TRANSFORMS}


def get_transform(family: str, name: str) -> Transform:
    """Look up a transform by family and name.

    Parameters
    ----------
    family : {"adstock", "saturation"}
    name : str
        pymc-marketing's function name, or ``"none"``.

    Returns
    -------
    Transform

    Raises
    ------
    TransformError
        Unknown family or name; the message lists the valid names.

    Examples
    --------
    >>> get_transform("saturation", "hill_function").defaults
    {'slope': 1.0, 'kappa': 0.5}
    """
    if family not in _REGISTRY:
        raise TransformError(f"family must be one of 'adstock', 'saturation'; got {family!r}")
    specs = _REGISTRY[family]
    if not isinstance(name, str) or name not in specs:
        valid = ", ".join(repr(n) for n in specs)
        raise TransformError(f"unknown {family} transform {name!r}; valid names are {valid}")
    return specs[name]


# --------------------------------------------------------------------------- labelled wrappers


def _labelled(spec: Transform, da, params: Mapping, core: list):
    import xarray as xr

    if not isinstance(da, xr.DataArray):
        raise TransformError(f"{spec.name}: expected an xarray.DataArray; got {type(da).__name__}")
    resolved = spec.resolve(params)
    numeric, structural = spec.split(resolved)
    aligned = []
    for p, value in zip(spec.numeric_parameters, numeric, strict=True):
        if isinstance(value, xr.DataArray):
            if set(core) & set(value.dims):
                raise TransformError(f"{spec.name}: {p.name} must not vary along {core[0]!r}")
            # parameters follow the data's labels; a label without a value is an error
            value = xr.align(da, value, join="left")[1]
            if value.isnull().any():
                raise TransformError(
                    f"{spec.name}: {p.name} has no value for some labels of the data"
                )
        aligned.append(value)
    names = [p.name for p in spec.numeric_parameters]

    def _array_fn(x, *values):
        resolved = {**dict(zip(names, values, strict=True)), **structural}
        return spec.apply_resolved(x, resolved, elementwise=True)

    out = xr.apply_ufunc(
        _array_fn,
        da,
        *aligned,
        input_core_dims=[core] + [[] for _ in aligned],
        output_core_dims=[core],
        dask="parallelized",
        output_dtypes=[np.float64],
    )
    return out.transpose(*da.dims, ...).rename(da.name)


def adstock(da: xr.DataArray, name: str, dim: str = "date", **params) -> xr.DataArray:
    """Apply an adstock along ``dim`` of a labelled array.

    Parameters
    ----------
    da : xarray.DataArray
        Input, e.g. spend with dims ``(date, geo, channel)``.
    name : str
        Adstock name (``"geometric_adstock"``, ... or ``"none"``).
    dim : str
        The time dimension to convolve along.
    **params
        Numeric parameters as scalars or DataArrays (broadcast against ``da``
        by dimension name, aligned by label); structural options as scalars.

    Returns
    -------
    xarray.DataArray
        Same dims (same order) and coords as ``da`` (plus any dims only the
        parameters have, last).

    Examples
    --------
    >>> import xarray as xr
    >>> spend = xr.DataArray([[1.0, 0.0], [0.0, 0.0], [0.0, 2.0]], dims=("date", "channel"),
    ...                      coords={"channel": ["tv", "radio"]})
    >>> alpha = xr.DataArray([0.5, 0.0], dims="channel", coords={"channel": ["tv", "radio"]})
    >>> adstock(spend, "geometric_adstock", alpha=alpha, l_max=3, normalize=False).values
    array([[1.  , 0.  ],
           [0.5 , 0.  ],
           [0.25, 2.  ]])
    """
    spec = get_transform("adstock", name)
    if dim not in getattr(da, "dims", ()):
        raise TransformError(f"{name}: dim {dim!r} is not a dimension of the data {getattr(da, 'dims', None)}")
    return _labelled(spec, da, params, [dim])


def saturation(da: xr.DataArray, name: str, **params) -> xr.DataArray:
    """Apply a saturation curve elementwise to a labelled array.

    Parameters
    ----------
    da : xarray.DataArray
        Input, e.g. adstocked spend.
    name : str
        Saturation name (``"hill_function"``, ... or ``"none"``).
    **params
        Scalars or DataArrays broadcast against ``da`` by dimension name.

    Returns
    -------
    xarray.DataArray
        Same dims (same order) and coords as ``da``.

    Examples
    --------
    >>> import xarray as xr
    >>> x = xr.DataArray([0.0, 1.0, 3.0], dims="date")
    >>> saturation(x, "hill_function", slope=1.0, kappa=1.0).values
    array([0.  , 0.5 , 0.75])
    """
    spec = get_transform("saturation", name)
    return _labelled(spec, da, params, [])
