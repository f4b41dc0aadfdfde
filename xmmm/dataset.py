"""Label the arrays of a generation as one ``xarray.Dataset``.

The Dataset (see the README, "The Dataset") holds every series, every true
parameter, the coordinates with the export column names and, in its
attributes, the config that regenerates it exactly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr

from xmmm._version import __version__
from xmmm.config import MMMDataConfig
from xmmm.ground_truth import MARGINAL_STEP
from xmmm.inputs import effect_follows
from xmmm.plan import Plan, Stage, channel_stages, parameter_names

__all__ = ["channel_activity", "to_dataset"]


_SERIES = {
    "spend": ("channel", "Spend", "currency per period"),
    "adstocked": ("channel", "Adstocked scaled spend", "1"),
    "saturated": ("channel", "Saturated adstocked scaled spend", "1"),
    "contribution": ("channel", "Channel contribution to y", "y"),
    "control_value": ("control", "Control variable value", "control units"),
    "control_effect": ("control", "Control effect on y", "y"),
}
#: series of channel kinds other than paid spend: present only when a channel has them (NaN for the others)
_MEDIA_SERIES = {
    "exposure": ("channel", "Exposures (impressions or clicks; impressions = reach x frequency); NaN without",
                 "exposures per period"),
    "cost_per_exposure": ("channel", "Cost of one exposure (spend = exposure x cost_per_exposure); NaN without",
                          "currency per exposure"),
    "reach": ("channel", "People reached in the period (at most the population); NaN without", "people"),
    "frequency": ("channel", "Average frequency, exposures per person reached (>= 1); NaN without",
                  "exposures per person"),
    "treatment_value": ("channel", "Value of a non-media treatment; NaN for media channels", "treatment units"),
}
_BASELINE = {
    "baseline": "Baseline sales (level + trend + seasonality + noise)",
    "baseline_level": "Baseline level",
    "baseline_trend": "Baseline trend component",
    "baseline_seasonality": "Baseline seasonality component",
    "baseline_noise": "Baseline noise component",
    "y": "Outcome: baseline + control effects + channel contributions",
}
_TRUTH = {
    "spend_level": ("channel", "Spend level (base_spend x regional factor)", "currency per period"),
    "spend_scale": ("channel", "Scale dividing spend before the transforms", "currency per period"),
    "effectiveness": ("channel", "Effect of a fully saturated channel as a share of the baseline level", "1"),
    "channel_coefficient": ("channel", "Contribution per unit of saturated signal (effectiveness x level)", "y"),
    "roas": ("channel", "Return on ad spend: sum(contribution) / sum(spend)", "y per currency"),
    "mroas": ("channel", f"Marginal ROAS for a {MARGINAL_STEP:.0%} spend increase", "y per currency"),
    "attribution": ("channel", "Share of the geo's media contribution", "percent"),
    "control_level": ("control", "Control value level (base_value x regional factor)", "control units"),
    "control_coefficient": ("control", "Control effect per unit of control value", "y per control unit"),
}


#: variables of the harder worlds, labelled only when a generation has them: name -> (axis, long_name, units)
_OPTIONAL = {
    "effectiveness_multiplier": ("channel", "Time-varying effectiveness multiplier (mean 1 over the dates)", "1"),
    "incremental_outcome": ("channel", "y minus y with the channel's spend at 0 (paired runs, same random numbers)",
                            "y"),
    "log_contribution": ("channel", "Log-scale channel contribution: log(1 + media effect share)", "1"),
    "log_control_effect": ("control", "Log-scale control effect: log(1 + control effect share)", "1"),
    "log_baseline": (None, "Log of the expected baseline (log y = log_baseline + log effects + log noise)", "1"),
    "baseline_drift": (None, "Time-varying part of the baseline level: level x (multiplier - 1)", "y"),
    "baseline_break": (None, "Structural breaks of the baseline level (level shifts from their dates)", "y"),
    "missing": (None, "True where the modeller receives no row (missing period or geo)", "1"),
    "outlier": (None, "Spike added to the reported outcome (0: none)", "y"),
    "y_observed": (None, "Outcome as reported: y + outlier, NaN where missing", "y"),
    "spend_observed": ("channel", "Spend as reported: spend x measurement error, NaN where missing",
                       "currency per period"),
}


def to_dataset(
    arrays: Mapping[str, np.ndarray],
    config: MMMDataConfig,
    replicate_axis: bool,
    replicates: Sequence[int] | None = None,
    plan: Plan | None = None,
) -> xr.Dataset:
    """Label the arrays of :func:`xmmm.engine.run` as one Dataset.

    With ``replicate_axis=False`` the single replicate is dropped from every
    variable; otherwise every variable gets a leading ``replicate`` dim.
    ``plan`` (any plan of the config) supplies each channel's transforms;
    default: the config's.
    """
    rep: tuple = (0,) if not replicate_axis else (slice(None),)
    lead = ("replicate",) if replicate_axis else ()

    def take(name):
        return arrays[name][rep]

    def dated(arr):  # (..., G, X, T) -> (..., T, G, X)  or (..., G, T) -> (..., T, G)
        return np.moveaxis(arr, -1, -3 if arr.ndim - len(lead) == 3 else -2)

    data_vars = {}
    for name, (kind, long_name, units) in _SERIES.items():
        data_vars[name] = (lead + ("date", "geo", kind), dated(take(name)), {"long_name": long_name, "units": units})
    for name, long_name in _BASELINE.items():
        data_vars[name] = (lead + ("date", "geo"), dated(take(name)), {"long_name": long_name, "units": "y"})
    for name, (kind, long_name, units) in _TRUTH.items():
        data_vars[name] = (lead + ("geo", kind), take(name), {"long_name": long_name, "units": units})
    data_vars["media_share"] = (lead + ("geo",), take("media_share"),
                                {"long_name": "Media contribution as a share of y", "units": "percent"})
    if "population" in arrays:
        data_vars["population"] = (lead + ("geo",), take("population"),
                                   {"long_name": "People per geo (per-capita spend scaling, Meridian hand-off)",
                                    "units": "people"})
    for name, (kind, long_name, units) in _OPTIONAL.items():
        if name in arrays:
            dims = lead + ("date", "geo") + ((kind,) if kind else ())
            data_vars[name] = (dims, dated(take(name)), {"long_name": long_name, "units": units})
    issues = config.data_issues
    if issues is not None and issues.placebo:
        placebos = {p.channel for p in issues.placebo}
        data_vars["placebo"] = (("channel",), np.array([c in placebos for c in config.channel_names]),
                                {"long_name": "Placebo channel: spend copied from a real channel, no effect"})
    data_vars.update(_media_variables(arrays, config, take, dated, lead))

    stages = {family: plan.stages(family) if plan is not None else channel_stages(config, family)
              for family in ("adstock", "saturation")}
    for family, family_stages in stages.items():
        for pname in parameter_names(family_stages):
            key = f"{family}_{pname}"
            data_vars[key] = (lead + ("geo", "channel"), take(key),
                              {"long_name": f"True {family} parameter {pname} (NaN where unused)", "units": "1"})
        data_vars[f"{family}_function"] = (("channel",), np.array([s.name for s in family_stages], dtype=str),
                                           {"long_name": f"{family} function (pymc-marketing name)"})
        for pname, values in _structural_columns(family_stages).items():
            data_vars[f"{family}_{pname}"] = (("channel",), values, {"long_name": f"{family} {pname}"})

    coords = {
        "date": config.dates.values,
        "geo": np.array(config.region_names, dtype=str),
        "channel": np.array(config.channel_names, dtype=str),
        "control": np.array(config.control_names, dtype=str),
        "channel_column": ("channel", np.array(config.channel_columns, dtype=str)),
        "control_column": ("control", np.array(config.control_columns, dtype=str)),
    }
    if config.has_media_inputs:
        coords["channel_kind"] = ("channel", np.array(config.channel_kinds, dtype=str))
        coords["exposure_unit"] = ("channel", np.array([c.unit for c in config.channels], dtype=str))
    data_vars.update(_causal_variables(arrays, take, dated, lead))
    if "demand_observed" in data_vars:
        data_vars["demand_observed"][2]["column"] = config.demand_column
    if config.experiments:
        coords.update(_experiment_coords(config))
    if replicate_axis:
        coords["replicate"] = np.asarray(replicates if replicates is not None else range(arrays["y"].shape[0]))
    attrs = {
        "title": "Synthetic marketing mix dataset with known ground truth",
        "xmmm_version": __version__,
        "xmmm_config": json.dumps(config.to_dict(), sort_keys=True),
        "seed": int(config.seed),
        "frequency": config.frequency,
        "Conventions": "CF-1.8",
    }
    if config.kpi_type != "revenue":
        attrs["kpi_type"] = config.kpi_type
    if _is_causal(config):
        from xmmm.graph import causal_graph

        attrs["causal_graph"] = json.dumps(causal_graph(config), sort_keys=True)
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)


def _is_causal(config: MMMDataConfig) -> bool:
    return config.demand is not None or bool(config.experiments) or any(
        c.spend_policy != "exogenous" for c in config.channels)


#: variables of the causal scenarios (:mod:`xmmm.causal`), present only when used
_CAUSAL = {
    "demand": (("date",), "Latent demand", "demand units"),
    "demand_effect": (("date",), "Effect of demand on y (demand_coefficient x demand)", "y"),
    "demand_forecast": (("date",), "Demand forecast the demand-following policies plan with", "demand units"),
    "demand_observed": (("date",), "Demand as observed (exported as a control column; a proxy if noisy)",
                        "demand units"),
    "sales_target": (("date",), "Sales target of the target-chasing policies", "y"),
    "demand_coefficient": ((), "Effect on y of one unit of demand (effect x baseline level)", "y per demand unit"),
    "spend_planned": (("date", "channel"), "Planned spend (the pattern's, before spend policies and experiments)",
                      "currency per period"),
    "lift": (("experiment", "date"), "True lift: y minus the run without the experiment (same random numbers)",
             "y"),
    "lift_x": (("experiment",), "Mean untested spend of the channel over the window", "currency per period"),
    "lift_delta_x": (("experiment",), "Mean spend change over the window", "currency per period"),
    "lift_delta_y": (("experiment",), "Realised lift: mean lift per period over the window (noise-free)",
                     "y per period"),
    "lift_measured": (("experiment",), "Measured lift: lift_delta_y + N(0, measurement_sigma)", "y per period"),
    "lift_total": (("experiment",), "Lift summed over every date (carry-over and feedback included)", "y"),
    "lift_delta_y_model": (("experiment",), "Steady-state lift of the saturation curve from x to x + delta_x",
                           "y per period"),
    "lift_sigma": (("experiment",), "Standard deviation of the measured lift", "y per period"),
    "lift_tested": (("experiment",), "Whether the geo is in the experiment", "1"),
}


def _causal_variables(arrays, take, dated, lead) -> dict:
    """The causal scenarios' variables that the generation made, labelled."""
    layouts = {
        ("date",): (("date", "geo"), dated),
        ("date", "channel"): (("date", "geo", "channel"), dated),
        ("experiment", "date"): (("experiment", "date", "geo"), lambda a: np.moveaxis(a, -3, -1)),
        ("experiment",): (("geo", "experiment"), lambda a: a),
        (): (("geo",), lambda a: a),
    }
    out = {}
    for name, (kind, long_name, units) in _CAUSAL.items():
        if name in arrays:
            dims, arrange = layouts[kind]
            out[name] = (lead + dims, arrange(take(name)), {"long_name": long_name, "units": units})
    return out


