"""Hand a generated dataset to a modelling library, with the truth in that library's terms.

* :func:`to_meridian` lays the data out as Google Meridian's
  ``meridian.data.load.XrDatasetDataLoader`` expects and translates the ground
  truth into Meridian's quantities (ROI, marginal ROI, incremental outcome, ...).
* :func:`to_pymc_marketing` returns ``X``, ``y`` and the keyword arguments of
  ``pymc_marketing.mmm.multidimensional.MMM`` that match the generating
  transforms, with the true parameters on pymc-marketing's scales.

Neither library is imported until it is needed: Meridian only in
:meth:`MeridianHandoff.input_data`, pymc-marketing when the transform
components are built.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from xmmm.errors import XmmmWarning
from xmmm.transforms import ADSTOCK_TRANSFORMS, SATURATION_TRANSFORMS, get_transform

if TYPE_CHECKING:  # pragma: no cover
    from xmmm.result import MMMResult

__all__ = [
    "MeridianHandoff",
    "PymcMarketingHandoff",
    "to_meridian",
    "to_pymc_marketing",
    "ADSTOCK_COMPONENTS",
    "SATURATION_COMPONENTS",
]


def _dataset(result_or_dataset: MMMResult | xr.Dataset) -> xr.Dataset:
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


def _columns(dataset: xr.Dataset, kind: str) -> list[str]:
    return [str(c) for c in dataset[f"{kind}_column"].values]


# =========================================================================== Meridian
@dataclass
class MeridianHandoff:
    """A dataset laid out for Meridian, plus the ground truth in Meridian's terms.

    Attributes
    ----------
    dataset : xarray.Dataset
        The input of ``meridian.data.load.XrDatasetDataLoader(dataset, kpi_type="revenue")``:

        ==================  ====================================  ==========================
        array               dims                                  value
        ==================  ====================================  ==========================
        ``kpi``             (geo, time)                           ``y``
        ``revenue_per_kpi`` (geo, time)                           1
        ``population``      (geo,)                                1
        ``controls``        (geo, time, control_variable)         control values (only if
                                                                  the dataset has controls)
        ``media``           (geo, media_time, media_channel)      spend
        ``media_spend``     (geo, time, media_channel)            spend
        ==================  ====================================  ==========================

        ``time`` and ``media_time`` are the same dates as ``'yyyy-mm-dd'``
        strings (xmmm's spend has no history before the first date, so there
        are no extra lag periods); ``media_channel`` and ``control_variable``
        are the export column names (``x1-TV``, ``c1-price``).  The KPI is
        revenue (``revenue_per_kpi`` = 1): xmmm's ``y`` is in currency.
        ``population`` is 1 in every geo because xmmm has no population: it
        switches off Meridian's per-capita scaling rather than inventing one.
        Spend doubles as the media exposure (xmmm has no impressions), as in
        the mmm-param-recovery benchmark.
    truth : xarray.Dataset
        Ground truth where Meridian has the same quantity:

        * ``roi`` (media_channel): total incremental revenue / total spend,
          summed over geos and times -- Meridian's ROI.
        * ``mroi`` (media_channel): extra revenue from a 1 % spend increase in
          every geo and period, per extra unit of spend -- Meridian's marginal
          ROI with its default ``incremental_increase=0.01``.
        * ``roi_by_geo`` (geo, media_channel): the same per geo
          (``aggregate_geos=False``).
        * ``incremental_outcome`` (geo, time, media_channel): the channel
          contributions (``aggregate_times=False, aggregate_geos=False``); where
          the dataset stores ``incremental_outcome`` (multiplicative outcome,
          log-normal noise: ``y`` minus ``y`` with the channel's spend at 0 on the
          same random numbers), that, and ROI, ROI per geo and
          ``pct_of_contribution`` are computed from it.
        * ``pct_of_contribution`` (media_channel): total contribution as a
          percentage of total KPI.
        * ``alpha_m`` (geo, media_channel) with ``max_lag`` (media_channel):
          geometric adstock retention, only for channels with
          ``geometric_adstock``, ``normalize=True`` and ``mode='After'`` (then
          Meridian's weights ``alpha**l, l = 0..max_lag`` normalised equal
          xmmm's with ``max_lag = l_max - 1``); NaN otherwise.  Meridian has one
          alpha per channel; xmmm's may vary by geo.
        * ``slope_m`` (geo, media_channel): the Hill slope for
          ``hill_function`` channels (scale-free, so it maps); NaN otherwise.

        Not mapped: ``ec_m`` (Meridian scales media by the channel median over
        geos and times, xmmm by the per-geo maximum, so the half-saturation
        points differ), ``beta_gm`` and control coefficients (Meridian's are on
        its own KPI and control scalings), the baseline.  Carry-over past the
        last date is outside both the truth and Meridian's window.
    kpi_type : str
        ``"revenue"``.
    """

    dataset: xr.Dataset
    truth: xr.Dataset
    kpi_type: str = "revenue"

    def input_data(self):
        """Meridian's ``InputData`` via ``XrDatasetDataLoader(...).load()`` (needs google-meridian)."""
        try:
            from meridian.data import load
        except ImportError:
            raise ImportError(
                "building Meridian's InputData needs google-meridian: pip install google-meridian"
            ) from None
        absent = int(np.isnan(self.dataset["kpi"].values).sum())
        if absent:
            raise ValueError(
                f"Meridian takes no missing values, and {absent} (geo, time) rows of this hand-off are missing "
                "(data_issues); hand the data over with to_meridian(data, missing='interpolate') or fill "
                "handoff.dataset's kpi, media and media_spend yourself"
            )
        return load.XrDatasetDataLoader(self.dataset, kpi_type=self.kpi_type).load()


def _time_labels(dates: np.ndarray) -> np.ndarray:
    index = pd.DatetimeIndex(dates)
    labels = index.strftime("%Y-%m-%d")
    if len(set(labels)) != len(labels):
        raise ValueError(
            "Meridian labels periods by day ('yyyy-mm-dd'); this dataset has several periods per day"
        )
    return np.asarray(labels, dtype=object)


def _interpolated_in_time(values: np.ndarray, axis: int) -> np.ndarray:
    """NaN filled linearly between the neighbouring values along ``axis``, the first and last values held.

    Whole-array NumPy (no loop over series); a series with no value at all stays NaN.
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


#: ``to_meridian(missing=...)`` and ``to_pymc_marketing(missing=...)``
MERIDIAN_MISSING = ("keep", "interpolate")


def to_meridian(result_or_dataset: MMMResult | xr.Dataset, *, missing: str = "keep") -> MeridianHandoff:
    """Lay a dataset out for Meridian's ``XrDatasetDataLoader``, with the truth in its terms.

    Parameters
    ----------
    result_or_dataset : MMMResult or xarray.Dataset
        One generated dataset (a ``replicate`` of a study must be selected first).
        With data problems the inputs are what a modeller receives (reported
        ``y`` and spend, NaN in missing rows); the truth is that of the true series.
    missing : {"keep", "interpolate"}
        Missing rows: ``"keep"`` leaves them NaN (Meridian takes none:
        :meth:`MeridianHandoff.input_data` then says so); ``"interpolate"``
        fills ``kpi`` and the media linearly in time within each geo (the first
        and last reported values held), as a modeller might; the filled values
        are in no truth, and ``dataset.attrs["filled_rows"]`` counts them.

    Returns
    -------
    MeridianHandoff
        ``.dataset`` for the loader, ``.truth`` (ROI, marginal ROI, ...) and
        ``.input_data()``; the layout and what maps are described there.

    Examples
    --------
    >>> import xmmm
    >>> handoff = xmmm.to_meridian(xmmm.generate_mmm_dataset(n_periods=30))
    >>> handoff.dataset["media"].dims
    ('geo', 'media_time', 'media_channel')
    >>> from meridian.data import load                                     # doctest: +SKIP
    >>> data = load.XrDatasetDataLoader(handoff.dataset, kpi_type="revenue").load()  # doctest: +SKIP
    """
    if missing not in MERIDIAN_MISSING:
        raise ValueError(f"missing must be one of {', '.join(map(repr, MERIDIAN_MISSING))}; got {missing!r}")
    ds = _dataset(result_or_dataset)
    geo = np.asarray([str(g) for g in ds["geo"].values], dtype=object)
    time = _time_labels(ds["date"].values)
    channels = np.asarray(_columns(ds, "channel"), dtype=object)
    controls = np.asarray(_columns(ds, "control"), dtype=object)

    from xmmm.export import observed_view

    seen = observed_view(ds)  # what a modeller receives (reported, NaN in missing rows); the truth uses ds
    spend = seen["spend"].transpose("geo", "date", "channel").values
    y = seen["y"].transpose("geo", "date").values
    filled = int(np.isnan(y).sum())
    if missing == "interpolate" and filled:
        spend, y = _interpolated_in_time(spend, axis=1), _interpolated_in_time(y, axis=1)
    data_vars: dict[str, tuple] = {
        "kpi": (("geo", "time"), y.copy()),
        "revenue_per_kpi": (("geo", "time"), np.ones_like(y)),
        "population": (("geo",), np.ones(len(geo))),
        "media": (("geo", "media_time", "media_channel"), spend.copy()),
        "media_spend": (("geo", "time", "media_channel"), spend.copy()),
    }
    coords: dict[str, Any] = {"geo": geo, "time": time, "media_time": time.copy(), "media_channel": channels}
    if len(controls):
        data_vars["controls"] = (
            ("geo", "time", "control_variable"),
            ds["control_value"].transpose("geo", "date", "control").values.copy(),
        )
        coords["control_variable"] = controls
    attrs = _source_attrs(ds)
    if filled:
        attrs["filled_rows"] = filled if missing == "interpolate" else 0
    dataset = xr.Dataset(data_vars, coords=coords, attrs=attrs)
    return MeridianHandoff(dataset=dataset, truth=_meridian_truth(ds, geo, time, channels))


def _source_attrs(ds: xr.Dataset) -> dict:
    return {
        "source": "xmmm",
        "xmmm_version": str(ds.attrs.get("xmmm_version", "")),
        "seed": int(ds.attrs["seed"]) if "seed" in ds.attrs else -1,
    }


def _meridian_truth(ds: xr.Dataset, geo, time, channels) -> xr.Dataset:
    from xmmm.ground_truth import MARGINAL_STEP

    # Meridian's ROI is incremental outcome over spend: where that differs from the contribution
    # (multiplicative outcome, log-normal noise) it is stored from paired runs
    effect = "incremental_outcome" if "incremental_outcome" in ds else "contribution"
    contribution = ds[effect].transpose("geo", "date", "channel").values
    spend = ds["spend"].transpose("geo", "date", "channel").values
    geo_spend = spend.sum(axis=1)  # (geo, channel)
    total_spend = geo_spend.sum(axis=0)
    total_contribution = contribution.sum(axis=(0, 1))
    # xmmm's per-geo marginal ROAS is extra / (step * geo spend); summing the
    # extras over geos gives the national figure exactly
    extra = ds["mroas"].transpose("geo", "channel").values * MARGINAL_STEP * geo_spend
    with np.errstate(divide="ignore", invalid="ignore"):
        roi = np.where(total_spend > 0, total_contribution / total_spend, np.nan)
        mroi = np.where(total_spend > 0, extra.sum(axis=0) / (MARGINAL_STEP * total_spend), np.nan)
        roi_by_geo = np.where(geo_spend > 0, contribution.sum(axis=1) / geo_spend, np.nan)
    pct = 100.0 * total_contribution / float(ds["y"].sum())

    n_geo, n_ch = len(geo), len(channels)
    alpha_m = np.full((n_geo, n_ch), np.nan)
    max_lag = np.full(n_ch, -1, dtype=np.int64)
    slope_m = np.full((n_geo, n_ch), np.nan)
    for j in range(n_ch):
        name = str(ds["adstock_function"].values[j])
        if (
            name == "geometric_adstock"
            and bool(ds["adstock_normalize"].values[j])
            and str(ds["adstock_mode"].values[j]) == "After"
        ):
            alpha_m[:, j] = ds["adstock_alpha"].transpose("geo", "channel").values[:, j]
            max_lag[j] = int(ds["adstock_l_max"].values[j]) - 1
        if str(ds["saturation_function"].values[j]) == "hill_function":
            slope_m[:, j] = ds["saturation_slope"].transpose("geo", "channel").values[:, j]

    mc, gmc = ("media_channel",), ("geo", "media_channel")
    return xr.Dataset(
        {
            "roi": (mc, roi, {"long_name": "ROI: total contribution / total spend over geos and times"}),
            "mroi": (mc, mroi, {"long_name": f"Marginal ROI for a {MARGINAL_STEP:.0%} spend increase"}),
            "roi_by_geo": (gmc, roi_by_geo, {"long_name": "ROI per geo"}),
            "incremental_outcome": (
                ("geo", "time", "media_channel"),
                contribution.copy(),
                {"long_name": "Incremental outcome (revenue) per geo and time: the channel contribution, "
                 "or y minus y with the channel's spend at 0 where they differ"},
            ),
            "pct_of_contribution": (
                mc, pct, {"long_name": "Total contribution as a percentage of total KPI", "units": "percent"}
            ),
            "alpha_m": (gmc, alpha_m, {"long_name": "Geometric adstock alpha (NaN where it does not map)"}),
            "max_lag": (mc, max_lag, {"long_name": "Meridian max_lag matching alpha_m (l_max - 1; -1 where unmapped)"}),
            "slope_m": (gmc, slope_m, {"long_name": "Hill slope (NaN where it does not map)"}),
        },
        coords={
            "geo": geo,
            "time": time.copy(),
            "media_channel": channels,
            "channel_name": ("media_channel", np.asarray([str(c) for c in ds["channel"].values], dtype=object)),
        },
        attrs={**_source_attrs(ds), "kpi_type": "revenue", "revenue_per_kpi": 1.0},
    )


# =========================================================================== pymc-marketing
#: xmmm adstock name -> pymc-marketing component class name
#: (``pymc_marketing.mmm.components.adstock``); ``weibull_adstock`` picks the
#: PDF or CDF class from its ``type``.  Read from the declarations.
ADSTOCK_COMPONENTS = {
    name: dict(spec.pymc_component) if isinstance(spec.pymc_component, Mapping) else spec.pymc_component
    for name, spec in ADSTOCK_TRANSFORMS.items()
}

#: xmmm saturation name -> (pymc-marketing class in ``pymc_marketing.mmm.components.saturation``,
#: how the channel coefficient enters its parameters).  ``"beta"``: the class
#: multiplies by a ``beta`` parameter, ``beta = coefficient / target_scale``;
#: otherwise the named parameters absorb the coefficient (see
#: :func:`_saturation_truth`).  Read from the declarations.
SATURATION_COMPONENTS = {name: (spec.pymc_component, spec.coefficient) for name, spec in SATURATION_TRANSFORMS.items()}


@dataclass
class PymcMarketingHandoff:
    """Inputs of ``pymc_marketing.mmm.multidimensional.MMM`` and the truth on its scales.

    Attributes
    ----------
    X : pandas.DataFrame
        One row per (date, geo), sorted by date then geo: ``date``, ``geo``,
        the channel spend columns (``x1-TV``, ...) and control columns
        (``c1-price``, ...).
    y : pandas.Series
        The target ``y``, aligned with ``X``.
    model_kwargs : dict
        ``MMM(**model_kwargs)``: ``date_column``, ``target_column``,
        ``channel_columns``, ``control_columns`` (``None`` without controls),
        ``dims=("geo",)``, ``adstock`` and ``saturation`` component instances
        matching the generating transforms (structural options ``l_max``,
        ``normalize``, ``mode`` included; default priors), and ``scaling``
        reducing over ``date`` only, so pymc-marketing divides each (geo,
        channel) series by its maximum (``"mean"`` for datasets generated
        with ``spend_scaling="mean"``) exactly as xmmm did, and ``y`` by its
        per-geo maximum.  (pymc-marketing's default also reduces over the
        ``dims``, i.e. one scale across geos, which would not match xmmm.)
        Baseline terms (trend, yearly seasonality) are left to the modeller.
        ``time_varying_media=True`` when every channel's effectiveness
        multiplier is the same path (pymc-marketing's latent multiplier is one
        per geo, shared by the channels); with per-channel paths no
        pymc-marketing MMM holds the truth, and the model is left constant.
    truth : xarray.Dataset
        True values named like pymc-marketing's model variables, dims
        (geo, channel) where pymc-marketing's default priors have (channel,):
        xmmm lets parameters vary by geo.

        * ``adstock_<param>`` (``adstock_alpha``, ...): unchanged (adstock is
          linear, so it does not depend on scaling).
        * ``saturation_<param>`` on the target scale: for classes with a
          ``beta`` multiplier, ``saturation_beta = channel_coefficient /
          target_scale`` and the shape parameters unchanged; ``TanhSaturation``:
          ``b = b * k``, ``c = c / k``; ``MichaelisMentenSaturation``:
          ``alpha = alpha * k``; ``HillSaturationSigmoid``: ``sigma = sigma * k``,
          with ``k = channel_coefficient / target_scale``.  Exact only when the
          channel scales agree, which ``model_kwargs["scaling"]`` ensures for
          ``spend_scaling`` "max" and "mean"; with "none" (parameters in
          currency) pymc-marketing's scaled input differs and the saturation
          parameters are left out.  With data problems the scales are those of
          the reported data the model receives; a (geo, channel) whose channel
          scale differs from xmmm's (spend measurement error, a maximum in a
          missing row) has NaN shape parameters, as no value makes the model's
          input xmmm's.  With ``outcome_model="multiplicative"`` pymc-marketing's
          additive MMM has no parameters that reproduce ``y``: saturation
          parameters are left out (``saturation_mapped`` = 0) and
          ``channel_contribution`` is xmmm's log-share decomposition.
        * ``gamma_control`` (geo, control): control coefficient / target scale
          (pymc-marketing does not scale controls).
        * ``intercept_contribution`` (geo): baseline level / target scale;
          xmmm's baseline trend and seasonality are not in this model spec.
        * ``y_sigma`` (geo): noise standard deviation / target scale (the
          marginal one for Student-t and AR(1) errors; NaN for heteroscedastic
          and log-normal noise, whose standard deviation changes with the level).
        * ``channel_contribution`` (date, geo, channel) on the target scale and
          ``channel_contribution_original_scale`` in ``y`` units.
        * ``channel_scale`` (geo, channel), ``target_scale`` (geo): the scales
          pymc-marketing computes from ``X`` and ``y`` with this ``scaling``.
        * ``effectiveness_multiplier`` (date, geo, channel), with time-varying
          effects: the true path, so ``channel_contribution = saturation_beta x
          saturation(adstock(x)) x effectiveness_multiplier``; and
          ``media_temporal_latent_multiplier`` (date, geo) when it is the same
          for every channel -- pymc-marketing's variable of that name.
    """

    X: pd.DataFrame
    y: pd.Series
    model_kwargs: dict
    truth: xr.Dataset = field(repr=False)

    def build_model(self, **overrides):
        """``MMM(**model_kwargs, **overrides)`` with its graph built on ``X`` and ``y`` (no sampling)."""
        from pymc_marketing.mmm.multidimensional import MMM

        mmm = MMM(**{**self.model_kwargs, **overrides})
        mmm.build_model(self.X, self.y)
        return mmm


def _one_transform(ds: xr.Dataset, family: str) -> tuple[str, dict]:
    """The family's function and structural options, which must be the same for every channel."""
    names = [str(n) for n in ds[f"{family}_function"].values]
    spec_names = sorted(set(names))
    if len(spec_names) > 1:
        raise ValueError(
            f"pymc-marketing's MMM takes one {family} transform for all channels, but this dataset's "
            f"channels use {', '.join(spec_names)}; generate with a single {family}_fun or hand the "
            "channels to separate models"
        )
    name = names[0]
    structural = {}
    for p in get_transform(family, name).structural_parameters:
        values = {v.item() if hasattr(v, "item") else v for v in ds[f"{family}_{p.name}"].values}
        if len(values) > 1 and p.name == "l_max":
            # a longer kernel holds every shorter one up to its tail: take the longest and say so
            longest = max(values)
            warnings.warn(
                f"pymc-marketing's MMM takes one l_max; this dataset's channels use l_max = "
                f"{', '.join(map(str, sorted(values)))}, so the model gets l_max = {longest}. For channels "
                "generated with a shorter l_max the true kernel is the model's kernel cut off there "
                "(the tail weights are zero), so their adstock truth is approximate",
                XmmmWarning,
                stacklevel=3,
            )
            structural[p.name] = longest
            continue
        if len(values) > 1:
            raise ValueError(
                f"pymc-marketing's MMM takes one {family} component, so one {p.name} for all channels; "
                f"this dataset's channels use {p.name} = {', '.join(map(str, sorted(values)))}"
            )
        structural[p.name] = values.pop()
    return name, structural


