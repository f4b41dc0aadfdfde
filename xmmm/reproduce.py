"""Verify a file: regenerate it from the config it carries and compare, bit for bit.

Every file xmmm writes holds the config that made it (``xmmm_config``), the
random-stream coordinates (seed, replicate numbers, priors of a study) and the
:func:`~xmmm.io.content_hash` of its data.  :func:`verify` regenerates the data
from that config alone and reports whether they are identical; if not, the
first variable (in name order) that differs and by how much.  ``xmmm verify
FILE`` is the same on the command line (exit code 0 identical, 3 differs).

Examples
--------
>>> import xmmm
>>> xmmm.generate_mmm_dataset(n_periods=30).to_netcdf(tmp_path / "sales.nc")   # doctest: +SKIP
>>> print(xmmm.verify(tmp_path / "sales.nc"))                                  # doctest: +SKIP
sales.nc: identical -- regenerated from its config, content hash sha256:...
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import xarray as xr

from xmmm.config import MMMDataConfig
from xmmm.errors import ConfigError, DataFileError, XmmmWarning
from xmmm.generate import generate_dataset
from xmmm.io import content_hash, open_dataset, truth_sidecar_path
from xmmm.study import simulate

__all__ = ["verify", "VerifyReport", "EXIT_DIFFERS"]

#: exit code of ``xmmm verify`` when the file is not what its config generates
EXIT_DIFFERS = 3


@dataclass(frozen=True)
class VerifyReport:
    """What :func:`verify` found.

    Attributes
    ----------
    path : pathlib.Path
    identical : bool
        The file's data are exactly what its config generates (and match the
        content hash stored in the file, where there is one).
    stored_hash, file_hash, regenerated_hash : str
        The hash written in the file ("" if none), of the data read from it,
        and of the regenerated data.
    variable : str or None
        The first variable (by name) that differs.
    difference : str
        How it differs (empty when identical).
    replicates : int or None
        Number of replicates regenerated, for a study.
    """

    path: Path
    identical: bool
    stored_hash: str
    file_hash: str
    regenerated_hash: str
    variable: str | None = None
    difference: str = ""
    replicates: int | None = None

    def __str__(self) -> str:
        what = f" ({self.replicates} replicates)" if self.replicates is not None else ""
        if self.identical:
            return f"{self.path}: identical{what} -- regenerated from its config, content hash {self.file_hash}"
        where = f"first difference in {self.variable!r}: " if self.variable else ""
        return f"{self.path}: DIFFERS{what} -- {where}{self.difference}"


def verify(path: str | PathLike) -> VerifyReport:
    """Regenerate an xmmm file from its embedded config and compare it with the file.

    Parameters
    ----------
    path : str or path-like
        A dataset (``.nc``), a study (``.nc`` or ``.zarr``, every replicate is
        regenerated) or a long table (``.csv`` / ``.parquet`` with its
        ``.truth.json`` sidecar: the table and the sidecar's content hash are
        checked).

    Returns
    -------
    VerifyReport
        ``identical`` and, if not, the first variable that differs and by how much.

    Raises
    ------
    FileNotFoundError, DataFileError
        The file cannot be read as an xmmm file, or its stored config is not valid.

    Notes
    -----
    The whole file and its regeneration are held in memory.  Warnings about the
    config (seen when the file was made) are not repeated.
    """
    source = Path(path).expanduser()
    if source.suffix.lower() in (".csv", ".parquet"):
        return _verify_table(source)
    dataset = open_dataset(source)
    stored = (dataset.encoding.get("xmmm_provenance") or {}).get("content_hash", "")
    regenerated = _regenerate(dataset, source)
    return _compare(source, dataset, regenerated, stored)


def _config(data: dict | str, source: Path) -> MMMDataConfig:
    try:
        return MMMDataConfig.from_dict(json.loads(data) if isinstance(data, str) else data)
    except (ConfigError, TypeError, ValueError) as err:
        raise DataFileError(f"{source}: the stored config is not valid: {err}") from None


def _regenerate(dataset: xr.Dataset, source: Path) -> xr.Dataset:
    config = _config(dataset.attrs["xmmm_config"], source)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XmmmWarning)
        if "replicate" not in dataset.dims:
            return generate_dataset(config, replicate=int(dataset.attrs.get("replicate", 0)))
        reps = dataset["replicate"].values
        priors = json.loads(dataset.attrs.get("xmmm_priors") or "{}") or None
        return simulate(config, len(reps), priors=priors, first_replicate=int(reps[0]), progress=False)


def _compare(source: Path, found: xr.Dataset, expected: xr.Dataset, stored: str) -> VerifyReport:
    file_hash, new_hash = content_hash(found), content_hash(expected)
    replicates = found.sizes["replicate"] if "replicate" in found.dims else None
    report = dict(path=source, stored_hash=stored, file_hash=file_hash, regenerated_hash=new_hash,
                  replicates=replicates)
    if file_hash == new_hash:
        if stored and stored != file_hash:
            return VerifyReport(identical=False, difference=(
                f"the data equal their regeneration but not the content hash stored in the file "
                f"({stored}; the data hash to {file_hash}): the hash attribute was edited"), **report)
        return VerifyReport(identical=True, **report)
    for name in sorted(set(found.variables) | set(expected.variables)):
        difference = _difference(found.variables.get(name), expected.variables.get(name), found, expected, name)
        if difference:
            return VerifyReport(identical=False, variable=str(name), difference=difference, **report)
    return VerifyReport(identical=False, difference=f"content hash {file_hash} != {new_hash}", **report)


def _difference(got, want, found: xr.Dataset, expected: xr.Dataset, name) -> str:
    """'' if the two variables are the same, else how they differ, in one line."""
    if got is None:
        return "not in the file (the regeneration has it)"
    if want is None:
        return "in the file but not in the regeneration"
    if got.dims != want.dims or got.shape != want.shape:
        return f"dims/shape {dict(zip(got.dims, got.shape))} in the file, {dict(zip(want.dims, want.shape))} regenerated"
    a, b = np.asarray(got.values), np.asarray(want.values)
    if a.dtype.kind in "OUS" or b.dtype.kind in "OUS":
        a, b = a.astype(str), b.astype(str)
        unequal = a != b
    elif a.dtype.kind in "Mm" or b.dtype.kind in "Mm":
        unequal = a.astype("M8[ns]" if a.dtype.kind == "M" else "m8[ns]") != b.astype(
            "M8[ns]" if b.dtype.kind == "M" else "m8[ns]")
    else:
        a, b = a.astype(float), b.astype(float)
        unequal = ~((a == b) | (np.isnan(a) & np.isnan(b)))
    unequal = np.asarray(unequal)
    if not unequal.any():
        return ""
    first = np.unravel_index(int(np.argmax(unequal)), unequal.shape) if unequal.ndim else ()
    at = ", ".join(f"{d}={_label(found, d, i)}" for d, i in zip(got.dims, first))
    text = f"{int(unequal.sum())} of {unequal.size} values differ; first at {at or 'the value'}: "
    if a.dtype.kind == "f":
        diff = np.abs(a - b)[unequal]
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = (np.abs(a - b) / np.maximum(np.abs(b), np.finfo(float).tiny))[unequal]
        values = f"file {float(a[first])!r}, regenerated {float(b[first])!r}"
        if np.isfinite(diff).any():
            values += f"; max abs difference {np.nanmax(diff):.6g}, max relative difference {np.nanmax(rel):.3g}"
        return text + values
    return text + f"file {a[first].item()!r}, regenerated {b[first].item()!r}"


def _label(dataset: xr.Dataset, dim: str, index: int) -> str:
    if dim in dataset.coords:
        value = dataset[dim].values[index]
        if isinstance(value, np.datetime64):
            return str(value)[:10]
        return str(value)
    return str(index)


def _verify_table(source: Path) -> VerifyReport:
    """A long table: its sidecar's config regenerates the Dataset; the table and the stored hash are checked."""
    import pandas as pd

    from xmmm.export import to_long_dataframe

    if not source.exists():
        raise FileNotFoundError(f"{source}: no such file")
    sidecar = truth_sidecar_path(source)
    try:
        truth = json.loads(sidecar.read_text(encoding="utf-8"))
        config = truth["config"]
    except FileNotFoundError:
        raise DataFileError(f"{source}: no ground-truth sidecar {sidecar.name} beside it; it holds the config") from None
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise DataFileError(f"{sidecar}: not an xmmm truth sidecar ({err})") from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XmmmWarning)
        regenerated = generate_dataset(_config(config, sidecar), replicate=int(truth.get("replicate") or 0))
    new_hash = content_hash(regenerated)
    stored = str((truth.get("provenance") or {}).get("content_hash", ""))
    try:
        if source.suffix.lower() == ".csv":
            table = pd.read_csv(source, parse_dates=["date"])
        else:
            table = pd.read_parquet(source)
    except (OSError, ValueError, KeyError, ImportError) as err:
        raise DataFileError(f"{source}: not a readable table ({err})") from None
    expected = to_long_dataframe(regenerated)
    report = dict(path=source, stored_hash=stored, file_hash=stored, regenerated_hash=new_hash)
    if stored and stored != new_hash:
        return VerifyReport(identical=False, difference=f"the sidecar's content hash {stored} != regenerated {new_hash}",
                            **report)
    if list(table.columns) != list(expected.columns) or len(table) != len(expected):
        return VerifyReport(identical=False, difference=(
            f"columns/rows {list(table.columns)} x {len(table)} in the file, "
            f"{list(expected.columns)} x {len(expected)} regenerated"), **report)
    for column in expected.columns:
        got, want = table[column].to_numpy(), expected[column].to_numpy()
        if column == "date":
            same = pd.DatetimeIndex(got).equals(pd.DatetimeIndex(want))
        elif want.dtype.kind == "f":
            same = np.array_equal(got.astype(float), want, equal_nan=True)
        else:
            same = list(map(str, got)) == list(map(str, want))
        if not same:
            return VerifyReport(identical=False, variable=str(column), difference="the column differs", **report)
    return VerifyReport(identical=True, **report)
