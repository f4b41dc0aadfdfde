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
        The input of ``meridian.data.load.XrDatasetDataLoader(dataset, kpi_type="revenue")``:

        ==================  ====================================  ==========================
        array               dims                                  value
        ==================  ====================================  ==========================
        ``kpi``             (geo, time)                           reported ``y``
        ``revenue_per_kpi`` (geo, time)                           1
        ``population``      (geo,)                                the dataset's
                                                                  ``population``, else the
                                                                  baseline level (left out
                                                                  for one geo: Meridian
                                                                  sets it to 1)
        ``controls``        (geo, time, control_variable)         control values, then
                                                                  ``seasonality_sin`` and
                                                                  ``seasonality_cos`` (a
                                                                  control constant in time
                                                                  is left out: its effect
                                                                  is in ``tau_g``)
        ``media``           (geo, media_time, media_channel)      reported spend
        ``media_spend``     (geo, time, media_channel)            reported spend
        ==================  ====================================  ==========================

        ``time`` and ``media_time`` are the same dates as ``'yyyy-mm-dd'``
        strings (no lead-in periods: xmmm's carry-over starts at the first
        date, as Meridian's zero padding does); ``media_channel`` and
        ``control_variable`` are the export column names (``x1-TV``,
        ``c1-price``).  The KPI is revenue (``revenue_per_kpi`` = 1).  Spend
        doubles as the media exposure (xmmm's transforms act on spend).
        Without a ``population`` in the dataset, the population is the
        baseline level (``RegionConfig.population=None``): baseline sales per
        head are then the same in every geo.  With data problems ``kpi`` and
        the media are what a modeller receives (NaN in missing rows unless
        filled: ``to_meridian(missing=...)``; ``attrs["filled_rows"]`` counts
        the filled rows).
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
        ``eta_m`` the mean and standard deviation over geos of ``log beta_gm``
        (with normal media effects ``beta_gm = beta_m + eta_m beta_gm_dev``);
        ``gamma_gc = gamma_c + xi_c gamma_gc_dev`` likewise.  ``roi_m`` and
        ``mroi_m`` are Meridian's ROI and marginal ROI (1 % more spend) at
        these parameters, the values of its ROI and mROI prior parameters.
        ``sigma`` is NaN for heteroscedastic and log-normal noise (its
        standard deviation changes with the level).

        The data's own causal truth (what a fit should recover):
        ``expected_outcome`` (geo, time) = ``y - baseline_noise``;
        ``incremental_outcome`` (geo, time, media_channel) = contributions,
        or where the dataset stores ``incremental_outcome`` (multiplicative
        outcome, log-normal noise: ``y`` minus ``y`` with the channel's spend
        at 0 on the same random numbers) that, and ROI, ROI per geo and
        ``pct_of_contribution`` from it;
        ``roi``, ``mroi`` (media_channel) over all geos and periods;
        ``roi_by_geo`` (geo, media_channel); ``pct_of_contribution``.  Also
        ``media_scale`` (geo, media_channel), Meridian's population x median,
        and ``kpi_mean``, ``kpi_stdev`` of the KPI per head.
    model_spec_kwargs : dict
        Keyword arguments of ``meridian.model.spec.ModelSpec`` that make its
        model contain the truth: ``max_lag`` (the data's ``l_max - 1``),
        ``knots`` (2, at the first and last period, for a linear trend; 1
        without), ``media_effects_dist`` (``"log_normal"``; ``"normal"`` for
        one geo, as Meridian sets it, and when a channel has no effect in
        some geo, e.g. a placebo) and, with several geos,
        ``baseline_geo`` (by name: the geo with the largest population,
        Meridian's default, whose ``tau_g`` is 0).
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
        ``"revenue"``.
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
        ``gamma_c``, ``xi_c``, ``gamma_gc``, ``sigma``), so
        ``meridian.analysis.analyzer.Analyzer`` computes its quantities at the
        true parameters.  Meridian sorts geos by name and reads a posterior
        by position, so the values follow ``input_data``'s coordinates
        (default: :meth:`input_data`).
        """
        import arviz as az

        if input_data is None:
            input_data = self.input_data()
        names = ["mu_t", "knot_values", "tau_g", "alpha_m", "ec_m", "slope_m", "eta_m", "beta_m", "beta_gm",
                 "roi_m", "mroi_m", "sigma"]
        if "control_variable" in self.dataset.coords:
            names += ["gamma_c", "xi_c", "gamma_gc"]
        posterior = self.truth[names].drop_vars(["channel_name"], errors="ignore")
        order = {"time": input_data.time.values, "media_channel": input_data.media_channel.values}
        if len(input_data.geo) > 1:  # a national model names its one geo itself
            order["geo"] = input_data.geo.values
        if "control_variable" in posterior.coords:
            order["control_variable"] = input_data.control_variable.values
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
    spend = seen["spend"].transpose("geo", "date", "channel").values
    y = seen["y"].transpose("geo", "date").values
    filled = int(np.isnan(y).sum())
    if missing == "interpolate" and filled:
        spend, y = interpolated_in_time(spend, axis=1), interpolated_in_time(y, axis=1)
    control_values, control_names, varies = _controls(ds, when, terms)
    kept = [name for name, keep in zip(control_names, varies) if keep]

    data_vars: dict[str, tuple] = {
        "kpi": (("geo", "time"), y.copy()),
        "revenue_per_kpi": (("geo", "time"), np.ones_like(y)),
        "media": (("geo", "media_time", "media_channel"), spend.copy()),
        "media_spend": (("geo", "time", "media_channel"), spend.copy()),
    }
    if not national:
        data_vars["population"] = (("geo",), population.copy())
    coords: dict[str, Any] = {"geo": geo, "time": time, "media_time": time.copy(), "media_channel": channels}
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
    return MeridianHandoff(
        dataset=dataset, truth=truth, model_spec_kwargs=spec_kwargs, priors=fit.priors(national),
        mismatches=fit.mismatches,
    )


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


class _Truth:
    """Meridian's parameters nearest to a dataset, and how far that model is from it."""

    def __init__(self, ds: xr.Dataset, population: np.ndarray, controls: np.ndarray, varies: np.ndarray,
                 terms: dict) -> None:
        self.mismatches: list[Mismatch] = []
        self.columns = columns(ds, "channel")
        p = population
        y = ds["y"].transpose("geo", "date").values
        spend = ds["spend"].transpose("geo", "date", "channel").values
        # Meridian's incremental outcome: y minus y with the channel's spend at 0; stored from paired runs
        # where that is not the contribution (multiplicative outcome, log-normal noise)
        self.effect = "incremental_outcome" if "incremental_outcome" in ds else "contribution"
        contribution = ds[self.effect].transpose("geo", "date", "channel").values
        n_geo, n_time, n_channel = spend.shape
        kpi = y / p[:, None]
        self.kpi_mean, self.kpi_stdev = float(kpi.mean()), float(kpi.std())
        s = self.kpi_stdev

        silent = [col for col, total in zip(self.columns, spend.sum(axis=(0, 1))) if total <= 0]
        if silent:
            raise ValueError(
                f"{', '.join(silent)} never spend: Meridian scales media by their median non-zero value and rejects "
                "such channels; drop them or generate more periods"
            )
        per_head = np.where(spend == 0.0, np.nan, spend / p[:, None, None])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            median = np.nanmedian(per_head, axis=(0, 1))
        median = np.where(np.isfinite(median), median, 1.0)
        self.media_scale = p[:, None] * median[None, :]

        # ---- media: alpha_m, ec_m, slope_m shared by geos; beta_gm per geo
        adstock_names = [str(n) for n in ds["adstock_function"].values]
        saturation_names = [str(n) for n in ds["saturation_function"].values]
        lagged = [int(ds["adstock_l_max"].values[j]) for j, n in enumerate(adstock_names) if n != "none"]
        l_max = max(lagged) if lagged else 1
        self.max_lag = l_max - 1
        xmmm_scale = ds["spend_scale"].transpose("geo", "channel").values
        coefficient = ds["channel_coefficient"].transpose("geo", "channel").values
        self.alpha_m, self.ec_m, self.slope_m = (np.empty(n_channel) for _ in range(3))
        self.beta_gm = np.empty((n_geo, n_channel))
        reasons: dict[str, list[str]] = {}
        outcome_multiplicative = multiplicative(ds)
        multiplier = (ds["effectiveness_multiplier"].transpose("geo", "date", "channel").values
                      if "effectiveness_multiplier" in ds else None)
        for j, col in enumerate(self.columns):
            if outcome_multiplicative:
                reasons.setdefault(col, []).append(
                    "multiplicative outcome in the data (y = baseline x prod(1 + effect)), additive in Meridian")
            if multiplier is not None and not np.all(multiplier[..., j] == 1.0):
                reasons.setdefault(col, []).append(
                    "its effectiveness varies over time in the data; Meridian's media effects are constant")
            name = adstock_names[j]
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
            # unnormalised weights scale the adstocked media by their sum, which the Hill curve absorbs
            total = 1.0
            if name == "geometric_adstock" and not structural["normalize"]:
                total = get_transform("adstock", name).weights(alpha=alpha, l_max=structural["l_max"],
                                                              normalize=False).sum(-1)
            s_name = saturation_names[j]
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
            ec = kappa * xmmm_scale[:, j] / (self.media_scale[:, j] * total)
            for label, values in (("alpha_m", alpha), ("ec_m", ec), ("slope_m", slope)):
                if n_geo > 1 and _spread(values) > _SHARED:
                    reasons.setdefault(col, []).append(
                        f"{label} varies by geo in the data ({values.min():.3g} to {values.max():.3g}), Meridian "
                        "shares it (the mean is used)")
            self.alpha_m[j], self.ec_m[j], self.slope_m[j] = _shared(alpha), _shared(ec), _shared(slope)
            self.beta_gm[:, j] = coefficient[:, j] * ceiling / (p * s)

        # log-normal media effects across geos (Meridian's default) are positive: a channel without effect
        # (a placebo) needs normal ones, as does a national model (Meridian sets them)
        self.media_effects_dist = "log_normal" if n_geo > 1 and (self.beta_gm > 0).all() else "normal"
        u = spend / self.media_scale[:, None, :]
        self.transformed = self._adstock_hill(u)
        raised = self._adstock_hill(u * (1.0 + _MROI_STEP))
        model_increment = self.transformed * self.beta_gm[:, None, :] * (s * p)[:, None, None]
        for j, col in enumerate(self.columns):
            if col in reasons:
                difference = largest_relative(model_increment[..., j] - contribution[..., j], contribution[..., j])
                self.mismatches.append(Mismatch(col, "; ".join(reasons[col]), float(difference),
                                                "incremental outcomes differ by up to {} % of the channel's largest"))
        total_spend = spend.sum(axis=(0, 1))
        with np.errstate(divide="ignore", invalid="ignore"):
            self.roi_m = np.where(total_spend > 0, model_increment.sum(axis=(0, 1)) / total_spend, np.nan)
            gain = ((raised - self.transformed) * self.beta_gm[:, None, :] * (s * p)[:, None, None]).sum(axis=(0, 1))
            self.mroi_m = np.where(total_spend > 0, gain / (_MROI_STEP * total_spend), np.nan)

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
        geo_effect = (per_head_level - self.kpi_mean) / s + offset.sum(axis=1) + constant.sum(axis=1)
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
                       + np.einsum("gtc,gc->gt", self.transformed, self.beta_gm)
                       + np.einsum("gtk,gk->gt", scaled_controls, self.gamma_gc))
        self.model_mean = (mean_scaled * s + self.kpi_mean) * p[:, None]
        self.expected = (ds["y"] - ds["baseline_noise"]).transpose("geo", "date").values
        if self.mismatches:
            self.mismatches.append(Mismatch("expected outcome", "the items above",
                                            per_period_relative(self.model_mean - self.expected, self.expected),
                                            "expected outcomes differ by up to {} % per period"))
        self.ds = ds
        self.population = p
        self.baseline_geo = baseline_geo

    def _adstock_hill(self, u: np.ndarray) -> np.ndarray:
        """Meridian's geometric adstock (normalised over ``max_lag + 1`` lags) then Hill, (geo, time, channel)."""
        n_time = u.shape[1]
        window = min(self.max_lag + 1, n_time)
        series = np.moveaxis(u, 1, -1)  # (geo, channel, time)
        adstocked = get_transform("adstock", "geometric_adstock").apply(
            series, alpha=self.alpha_m[None, :], l_max=window, normalize=True)
        saturated = get_transform("saturation", "hill_function").apply(
            adstocked, slope=self.slope_m[None, :], kappa=self.ec_m[None, :])
        return np.moveaxis(saturated, -1, 1)

    def priors(self, national: bool) -> dict:
        priors: dict = {}
        if not np.allclose(self.slope_m, 1.0, rtol=0, atol=0):
            priors["slope_m"] = ("LogNormal", {"loc": 0.0, "scale": 0.5})
        low, high = _EC_DEFAULT_RANGE
        if self.ec_m.min() <= low or self.ec_m.max() >= high:
            low, high = min(low, 0.5 * self.ec_m.min()), max(high, 2.0 * self.ec_m.max())
            priors["ec_m"] = ("TruncatedNormal", {"loc": 0.8, "scale": 0.8, "low": low, "high": high})
        if national:  # Meridian requires (and otherwise sets, with a warning) these to be zero
            for name in ("tau_g_excl_baseline", "eta_m", "eta_rf", "eta_om", "eta_orf", "xi_c", "xi_n"):
                priors[name] = ("Deterministic", {"loc": 0.0})
        return priors

    def dataset(self, geo, time, channels, control_names) -> xr.Dataset:
        ds = self.ds
        n_geo = len(geo)
        contribution = ds[self.effect].transpose("geo", "date", "channel").values
        spend = ds["spend"].transpose("geo", "date", "channel").values
        geo_spend = spend.sum(axis=1)
        total_spend = geo_spend.sum(axis=0)
        extra = ds["mroas"].transpose("geo", "channel").values * MARGINAL_STEP * geo_spend
        with np.errstate(divide="ignore", invalid="ignore"):
            roi = np.where(total_spend > 0, contribution.sum(axis=(0, 1)) / total_spend, np.nan)
            mroi = np.where(total_spend > 0, extra.sum(axis=0) / (MARGINAL_STEP * total_spend), np.nan)
            roi_by_geo = np.where(geo_spend > 0, contribution.sum(axis=1) / geo_spend, np.nan)
        # log-normal media effects across geos; normal ones (national, or a channel without effect) as they are
        log_beta = np.log(self.beta_gm) if self.media_effects_dist == "log_normal" else self.beta_gm
        beta_m, eta_m = log_beta.mean(axis=0), log_beta.std(axis=0)
        beta_dev = _standardised(log_beta, beta_m, eta_m)
        gamma_c, xi_c = self.gamma_gc.mean(axis=0), self.gamma_gc.std(axis=0)
        gamma_dev = _standardised(self.gamma_gc, gamma_c, xi_c)

        m, gm, gc, c = ("media_channel",), ("geo", "media_channel"), ("geo", "control_variable"), ("control_variable",)
        long = {"long_name": ""}
        data_vars = {
            "alpha_m": (m, self.alpha_m, {"long_name": "Geometric adstock retention per channel"}),
            "ec_m": (m, self.ec_m, {"long_name": "Hill half-saturation point on Meridian's media scale"}),
            "slope_m": (m, self.slope_m, {"long_name": "Hill slope"}),
            "beta_gm": (gm, self.beta_gm, {"long_name": "Media coefficient per geo (KPI per head, scaled)"}),
            "beta_m": (m, beta_m, {"long_name": "Mean over geos of log beta_gm"}),
            "eta_m": (m, eta_m, {"long_name": "Standard deviation over geos of log beta_gm"}),
            "beta_gm_dev": (gm, beta_dev, {"long_name": "(log beta_gm - beta_m) / eta_m"}),
            "roi_m": (m, self.roi_m, {"long_name": "Meridian's ROI at these parameters (ROI prior parameter)"}),
            "mroi_m": (m, self.mroi_m, {"long_name": "Meridian's marginal ROI (1 % more spend) at these parameters"}),
            "tau_g": (("geo",), self.tau_g, {"long_name": "Geo effect (0 at the baseline geo)"}),
            "tau_g_excl_baseline": (("geo_excl_baseline",), np.delete(self.tau_g, self.baseline_geo), long),
            "knot_values": (("knots",), self.knot_values, {"long_name": "Time effect at the knots"}),
            "mu_t": (("time",), self.mu_t, {"long_name": "Time effect"}),
            "sigma": ((), self.sigma, {"long_name": "Noise standard deviation (KPI per head, scaled)"}),
            "expected_outcome": (("geo", "time"), self.expected, {"long_name": "y - baseline_noise"}),
            "incremental_outcome": (("geo", "time", "media_channel"), contribution.copy(),
                                    {"long_name": "Incremental outcome (revenue) per geo and time: the channel "
                                     "contribution, or y minus y with the channel's spend at 0 where they differ"}),
            "roi": (m, roi, {"long_name": "ROI: total contribution / total spend over geos and times"}),
            "mroi": (m, mroi, {"long_name": f"Marginal ROI for a {MARGINAL_STEP:.0%} spend increase"}),
            "roi_by_geo": (gm, roi_by_geo, {"long_name": "ROI per geo"}),
            "pct_of_contribution": (m, 100.0 * contribution.sum(axis=(0, 1)) / float(ds["y"].sum()),
                                    {"long_name": "Total contribution as a percentage of total KPI", "units": "percent"}),
            "media_scale": (gm, self.media_scale, {"long_name": "Meridian's media scale: population x median"}),
            "kpi_mean": ((), self.kpi_mean, {"long_name": "Mean KPI per head"}),
            "kpi_stdev": ((), self.kpi_stdev, {"long_name": "Standard deviation of the KPI per head"}),
        }
        data_vars["tau_g_excl_baseline"][2]["long_name"] = "tau_g without the baseline geo"
        coords = {
            "geo": geo, "time": time, "media_channel": channels, "knots": np.arange(self.n_knots),
            "geo_excl_baseline": np.delete(geo, self.baseline_geo),
            "channel_name": ("media_channel", np.asarray([str(v) for v in ds["channel"].values], dtype=object)),
        }
        if control_names:
            data_vars.update({
                "gamma_gc": (gc, self.gamma_gc, {"long_name": "Control coefficient per geo (scaled controls)"}),
                "gamma_c": (c, gamma_c, {"long_name": "Mean over geos of gamma_gc"}),
                "xi_c": (c, xi_c, {"long_name": "Standard deviation over geos of gamma_gc"}),
                "gamma_gc_dev": (gc, gamma_dev, {"long_name": "(gamma_gc - gamma_c) / xi_c"}),
            })
            coords["control_variable"] = np.asarray(control_names, dtype=object)
        attrs = {**source_attrs(ds), "kpi_type": "revenue", "revenue_per_kpi": 1.0, "max_lag": self.max_lag,
                 "exact": int(not self.mismatches),
                 "media_effects_dist": self.media_effects_dist}
        return xr.Dataset(data_vars, coords=coords, attrs=attrs)


def _standardised(values: np.ndarray, mean: np.ndarray, spread: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(spread > 0, (values - mean) / spread, 0.0)