def _components(adstock: tuple[str, dict], saturation: tuple[str, dict]):
    from pymc_marketing.mmm.components import adstock as pm_adstock
    from pymc_marketing.mmm.components import saturation as pm_saturation
    from pymc_marketing.mmm.transformers import ConvMode

    name, options = adstock
    class_name = ADSTOCK_COMPONENTS[name]
    if isinstance(class_name, dict):
        class_name = class_name[options["type"]]
    if name == "none":
        adstock_component = pm_adstock.NoAdstock(l_max=1)
    else:
        adstock_component = getattr(pm_adstock, class_name)(
            l_max=int(options["l_max"]), normalize=bool(options["normalize"]), mode=ConvMode(options["mode"])
        )
    saturation_component = getattr(pm_saturation, SATURATION_COMPONENTS[saturation[0]][0])()
    return adstock_component, saturation_component


def _with_rows_filled(ds: xr.Dataset) -> xr.Dataset:
    """The dataset with its missing reported rows interpolated in time within each geo, and no ``missing`` mask."""
    def filled(name: str) -> xr.DataArray:
        da = ds[name]
        return da.copy(data=_interpolated_in_time(da.values, da.dims.index("date")))

    absent = int(ds["missing"].sum())
    out = ds.assign(y_observed=filled("y_observed"), spend_observed=filled("spend_observed")).drop_vars("missing")
    out.attrs["filled_rows"] = absent
    return out


