r"""Embedded experiments as the calibration input of pymc-marketing and Meridian.

:func:`lift_tests` reads the experiments' truth that generation stored
(:mod:`xmmm.lift`) and lays it out in a library's own calibration format.

pymc-marketing (``library="pymc-marketing"``): a DataFrame that
``MMM.add_lift_test_measurements`` takes as it is -- one row per experiment
and tested geo, with ``channel`` (the export column, as the hand-off's
``channel_columns``), ``geo``, ``x``, ``delta_x``, ``delta_y``, ``sigma``, all
per-period averages over the test window in original units (currency per
period and ``y`` per period; pymc-marketing scales them with the model's
channel and target scalers):

* ``x`` -- mean spend of the untested world over the window;
* ``delta_x`` -- mean change of spend over the window (tested - untested);
* ``delta_y`` -- **the column the likelihood gets**: the *measured* lift, the
  window's mean realised lift plus ``N(0, measurement_sigma)``, what an
  experiment would report;
* ``sigma`` -- ``measurement_sigma``.

Truth columns beside them (pymc-marketing ignores them):
``delta_y_realised`` (the noise-free mean lift over the window, carry-over
inside the window included), ``delta_y_model`` (the steady-state lift of
the saturation curve, ``beta (f(g (x + dx) / k) - f(g x / k))``: what the
model's lift likelihood implies at the true parameters), ``lift_total``
(the lift summed over every date, carry-over after the window included),
``experiment``, ``start_date``, ``end_date``.  ``delta_y_realised`` and
``delta_y_model`` differ because a real window starts with no extra adstock
and, with feedback policies, includes the policy's reaction: the README
("Causal scenarios") gives their gap for each preset's experiment.

Meridian (``library="meridian"``): a :class:`MeridianCalibration` -- per
channel the ROI point estimate and standard error of the experiments, the
calibration period (``(n_media_times, n_media_channels)`` booleans) and the
``ModelSpec`` keyword arguments that carry them (``media_prior_type="roi"``,
``roi_calibration_period``, a ``PriorDistribution`` with a log-normal
``roi_m`` of that mean and standard deviation).
"""

from __future__ import annotations

import dataclasses
import json
import math
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from xmmm.errors import XmmmWarning

if TYPE_CHECKING:  # pragma: no cover
    from xmmm.result import MMMResult

__all__ = ["LIBRARIES", "MeridianCalibration", "lift_tests"]

#: the calibration formats :func:`lift_tests` writes
LIBRARIES = ("pymc-marketing", "meridian")
#: Meridian's default ``roi_m`` prior, LogNormal(0.2, 0.9): for channels without an experiment
MERIDIAN_DEFAULT_ROI = (0.2, 0.9)


def _dataset(result_or_dataset) -> xr.Dataset:
    ds = getattr(result_or_dataset, "dataset", result_or_dataset)
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"expected an MMMResult or an xmmm xarray.Dataset; got {type(result_or_dataset).__name__}")
    if "replicate" in ds.dims:
        raise ValueError("lift_tests takes one dataset; select a replicate first, e.g. study.isel(replicate=0)")
    if "experiment" not in ds.dims or "lift" not in ds:
        raise ValueError("this dataset has no experiments: add ExperimentConfig entries to MMMDataConfig.experiments")
    return ds


def lift_tests(result_or_dataset: MMMResult | xr.Dataset, library: str = "pymc-marketing"):
    """The dataset's experiments in a library's calibration format (see the module docs).

    Parameters
    ----------
    result_or_dataset : MMMResult or xarray.Dataset
        One generated dataset with experiments.
    library : {"pymc-marketing", "meridian"}

    Returns
    -------
    pandas.DataFrame or MeridianCalibration

    Raises
    ------
    ValueError
        An unknown library, a dataset without experiments, or (pymc-marketing)
        an experiment with ``measurement_sigma`` 0, which its likelihood cannot take.

    Examples
    --------
    >>> import xmmm
    >>> result = xmmm.generate_mmm_dataset(xmmm.get_preset_config("endogenous_market"))
    >>> df = xmmm.lift_tests(result)
    >>> list(df.columns[:6])
    ['channel', 'geo', 'x', 'delta_x', 'delta_y', 'sigma']
    >>> mmm = xmmm.to_pymc_marketing(result).build_model()      # doctest: +SKIP
    >>> mmm.add_lift_test_measurements(df)                       # doctest: +SKIP
    """
    if library not in LIBRARIES:
        raise ValueError(f"library must be one of {', '.join(map(repr, LIBRARIES))}; got {library!r}")
    ds = _dataset(result_or_dataset)
    if library == "pymc-marketing":
        return _pymc_marketing(ds)
    return _meridian(ds)


