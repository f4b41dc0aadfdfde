"""What both hand-offs share: reading a dataset, its config, and saying how far a truth is from the data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

if TYPE_CHECKING:  # pragma: no cover
    from xmmm.result import MMMResult


@dataclass(frozen=True)
class Mismatch:
    """One way a dataset is outside a library's family, and how far the hand-off's truth is from the data.

    Attributes
    ----------
    item : str
        What is affected, e.g. ``"x2-Search"``, ``"adstock"``, ``"mean outcome"``.
    reason : str
        What the library cannot represent, e.g. ``"l_max 4 in the data, 8 in the model"``.
    difference : float
        The measured largest difference between the library's model at the
        hand-off's truth and the data, as a fraction (see ``measure``).
    measure : str
        What was compared, with ``{}`` where the percentage goes, e.g.
        ``"contributions differ by up to {} % of the channel's largest"``.
    """

    item: str
    reason: str
    difference: float
    measure: str

    def __str__(self) -> str:
        return f"{self.item}: {self.reason}; " + self.measure.format(f"{100 * self.difference:.3g}")


def dataset_of(result_or_dataset: MMMResult | xr.Dataset) -> xr.Dataset:
    """The xmmm Dataset of a result or a Dataset, checked to be one generated dataset."""
    dataset = getattr(result_or_dataset, "dataset", result_or_dataset)
    if not isinstance(dataset, xr.Dataset):
        raise TypeError(
            f"expected an MMMResult or an xmmm xarray.Dataset; got {type(result_or_dataset).__name__}"
        )
    if "replicate" in dataset.dims:
        raise ValueError("a hand-off takes one dataset; select a replicate first, e.g. study.isel(replicate=0)")
    missing = [v for v in ("y", "spend", "contribution", "channel_column") if v not in dataset.variables]
    if missing:
        raise ValueError(f"not an xmmm dataset: it has no {', '.join(missing)}")
    return dataset


def columns(dataset: xr.Dataset, kind: str) -> list[str]:
    """Export column names of the channels (``kind="channel"``) or controls."""
    return [str(c) for c in dataset[f"{kind}_column"].values]


def config_of(dataset: xr.Dataset) -> dict:
    """The generating config as plain data (empty if the dataset does not carry it)."""
    try:
        return json.loads(dataset.attrs["xmmm_config"])
    except (KeyError, TypeError, ValueError):
        return {}


def source_attrs(dataset: xr.Dataset) -> dict:
    return {
        "source": "xmmm",
        "xmmm_version": str(dataset.attrs.get("xmmm_version", "")),
        "seed": int(dataset.attrs["seed"]) if "seed" in dataset.attrs else -1,
    }


def dates(dataset: xr.Dataset) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(dataset["date"].values)


def baseline_terms(dataset: xr.Dataset) -> dict:
    """Trend per period, seasonal amplitude, phase and period of the baseline (relative to its level).

    From the config when the dataset carries it; the trend and seasonality
    components themselves are always in the dataset and are what the
    hand-offs' truths are checked against.
    """
    regions = config_of(dataset).get("regions", {})
    return {
        "trend": float(regions.get("sales_trend", 0.0)),
        "amplitude": float(regions.get("seasonal_amplitude", 0.0)),
        "phase": float(regions.get("seasonal_phase", 0.0)),
        "period_days": regions.get("seasonal_period_days"),
        "volatility": float(regions.get("sales_volatility", np.nan)),
    }


def largest_relative(difference: np.ndarray, reference: np.ndarray, axis=None) -> np.ndarray:
    """``max |difference| / max |reference|`` (0 where the reference is all zero)."""
    top = np.max(np.abs(reference), axis=axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(top > 0, np.max(np.abs(difference), axis=axis) / top, 0.0)


def per_period_relative(difference: np.ndarray, reference: np.ndarray) -> float:
    """Largest ``|difference| / |reference|`` over the periods (for a positive reference such as the outcome)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.abs(difference) / np.abs(reference)
    return float(np.nanmax(ratio)) if ratio.size else 0.0


@dataclass(frozen=True)
class ChannelLayout:
    """The channels of a dataset by kind, and the column each one hands over.

    Attributes
    ----------
    kinds : list of str
        ``ChannelConfig.kind`` of every channel (``"paid"`` for a spend-only dataset).
    media : list of int
        Indices of the media channels (every kind but treatments).
    treatments : list of int
        Indices of the non-media treatments.
    data_columns : list of str
        Per channel, the long-table column of what its effect follows:
        exposures ``e<i>-<label>`` where it has them (impressions of a
        reach-and-frequency channel), spend ``x<i>-<label>`` otherwise, a
        treatment's values ``t<i>-<label>``.
    """

    kinds: list[str]
    media: list[int]
    treatments: list[int]
    data_columns: list[str]

    def of(self, kinds: tuple[str, ...]) -> list[int]:
        """Indices of the channels of these kinds."""
        return [j for j, k in enumerate(self.kinds) if k in kinds]