def to_pymc_marketing(result_or_dataset: MMMResult | xr.Dataset, *, missing: str = "keep") -> PymcMarketingHandoff:
    """Data, model arguments and truth for ``pymc_marketing.mmm.multidimensional.MMM``.

    Parameters
    ----------
    result_or_dataset : MMMResult or xarray.Dataset
        One generated dataset.  With data problems ``X`` and ``y`` are what a
        modeller receives (reported values, missing rows left out); the truth
        is that of the true series, on the scales the model computes.
    missing : {"keep", "interpolate"}
        Missing rows: ``"keep"`` leaves them out of ``X`` and ``y`` --
        pymc-marketing then fills a (date, geo) row absent in one geo with 0
        (its ``fillna(0)``) and leaves a date absent in every geo out of its
        time axis; ``"interpolate"`` puts every row in, the missing ones filled
        linearly in time within each geo (the first and last reported values
        held), so the model sees a whole grid; the filled values are in no truth.

    Returns
    -------
    PymcMarketingHandoff
        ``X``, ``y``, ``model_kwargs`` and ``truth`` (see there for what maps).

    Raises
    ------
    ValueError
        The channels use different adstock or saturation functions (or
        different ``l_max`` / ``normalize`` / ``mode`` / Weibull ``type``):
        pymc-marketing's MMM takes one adstock and one saturation component
        for all channels.  Also for ``inverse_scaled_logistic_saturation``
        with an ``eps`` other than log(3), which pymc-marketing's component fixes.

    Examples
    --------
    >>> import xmmm
    >>> handoff = xmmm.to_pymc_marketing(xmmm.generate_mmm_dataset(n_periods=30))
    >>> handoff.model_kwargs["adstock"]                                     # doctest: +SKIP
    GeometricAdstock(prefix='adstock', l_max=8, normalize=True, mode='After', ...)
    >>> mmm = handoff.build_model()                                          # doctest: +SKIP
    """
    from xmmm.export import to_long_dataframe

    if missing not in MERIDIAN_MISSING:
        raise ValueError(f"missing must be one of {', '.join(map(repr, MERIDIAN_MISSING))}; got {missing!r}")
    ds = _dataset(result_or_dataset)
    if missing == "interpolate" and "missing" in ds and bool(ds["missing"].any()):
        ds = _with_rows_filled(ds)
    adstock = _one_transform(ds, "adstock")
    saturation = _one_transform(ds, "saturation")
    if saturation[0] == "inverse_scaled_logistic_saturation":
        eps = ds["saturation_eps"].values
        if not np.allclose(eps[np.isfinite(eps)], math.log(3), rtol=1e-12, atol=0):
            raise ValueError(
                "pymc-marketing's InverseScaledLogisticSaturation fixes eps = log(3); this dataset's "
                "inverse_scaled_logistic_saturation uses other eps values, which it cannot express "
                "(with several regions eps varies unless regions.transform_variation is 0)"
            )
    adstock_component, saturation_component = _components(adstock, saturation)

    frame = to_long_dataframe(ds)
    channel_columns = _columns(ds, "channel")
    control_columns = _columns(ds, "control")
    X = frame.drop(columns="y")
    y = frame["y"].rename("y")

    config = _config_of(ds)
    method = config.get("transforms", {}).get("spend_scaling", "max") if config else "max"
    scaling_method = method if method in ("max", "mean") else "max"
    model_kwargs = {
        "date_column": "date",
        "target_column": "y",
        "channel_columns": channel_columns,
        "control_columns": control_columns or None,
        "dims": ("geo",),
        "adstock": adstock_component,
        "saturation": saturation_component,
        "scaling": {
            "channel": {"method": scaling_method, "dims": ()},
            "target": {"method": "max", "dims": ()},
        },
    }
    if "effectiveness_multiplier" in ds and _shared_multiplier(ds):
        model_kwargs["time_varying_media"] = True
    truth = _pymc_truth(ds, adstock[0], saturation[0], scaling_method, scales_match=method in ("max", "mean"))
    return PymcMarketingHandoff(X=X, y=y, model_kwargs=model_kwargs, truth=truth)


