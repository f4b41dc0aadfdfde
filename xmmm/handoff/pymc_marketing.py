"""Hand a dataset to pymc-marketing's multidimensional MMM, with the truth in its variables' names and scales.

The model the hand-off specifies (``PymcMarketingHandoff.model_kwargs``) is,
on the target scale ``y / target_scale``,

.. math::
    \\mu_{t,g} = \\text{intercept}_g + \\sum_c \\beta_{g,c} f(a(x_{t,g,c} / s_{g,c}))
        + \\sum_k \\gamma_{g,k} v_{t,g,k}
        + \\gamma^{\\sin}_g \\sin\\frac{2\\pi d_t}{365.25} + \\gamma^{\\cos}_g \\cos\\frac{2\\pi d_t}{365.25}
        + \\gamma^{t}_g \\, t

with one adstock ``a`` and saturation ``f`` component for all channels,
parameters per (geo, channel), ``s`` the per-geo channel maximum, ``d`` the day
of the year and ``t`` the period number over the number of periods, a known
control column (as in
pymc-marketing's own examples).  xmmm's outcome is exactly this plus noise
when the data lie in pymc-marketing's family (see :mod:`xmmm.targets`), so
``pymc.do`` at ``.truth`` reproduces ``y - baseline_noise``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from xmmm.errors import XmmmWarning
from xmmm.handoff._common import (
    LEVEL_DEPENDENT_NOISE,
    Mismatch,
    baseline_terms,
    channel_data,
    channel_layout,
    check_missing_option,
    columns,
    config_of,
    dataset_of,
    dates,
    largest_relative,
    multiplicative,
    noise_kind,
    per_period_relative,
    source_attrs,
    with_rows_filled,
)
from xmmm.patterns import season_fraction
from xmmm.targets import HILL_LIKE, JULIAN_YEAR_DAYS, geometric_alpha_like, hill_like
from xmmm.transforms import ADSTOCK_TRANSFORMS, SATURATION_TRANSFORMS, get_transform

if TYPE_CHECKING:  # pragma: no cover
    from xmmm.result import MMMResult

__all__ = ["PymcMarketingHandoff", "to_pymc_marketing", "mmm_class", "ADSTOCK_COMPONENTS", "SATURATION_COMPONENTS"]

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
#: otherwise the named parameters absorb the coefficient.  Read from the declarations.
SATURATION_COMPONENTS = {name: (spec.pymc_component, spec.coefficient) for name, spec in SATURATION_TRANSFORMS.items()}

# how a saturation curve's input scale enters its parameters: f(a u; p') = f(u; p)
# with p' from p and a = xmmm's channel scale / pymc-marketing's
_RESCALE = {
    "hill_function": {"kappa": 1},
    "michaelis_menten": {"lam": 1},
    "logistic_saturation": {"lam": -1},
    "tanh_saturation": {"c": 1},
}
# curves without a scale parameter: the coefficient absorbs ratio ** power
_RESCALE_COEFFICIENT = {"none": -1.0, "root_saturation": None}

#: name of the known control column that carries the baseline's linear trend: the period number over the
#: number of periods, 0, 1/T, ..., (T - 1)/T (on the scale of the other regressors, so NUTS adapts to its
#: coefficient quickly; the period number itself, up to T - 1, made fits far slower to mix)
TREND_COLUMN = "t"


@dataclass
class PymcMarketingHandoff:
    """Inputs of ``pymc_marketing.mmm.multidimensional.MMM`` and the truth on its scales.

    Attributes
    ----------
    X : pandas.DataFrame
        One row per (date, geo), sorted by date then geo: ``date``, ``geo``,
        the channel spend columns (``x1-TV``, ...), control columns
        (``c1-price``, ...) and, when the baseline has a trend, ``t`` (the
        period number over the number of periods ``T``: 0, 1/T, ...; xmmm's
        trend is linear in it).
    y : pandas.Series
        The target ``y``, aligned with ``X``.
    model_kwargs : dict
        ``MMM(**model_kwargs)``: ``date_column``, ``target_column``,
        ``channel_columns``, ``control_columns`` (``None`` without controls),
        ``dims=("geo",)``; ``adstock`` and ``saturation`` component instances
        of the data's transforms (one ``l_max``, ``normalize``, ``mode`` for
        all channels) whose priors (the components' defaults) have dims
        ``("geo", "channel")``, because xmmm's parameters vary by geo;
        ``scaling`` reducing over ``date`` only (each (geo, channel) series by
        its maximum, ``"mean"`` for data generated with
        ``spend_scaling="mean"``; ``y`` by its per-geo maximum); the trend
        column ``t`` among ``control_columns``; and ``yearly_seasonality=1``
        when the baseline is seasonal; ``time_varying_media=True`` when every
        channel's effectiveness multiplier is the same path (pymc-marketing's
        latent multiplier is one per geo, shared by the channels; with
        per-channel paths no pymc-marketing MMM holds the truth, the model is
        left constant and ``mismatches`` says so).  ``MMM(**model_kwargs)``
        built on ``X`` and ``y`` is the whole model.
    truth : xarray.Dataset
        The value of every free random variable of that model, named and
        dimensioned as in the model, on the target scale:

        * ``intercept_contribution`` (geo): baseline level / target scale.
        * ``adstock_<param>`` (geo, channel): unchanged (adstock is linear).
        * ``saturation_<param>`` (geo, channel): for classes with a ``beta``
          multiplier ``saturation_beta = channel_coefficient / target_scale``
          and the shape parameters (a half-saturation point rescaled when the
          data's channel scale is not pymc-marketing's); ``TanhSaturation``:
          ``b = b k``, ``c = c / k``; ``MichaelisMentenSaturation``:
          ``alpha = alpha k``; ``HillSaturationSigmoid``: ``sigma = sigma k``,
          with ``k = channel_coefficient / target_scale``.  With data problems
          the scales are those of the reported data the model receives; a
          (geo, channel) whose channel scale they move (spend measurement
          error, a maximum in a missing row) has NaN parameters where the
          scale enters (the shape parameters), as no value makes the model's
          input xmmm's.  With ``outcome_model="multiplicative"``
          pymc-marketing's additive MMM has no parameters that reproduce
          ``y``: the saturation parameters are left out (attribute
          ``saturation_mapped`` = 0) and ``channel_contribution`` is xmmm's
          log-share decomposition.
        * ``gamma_control`` (geo, control): control coefficient / target scale
          (pymc-marketing does not scale controls); for ``t``,
          ``level * sales_trend * T`` / target scale.
        * ``gamma_fourier`` (geo, fourier_mode): ``level A cos(phi)`` (mode
          ``sin_1``) and ``level A sin(phi)`` (``cos_1``) / target scale, for a
          baseline seasonality ``A sin(2 pi yearfrac + phi)``.
        * ``y_sigma`` (geo): noise standard deviation / target scale (the
          marginal one for Student-t and AR(1) errors; NaN for heteroscedastic
          and log-normal noise, whose standard deviation changes with the level).

        and the model's deterministics and data at the truth:
        ``channel_contribution`` and ``control_contribution`` (date, geo, ...;
        the control ``t`` is the baseline trend), ``yearly_seasonality_contribution``
        (date, geo), ``mu`` (date, geo) = ``(y - baseline_noise) /
        target_scale``, ``channel_contribution_original_scale``,
        ``channel_scale`` (geo, channel) and ``target_scale`` (geo), the
        scales pymc-marketing computes from ``X`` and ``y``.  With time-varying
        effects also ``effectiveness_multiplier`` (date, geo, channel), the true
        path (``channel_contribution = saturation_beta x
        saturation(adstock(x)) x effectiveness_multiplier``), and
        ``media_temporal_latent_multiplier`` (date, geo) when it is the same
        for every channel -- pymc-marketing's variable of that name.
    mismatches : list of Mismatch
        Empty when the data lie in pymc-marketing's family (then the model at
        ``truth`` reproduces them exactly); otherwise each item the model
        cannot represent, with the measured distance between the model at
        ``truth`` (the nearest member of the family) and the data.  A
        :class:`~xmmm.errors.XmmmWarning` lists them when the hand-off is made.
    """

    X: pd.DataFrame
    y: pd.Series
    model_kwargs: dict
    truth: xr.Dataset = field(repr=False)
    mismatches: list = field(default_factory=list)

    @property
    def exact(self) -> bool:
        """True when the model at ``truth`` reproduces the data's mean exactly."""
        return not self.mismatches

    def truth_values(self, model) -> dict[str, np.ndarray]:
        """The truth of every free random variable of a built model, as arrays in its dims and coordinate order.

        pymc-marketing orders geos alphabetically; ``truth`` keeps the
        dataset's order, so values are selected by label.  Use as
        ``pymc.do(mmm.model, handoff.truth_values(mmm.model))``.

        Raises
        ------
        KeyError
            A free random variable that ``truth`` does not hold (a model
            changed by ``build_model`` overrides).
        """
        out = {}
        for rv in model.free_RVs:
            name = rv.name
            if name not in self.truth:
                raise KeyError(f"the truth has no value for the model's free variable {name!r}")
            dims = model.named_vars_to_dims.get(name, ())
            da = self.truth[name].transpose(*dims)
            out[name] = da.sel({d: list(model.coords[d]) for d in dims if d in da.coords}).values
        return out

    def build_model(self, **overrides):
        """``MMM(**model_kwargs, **overrides)`` with its graph built on ``X`` and ``y`` (no sampling)."""
        mmm = mmm_class()(**{**self.model_kwargs, **overrides})
        mmm.build_model(self.X, self.y)
        return mmm


