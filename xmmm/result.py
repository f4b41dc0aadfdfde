"""The object ``generate_mmm_dataset`` returns: a Dataset with the description's dict view."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cached_property
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr

from xmmm.config import MMMDataConfig
from xmmm.errors import ConfigError, DataFileError

__all__ = ["MMMResult", "open_result"]

_KEYS = ("data", "ground_truth", "config")


class MMMResult(Mapping):
    """A generated dataset: the ``xarray.Dataset`` plus the description's dict view.

    ``result["data"]`` is the long table (made on first access),
    ``result["ground_truth"]`` the ground-truth mapping and ``result["config"]``
    the config that made it (with the seed used).  ``result.dataset`` is the
    Dataset holding everything; it is the object to compute with.

    It is a read-only mapping (``collections.abc.Mapping``) with exactly those
    three keys, so code written for the description's result dict keeps
    working (``result["data"]``, ``dict(result)``, ``for key in result``); the
    values are made on first access.  It is not a ``dict``: code that needs
    one (``json.dumps``) says so with ``dict(result)``.

    Examples
    --------
    >>> import xmmm
    >>> result = xmmm.generate_mmm_dataset(n_periods=20)
    >>> list(result), len(result)
    (['data', 'ground_truth', 'config'], 3)
    >>> sorted(dict(result)) == sorted(result.keys())
    True

    Parameters
    ----------
    dataset : xarray.Dataset
        A single-replicate xmmm Dataset.
    config : MMMDataConfig, optional
        Defaults to the config stored in the Dataset's attributes.
    """

    def __init__(self, dataset: xr.Dataset, config: MMMDataConfig | None = None) -> None:
        self._dataset = dataset
        self._config = config

    # ---- the dict view of the description (values computed lazily, never stored in the dict)
    def __getitem__(self, key: str) -> Any:
        if key == "data":
            return self.data
        if key == "ground_truth":
            return self.ground_truth
        if key == "config":
            return self.config
        raise KeyError(f"{key!r}; an MMMResult has the keys {', '.join(_KEYS)}")

    def __iter__(self) -> Iterator[str]:
        return iter(_KEYS)

    def __len__(self) -> int:
        return len(_KEYS)

    def __contains__(self, key: object) -> bool:
        return key in _KEYS

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MMMResult):
            return self._dataset.identical(other._dataset)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __setitem__(self, key, value) -> None:
        raise TypeError("an MMMResult is read-only; change the config and generate again")

    def __delitem__(self, key) -> None:
        raise TypeError("an MMMResult is read-only; change the config and generate again")

    def copy(self) -> MMMResult:
        return MMMResult(self._dataset, self._config)

    def __reduce__(self):
        return (MMMResult, (self._dataset, self._config))

    def __repr__(self) -> str:
        ds = self._dataset
        return (
            f"<MMMResult: {ds.sizes['date']} dates x {ds.sizes['geo']} geos, "
            f"{ds.sizes['channel']} channels, {ds.sizes['control']} controls; "
            f"seed {ds.attrs.get('seed')}>"
        )

    # ---- the objects
    @property
    def dataset(self) -> xr.Dataset:
        """The labelled Dataset with data, ground truth, coordinates and config."""
        return self._dataset

    @cached_property
    def config(self) -> MMMDataConfig:
        """The config that generated this dataset (its seed filled in)."""
        if self._config is not None:
            return self._config
        return MMMDataConfig.from_dict(json.loads(self._dataset.attrs["xmmm_config"]))

    @cached_property
    def data(self) -> pd.DataFrame:
        """The long modelling table (``date, geo, y, x1-..., c1-...``)."""
        return self.to_dataframe()

    @cached_property
    def ground_truth(self) -> dict:
        """Ground truth in the description's shape (see :func:`xmmm.ground_truth.ground_truth_dict`)."""
        from xmmm.ground_truth import ground_truth_dict

        return ground_truth_dict(self._dataset)

    def to_dataframe(self) -> pd.DataFrame:
        """A new long table (see :func:`xmmm.to_long_dataframe`)."""
        from xmmm.export import to_long_dataframe

        return to_long_dataframe(self._dataset)

    @property
    def plot(self):
        """Plots of this dataset: ``result.plot.channel_spend()``, ``.response_curves()``, ...

        See :class:`xmmm.plot.ResultPlotter`.
        """
        from xmmm.plot import ResultPlotter

        return ResultPlotter(self)

    # ---- files
    def to_netcdf(self, path: str | PathLike, **kwargs) -> None:
        """Write the whole Dataset to NetCDF, atomically (see :func:`xmmm.io.to_netcdf`)."""
        from xmmm.io import to_netcdf

        to_netcdf(self._dataset, path, **kwargs)

    def to_csv(self, path: str | PathLike, **kwargs) -> None:
        """Write the long table to CSV with a JSON ground-truth sidecar (see :func:`xmmm.io.to_csv`)."""
        from xmmm.io import to_csv

        to_csv(self._dataset, path, **kwargs)

    def to_parquet(self, path: str | PathLike, **kwargs) -> None:
        """Write the long table to Parquet with a JSON ground-truth sidecar (see :func:`xmmm.io.to_parquet`)."""
        from xmmm.io import to_parquet

        to_parquet(self._dataset, path, **kwargs)


def open_result(path: str | PathLike, *, replicate: int | None = None) -> MMMResult:
    """Read an xmmm file as an :class:`MMMResult`.

    The result's ``config`` is the one stored in the file, so
    ``xmmm.generate_dataset(open_result(path).config)`` reproduces the file.

    Parameters
    ----------
    path : str or path-like
        As :func:`xmmm.open_dataset`: a ``.nc`` file, or a study's ``.nc`` file or ``.zarr`` store.
    replicate : int, optional
        Needed for a study: the replicate to read (see :func:`xmmm.replicate_dataset`).

    Raises
    ------
    DataFileError
        As :func:`xmmm.open_dataset`, and for a study without ``replicate``.
    """
    from xmmm.io import open_dataset

    dataset = open_dataset(path, replicate=replicate)
    if "replicate" in dataset.dims:
        raise DataFileError(
            f"{Path(path)}: holds {dataset.sizes['replicate']} replicates; choose one with "
            "open_result(path, replicate=N)"
        )
    result = MMMResult(dataset)
    try:
        result.config  # noqa: B018 - fail here, naming the file, rather than later
    except ConfigError as err:
        raise DataFileError(f"{Path(path)}: the stored config is not valid: {err}") from None
    return result