def _config_of(ds: xr.Dataset) -> dict | None:
    import json

    try:
        return json.loads(ds.attrs["xmmm_config"])
    except (KeyError, TypeError, ValueError):
        return None


def _saturation_truth(name: str, ds: xr.Dataset, k: xr.DataArray) -> dict[str, xr.DataArray]:
    """Saturation parameters on pymc-marketing's target scale; ``k = coefficient / target_scale``."""
    spec = get_transform("saturation", name)
    params = {p.name: ds[f"saturation_{p.name}"] for p in spec.numeric_parameters}
    if name == "inverse_scaled_logistic_saturation":
        params.pop("eps")
    multiplier = SATURATION_COMPONENTS[name][1]
    if multiplier == "beta":
        params["beta"] = k
    elif multiplier == "b,c":
        params["b"] = params["b"] * k
        params["c"] = params["c"] / k
    else:
        params[multiplier] = params[multiplier] * k
    return {f"saturation_{p}": v.transpose("geo", "channel") for p, v in params.items()}


def _shared_multiplier(ds: xr.Dataset) -> bool:
    """Whether every channel's effectiveness multiplier is the same path (in each geo).

    pymc-marketing's ``time_varying_media`` multiplies all channels of a geo by
    one latent path, so only then does one of its models hold the truth.
    """
    multiplier = ds["effectiveness_multiplier"].transpose("channel", ...).values
    return bool(np.array_equal(multiplier, np.broadcast_to(multiplier[:1], multiplier.shape)))