def mmm_class():
    """pymc-marketing's MMM with ``dims``.

    From pymc-marketing 1.0 it is ``pymc_marketing.mmm.mmm.MMM`` (the module
    ``multidimensional`` was renamed and is kept as a deprecated alias);
    before, ``pymc_marketing.mmm.mmm.MMM`` is the single-market model and the
    one with ``dims`` is ``pymc_marketing.mmm.multidimensional.MMM``.
    """
    import importlib
    import inspect

    candidate = getattr(importlib.import_module("pymc_marketing.mmm.mmm"), "MMM", None)
    if candidate is not None and "dims" in inspect.signature(candidate.__init__).parameters:
        return candidate
    return importlib.import_module("pymc_marketing.mmm.multidimensional").MMM


# --------------------------------------------------------------------------- the model's family
def _channel_table(ds: xr.Dataset, family: str, channels: list[int] | None = None) -> list[tuple[str, dict]]:
    """Per channel (or per channel of ``channels``): function name and its structural options."""
    names = [str(n) for n in ds[f"{family}_function"].values]
    out = []
    for j, name in enumerate(names):
        if channels is not None and j not in channels:
            continue
        structural = {}
        for p in get_transform(family, name).structural_parameters:
            value = ds[f"{family}_{p.name}"].values[j]
            structural[p.name] = value.item() if hasattr(value, "item") else value
        out.append((name, structural))
    return out