def _experiment_coords(config: MMMDataConfig) -> dict:
    from xmmm.causal import window

    dates = config.dates
    spans = [window(e, dates) for e in config.experiments]
    return {
        "experiment": np.array([e.label for e in config.experiments], dtype=str),
        "experiment_channel": ("experiment", np.array([e.channel for e in config.experiments], dtype=str)),
        "experiment_start": ("experiment", dates.values[[a for a, _ in spans]]),
        "experiment_end": ("experiment", dates.values[[b for _, b in spans]]),
        "experiment_mode": ("experiment", np.array([e.mode for e in config.experiments], dtype=str)),
        "experiment_value": ("experiment", np.array([float(e.value) for e in config.experiments])),
    }


def _structural_columns(stages: Sequence[Stage]) -> dict[str, np.ndarray]:
    """One column per structural option used by any channel (fill: False, 0 or "" where unused)."""
    names: list[str] = []
    for stage in stages:
        for p in stage.transform.structural_parameters:
            if p.name not in names:
                names.append(p.name)
    out = {}
    for pname in names:
        column = [stage.options.get(pname) for stage in stages]
        sample = next(v for v in column if v is not None)
        if isinstance(sample, bool):
            out[pname] = np.array([bool(v) if v is not None else False for v in column])
        elif isinstance(sample, (int, np.integer)):
            out[pname] = np.array([int(v) if v is not None else 0 for v in column], dtype=np.int64)
        else:
            out[pname] = np.array([str(getattr(v, "value", v)) if v is not None else "" for v in column], dtype=str)
    return out