def _pymc_truth(
    ds: xr.Dataset, adstock: str, saturation: str, channel_method: str, *, scales_match: bool
) -> xr.Dataset:
    columns = xr.DataArray(_columns(ds, "channel"), dims="channel")
    controls = xr.DataArray(_columns(ds, "control"), dims="control")
    relabel = {"channel": columns.values, "control": controls.values}

    from xmmm.export import observed_view

    # the scales pymc-marketing computes from the X and y it receives (reported values, rows
    # missing left out); with data problems they can differ from those of the true series
    seen = observed_view(ds)
    target_scale = seen["y"].max("date")
    channel_scale = getattr(seen["spend"], channel_method)("date").transpose("geo", "channel")
    coefficient = ds["channel_coefficient"]
    k = coefficient / target_scale
    config = _config_of(ds) or {}
    # y = baseline x prod(1 + effect): no parameters of pymc-marketing's additive MMM reproduce it
    multiplicative = config.get("outcome_model", "additive") == "multiplicative"

    out: dict[str, xr.DataArray] = {}
    for p in get_transform("adstock", adstock).numeric_parameters:
        out[f"adstock_{p.name}"] = ds[f"adstock_{p.name}"].transpose("geo", "channel")
    if scales_match and not multiplicative:
        # the shape parameters act on spend over xmmm's spend scale: exact where the model's
        # channel scale is the same number (not with spend measurement error, or a maximum in a missing row)
        xmmm_scale = ds["spend_scale"].transpose("geo", "channel").values
        same_input = xr.DataArray(np.isclose(channel_scale.values, xmmm_scale, rtol=1e-12, atol=0),
                                  dims=("geo", "channel"))
        for name, value in _saturation_truth(saturation, ds, k).items():
            out[name] = value if name == "saturation_beta" else value.where(same_input)
    out["gamma_control"] = (ds["control_coefficient"] / target_scale).transpose("geo", "control")
    level = ds["baseline_level"].isel(date=0, drop=True)
    out["intercept_contribution"] = level / target_scale
    volatility = float(config.get("regions", {}).get("sales_volatility", np.nan))
    noise = config.get("regions", {}).get("noise", "normal")
    constant_sd = noise not in ("heteroscedastic", "lognormal")
    out["y_sigma"] = (level * volatility / target_scale) if constant_sd else xr.full_like(target_scale, np.nan)
    out["channel_contribution"] = (ds["contribution"] / target_scale).transpose("date", "geo", "channel")
    out["channel_contribution_original_scale"] = ds["contribution"].transpose("date", "geo", "channel")
    out["channel_scale"] = channel_scale
    out["target_scale"] = target_scale
    if "effectiveness_multiplier" in ds:
        multiplier = ds["effectiveness_multiplier"].transpose("date", "geo", "channel")
        out["effectiveness_multiplier"] = multiplier
        if _shared_multiplier(ds):
            out["media_temporal_latent_multiplier"] = multiplier.isel(channel=0, drop=True)

    truth = xr.Dataset({name: da.drop_attrs() if hasattr(da, "drop_attrs") else da for name, da in out.items()})
    truth = truth.drop_vars([c for c in ("channel_column", "control_column") if c in truth.coords])
    truth = truth.assign_coords(
        channel=relabel["channel"],
        control=relabel["control"],
        channel_name=("channel", np.asarray([str(c) for c in ds["channel"].values], dtype=object)),
        control_name=("control", np.asarray([str(c) for c in ds["control"].values], dtype=object)),
    )
    truth.attrs = {
        **_source_attrs(ds),
        "adstock": adstock,
        "saturation": saturation,
        "saturation_mapped": int(scales_match and not multiplicative),
        "note": (
            "parameters per (geo, channel) on pymc-marketing's scales with scaling reducing over date "
            "only; see xmmm.handoff.PymcMarketingHandoff"
        ),
    }
    return truth