def _params(ds: xr.Dataset, family: str, name: str, j: int) -> dict[str, np.ndarray]:
    """Numeric parameters of channel ``j`` per geo."""
    return {
        p.name: ds[f"{family}_{p.name}"].transpose("geo", "channel").values[:, j]
        for p in get_transform(family, name).numeric_parameters
    }


def _model_family(ds: xr.Dataset, channel_columns: list[str], media: list[int]):
    """The model's adstock and saturation (name, structural options) and what they cannot represent.

    ``media`` are the dataset's channels that the model takes as channels
    (non-media treatments enter as controls), ``channel_columns`` their columns.
    """
    reasons: dict[str, list[str]] = {}
    adstocks = _channel_table(ds, "adstock", media)
    names = [n for n, _ in adstocks]
    if len(set(names)) > 1:
        adstock = ("geometric_adstock", {})
        for col, name in zip(channel_columns, names):
            if name != "geometric_adstock":
                reasons.setdefault(col, []).append(f"{name} in the data, geometric_adstock (same mean lag) in the model")
    else:
        adstock = (names[0], {})
    spec = get_transform("adstock", adstock[0])
    for p in spec.structural_parameters:
        values = [s.get(p.name) for n, s in adstocks if n == adstock[0] and p.name in s]
        pool = [s[p.name] for _, s in adstocks if p.name in s]
        if p.name == "l_max":
            chosen = max(pool) if pool else p.default
        elif values:
            chosen = values[0]
        else:
            chosen = p.default
        adstock[1][p.name] = chosen
        for col, (_, s) in zip(channel_columns, adstocks):
            if p.name in s and s[p.name] != chosen:
                reasons.setdefault(col, []).append(f"{p.name} {s[p.name]} in the data, {chosen} in the model")

    saturations = _channel_table(ds, "saturation", media)
    names = [n for n, _ in saturations]
    if len(set(names)) > 1:
        saturation = ("hill_function", {})
        for col, name in zip(channel_columns, names):
            if name != "hill_function":
                if name not in HILL_LIKE:
                    raise ValueError(
                        "pymc-marketing's MMM takes one saturation transform for all channels, but this dataset's "
                        f"channels use {', '.join(sorted(set(names)))}, and {name} has no Hill equivalent; generate "
                        "with a single saturation_fun or hand the channels to separate models"
                    )
                reasons.setdefault(col, []).append(
                    f"{name} in the data, hill_function (same half-saturation point) in the model"
                )
    else:
        saturation = (names[0], dict(saturations[0][1]))
    return adstock, saturation, reasons