def channel_layout(dataset: xr.Dataset) -> ChannelLayout:
    """The :class:`ChannelLayout` of a dataset."""
    spend_columns = columns(dataset, "channel")
    n = len(spend_columns)
    kinds = [str(k) for k in dataset["channel_kind"].values] if "channel_kind" in dataset.coords else ["paid"] * n
    exposed = np.zeros(n, dtype=bool)
    if "exposure" in dataset:
        exposed = np.asarray(~dataset["exposure"].isnull().all([d for d in dataset["exposure"].dims if d != "channel"]))
    data = []
    for j, col in enumerate(spend_columns):
        letter = "t" if kinds[j] == "treatment" else "e" if exposed[j] else "x"
        data.append(letter + col[1:])
    return ChannelLayout(kinds=kinds, media=[j for j, k in enumerate(kinds) if k != "treatment"],
                         treatments=[j for j, k in enumerate(kinds) if k == "treatment"], data_columns=data)


def channel_data(dataset: xr.Dataset, dims: tuple[str, ...] = ("geo", "channel", "date")) -> xr.DataArray:
    """What each channel's effect follows: exposures where it has them, else spend; a treatment's values."""
    out = dataset["spend"]
    if "exposure" in dataset:
        out = dataset["exposure"].where(dataset["exposure"].notnull(), out)
    if "treatment_value" in dataset:
        out = dataset["treatment_value"].where(dataset["treatment_value"].notnull(), out)
    return out.transpose(*dims)
#: ``to_meridian(missing=...)`` and ``to_pymc_marketing(missing=...)``
MISSING_OPTIONS = ("keep", "interpolate")


def check_missing_option(missing) -> None:
    """Raise ``ValueError`` unless ``missing`` is one of :data:`MISSING_OPTIONS`."""
    if not isinstance(missing, str) or missing not in MISSING_OPTIONS:
        raise ValueError(f"missing must be one of {', '.join(map(repr, MISSING_OPTIONS))}; got {missing!r}")


def interpolated_in_time(values: np.ndarray, axis: int) -> np.ndarray:
    """NaN filled linearly between the neighbouring values along ``axis``, the first and last values held.

    Whole-array NumPy (no loop over series); a series with no value at all stays NaN.

    Examples
    --------
    >>> interpolated_in_time(np.array([[np.nan, 1.0, np.nan, 3.0, np.nan]]), axis=1)
    array([[1., 1., 2., 3., 3.]])
    """
    a = np.moveaxis(np.asarray(values, dtype=float), axis, -1)
    n = a.shape[-1]
    valid = ~np.isnan(a)
    t = np.broadcast_to(np.arange(n), a.shape)
    before = np.maximum.accumulate(np.where(valid, t, -1), axis=-1)
    after = np.flip(np.minimum.accumulate(np.flip(np.where(valid, t, n), axis=-1), axis=-1), axis=-1)
    lo = np.where(before < 0, after, before).clip(0, n - 1)
    hi = np.where(after >= n, before, after).clip(0, n - 1)
    y0, y1 = np.take_along_axis(a, lo, axis=-1), np.take_along_axis(a, hi, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(hi > lo, (t - lo) / np.maximum(hi - lo, 1), 0.0)
    return np.moveaxis(np.where(valid, a, y0 + w * (y1 - y0)), -1, axis)


def with_rows_filled(dataset: xr.Dataset) -> xr.Dataset:
    """The dataset with its missing reported rows interpolated in time within each geo, and no ``missing`` mask."""
    def filled(name: str) -> xr.DataArray:
        da = dataset[name]
        return da.copy(data=interpolated_in_time(da.values, da.dims.index("date")))

    absent = int(dataset["missing"].sum())
    out = dataset.assign(y_observed=filled("y_observed"), spend_observed=filled("spend_observed"))
    out = out.drop_vars("missing")
    out.attrs["filled_rows"] = absent
    return out


def noise_kind(dataset: xr.Dataset) -> str:
    """The configured noise model (``"normal"`` when the dataset does not say)."""
    return str(config_of(dataset).get("regions", {}).get("noise", "normal"))


#: noise models whose standard deviation changes with the level: no constant noise sd holds their truth
LEVEL_DEPENDENT_NOISE = ("heteroscedastic", "lognormal")


def multiplicative(dataset: xr.Dataset) -> bool:
    """Whether ``y = baseline x prod(1 + effect)`` (``outcome_model="multiplicative"``)."""
    return config_of(dataset).get("outcome_model", "additive") == "multiplicative"