# --------------------------------------------------------------------------- pymc-marketing
def _pymc_marketing(ds: xr.Dataset) -> pd.DataFrame:
    sigma = ds["lift_sigma"].transpose("geo", "experiment").values
    tested = ds["lift_tested"].transpose("geo", "experiment").values.astype(bool)
    if (sigma[tested] <= 0).any():
        bad = [str(e) for e, s in zip(ds["experiment"].values, sigma.max(axis=0)) if s <= 0]
        raise ValueError(
            f"experiment(s) {', '.join(map(repr, bad))} have measurement_sigma 0; pymc-marketing's lift likelihood "
            "needs sigma > 0: set ExperimentConfig.measurement_sigma"
        )
    columns = dict(zip([str(c) for c in ds["channel"].values], [str(c) for c in ds["channel_column"].values]))
    geo_index, exp_index = np.nonzero(tested)
    order = np.lexsort((geo_index, exp_index))
    geo_index, exp_index = geo_index[order], exp_index[order]

    def pick(name):
        return ds[name].transpose("geo", "experiment").values[geo_index, exp_index]

    frame = pd.DataFrame({
        "channel": [columns[str(ds["experiment_channel"].values[e])] for e in exp_index],
        "geo": [str(ds["geo"].values[g]) for g in geo_index],
        "x": pick("lift_x"),
        "delta_x": pick("lift_delta_x"),
        "delta_y": pick("lift_measured"),
        "sigma": pick("lift_sigma"),
        "delta_y_realised": pick("lift_delta_y"),
        "delta_y_model": pick("lift_delta_y_model"),
        "lift_total": pick("lift_total"),
        "experiment": [str(ds["experiment"].values[e]) for e in exp_index],
        "start_date": pd.DatetimeIndex(ds["experiment_start"].values[exp_index]),
        "end_date": pd.DatetimeIndex(ds["experiment_end"].values[exp_index]),
    })
    wrong = frame["delta_x"] * frame["delta_y"] < 0
    if wrong.any():
        warnings.warn(
            f"{int(wrong.sum())} measured lift(s) have the opposite sign of their spend change (measurement noise "
            "larger than the lift); pymc-marketing rejects them (NonMonotonicError): keep "
            "df[df.delta_x * df.delta_y >= 0] or lower measurement_sigma",
            XmmmWarning,
            stacklevel=3,
        )
    return frame


# --------------------------------------------------------------------------- Meridian
@dataclasses.dataclass
class MeridianCalibration:
    """Experiments as Meridian's ROI calibration input.

    Attributes
    ----------
    roi, roi_se : xarray.DataArray
        (media_channel,) ROI point estimate and standard error of the
        experiments on each channel, NaN for channels without one.  The
        estimate is what the experiments measured:
        ``sum(n_w * measured lift) / sum(n_w * delta_x)`` over the channel's
        experiments and tested geos (``n_w`` the window's periods); the
        standard error follows from ``measurement_sigma`` (independent geos and
        experiments).
    roi_realised : xarray.DataArray
        The same without measurement noise.
    roi_total : xarray.DataArray
        With the lift summed over every date (carry-over after the window).
    roi_model : xarray.DataArray
        Meridian's calibration ROI at the truth, in the untested world (the
        data without the channel's experiments, same random numbers): the
        incremental outcome of the channel's spend in the calibration period
        in every geo (against the same run with that spend set to 0, summed
        over every date) per unit of that spend -- what ``roi_m`` means with
        ``roi_calibration_period``.  A go-dark test measures this ROI in its
        geos; a scale or shift test measures an incremental ROI between the
        untested and the tested spend, which differs where the curve bends.
    calibration_period : xarray.DataArray
        (time, media_channel) booleans: the experiments' windows; all True
        for a channel without experiments (its prior then stays Meridian's
        default and refers to every period).
    """

    roi: xr.DataArray
    roi_se: xr.DataArray
    roi_realised: xr.DataArray
    roi_total: xr.DataArray
    roi_model: xr.DataArray
    calibration_period: xr.DataArray

    def roi_prior_parameters(self) -> tuple[np.ndarray, np.ndarray]:
        """``(mu, sigma)`` of a log-normal with mean ``roi`` and standard deviation ``roi_se`` per channel.

        Channels without an experiment keep Meridian's default ``LogNormal(0.2, 0.9)``.

        Raises
        ------
        ValueError
            A measured ROI that is not positive (a log-normal prior cannot have it).
        """
        mean, se = self.roi.values, self.roi_se.values
        calibrated = np.isfinite(mean)
        if (mean[calibrated] <= 0).any():
            bad = [str(c) for c, m in zip(self.roi["media_channel"].values, mean) if np.isfinite(m) and m <= 0]
            raise ValueError(f"measured ROI of {', '.join(bad)} is not positive; a log-normal roi_m prior needs a "
                             "positive mean (lower measurement_sigma or lengthen the test)")
        with np.errstate(divide="ignore", invalid="ignore"):
            sigma2 = np.log1p(np.square(se / mean))
            mu = np.log(mean) - 0.5 * sigma2
        mu = np.where(calibrated, mu, MERIDIAN_DEFAULT_ROI[0])
        sigma = np.where(calibrated, np.sqrt(sigma2), MERIDIAN_DEFAULT_ROI[1])
        return mu, sigma

    def model_spec_kwargs(self) -> dict[str, Any]:
        """``meridian.model.spec.ModelSpec`` keyword arguments carrying the calibration (needs google-meridian).

        ``media_prior_type="roi"``, ``roi_calibration_period`` and ``prior`` (a
        ``PriorDistribution`` whose ``roi_m`` is the log-normal of
        :meth:`roi_prior_parameters`).
        """
        from meridian.model import prior_distribution

        from meridian import backend

        mu, sigma = self.roi_prior_parameters()
        prior = prior_distribution.PriorDistribution(
            roi_m=backend.tfd.LogNormal(mu.astype(float), sigma.astype(float), name="roi_m")
        )
        return {
            "media_prior_type": "roi",
            "roi_calibration_period": self.calibration_period.transpose("time", "media_channel").values.copy(),
            "prior": prior,
        }


