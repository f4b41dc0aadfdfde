"""Hand a dataset to Google Meridian, with the truth in Meridian's parameter names and scales.

Meridian's model of the KPI per head, centred and scaled (``k = kpi /
population``, ``m`` and ``s`` its mean and standard deviation over geos and
periods) is

.. math::
    \\frac{k_{g,t} - m}{s} = \\tau_g + \\mu_t
        + \\sum_c \\beta_{g,c} \\, \\text{Hill}(\\text{Adstock}(u_{g,\\cdot,c}; \\alpha_c)_t; ec_c, slope_c)
        + \\sum_k \\gamma_{g,k} \\frac{v_{g,t,k} - \\bar v_k}{\\text{sd}(v_k)} + \\varepsilon_{g,t}

with ``u = media / (population_g * median_c)`` (the channel's median non-zero
media per head over geos and periods), a geometric adstock normalised over
``max_lag + 1`` lags and ``sigma`` the noise scale.  xmmm's data fall in this
family when generated with ``xmmm.get_preset_config(name, target="meridian")``:
then Meridian's own ``Analyzer`` at ``MeridianHandoff.truth`` reproduces the
expected outcome, incremental outcome, ROI and marginal ROI exactly.  The
baseline maps as: its level and the control means into ``tau_g`` and
``mu_t``, a linear trend into ``mu_t`` with two knots (first and last
period), the yearly seasonality into two known control columns
(``seasonality_sin``, ``seasonality_cos``: sine and cosine of ``2 pi
yearfrac``, with xmmm's own calendar).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from xmmm.errors import XmmmWarning
from xmmm.ground_truth import MARGINAL_STEP
from xmmm.handoff._common import (
    LEVEL_DEPENDENT_NOISE,
    Mismatch,
    baseline_terms,
    channel_data,
    channel_layout,
    check_missing_option,
    columns,
    dataset_of,
    dates,
    interpolated_in_time,
    largest_relative,
    multiplicative,
    noise_kind,
    per_period_relative,
    source_attrs,
)
from xmmm.patterns import season_fraction
from xmmm.targets import MERIDIAN_SATURATIONS, geometric_alpha_like, hill_like
from xmmm.transforms import get_transform

if TYPE_CHECKING:  # pragma: no cover
    from xmmm.result import MMMResult

__all__ = ["MeridianHandoff", "to_meridian", "SEASONALITY_CONTROLS"]

#: Names of the known control columns that carry the baseline's yearly seasonality.
SEASONALITY_CONTROLS = ("seasonality_sin", "seasonality_cos")

# Meridian's marginal ROI factor (meridian.constants.MROI_FACTOR - 1)
_MROI_STEP = 0.01

# Meridian's default ec_m prior is TruncatedNormal(0.8, 0.8, 0.1, 10)
_EC_DEFAULT_RANGE = (0.1, 10.0)


@dataclass
class MeridianHandoff:
    """A dataset laid out for Meridian, the model spec that contains its truth, and the truth.

    Attributes
    ----------
    dataset : xarray.Dataset
        The input of ``meridian.data.load.XrDatasetDataLoader(dataset, kpi_type=kpi_type)``:

        ==========================  ============================================  ==========================
        array                       dims                                          value
        ==========================  ============================================  ==========================
        ``kpi``                     (geo, time)                                   reported ``y``
        ``revenue_per_kpi``         (geo, time)                                   1 for revenue, the
                                                                                  dataset's for another KPI
        ``population``              (geo,)                                        the dataset's
                                                                                  ``population``, else the
                                                                                  baseline level (left out
                                                                                  for one geo: Meridian
                                                                                  sets it to 1)
        ``controls``                (geo, time, control_variable)                 control values, then
                                                                                  ``seasonality_sin`` and
                                                                                  ``seasonality_cos`` (a
                                                                                  control constant in time
                                                                                  is left out: its effect
                                                                                  is in ``tau_g``)
        ``media``                   (geo, media_time, media_channel)              exposures, else spend
        ``media_spend``             (geo, time, media_channel)                    reported spend
        ``reach``, ``frequency``    (geo, media_time, rf_channel)                 reach and frequency
        ``rf_spend``                (geo, time, rf_channel)                       spend
        ``organic_media``           (geo, media_time, organic_media_channel)      exposures
        ``organic_reach``,          (geo, media_time, organic_rf_channel)         reach and frequency
        ``organic_frequency``
        ``non_media_treatments``    (geo, time, non_media_channel)                treatment values
        ==========================  ============================================  ==========================

        Each channel goes to the group of its kind (paid, reach and
        frequency, organic, organic reach and frequency, treatment); a group
        without channels is left out.  ``time`` and ``media_time`` are the
        same dates as ``'yyyy-mm-dd'`` strings (no lead-in periods: xmmm's
        carry-over starts at the first date, as Meridian's zero padding does);
        the channel and ``control_variable`` coordinates are the export column
        names (``x1-TV``, ``c1-price``).  Without a ``population`` in the
        dataset, the population is the baseline level
        (``RegionConfig.population=None``): baseline sales per head are then
        the same in every geo.  With data problems ``kpi`` and the media are
        what a modeller receives (NaN in missing rows unless filled:
        ``to_meridian(missing=...)``; ``attrs["filled_rows"]`` counts the
        filled rows).
    truth : xarray.Dataset
        Ground truth in Meridian's names and scales.  Parameters of the model
        of :meth:`model_spec` (the nearest member of Meridian's family; exactly
        the data's model when ``exact``), with Meridian's dims (``geo``,
        ``time``, ``media_channel``, ``control_variable``, ``knots``):
        ``alpha_m``, ``ec_m``, ``slope_m``, ``beta_m``, ``eta_m``,
        ``roi_m``, ``mroi_m`` (media_channel); ``beta_gm``, ``beta_gm_dev``
        (geo, media_channel); ``tau_g`` (geo), ``tau_g_excl_baseline``;
        ``knot_values`` (knots), ``mu_t`` (time); ``gamma_c``, ``xi_c``
        (control_variable), ``gamma_gc``, ``gamma_gc_dev`` (geo,
        control_variable); ``sigma``.  ``beta_gm = exp(beta_m + eta_m
        beta_gm_dev)`` (log-normal media effects) with ``beta_m`` and
        ``eta_m`` the mean and standard deviation over geos of ``log beta_gm``;
        ``gamma_gc = gamma_c + xi_c gamma_gc_dev`` likewise.  ``roi_m`` and
        ``mroi_m`` are Meridian's ROI and marginal ROI (1 % more spend) at
        these parameters, the values of its ROI and mROI prior parameters.
        ``sigma`` is NaN for heteroscedastic and log-normal noise (its
        standard deviation changes with the level).

        The other channel groups have the same parameters with Meridian's
        suffixes: ``alpha_rf``, ``ec_rf`` (on frequency), ``slope_rf``,
        ``beta_grf``, ``beta_rf``, ``eta_rf``, ``roi_rf``, ``mroi_rf`` (1 %
        more reach at the same frequency, as Meridian defines it: equal to
        ``roi_rf``); ``*_om`` and ``*_orf`` with ``contribution_om``,
        ``contribution_orf`` (the share of the total outcome, Meridian's
        contribution prior parameters); ``gamma_gn``, ``gamma_n``, ``xi_n``,
        ``contribution_n`` and ``non_media_baseline_values`` for treatments.

        The data's own causal truth (what a fit should recover), in
        Meridian's outcome (revenue: ``y`` times the revenue per KPI) with
        the KPI beside it: ``expected_outcome`` and ``expected_kpi`` (geo,
        time) = ``y - baseline_noise``; ``incremental_outcome`` and
        ``incremental_kpi`` (geo, time, media_channel) = contributions (or,
        where the dataset stores ``incremental_outcome`` -- a multiplicative
        outcome, log-normal noise -- that, and ROI from it), and
        ``incremental_outcome_rf``, ``_om``, ``_orf``, ``_n`` (a treatment's
        against its baseline value) with their ``incremental_kpi_*``; ``roi``,
        ``mroi`` (media_channel) and ``data_roi_rf``, ``data_mroi_rf`` (the
        data's marginal ROI buys reach along its reach curve) over all geos
        and periods; ``roi_by_geo``; ``pct_of_contribution``.  Also
        ``media_scale`` (and ``rf_scale``, ...) (geo, channel), Meridian's
        population x median, and ``kpi_mean``, ``kpi_stdev`` of the KPI per head.
    model_spec_kwargs : dict
        Keyword arguments of ``meridian.model.spec.ModelSpec`` that make its
        model contain the truth: ``max_lag`` (the data's ``l_max - 1``),
        ``knots`` (2, at the first and last period, for a linear trend; 1
        without), ``media_effects_dist`` (``"log_normal"``; ``"normal"`` for
        one geo, as Meridian sets it, and when a channel has no effect in
        some geo, e.g. a placebo), with several geos ``baseline_geo`` (by
        name: the geo with the largest population, Meridian's default, whose
        ``tau_g`` is 0) and, with treatments, ``non_media_baseline_values``
        (each treatment's baseline value).
    priors : dict
        Priors that replace Meridian's defaults where those exclude the
        truth, as ``{parameter: (tfp distribution name, parameters)}``: a free
        ``slope_m`` (``LogNormal(0, 0.5)``) when a Hill slope is not 1, a wider
        ``ec_m`` range when needed, and ``Deterministic(0)`` for ``eta_m`` and
        ``xi_c`` in a national model.
    mismatches : list of Mismatch
        Empty when the data lie in Meridian's family; otherwise what Meridian
        cannot represent, each with the measured distance between Meridian's
        model at ``truth`` and the data.  A :class:`~xmmm.errors.XmmmWarning`
        lists them when the hand-off is made.
    kpi_type : str
        ``"revenue"``, or ``"non_revenue"`` for a KPI that is not revenue
        (``MMMDataConfig.kpi_type``).
    """

    dataset: xr.Dataset
    truth: xr.Dataset
    model_spec_kwargs: dict = field(default_factory=dict)
    priors: dict = field(default_factory=dict)
    mismatches: list = field(default_factory=list)
    kpi_type: str = "revenue"

    @property
    def exact(self) -> bool:
        """True when Meridian's model at ``truth`` reproduces the data's mean exactly."""
        return not self.mismatches

    def input_data(self):
        """Meridian's ``InputData`` via ``XrDatasetDataLoader(...).load()`` (needs google-meridian).

        Raises
        ------
        ValueError
            Missing rows left in the data (Meridian takes no missing values).
        """
        absent = int(np.isnan(self.dataset["kpi"].values).sum())
        if absent:
            raise ValueError(
                f"Meridian takes no missing values, and {absent} (geo, time) rows of this hand-off are missing "
                "(data_issues); hand the data over with to_meridian(data, missing='interpolate') or fill "
                "handoff.dataset's kpi, media and media_spend yourself"
            )
        load = _meridian("meridian.data.load")
        return load.XrDatasetDataLoader(self.dataset, kpi_type=self.kpi_type).load()

    def prior_distribution(self):
        """``meridian.model.prior_distribution.PriorDistribution`` with :attr:`priors` (others: defaults)."""
        backend = _meridian("meridian.backend")
        prior_distribution = _meridian("meridian.model.prior_distribution")
        made = {}
        for name, (dist, params) in self.priors.items():
            values = {k: backend.np_float_dtype(v) for k, v in params.items()}
            made[name] = getattr(backend.tfd, dist)(**values, name=name)
        return prior_distribution.PriorDistribution(**made)

    def model_spec(self, **overrides):
        """``ModelSpec(prior=prior_distribution(), **model_spec_kwargs, **overrides)``; ``overrides`` may set ``prior``."""
        spec = _meridian("meridian.model.spec")
        kwargs = {**self.model_spec_kwargs, **overrides}
        if "prior" not in kwargs:
            kwargs["prior"] = self.prior_distribution()
        return spec.ModelSpec(**kwargs)

    def model(self, **spec_overrides):
        """``meridian.model.model.Meridian`` of :meth:`input_data` and :meth:`model_spec` (not fitted)."""
        model = _meridian("meridian.model.model")
        return model.Meridian(input_data=self.input_data(), model_spec=self.model_spec(**spec_overrides))

    def posterior_at_truth(self, input_data=None):
        """An ``arviz.InferenceData`` whose posterior is one chain of one draw at :attr:`truth`.

        It holds every parameter Meridian stores in a posterior (``mu_t``,
        ``knot_values``, ``tau_g``, ``alpha_m``, ``ec_m``, ``slope_m``,
        ``eta_m``, ``beta_m``, ``beta_gm``, ``roi_m``, ``mroi_m``,
        ``gamma_c``, ``xi_c``, ``gamma_gc``, ``sigma``, and those of the
        reach-and-frequency, organic and non-media groups), so
        ``meridian.analysis.analyzer.Analyzer`` computes its quantities at the
        true parameters.  Meridian sorts geos by name and reads a posterior
        by position, so the values follow ``input_data``'s coordinates
        (default: :meth:`input_data`).
        """
        import arviz as az

        if input_data is None:
            input_data = self.input_data()
        names = ["mu_t", "knot_values", "tau_g", "sigma"]
        for suffix, _, _, _, paid, betas in _GROUPS:
            if f"alpha_{suffix}" in self.truth:
                names += [f"alpha_{suffix}", f"ec_{suffix}", f"slope_{suffix}", *betas[::-1]]
                names += [f"roi_{suffix}", f"mroi_{suffix}"] if paid else [f"contribution_{suffix}"]
        if "control_variable" in self.dataset.coords:
            names += ["gamma_c", "xi_c", "gamma_gc"]
        if "non_media_channel" in self.truth.coords:
            names += ["gamma_n", "xi_n", "gamma_gn", "contribution_n"]
        posterior = self.truth[names]
        posterior = posterior.drop_vars([c for c in posterior.coords if str(c).endswith("channel_name")])
        order = {"time": input_data.time.values}
        for dim in ("media_channel", "rf_channel", "organic_media_channel", "organic_rf_channel",
                    "non_media_channel", "control_variable"):
            values = getattr(input_data, dim, None)
            if values is not None and dim in posterior.coords:
                order[dim] = values.values
        if len(input_data.geo) > 1:  # a national model names its one geo itself
            order["geo"] = input_data.geo.values
        posterior = posterior.sel({dim: [str(v) for v in values] for dim, values in order.items()})
        posterior = posterior.expand_dims(chain=[0], draw=[0])
        return az.InferenceData(posterior=posterior)

    def model_at_truth(self, **spec_overrides):
        """The Meridian model of :meth:`model` carrying :meth:`posterior_at_truth` (for its ``Analyzer``)."""
        model = _meridian("meridian.model.model")
        input_data = self.input_data()
        return model.Meridian(
            input_data=input_data,
            model_spec=self.model_spec(**spec_overrides),
            inference_data=self.posterior_at_truth(input_data),
        )


def _meridian(module: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(
            "this needs google-meridian (pip install google-meridian; it pins numpy < 2.4 and pandas < 3)"
        ) from None


def _time_labels(when: pd.DatetimeIndex) -> np.ndarray:
    labels = when.strftime("%Y-%m-%d")
    if len(set(labels)) != len(labels):
        raise ValueError(
            "Meridian labels periods by day ('yyyy-mm-dd'); this dataset has several periods per day"
        )
    return np.asarray(labels, dtype=object)


# --------------------------------------------------------------------------- entry point
def to_meridian(result_or_dataset: MMMResult | xr.Dataset, *, missing: str = "keep") -> MeridianHandoff:
    """Lay a dataset out for Meridian, with the model spec that contains its truth and the truth.

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
        ``.dataset`` for the loader, ``.model_spec_kwargs`` and ``.priors``
        (or ``.model_spec()``, ``.model()``), ``.truth`` and ``.mismatches``;
        ``.posterior_at_truth()`` feeds the truth to Meridian's ``Analyzer``.

    Warns
    -----
    XmmmWarning
        When the data are outside Meridian's family, listing what it cannot
        represent and how far its truth is from the data.

    Examples
    --------
    >>> import xmmm
    >>> config = xmmm.customize_preset("demo", target="meridian", n_periods=60)
    >>> handoff = xmmm.to_meridian(xmmm.generate_mmm_dataset(config))
    >>> handoff.exact, handoff.model_spec_kwargs["max_lag"], handoff.dataset["media"].dims
    (True, 7, ('geo', 'media_time', 'media_channel'))
    >>> from meridian.analysis import analyzer                              # doctest: +SKIP
    >>> analyzer.Analyzer(handoff.model_at_truth()).roi()                   # doctest: +SKIP
    """
    from xmmm.export import observed_view

    check_missing_option(missing)
    ds = dataset_of(result_or_dataset)
    when = dates(ds)
    time = _time_labels(when)
    geo = np.asarray([str(g) for g in ds["geo"].values], dtype=object)
    channels = np.asarray(columns(ds, "channel"), dtype=object)
    terms = baseline_terms(ds)

    national = len(geo) == 1
    if national:  # Meridian resets a national model's population to 1 (and warns when one is given)
        population = np.ones(1)
    else:
        population = (ds["population"] if "population" in ds else ds["baseline_level"].isel(date=0)).values
        population = population.astype(float)
    seen = observed_view(ds)  # what a modeller receives (reported, NaN in missing rows); the truth uses ds
    y = seen["y"].transpose("geo", "date").values
    filled = int(np.isnan(y).sum())
    fill = missing == "interpolate" and filled
    if fill:
        y = interpolated_in_time(y, axis=1)
    control_values, control_names, varies = _controls(ds, when, terms)
    kept = [name for name, keep in zip(control_names, varies) if keep]
    kpi_type = str(ds.attrs.get("kpi_type", "revenue"))

    data_vars: dict[str, tuple] = {"kpi": (("geo", "time"), y.copy())}
    if kpi_type == "revenue":
        data_vars["revenue_per_kpi"] = (("geo", "time"), np.ones_like(y))
    elif "revenue_per_kpi" in ds:
        data_vars["revenue_per_kpi"] = (("geo", "time"), ds["revenue_per_kpi"].transpose("geo", "date").values)
    coords: dict[str, Any] = {"geo": geo, "time": time, "media_time": time.copy()}
    arrays = _channel_arrays(seen, coords)
    if fill:
        arrays = {name: (dims, interpolated_in_time(values, axis=1)) for name, (dims, values) in arrays.items()}
    data_vars.update(arrays)
    if not national:
        data_vars["population"] = (("geo",), population.copy())
    if kept:
        data_vars["controls"] = (("geo", "time", "control_variable"), control_values[..., varies])
        coords["control_variable"] = np.asarray(kept, dtype=object)
    attrs = source_attrs(ds)
    if filled:
        attrs["filled_rows"] = filled if missing == "interpolate" else 0
    dataset = xr.Dataset(data_vars, coords=coords, attrs=attrs)

    fit = _Truth(ds, population, control_values, varies, terms)
    truth = fit.dataset(geo, time, channels, kept)
    dropped = [name for name, keep in zip(control_names, varies) if not keep]
    if dropped:
        truth.attrs["controls_in_tau_g"] = ", ".join(dropped)
    baseline = int(np.argmax(population))
    spec_kwargs = {"max_lag": fit.max_lag, "knots": fit.n_knots,
                   "media_effects_dist": fit.media_effects_dist}
    if not national:  # by name: Meridian orders geos by name
        spec_kwargs["baseline_geo"] = str(geo[baseline])
    if fit.mismatches:
        warnings.warn(
            "the Meridian hand-off is not exact (the data are outside its family): "
            + "; ".join(map(str, fit.mismatches)),
            XmmmWarning,
            stacklevel=2,
        )
    if fit.non_media:  # the counterfactual of a treatment is its baseline value
        spec_kwargs["non_media_baseline_values"] = {
            str(channels[j]): float(v) for j, v in zip(fit.non_media, fit.non_media_baseline)}
    return MeridianHandoff(
        dataset=dataset, truth=truth, model_spec_kwargs=spec_kwargs, priors=fit.priors(national),
        mismatches=fit.mismatches, kpi_type=kpi_type,
    )


#: Meridian's arrays of each channel group: (array, dims, what it holds) and its channel dim
_ARRAYS = {
    "m": ("media_channel", [("media", "media_time", "data"), ("media_spend", "time", "spend")]),
    "rf": ("rf_channel", [("reach", "media_time", "reach"), ("frequency", "media_time", "frequency"),
                          ("rf_spend", "time", "spend")]),
    "om": ("organic_media_channel", [("organic_media", "media_time", "data")]),
    "orf": ("organic_rf_channel", [("organic_reach", "media_time", "reach"),
                                   ("organic_frequency", "media_time", "frequency")]),
    "n": ("non_media_channel", [("non_media_treatments", "time", "data")]),
}


def _channel_arrays(ds: xr.Dataset, coords: dict) -> dict[str, tuple]:
    """Meridian's arrays of every channel group the dataset has (adding each group's channel coordinate).

    Paid media hand over what their effect follows (exposures where they
    have them, else spend) as ``media`` and their spend as ``media_spend``;
    reach and frequency channels ``reach``, ``frequency`` and ``rf_spend``;
    organic media ``organic_media`` (or ``organic_reach`` and
    ``organic_frequency``); treatments their values as ``non_media_treatments``.
    """
    layout = channel_layout(ds)
    names = columns(ds, "channel")
    series = {
        "data": channel_data(ds, ("geo", "date", "channel")).values,
        "spend": ds["spend"].transpose("geo", "date", "channel").values,
    }
    for var in ("reach", "frequency"):
        if var in ds:
            series[var] = ds[var].transpose("geo", "date", "channel").values
    kinds = {"m": ("paid",), "rf": ("reach_frequency",), "om": ("organic",),
             "orf": ("organic_reach_frequency",), "n": ("treatment",)}
    out = {}
    for group, (dim, arrays) in _ARRAYS.items():
        idx = layout.of(kinds[group])
        if not idx:
            continue
        coords[dim] = np.asarray([names[j] for j in idx], dtype=object)
        for name, time_dim, source in arrays:
            out[name] = (("geo", time_dim, dim), series[source][..., idx].copy())
    return out


def _controls(ds: xr.Dataset, when: pd.DatetimeIndex, terms: dict) -> tuple[np.ndarray, list[str], np.ndarray]:
    """xmmm's controls, then the seasonality's sine and cosine (the same in every geo).

    Also which of them vary over time: Meridian rejects a control that does
    not (it is collinear with the geo effects), so such a control is left
    out of the data and its constant effect joins ``tau_g``.
    """
    values = [ds["control_value"].transpose("geo", "date", "control").values]
    names = columns(ds, "control")
    if terms["amplitude"] != 0:
        angle = 2.0 * np.pi * season_fraction(when, terms["period_days"])
        shape = (ds.sizes["geo"], len(when), 1)
        values += [np.broadcast_to(np.sin(angle)[None, :, None], shape),
                   np.broadcast_to(np.cos(angle)[None, :, None], shape)]
        names = names + list(SEASONALITY_CONTROLS)
    stacked = np.concatenate(values, axis=-1).copy()
    varies = (np.ptp(stacked, axis=1) > 0).any(axis=0) if stacked.size else np.zeros(0, dtype=bool)
    return stacked, names, varies


def _spread(values: np.ndarray, axis: int = 0) -> np.ndarray:
    """Relative spread ``(max - min) / |mean|`` along ``axis`` (0 for a constant)."""
    mean = np.abs(values.mean(axis=axis))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(mean > 0, (values.max(axis=axis) - values.min(axis=axis)) / mean, 0.0)


_SHARED = 1e-12  # relative spread below which a per-geo value counts as shared


def _shared(values: np.ndarray) -> float:
    """The one value of a shared parameter (the first geo's), else the mean over geos."""
    return float(values[0]) if _spread(values) <= _SHARED else float(values.mean())


#: Meridian's channel groups: suffix of its parameter names, channel dim, xmmm kinds, reach and frequency,
#: paid, and the names of the group's coefficients (per geo, mean, spread)
_GROUPS = (
    ("m", "media_channel", ("paid",), False, True, ("beta_gm", "beta_m", "eta_m")),
    ("rf", "rf_channel", ("reach_frequency",), True, True, ("beta_grf", "beta_rf", "eta_rf")),
    ("om", "organic_media_channel", ("organic",), False, False, ("beta_gom", "beta_om", "eta_om")),
    ("orf", "organic_rf_channel", ("organic_reach_frequency",), True, False, ("beta_gorf", "beta_orf", "eta_orf")),
)


@dataclass
class _Group:
    """One of Meridian's channel groups in a dataset: its channels and their parameters at the truth."""

    suffix: str
    dim: str
    channels: list[int]  # indices in the dataset
    columns: list[str]
    reach_frequency: bool
    paid: bool
    betas: tuple[str, str, str]
    alpha: np.ndarray = None
    ec: np.ndarray = None
    slope: np.ndarray = None
    beta: np.ndarray = None  # (geo, channel)
    transformed: np.ndarray = None  # (geo, time, channel): what beta multiplies
    scale: np.ndarray = None  # (geo, channel): Meridian's population x median of the media (reach)
    increment: np.ndarray = None  # (geo, time, channel) in KPI


class _Truth:
    """Meridian's parameters nearest to a dataset, and how far that model is from it."""

    def __init__(self, ds: xr.Dataset, population: np.ndarray, controls: np.ndarray, varies: np.ndarray,
                 terms: dict) -> None:
        self.mismatches: list[Mismatch] = []
        self.ds = ds
        self.layout = layout = channel_layout(ds)
        self.columns = columns(ds, "channel")
        p = population
        y = ds["y"].transpose("geo", "date").values
        n_geo, n_time = y.shape
        kpi = y / p[:, None]
        self.kpi_mean, self.kpi_stdev = float(kpi.mean()), float(kpi.std())
        s = self.kpi_stdev
        self.revenue_per_kpi = (ds["revenue_per_kpi"].transpose("geo", "date").values if "revenue_per_kpi" in ds
                                else None)
        self.spend = ds["spend"].transpose("geo", "date", "channel").values
        # Meridian's incremental outcome: y minus y with the channel off; stored from paired runs where that is
        # not the contribution (multiplicative outcome, log-normal noise), and with media inputs
        self.effect = "incremental_outcome" if "incremental_outcome" in ds else "contribution"
        self.contribution = ds[self.effect].transpose("geo", "date", "channel").values
        data = channel_data(ds, ("geo", "date", "channel")).values

        silent = [self.columns[j] for j in layout.media if np.abs(data[..., j]).sum() <= 0]
        if silent:
            raise ValueError(
                f"{', '.join(silent)} never spend (or have no exposures): Meridian scales media by their median "
                "non-zero value and rejects such channels; drop them or generate more periods"
            )
        adstock_names = [str(n) for n in ds["adstock_function"].values]
        lagged = [int(ds["adstock_l_max"].values[j]) for j in layout.media if adstock_names[j] != "none"]
        l_max = max(lagged) if lagged else 1
        self.max_lag = l_max - 1
        reasons: dict[str, list[str]] = {}
        outcome_multiplicative = multiplicative(ds)
        multiplier = (ds["effectiveness_multiplier"].transpose("geo", "date", "channel").values
                      if "effectiveness_multiplier" in ds else None)
        for j in layout.media:
            if outcome_multiplicative:
                reasons.setdefault(self.columns[j], []).append(
                    "multiplicative outcome in the data (y = baseline x prod(1 + effect)), additive in Meridian")
            if multiplier is not None and not np.all(multiplier[..., j] == 1.0):
                reasons.setdefault(self.columns[j], []).append(
                    "its effectiveness varies over time in the data; Meridian's media effects are constant")
        self.groups: list[_Group] = []
        for suffix, dim, kinds, rf, paid, betas in _GROUPS:
            idx = layout.of(kinds)
            if not idx:
                continue
            group = _Group(suffix, dim, idx, [self.columns[j] for j in idx], rf, paid, betas)
            # Meridian divides media (reach) per head by its median non-zero value over geos and periods
            media = ds["reach"].transpose("geo", "date", "channel").values[..., idx] if rf else data[..., idx]
            group.scale = _per_capita_median(media, p)
            self._parameters(ds, group, l_max, p, s, reasons)
            u = media / group.scale[:, None, :]
            if rf:
                frequency = ds["frequency"].transpose("geo", "date", "channel").values[..., idx]
                group.transformed = self._hill_adstock(group, u, frequency)
            else:
                group.transformed = self._adstock_hill(group, u)
            group.increment = group.transformed * group.beta[:, None, :] * (s * p)[:, None, None]
            self.groups.append(group)
        for group in self.groups:
            for j, col in zip(group.channels, group.columns):
                if col in reasons:
                    k = group.columns.index(col)
                    difference = largest_relative(group.increment[..., k] - self.contribution[..., j],
                                                  self.contribution[..., j])
                    self.mismatches.append(Mismatch(
                        col, "; ".join(reasons[col]), float(difference),
                        "incremental outcomes differ by up to {} % of the channel's largest"))
        # log-normal media effects across geos (Meridian's default) are positive: a channel without effect
        # (a placebo) needs normal ones, as does a national model (Meridian sets them)
        positive = all((g.beta > 0).all() for g in self.groups)
        self.media_effects_dist = "log_normal" if n_geo > 1 and positive else "normal"
        self._paid_returns(s, p)
        self._non_media(ds, p, s)

        # ---- controls (xmmm's and the seasonality's sine and cosine)
        level = ds["baseline_level"].isel(date=0).values
        per_head_level = level / p
        gamma = ds["control_coefficient"].transpose("geo", "control").values
        if terms["amplitude"] != 0:
            amplitude = level * terms["amplitude"]
            gamma = np.concatenate(
                [gamma, (amplitude * math.cos(terms["phase"]))[:, None], (amplitude * math.sin(terms["phase"]))[:, None]],
                axis=1,
            )
        # a control constant over time is a constant per geo: it joins the geo effect
        constant = (gamma[:, ~varies] * controls[:, 0, ~varies]) / (p[:, None] * s)
        gamma, controls = gamma[:, varies], controls[..., varies]
        self.control_mean = controls.mean(axis=(0, 1))
        self.control_stdev = controls.std(axis=(0, 1))
        self.gamma_gc = gamma * self.control_stdev / (p[:, None] * s)
        offset = self.gamma_gc * self.control_mean / self.control_stdev

        # ---- baseline: geo effects tau_g and time effect mu_t
        t = np.arange(n_time, dtype=float)
        geo_effect = ((per_head_level - self.kpi_mean) / s + offset.sum(axis=1) + constant.sum(axis=1)
                      + self.non_media_offset)
        trend = per_head_level[:, None] * terms["trend"] * t[None, :] / s  # (geo, time)
        shared_head = n_geo == 1 or _spread(per_head_level) <= _SHARED
        if terms["trend"] != 0 and not shared_head:
            self.mismatches.append(Mismatch(
                "trend", "the trend per head differs by geo (population not proportional to the baseline level); "
                "Meridian's time effect mu_t is shared by all geos (their mean)",
                float(largest_relative(trend - trend.mean(axis=0), trend)), "trend terms differ by up to {} % of their largest"))
        baseline_geo = int(np.argmax(p))
        self.tau_g = geo_effect - geo_effect[baseline_geo]
        time_effect = geo_effect[baseline_geo] + trend.mean(axis=0)
        if terms["trend"] != 0 and n_time > 1:
            self.knot_values = np.array([time_effect[0], time_effect[-1]])
            w = t / (n_time - 1)
            self.mu_t = self.knot_values[0] * (1.0 - w) + self.knot_values[1] * w
        else:
            self.knot_values = np.array([time_effect[0]])
            self.mu_t = np.full(n_time, time_effect[0])
        self.n_knots = len(self.knot_values)
        noise = per_head_level * terms["volatility"] / s
        self.sigma = float(noise.mean()) if noise_kind(ds) not in LEVEL_DEPENDENT_NOISE else float("nan")
        if n_geo > 1 and _spread(noise) > _SHARED and np.isfinite(self.sigma):
            self.mismatches.append(Mismatch(
                "noise", "the noise per head differs by geo; Meridian has one sigma (their mean)",
                float(np.max(np.abs(noise / noise.mean() - 1.0))), "noise standard deviations differ by up to {} % from sigma"))

        scaled_controls = (controls - self.control_mean) / self.control_stdev
        mean_scaled = (self.tau_g[:, None] + self.mu_t[None, :]
                       + sum(np.einsum("gtc,gc->gt", g.transformed, g.beta) for g in self.groups)
                       + np.einsum("gtk,gk->gt", scaled_controls, self.gamma_gc)
                       + np.einsum("gtn,gn->gt", self.non_media_scaled, self.gamma_gn))
        self.model_mean = (mean_scaled * s + self.kpi_mean) * p[:, None]
        self.expected = (ds["y"] - ds["baseline_noise"]).transpose("geo", "date").values
        if self.mismatches:
            self.mismatches.append(Mismatch("expected outcome", "the items above",
                                            per_period_relative(self.model_mean - self.expected, self.expected),
                                            "expected outcomes differ by up to {} % per period"))
        self.population = p
        self.baseline_geo = baseline_geo

    # ---- the channel groups
    def group(self, suffix: str) -> _Group | None:
        """The group with this parameter suffix (``"m"``, ``"rf"``, ``"om"``, ``"orf"``), if the data have it."""
        return next((g for g in self.groups if g.suffix == suffix), None)

    def _parameters(self, ds, group: _Group, l_max: int, p: np.ndarray, s: float, reasons: dict) -> None:
        """alpha, ec, slope shared by geos and beta per geo of one group, and what Meridian cannot represent."""
        n_geo, n = ds.sizes["geo"], len(group.channels)
        xmmm_scale = ds["spend_scale"].transpose("geo", "channel").values
        coefficient = ds["channel_coefficient"].transpose("geo", "channel").values
        group.alpha, group.ec, group.slope = (np.empty(n) for _ in range(3))
        group.beta = np.empty((n_geo, n))
        label = group.suffix
        for k, j in enumerate(group.channels):
            col = self.columns[j]
            name = str(ds["adstock_function"].values[j])
            a_params = {p_.name: ds[f"adstock_{p_.name}"].transpose("geo", "channel").values[:, j]
                        for p_ in get_transform("adstock", name).numeric_parameters}
            structural = {p_.name: ds[f"adstock_{p_.name}"].values[j].item()
                          for p_ in get_transform("adstock", name).structural_parameters}
            alpha = np.broadcast_to(geometric_alpha_like(name, {**a_params, **structural}, l_max), (n_geo,))
            if name not in ("geometric_adstock", "none"):
                reasons.setdefault(col, []).append(f"{name} in the data, geometric (same mean lag) in Meridian")
            elif name == "geometric_adstock":
                if structural["l_max"] != l_max:
                    reasons.setdefault(col, []).append(
                        f"l_max {structural['l_max']} in the data, max_lag + 1 = {l_max} in Meridian")
                if structural["mode"] != "After":
                    reasons.setdefault(col, []).append(f"adstock mode {structural['mode']!r}; Meridian's is 'After'")
            # unnormalised weights scale the adstocked media by their sum: the Hill curve (media) or the
            # coefficient (reach and frequency, linear in the adstock) absorbs it
            total = 1.0
            if name == "geometric_adstock" and not structural["normalize"]:
                total = get_transform("adstock", name).weights(alpha=alpha, l_max=structural["l_max"],
                                                              normalize=False).sum(-1)
            s_name = str(ds["saturation_function"].values[j])
            s_params = {p_.name: ds[f"saturation_{p_.name}"].transpose("geo", "channel").values[:, j]
                        for p_ in get_transform("saturation", s_name).numeric_parameters}
            like = hill_like(s_name, s_params)
            if like is None:
                raise ValueError(
                    f"{col}: {s_name} has no Hill equivalent, so Meridian's model cannot stand in for it; generate "
                    "with hill_function or michaelis_menten (xmmm.get_preset_config(name, target='meridian'))"
                )
            kappa, slope, ceiling = (np.broadcast_to(np.asarray(v, dtype=float), (n_geo,)) for v in like[:3])
            if s_name not in MERIDIAN_SATURATIONS:
                reasons.setdefault(col, []).append(
                    f"{s_name} in the data, a Hill curve (same half-saturation point) in Meridian")
            ratio = xmmm_scale[:, j] / group.scale[:, k]  # xmmm's scale over Meridian's
            if group.reach_frequency:  # Hill on frequency: ec in frequency units; the reach scale joins beta
                ec, beta = kappa, coefficient[:, j] * ceiling * total / (ratio * p * s)
            else:
                ec, beta = kappa * ratio / total, coefficient[:, j] * ceiling / (p * s)
            for name_, values in ((f"alpha_{label}", alpha), (f"ec_{label}", ec), (f"slope_{label}", slope)):
                if n_geo > 1 and _spread(values) > _SHARED:
                    reasons.setdefault(col, []).append(
                        f"{name_} varies by geo in the data ({values.min():.3g} to {values.max():.3g}), Meridian "
                        "shares it (the mean is used)")
            group.alpha[k], group.ec[k], group.slope[k] = _shared(alpha), _shared(ec), _shared(slope)
            group.beta[:, k] = beta

    def _adstock(self, group: _Group, x: np.ndarray) -> np.ndarray:
        """Meridian's geometric adstock, normalised over ``max_lag + 1`` lags, of (geo, time, channel)."""
        window = min(self.max_lag + 1, x.shape[1])
        adstocked = get_transform("adstock", "geometric_adstock").apply(
            np.moveaxis(x, 1, -1), alpha=group.alpha[None, :], l_max=window, normalize=True)
        return np.moveaxis(adstocked, -1, 1)

    def _hill(self, group: _Group, x: np.ndarray) -> np.ndarray:
        """Meridian's Hill curve of (geo, time, channel)."""
        saturated = get_transform("saturation", "hill_function").apply(
            np.moveaxis(x, 1, -1), slope=group.slope[None, :], kappa=group.ec[None, :])
        return np.moveaxis(saturated, -1, 1)

    def _adstock_hill(self, group: _Group, u: np.ndarray) -> np.ndarray:
        """Media: adstock then Hill, (geo, time, channel)."""
        return self._hill(group, self._adstock(group, u))

    def _hill_adstock(self, group: _Group, reach: np.ndarray, frequency: np.ndarray) -> np.ndarray:
        """Reach and frequency: Hill on frequency times the scaled reach, then adstock."""
        return self._adstock(group, reach * self._hill(group, frequency))

    def _paid_returns(self, s: float, p: np.ndarray) -> None:
        """Meridian's ROI and marginal ROI of the paid groups at the truth (revenue per unit of spend)."""
        for group in self.groups:
            if not group.paid:
                continue
            spend = self.spend[..., group.channels].sum(axis=(0, 1))
            if group.reach_frequency:  # 1 % more reach at the same frequency: linear
                gain = _MROI_STEP * self._revenue(group.increment)
            else:
                data = channel_data(self.ds, ("geo", "date", "channel")).values[..., group.channels]
                raised = self._adstock_hill(group, data * (1.0 + _MROI_STEP) / group.scale[:, None, :])
                gain = self._revenue((raised - group.transformed) * group.beta[:, None, :] * (s * p)[:, None, None])
            with np.errstate(divide="ignore", invalid="ignore"):
                group.roi = np.where(spend > 0, self._revenue(group.increment) / spend, np.nan)
                group.mroi = np.where(spend > 0, gain / (_MROI_STEP * spend), np.nan)

    def _revenue(self, kpi: np.ndarray) -> np.ndarray:
        """Totals over geos and times of (geo, time, channel) KPI amounts, in revenue."""
        weighted = kpi if self.revenue_per_kpi is None else kpi * self.revenue_per_kpi[..., None]
        return weighted.sum(axis=(0, 1))

    def _non_media(self, ds, p: np.ndarray, s: float) -> None:
        """Non-media treatments: normalised by their mean and standard deviation, gamma_gn per geo.

        xmmm's ``gamma (value - baseline)`` is ``gamma_gn (value - mean) / sd`` plus the constant
        ``gamma (mean - baseline)``, which joins the geo effect.
        """
        idx = self.layout.treatments
        n_geo, n_time = ds.sizes["geo"], ds.sizes["date"]
        self.non_media = idx
        if not idx:
            self.non_media_scaled = np.zeros((n_geo, n_time, 0))
            self.gamma_gn = np.zeros((n_geo, 0))
            self.non_media_offset = np.zeros(n_geo)
            self.non_media_baseline = np.zeros(0)
            return
        values = ds["treatment_value"].transpose("geo", "date", "channel").values[..., idx]
        gamma = ds["channel_coefficient"].transpose("geo", "channel").values[:, idx]
        baseline = ds["treatment_baseline"].values[idx].astype(float)
        mean, sd = values.mean(axis=(0, 1)), values.std(axis=(0, 1))
        self.non_media_baseline = baseline
        self.non_media_scaled = (values - mean) / sd
        self.gamma_gn = gamma * sd / (p[:, None] * s)
        self.non_media_offset = (gamma * (mean - baseline) / (p[:, None] * s)).sum(axis=1)
        self.non_media_increment = (self.non_media_scaled - (baseline - mean) / sd) * self.gamma_gn[:, None, :] * (
            s * p)[:, None, None]

    def priors(self, national: bool) -> dict:
        priors: dict = {}
        for group in self.groups:
            slope_name, ec_name = f"slope_{group.suffix}", f"ec_{group.suffix}"
            if not np.allclose(group.slope, 1.0, rtol=0, atol=0):
                priors[slope_name] = ("LogNormal", {"loc": 0.0, "scale": 0.5})
            if group.reach_frequency:
                continue  # Meridian's ec_rf prior (LogNormal) is unbounded
            low, high = _EC_DEFAULT_RANGE
            if group.ec.min() <= low or group.ec.max() >= high:
                low, high = min(low, 0.5 * group.ec.min()), max(high, 2.0 * group.ec.max())
                priors[ec_name] = ("TruncatedNormal", {"loc": 0.8, "scale": 0.8, "low": low, "high": high})
        if national:  # Meridian requires (and otherwise sets, with a warning) these to be zero
            for name in ("tau_g_excl_baseline", "eta_m", "eta_rf", "eta_om", "eta_orf", "xi_c", "xi_n"):
                priors[name] = ("Deterministic", {"loc": 0.0})
        return priors

    def dataset(self, geo, time, channels, control_names) -> xr.Dataset:
        ds = self.ds
        n_geo = len(geo)
        media_group = self.group("m")
        gc, c = ("geo", "control_variable"), ("control_variable",)
        data_vars: dict = {}
        coords = {"geo": geo, "time": time, "knots": np.arange(self.n_knots),
                  "geo_excl_baseline": np.delete(geo, self.baseline_geo)}
        names = [str(v) for v in ds["channel"].values]
        total_outcome = float((ds["y"] * ds["revenue_per_kpi"]).sum()) if "revenue_per_kpi" in ds else float(
            ds["y"].sum())
        for group in self.groups:
            data_vars.update(self._group_variables(group, n_geo, total_outcome))
            coords[group.dim] = np.asarray(group.columns, dtype=object)
            if group.suffix == "m":
                coords["channel_name"] = (group.dim, np.asarray([names[j] for j in group.channels], dtype=object))
            else:
                coords[f"{group.suffix}_channel_name"] = (group.dim, np.asarray([names[j] for j in group.channels],
                                                                                dtype=object))
        if media_group is None:  # Meridian needs paid media or reach and frequency; keep the layout's names
            coords.setdefault("media_channel", np.asarray([], dtype=object))
        if self.non_media:
            data_vars.update(self._non_media_variables(n_geo, total_outcome))
            coords["non_media_channel"] = np.asarray([self.columns[j] for j in self.non_media], dtype=object)
        data_vars.update({
            "tau_g": (("geo",), self.tau_g, {"long_name": "Geo effect (0 at the baseline geo)"}),
            "tau_g_excl_baseline": (("geo_excl_baseline",), np.delete(self.tau_g, self.baseline_geo),
                                    {"long_name": "tau_g without the baseline geo"}),
            "knot_values": (("knots",), self.knot_values, {"long_name": "Time effect at the knots"}),
            "mu_t": (("time",), self.mu_t, {"long_name": "Time effect"}),
            "sigma": ((), self.sigma, {"long_name": "Noise standard deviation (KPI per head, scaled)"}),
            "expected_outcome": (("geo", "time"), self._outcome(self.expected), {
                "long_name": "y - baseline_noise, in Meridian's outcome (revenue: times the revenue per KPI)"}),
            "expected_kpi": (("geo", "time"), self.expected.copy(), {"long_name": "y - baseline_noise (KPI)"}),
            "kpi_mean": ((), self.kpi_mean, {"long_name": "Mean KPI per head"}),
            "kpi_stdev": ((), self.kpi_stdev, {"long_name": "Standard deviation of the KPI per head"}),
        })
        if control_names:
            gamma_c, xi_c = self.gamma_gc.mean(axis=0), self.gamma_gc.std(axis=0)
            data_vars.update({
                "gamma_gc": (gc, self.gamma_gc, {"long_name": "Control coefficient per geo (scaled controls)"}),
                "gamma_c": (c, gamma_c, {"long_name": "Mean over geos of gamma_gc"}),
                "xi_c": (c, xi_c, {"long_name": "Standard deviation over geos of gamma_gc"}),
                "gamma_gc_dev": (gc, _standardised(self.gamma_gc, gamma_c, xi_c),
                                 {"long_name": "(gamma_gc - gamma_c) / xi_c"}),
            })
            coords["control_variable"] = np.asarray(control_names, dtype=object)
        attrs = {**source_attrs(ds), "kpi_type": str(ds.attrs.get("kpi_type", "revenue")),
                 "max_lag": self.max_lag, "exact": int(not self.mismatches),
                 "media_effects_dist": self.media_effects_dist}
        if "revenue_per_kpi" not in ds:
            attrs["revenue_per_kpi"] = 1.0
        return xr.Dataset(data_vars, coords=coords, attrs=attrs)

    def _outcome(self, kpi: np.ndarray) -> np.ndarray:
        """(geo, time, ...) KPI amounts in Meridian's outcome: revenue when there is a revenue per KPI."""
        if self.revenue_per_kpi is None:
            return kpi.copy()
        rpk = self.revenue_per_kpi
        return kpi * (rpk if kpi.ndim == 2 else rpk[..., None])

    def _group_variables(self, group: _Group, n_geo: int, total_outcome: float) -> dict:
        """The parameters and the causal truth of one channel group, with Meridian's names."""
        sx, dim = group.suffix, (group.dim,)
        gdim = ("geo", group.dim)
        beta_g, beta, eta = group.betas
        # log-normal effects across geos; normal ones (national, or a channel without effect) as they are
        log_beta = np.log(group.beta) if self.media_effects_dist == "log_normal" else group.beta
        mean, spread = log_beta.mean(axis=0), log_beta.std(axis=0)
        contribution = self.contribution[..., group.channels]
        what = {"m": "media", "rf": "reach and frequency", "om": "organic media", "orf": "organic reach and frequency"}[sx]
        out = {
            f"alpha_{sx}": (dim, group.alpha, {"long_name": f"Geometric adstock retention ({what})"}),
            f"ec_{sx}": (dim, group.ec, {"long_name": f"Hill half-saturation point ({what}; frequency for reach "
                                                     "and frequency, else Meridian's media scale)"}),
            f"slope_{sx}": (dim, group.slope, {"long_name": f"Hill slope ({what})"}),
            beta_g: (gdim, group.beta, {"long_name": f"Coefficient per geo ({what}; KPI per head, scaled)"}),
            beta: (dim, mean, {"long_name": f"Mean over geos of log {beta_g}"}),
            eta: (dim, spread, {"long_name": f"Standard deviation over geos of log {beta_g}"}),
            f"{beta_g}_dev": (gdim, _standardised(log_beta, mean, spread),
                              {"long_name": f"(log {beta_g} - {beta}) / {eta}"}),
        }
        stem = "" if sx == "m" else f"_{sx}"
        out[f"incremental_outcome{stem}"] = (("geo", "time", group.dim), self._outcome(contribution), {
            "long_name": f"Contribution ({what}) per geo and time, in Meridian's outcome (revenue)"})
        out[f"incremental_kpi{stem}"] = (("geo", "time", group.dim), contribution.copy(), {
            "long_name": f"Contribution ({what}) per geo and time, in KPI"})
        out[f"{'media' if sx == 'm' else sx}_scale"] = (gdim, group.scale, {
            "long_name": "Meridian's scale: population x median non-zero media (reach) per head"})
        if group.paid:
            spend = self.spend[..., group.channels]
            total = spend.sum(axis=(0, 1))
            geo_spend = spend.sum(axis=1)
            revenue = self._outcome(contribution)
            extra = (self.ds["mroas"].transpose("geo", "channel").values[:, group.channels] * MARGINAL_STEP * geo_spend)
            with np.errstate(divide="ignore", invalid="ignore"):
                roi = np.where(total > 0, revenue.sum(axis=(0, 1)) / total, np.nan)
                mroas = np.where(total > 0, extra.sum(axis=0) / (MARGINAL_STEP * total), np.nan)
                roi_by_geo = np.where(geo_spend > 0, revenue.sum(axis=1) / geo_spend, np.nan)
            out[f"roi_{sx}"] = (dim, group.roi, {"long_name": "Meridian's ROI at these parameters (its prior parameter)"})
            out[f"mroi_{sx}"] = (dim, group.mroi, {"long_name": "Meridian's marginal ROI (1 % more "
                                                  + ("reach at the same frequency" if group.reach_frequency else "spend")
                                                  + ") at these parameters"})
            # the data's own causal ROI (equal to Meridian's at the truth inside its family) and marginal ROI
            # (for reach and frequency, 1 % more spend along the data's reach curve, not Meridian's 1 % more reach)
            own = "" if sx == "m" else "data_"
            out[f"{own}roi{stem}"] = (dim, roi, {"long_name": "ROI: total contribution (revenue) / total spend"})
            out[f"{own}mroi{stem}"] = (dim, mroas, {"long_name": f"The data's marginal ROI for {MARGINAL_STEP:.0%} "
                                                    "more spend"})
            out[f"roi_by_geo{stem}"] = (gdim, roi_by_geo, {"long_name": "ROI per geo"})
        else:
            out[f"contribution_{sx}"] = (dim, self._outcome(contribution).sum(axis=(0, 1)) / total_outcome, {
                "long_name": "Share of the total outcome (Meridian's contribution prior parameter)"})
        out[f"pct_of_contribution{stem}"] = (dim, 100.0 * contribution.sum(axis=(0, 1)) / float(self.ds["y"].sum()),
                                             {"long_name": "Total contribution as a percentage of total KPI",
                                              "units": "percent"})
        return out

    def _non_media_variables(self, n_geo: int, total_outcome: float) -> dict:
        n, gn = ("non_media_channel",), ("geo", "non_media_channel")
        gamma_n, xi_n = self.gamma_gn.mean(axis=0), self.gamma_gn.std(axis=0)
        contribution = self.contribution[..., self.non_media]
        return {
            "gamma_gn": (gn, self.gamma_gn, {"long_name": "Non-media coefficient per geo (normalised values)"}),
            "gamma_n": (n, gamma_n, {"long_name": "Mean over geos of gamma_gn"}),
            "xi_n": (n, xi_n, {"long_name": "Standard deviation over geos of gamma_gn"}),
            "gamma_gn_dev": (gn, _standardised(self.gamma_gn, gamma_n, xi_n), {"long_name": "(gamma_gn - gamma_n) / xi_n"}),
            "non_media_baseline_values": (n, self.non_media_baseline, {
                "long_name": "Baseline value of each treatment (ModelSpec.non_media_baseline_values)"}),
            "incremental_outcome_n": (("geo", "time", "non_media_channel"), self._outcome(contribution), {
                "long_name": "Treatment effect against its baseline value per geo and time (revenue)"}),
            "incremental_kpi_n": (("geo", "time", "non_media_channel"), contribution.copy(), {
                "long_name": "Treatment effect against its baseline value per geo and time (KPI)"}),
            "contribution_n": (n, self._outcome(contribution).sum(axis=(0, 1)) / total_outcome, {
                "long_name": "Share of the total outcome (Meridian's contribution prior parameter)"}),
            "pct_of_contribution_n": (n, 100.0 * contribution.sum(axis=(0, 1)) / float(self.ds["y"].sum()),
                                      {"long_name": "Total effect as a percentage of total KPI", "units": "percent"}),
        }


def _per_capita_median(media: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Meridian's media scale (geo, channel) of (geo, time, channel) media: the generator's own
    :func:`~xmmm.blocks.media.per_capita_median_scale` (population x the median non-zero media per head), 1 per
    head for a channel that never has any."""
    from xmmm.blocks.media import per_capita_median_scale

    scale = per_capita_median_scale(np.moveaxis(media, 1, -1)[None], population[None])[0]
    return np.where(np.isfinite(scale), scale, population[:, None])


def _standardised(values: np.ndarray, mean: np.ndarray, spread: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(spread > 0, (values - mean) / spread, 0.0)