def _components(adstock: tuple[str, dict], saturation: tuple[str, dict]):
    """The components, their priors over (geo, channel)."""
    from pymc_marketing.mmm.components import adstock as pm_adstock
    from pymc_marketing.mmm.components import saturation as pm_saturation
    from pymc_marketing.mmm.transformers import ConvMode

    name, options = adstock
    class_name = ADSTOCK_COMPONENTS[name]
    if isinstance(class_name, dict):
        class_name = class_name[options["type"]]
    saturation_class = getattr(pm_saturation, SATURATION_COMPONENTS[saturation[0]][0])
    if name == "none":
        adstock_component = pm_adstock.NoAdstock(l_max=1)
    else:
        adstock_class = getattr(pm_adstock, class_name)
        defaults = adstock_class(l_max=int(options["l_max"])).default_priors
        adstock_component = adstock_class(
            l_max=int(options["l_max"]),
            normalize=bool(options["normalize"]),
            mode=ConvMode(options["mode"]),
            priors=_by_geo(defaults),
        )
    saturation_component = saturation_class(priors=_by_geo(saturation_class().default_priors))
    return adstock_component, saturation_component


def _by_geo(priors: dict) -> dict:
    """The same priors with dims (geo, channel): one parameter per geo and channel, as xmmm generates."""
    from pymc_extras.prior import Prior

    return {
        name: Prior(prior.distribution, **prior.parameters, dims=("geo", "channel")) for name, prior in priors.items()
    }