def _media_variables(arrays, config: MMMDataConfig, take, dated, lead) -> dict:
    """The variables of channel kinds other than paid spend and of a KPI that is not revenue (when present)."""
    out = {}
    for name, (kind, long_name, units) in _MEDIA_SERIES.items():
        if name in arrays:
            out[name] = (lead + ("date", "geo", kind), dated(take(name)), {"long_name": long_name, "units": units})
    if "revenue_per_kpi" in arrays:
        out["revenue_per_kpi"] = (lead + ("date", "geo"), dated(take("revenue_per_kpi")),
                                  {"long_name": "Revenue of one unit of KPI (y)", "units": "currency per KPI"})
    if "incremental_outcome" in arrays and config.has_media_inputs:  # labelled with the harder worlds' variables
        out["incremental_outcome"] = (lead + ("date", "geo", "channel"), dated(take("incremental_outcome")), {
            "long_name": "Incremental outcome: y minus y with the channel off (a treatment at its baseline value), "
                         "on the same random numbers", "units": "y"})
    if "incremental_revenue" in arrays:
        out["incremental_revenue"] = (lead + ("date", "geo", "channel"), dated(take("incremental_revenue")), {
            "long_name": "Incremental outcome in revenue (incremental_outcome x revenue_per_kpi)",
            "units": "currency"})
    if config.has_media_inputs:
        out["effect_follows"] = (("channel",), np.array(_effect_follows(config), dtype=str), {
            "long_name": "What the channel's effect follows: spend, impressions, clicks, reach_frequency "
                         "(Hill on frequency times scaled reach, then adstock) or value (a treatment)"})
    if any(c.kind == "treatment" for c in config.channels):
        out["treatment_baseline"] = (("channel",), np.array(
            [c.baseline_value if c.kind == "treatment" else np.nan for c in config.channels], dtype=float), {
            "long_name": "Baseline value of a treatment (its counterfactual); NaN for media channels",
            "units": "treatment units"})
    return out


def _effect_follows(config: MMMDataConfig) -> list[str]:
    return [effect_follows(c.kind, c.unit) for c in config.channels]


def channel_activity(ds: xr.Dataset) -> xr.DataArray:
    """Each channel's media in the units its effect follows, ``(..., date, geo, channel)``.

    Spend for paid channels acting on spend, exposures for channels that
    have them (impressions for reach and frequency), a treatment's deviation
    from its baseline value.  A Dataset without those variables gives its
    spend.

    Examples
    --------
    >>> import xmmm
    >>> ds = xmmm.generate_dataset(n_periods=30)
    >>> bool((channel_activity(ds) == ds["spend"]).all())
    True
    """
    out = ds["spend"]
    if "exposure" in ds:
        out = ds["exposure"].where(ds["exposure"].notnull(), out)
    if "treatment_value" in ds and "treatment_baseline" in ds:
        deviation = ds["treatment_value"] - ds["treatment_baseline"]
        out = deviation.where(ds["treatment_value"].notnull(), out)
    return out.transpose(*ds["spend"].dims)