def _meridian(ds: xr.Dataset) -> MeridianCalibration:
    channels = [str(c) for c in ds["channel"].values]
    columns = [str(c) for c in ds["channel_column"].values]
    dates = pd.DatetimeIndex(ds["date"].values)
    tested = ds["lift_tested"].transpose("geo", "experiment").values.astype(bool)
    starts = pd.DatetimeIndex(ds["experiment_start"].values)
    ends = pd.DatetimeIndex(ds["experiment_end"].values)
    lengths = np.array([((dates >= a) & (dates <= b)).sum() for a, b in zip(starts, ends)], dtype=float)

    def per_channel(name):
        return ds[name].transpose("geo", "experiment").values * tested * lengths

    measured, realised, change = per_channel("lift_measured"), per_channel("lift_delta_y"), per_channel("lift_delta_x")
    total = ds["lift_total"].transpose("geo", "experiment").values * tested
    variance = (ds["lift_sigma"].transpose("geo", "experiment").values * lengths) ** 2 * tested
    n = len(channels)
    out = {k: np.full(n, np.nan) for k in ("roi", "roi_se", "roi_realised", "roi_total")}
    period = np.zeros((len(dates), n), dtype=bool)
    exp_channel = [str(c) for c in ds["experiment_channel"].values]
    for j, channel in enumerate(channels):
        cols = [e for e, c in enumerate(exp_channel) if c == channel]
        if not cols:
            period[:, j] = True
            continue
        spend = change[:, cols].sum()
        out["roi"][j] = measured[:, cols].sum() / spend
        out["roi_se"][j] = math.sqrt(variance[:, cols].sum()) / abs(spend)
        out["roi_realised"][j] = realised[:, cols].sum() / spend
        out["roi_total"][j] = total[:, cols].sum() / spend
        for e in cols:
            period[(dates >= starts[e]) & (dates <= ends[e]), j] = True
    roi_model = _roi_in_period(ds, period)
    mc = ("media_channel",)
    coords = {"media_channel": np.asarray(columns, dtype=object),
              "channel_name": ("media_channel", np.asarray(channels, dtype=object))}
    labels = np.asarray(dates.strftime("%Y-%m-%d"), dtype=object)

    def da(values, long_name):
        return xr.DataArray(values, dims=mc, coords=coords, attrs={"long_name": long_name})

    return MeridianCalibration(
        roi=da(out["roi"], "Measured ROI of the experiments (window lift / spend change)"),
        roi_se=da(out["roi_se"], "Standard error of the measured ROI"),
        roi_realised=da(out["roi_realised"], "ROI of the experiments without measurement noise"),
        roi_total=da(out["roi_total"], "ROI with the lift over every date (carry-over after the window)"),
        roi_model=da(np.where(period.all(axis=0), np.nan, roi_model), "Meridian's calibration-period ROI at the truth"),
        calibration_period=xr.DataArray(period, dims=("time", "media_channel"),
                                        coords={"time": labels, **coords}),
    )


def _roi_in_period(ds: xr.Dataset, period: np.ndarray) -> np.ndarray:
    """Per channel, untested world: (y - y with the channel's spend zeroed in its period, every geo) / that spend."""
    from xmmm.config import MMMDataConfig
    from xmmm.engine import Interventions, run
    from xmmm.plan import Plan

    config = MMMDataConfig.from_dict(json.loads(ds.attrs["xmmm_config"]))
    tested = Plan.build(config, [int(ds.attrs.get("replicate", 0))])
    s, t = len(tested.channels), len(tested.dates)
    out = np.full(s, np.nan)
    for j in range(s):
        if period[:, j].all():
            continue
        plan = dataclasses.replace(
            tested, experiments=tuple(e for e in tested.experiments if e.channel != tested.channels[j]))
        data = run(plan)
        scale = np.ones((1, 1, s, t))
        scale[0, 0, j, period[:, j]] = 0.0
        zeroed = run(plan, Interventions(scale=scale))
        spend = (data["spend"][0, :, j] * period[:, j]).sum()
        out[j] = (data["y"] - zeroed["y"]).sum() / spend if spend > 0 else np.nan
    return out