# --------------------------------------------------------------------------- entry point
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
        ``X``, ``y``, ``model_kwargs``, ``truth`` and
        ``mismatches`` (see there).  Data generated inside pymc-marketing's
        family (``xmmm.get_preset_config(name, target="pymc-marketing")``)
        hand off exactly; otherwise the model is the nearest member of the
        family (one adstock and saturation function, the longest ``l_max``,
        a geometric adstock with the same mean lag, a Hill curve with the
        same half-saturation point, ...) and ``mismatches`` says, per item,
        how far it is from the data.

    Raises
    ------
    ValueError
        ``missing`` not one of "keep", "interpolate"; mixed saturation
        functions of which one has no Hill equivalent;
        ``inverse_scaled_logistic_saturation`` with an ``eps`` other than
        log(3), which pymc-marketing's component fixes.

    Warns
    -----
    XmmmWarning
        When the hand-off is not exact, listing the mismatches.

    Examples
    --------
    >>> import xmmm
    >>> config = xmmm.customize_preset("basic", target="pymc-marketing", n_periods=40)
    >>> handoff = xmmm.to_pymc_marketing(xmmm.generate_mmm_dataset(config))
    >>> handoff.exact, type(handoff.model_kwargs["adstock"]).__name__, handoff.model_kwargs["adstock"].l_max
    (True, 'GeometricAdstock', 8)
    >>> mmm = handoff.build_model()                                          # doctest: +SKIP
    """
    from xmmm.export import to_long_dataframe

    check_missing_option(missing)
    ds = dataset_of(result_or_dataset)
    if missing == "interpolate" and "missing" in ds and bool(ds["missing"].any()):
        ds = with_rows_filled(ds)
    layout = channel_layout(ds)
    # media channels hand over what their effect follows; treatments are controls (linear in their value)
    channel_columns = [layout.data_columns[j] for j in layout.media]
    control_columns = columns(ds, "control") + [layout.data_columns[j] for j in layout.treatments]
    adstock, saturation, reasons = _model_family(ds, channel_columns, layout.media)
    for j in layout.of(("reach_frequency", "organic_reach_frequency")):
        reasons.setdefault(layout.data_columns[j], []).append(
            "reach and frequency in the data (Hill on frequency times the scaled reach, then adstock), which "
            "pymc-marketing's MMM has no component for: handed over as impressions, with the nearest Hill curve")
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
    X = frame[["date", "geo", *channel_columns, *control_columns]].copy()
    y = frame["y"].rename("y")
    terms = baseline_terms(ds)
    if terms["trend"] != 0:
        n_periods = ds.sizes["date"]
        period = {date: i / n_periods for i, date in enumerate(pd.DatetimeIndex(ds["date"].values))}
        X[TREND_COLUMN] = pd.DatetimeIndex(X["date"]).map(period).to_numpy()
        control_columns = [*control_columns, TREND_COLUMN]

    config = config_of(ds)
    method = config.get("transforms", {}).get("spend_scaling", "max")
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
    if terms["amplitude"] != 0:
        model_kwargs["yearly_seasonality"] = 1
    if "effectiveness_multiplier" in ds and _shared_multiplier(ds):
        model_kwargs["time_varying_media"] = True
    truth, mismatches = _truth(ds, adstock, saturation, scaling_method, reasons, terms, layout)
    if mismatches:
        warnings.warn(
            "the pymc-marketing hand-off is not exact (the data are outside its family): "
            + "; ".join(map(str, mismatches)),
            XmmmWarning,
            stacklevel=2,
        )
    return PymcMarketingHandoff(
        X=X, y=y, model_kwargs=model_kwargs, truth=truth, mismatches=mismatches
    )


# --------------------------------------------------------------------------- truth
def _adstock_truth(ds, name: str, data_name: str, j: int, l_max: int) -> dict[str, np.ndarray]:
    params = _params(ds, "adstock", data_name, j)
    if name == data_name:
        return params
    structural = dict(_channel_table(ds, "adstock")[j][1])
    alpha = geometric_alpha_like(data_name, {**params, **structural}, l_max)
    return {"alpha": np.broadcast_to(alpha, (ds.sizes["geo"],)).copy()}


def _saturation_truth(ds, name: str, data_name: str, j: int, ratio: np.ndarray, k: np.ndarray) -> dict:
    """pymc-marketing parameters of channel ``j`` per geo; ``ratio`` = data scale / model scale."""
    params = _params(ds, "saturation", data_name, j)
    ceiling = np.ones_like(k)
    if name != data_name:  # stand-in Hill curve
        kappa, slope, ceiling, _ = hill_like(data_name, params)
        params = {"slope": np.broadcast_to(slope, k.shape).copy(), "kappa": np.broadcast_to(kappa, k.shape).copy()}
    for pname, power in _RESCALE.get(name, {}).items():
        params[pname] = params[pname] * ratio**power
    if name in _RESCALE_COEFFICIENT:
        power = _RESCALE_COEFFICIENT[name]
        k = k * ratio ** (-params["alpha"] if power is None else power)
    if name == "inverse_scaled_logistic_saturation":
        params.pop("eps")
    k = k * ceiling
    multiplier = SATURATION_COMPONENTS[name][1]
    if multiplier == "beta":
        params["beta"] = k
    elif multiplier == "b,c":
        params["b"] = params["b"] * k
        params["c"] = params["c"] / k
    else:
        params[multiplier] = params[multiplier] * k
    return params


def _nearest_hill(name: str, adstock, x: np.ndarray, adstock_params, target: np.ndarray) -> dict:
    """The Hill curve of adstocked scaled impressions nearest (least squares) to a channel's contribution.

    For what pymc-marketing cannot take (reach and frequency): per geo the
    half-saturation point on a grid and the slope 1 or 2, the coefficient
    ``beta`` by least squares; ``target`` (geo, date) on the target scale.
    """
    if name != "hill_function":
        raise ValueError("a reach-and-frequency channel is handed to pymc-marketing with a Hill curve; generate the "
                         "other channels with hill_function (or use get_preset_config(name, target='pymc-marketing'))")
    a_name, structural = adstock
    a_spec = get_transform("adstock", a_name)
    adstocked = a_spec.apply(x, **adstock_params, **{p.name: structural[p.name] for p in a_spec.structural_parameters})
    kappas = np.geomspace(0.02, 20.0, 121)
    best = {"slope": np.ones(len(x)), "kappa": np.ones(len(x)), "beta": np.zeros(len(x))}
    for g in range(len(x)):
        error = np.inf
        for slope in (1.0, 2.0):
            for kappa in kappas:
                curve = adstocked[g] ** slope / (adstocked[g] ** slope + kappa**slope)
                denominator = float(curve @ curve)
                beta = float(curve @ target[g]) / denominator if denominator > 0 else 0.0
                residual = float(np.sum((beta * curve - target[g]) ** 2))
                if residual < error:
                    error = residual
                    best["slope"][g], best["kappa"][g], best["beta"][g] = slope, kappa, beta
    return best


def _model_contribution(name: str, adstock, x: np.ndarray, adstock_params, saturation_params) -> np.ndarray:
    """pymc-marketing's channel contribution (target scale) at these parameters, (geo, date)."""
    a_name, structural = adstock
    a_spec = get_transform("adstock", a_name)
    kwargs = {p.name: structural[p.name] for p in a_spec.structural_parameters}
    adstocked = a_spec.apply(x, **adstock_params, **kwargs)
    s_spec = get_transform("saturation", name)
    multiplier = SATURATION_COMPONENTS[name][1]
    shape = {p: v for p, v in saturation_params.items() if p != "beta" or multiplier != "beta"}
    if name == "inverse_scaled_logistic_saturation":
        shape["eps"] = math.log(3)
    saturated = s_spec.apply(adstocked, **shape)
    if multiplier == "beta":
        saturated = saturated * saturation_params["beta"][:, None]
    return saturated


def _shared_multiplier(ds: xr.Dataset) -> bool:
    """Whether every channel's effectiveness multiplier is the same path (in each geo).

    pymc-marketing's ``time_varying_media`` multiplies all channels of a geo by
    one latent path, so only then does one of its models hold the truth.
    """
    multiplier = ds["effectiveness_multiplier"].transpose("channel", ...).values
    return bool(np.array_equal(multiplier, np.broadcast_to(multiplier[:1], multiplier.shape)))


def _truth(ds, adstock, saturation, channel_method: str, reasons: dict, terms: dict, layout):
    from xmmm.export import observed_view

    data_method = config_of(ds).get("transforms", {}).get("spend_scaling", "max")
    media, treatments = layout.media, layout.treatments
    channel_columns = [layout.data_columns[j] for j in media]
    control_columns = columns(ds, "control") + [layout.data_columns[j] for j in treatments]
    geo = ds["geo"].values
    # the scales pymc-marketing computes from the X and y it receives (reported values, missing rows
    # left out); with data problems they can differ from those of the true series
    seen = observed_view(ds)
    target_scale = seen["y"].max("date").values  # (geo,)
    # what each media channel's effect follows: its exposures (impressions for reach and frequency) or its spend
    spend = channel_data(ds).values[:, media]
    channel_scale = getattr(np, channel_method)(spend, axis=-1)  # of the true series: the family's question
    if "exposure" in ds or "treatment_value" in ds:  # media inputs come without data problems
        seen_scale, moved = channel_scale, np.zeros(channel_scale.shape, dtype=bool)
    else:
        seen_scale = getattr(seen["spend"], channel_method)("date").transpose("geo", "channel").values
        # shape parameters act on spend over the model's channel scale: none is exact where the reported
        # data move that scale (spend measurement error, a maximum in a missing row)
        moved = ~np.isclose(seen_scale, channel_scale, rtol=1e-12, atol=0)
    outcome_multiplicative = multiplicative(ds)
    multiplier = None
    if "effectiveness_multiplier" in ds:
        multiplier = ds["effectiveness_multiplier"].transpose("geo", "channel", "date").values[:, media]
        shared_multiplier = _shared_multiplier(ds)
    data_scale = ds["spend_scale"].transpose("geo", "channel").values[:, media]
    coefficient = ds["channel_coefficient"].transpose("geo", "channel").values[:, media]
    contribution = ds["contribution"].transpose("geo", "channel", "date").values[:, media]
    data_adstocks = [n for n, _ in _channel_table(ds, "adstock", media)]
    data_saturations = [n for n, _ in _channel_table(ds, "saturation", media)]
    reach_frequency = {layout.data_columns[j] for j in layout.of(("reach_frequency", "organic_reach_frequency"))}

    adstock_truth: dict[str, list] = {}
    saturation_truth: dict[str, list] = {}
    model_contribution = np.empty_like(contribution)
    mismatches: list[Mismatch] = []
    level = ds["baseline_level"].isel(date=0).values
    for j, col in enumerate(channel_columns):
        c = media[j]  # the channel's index in the dataset
        a = _adstock_truth(ds, adstock[0], data_adstocks[j], c, int(adstock[1].get("l_max", 1)))
        ratio = data_scale[:, j] / np.where(channel_scale[:, j] > 0, channel_scale[:, j], 1.0)
        rescalable = saturation[0] in _RESCALE or saturation[0] in _RESCALE_COEFFICIENT
        if not rescalable and not np.allclose(ratio, 1.0, rtol=1e-12):
            reasons.setdefault(col, []).append(
                f"{saturation[0]} of spend over its {data_method} in the data, over its {channel_method} in the model"
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(channel_scale[:, j, None] > 0, spend[:, j] / channel_scale[:, j, None], 0.0)
        k = coefficient[:, j] / target_scale
        if outcome_multiplicative:  # the coefficient is a share of the baseline; additively, that share of its level
            k = k * level
            reasons.setdefault(col, []).append(
                "multiplicative outcome in the data (y = baseline x prod(1 + effect)), additive in the model")
        if col in reach_frequency:
            s = _nearest_hill(saturation[0], adstock, x, a, contribution[:, j] / target_scale[:, None])
        else:
            s = _saturation_truth(ds, saturation[0], data_saturations[j], c, ratio, k)
        for p, v in a.items():
            adstock_truth.setdefault(p, []).append(v)
        for p, v in s.items():
            scaled = p != "beta" or saturation[0] in _RESCALE_COEFFICIENT
            saturation_truth.setdefault(p, []).append(np.where(moved[:, j], np.nan, v) if scaled else v)
        model_contribution[:, j] = _model_contribution(saturation[0], adstock, x, a, s) * target_scale[:, None]
        if multiplier is not None and shared_multiplier:  # the model's latent multiplier holds the path
            model_contribution[:, j] = model_contribution[:, j] * multiplier[:, j]
        elif multiplier is not None and not np.all(multiplier[:, j] == 1.0):
            reasons.setdefault(col, []).append(
                "its effectiveness varies over time in the data, per channel; pymc-marketing's time-varying media "
                "multiplier is one path per geo shared by the channels (the model is constant)")
        if col in reasons:
            difference = largest_relative(model_contribution[:, j] - contribution[:, j], contribution[:, j])
            mismatches.append(Mismatch(col, "; ".join(reasons[col]), float(difference),
                                       "contributions differ by up to {} % of the channel's largest"))

    gc = ("geo", "channel")
    out: dict[str, tuple] = {}
    for p, values in adstock_truth.items():
        out[f"adstock_{p}"] = (gc, np.stack(values, axis=1))
    if not outcome_multiplicative:  # no parameters of the additive model reproduce a multiplicative y
        for p, values in saturation_truth.items():
            out[f"saturation_{p}"] = (gc, np.stack(values, axis=1))

    # a treatment is a control: gamma * value, its baseline value's constant effect in the intercept
    gamma_treatment = ds["channel_coefficient"].transpose("geo", "channel").values[:, treatments]
    baseline_value = (ds["treatment_baseline"].values[treatments] if treatments else np.zeros(0))
    intercept = level - (gamma_treatment * baseline_value[None, :]).sum(axis=1)
    out["intercept_contribution"] = (("geo",), intercept / target_scale)
    gamma = np.concatenate([ds["control_coefficient"].transpose("geo", "control").values, gamma_treatment],
                           axis=1) / target_scale[:, None]
    control_effect = ds["control_effect"].transpose("date", "geo", "control").values
    if treatments:
        values = ds["treatment_value"].transpose("date", "geo", "channel").values[..., treatments]
        control_effect = np.concatenate([control_effect, values * gamma_treatment[None]], axis=-1)
    control_effect = control_effect / target_scale[None, :, None]
    if terms["trend"] != 0:  # the known control t: the period number over the number of periods
        slope = level * terms["trend"] * ds.sizes["date"] / target_scale
        gamma = np.concatenate([gamma, slope[:, None]], axis=1)
        trend = ds["baseline_trend"].transpose("date", "geo").values / target_scale
        control_effect = np.concatenate([control_effect, trend[..., None]], axis=-1)
        control_columns = [*control_columns, TREND_COLUMN]
    out["gamma_control"] = (("geo", "control"), gamma)
    # the marginal sd for Student-t and AR(1) errors; none for noise whose sd changes with the level
    sigma = level * terms["volatility"] / target_scale
    out["y_sigma"] = (("geo",), np.full_like(sigma, np.nan) if noise_kind(ds) in LEVEL_DEPENDENT_NOISE else sigma)

    when = dates(ds)
    date_geo = ("date", "geo")
    mean_model = intercept[None, :] / target_scale + model_contribution.sum(axis=1).T / target_scale
    mean_model = mean_model + control_effect.sum(axis=-1)
    if terms["amplitude"] != 0:
        a, phi = terms["amplitude"], terms["phase"]
        out["gamma_fourier"] = (
            ("geo", "fourier_mode"),
            np.stack([level * a * math.cos(phi), level * a * math.sin(phi)], axis=-1) / target_scale[:, None],
        )
        day = 2.0 * np.pi * np.asarray(when.day_of_year, dtype=float) / JULIAN_YEAR_DAYS
        fourier = np.sin(day)[:, None] * out["gamma_fourier"][1][None, :, 0] + np.cos(day)[:, None] * out[
            "gamma_fourier"][1][None, :, 1]
        out["yearly_seasonality_contribution"] = (date_geo, fourier)
        mean_model = mean_model + fourier
        if terms["period_days"] != JULIAN_YEAR_DAYS:
            data_season = ds["baseline_seasonality"].transpose("date", "geo").values / target_scale
            mismatches.append(Mismatch(
                "yearly seasonality",
                f"phase 2 pi {'(day_of_year - 1) / days in the year' if terms['period_days'] is None else 'day_of_year / ' + str(terms['period_days'])} "
                "in the data, 2 pi day_of_year / 365.25 in the model (set regions.seasonal_period_days = 365.25)",
                float(largest_relative(fourier - data_season, data_season)),
                "seasonal terms differ by up to {} % of their largest",
            ))
    mean = (ds["y"] - ds["baseline_noise"]).transpose("date", "geo").values / target_scale
    if mismatches:
        mismatches.append(Mismatch("mean outcome", "the items above", per_period_relative(mean_model - mean, mean),
                                   "mean outcomes differ by up to {} % per period"))
    out["mu"] = (date_geo, mean)
    out["channel_contribution"] = (("date", "geo", "channel"), contribution.transpose(2, 0, 1) / target_scale[None, :, None])
    out["channel_contribution_original_scale"] = (("date", "geo", "channel"), contribution.transpose(2, 0, 1))
    out["control_contribution"] = (("date", "geo", "control"), control_effect)
    out["channel_scale"] = (gc, seen_scale)
    out["target_scale"] = (("geo",), target_scale)
    if multiplier is not None:
        out["effectiveness_multiplier"] = (("date", "geo", "channel"), multiplier.transpose(2, 0, 1))
        if shared_multiplier:
            out["media_temporal_latent_multiplier"] = (date_geo, multiplier[:, 0].T)

    names = [str(c) for c in ds["channel"].values]
    coords = {
        "date": ds["date"].values,
        "geo": geo,
        "channel": channel_columns,
        "control": control_columns,
        "channel_name": ("channel", np.asarray([names[j] for j in media], dtype=object)),
        "control_name": ("control", np.asarray([str(c) for c in ds["control"].values]
                                               + [names[j] for j in treatments]
                                               + (["trend"] if terms["trend"] != 0 else []), dtype=object)),
    }
    if "gamma_fourier" in out:
        coords["fourier_mode"] = ["sin_1", "cos_1"]
    truth = xr.Dataset(out, coords=coords)
    truth.attrs = {
        **source_attrs(ds),
        "adstock": adstock[0],
        "saturation": saturation[0],
        "exact": int(not mismatches),
        "saturation_mapped": int(not outcome_multiplicative),
        "note": (
            "every free random variable of the model of PymcMarketingHandoff.model_kwargs, on "
            "pymc-marketing's scales; see xmmm.handoff.PymcMarketingHandoff"
        ),
    }
    return truth, mismatches
