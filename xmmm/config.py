"""Configuration dataclasses: what a dataset is made of, validated when made.

A configuration is plain data.  Every field is checked when the object is
created (``__post_init__``) and again, all together, by
:func:`validate_config` before generation; a bad value raises
:class:`~xmmm.errors.ConfigError` naming the field, the value and what is
allowed (the checks are :mod:`xmmm.checks`).  Configs round-trip through
:meth:`MMMDataConfig.to_dict` / :meth:`MMMDataConfig.from_dict` (plain data,
:mod:`xmmm.plain`), which is how they are stored in a dataset's attributes and
in YAML/JSON files.

Plausibility limits
-------------------
Besides its valid range, a magnitude has a limit that no business exceeds
and that keeps every generated value finite in float64 (a larger value is
a ``ConfigError`` giving the reason): spend and control levels at most 1e12
per period, the baseline sales rate at most 1e15 per period, effectiveness at
most 100 (a channel's full effect 100 times the baseline level), trends within
+-1 per period, volatilities (coefficients of variation) at most 10, at most
100,000 periods and 100,000 regions, and a last date that pandas can hold
(before 2262).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from xmmm.causal import SPEND_POLICIES, DemandConfig, ExperimentConfig, check_scenario
from xmmm.checks import Problems, is_int, join
from xmmm.errors import ConfigError, TransformError
from xmmm.plain import Schema, from_plain, set_path, to_plain
from xmmm.world import (
    OUTCOME_MODELS,
    DataIssues,
    LevelBreak,
    MissingData,
    Placebo,
    TimeVariation,
    as_dataclass,
    canonical_name,
    noise_problems,
)

__all__ = [
    "PATTERNS",
    "KINDS",
    "UNITS",
    "KPI_TYPES",
    "ChannelConfig",
    "ControlConfig",
    "DemandConfig",
    "ExperimentConfig",
    "PatternSpec",
    "RegionConfig",
    "TimeVariation",
    "DataIssues",
    "MissingData",
    "LevelBreak",
    "Placebo",
    "TransformConfig",
    "MMMDataConfig",
    "DEFAULT_CONFIG",
    "validate_config",
    "apply_overrides",
    "with_placebo",
]

#: Spend / control-value patterns understood by the generator.
PATTERNS = ("linear_trend", "seasonal", "delayed_start", "on_off", "custom")
SPEND_SCALINGS = ("max", "mean", "none", "per_capita_median")
#: What a channel is (:class:`ChannelConfig`.kind): paid media, paid reach and frequency, organic media
#: (exposures, or reach and frequency, without spend) and non-media treatments.
KINDS = ("paid", "reach_frequency", "organic", "organic_reach_frequency", "treatment")
#: What a channel's exposures count (:class:`ChannelConfig`.unit); ``"spend"``: no exposures.
UNITS = ("spend", "impressions", "clicks")
#: Exposures per unit of ``cost_per_unit``: a CPM prices a thousand impressions, a CPC one click.
COST_BASIS = {"impressions": 1000.0, "clicks": 1.0}
#: What the outcome ``y`` measures (:class:`MMMDataConfig`.kpi_type).
KPI_TYPES = ("revenue", "non_revenue")
REACH_FREQUENCY_KINDS = ("reach_frequency", "organic_reach_frequency")
#: kinds without spend
UNPAID_KINDS = ("organic", "organic_reach_frequency", "treatment")

#: Plausibility limits (see the module docs).
MAX_LEVEL = 1e12
MAX_SALES_RATE = 1e15
MAX_EFFECTIVENESS = 100.0
MAX_TREND = 1.0
MAX_VOLATILITY = 10.0
MAX_PERIODS = 100_000
MAX_REGIONS = 100_000
_LIMIT_WHY = {
    "level": "no business has more per period; keeps every value finite",
    "effectiveness": "a full effect of more than 100 times the baseline level; keeps y finite",
    "trend": "more than 100 % of the level per period",
    "volatility": "a coefficient of variation above 10 makes a series a few spikes",
}


# --------------------------------------------------------------------------- patterns
@dataclass(frozen=True)
class PatternSpec:
    """The pattern of one series (a channel's spend or a control's values), as the generator reads it.

    Both :class:`ChannelConfig` and :class:`ControlConfig` hold the pattern
    fields and hand them over as one ``PatternSpec`` (their ``pattern_spec``);
    :mod:`xmmm.patterns` reads nothing else.

    Attributes
    ----------
    name, kind : str
        The series' name and pattern (``"linear_trend"``, ...).
    level, trend, volatility : float
        ``base_spend`` / ``base_value``, ``spend_trend`` / ``value_trend`` and
        ``spend_volatility`` / ``value_volatility``.
    seasonal_amplitude, seasonal_phase, start_period, ramp_up_periods, end_period,
    activation_probability, min_active_periods, max_active_periods, custom
        As on the configs (``custom`` is ``custom_pattern_func``).
    source : ChannelConfig or ControlConfig
        The config itself (the first argument of a custom pattern function).
    """

    name: str
    kind: str
    level: float
    trend: float
    volatility: float
    seasonal_amplitude: float
    seasonal_phase: float
    start_period: int
    ramp_up_periods: int
    end_period: int | None
    activation_probability: float
    min_active_periods: int
    max_active_periods: int
    custom: Callable | None
    #: the ChannelConfig or ControlConfig itself: the first argument of a custom pattern function
    source: Any = field(default=None, repr=False, compare=False)


#: pattern fields shared by channels and controls (held by each, read through ``pattern_spec``)
_PATTERN_FIELDS = (
    "seasonal_amplitude", "seasonal_phase", "start_period", "ramp_up_periods", "end_period",
    "activation_probability", "min_active_periods", "max_active_periods",
)


def _pattern_spec(series, level: float, trend: float, volatility: float) -> PatternSpec:
    return PatternSpec(
        name=series.name,
        kind=series.pattern,
        level=level,
        trend=trend,
        volatility=volatility,
        custom=series.custom_pattern_func,
        source=series,
        **{f: getattr(series, f) for f in _PATTERN_FIELDS},
    )


def _check_name(problems: Problems, name: Any) -> None:
    if not isinstance(name, str) or not name.strip() or name != name.strip():
        problems.add("name", name, "a non-empty string without leading or trailing spaces")


def _check_pattern(p: Problems, series) -> None:
    """The name and pattern fields of a channel or a control."""
    _check_name(p, series.name)
    if series.pattern not in PATTERNS:
        p.add("pattern", series.pattern, "one of " + ", ".join(repr(x) for x in PATTERNS))
    p.number("seasonal_amplitude", series.seasonal_amplitude, lower=0, upper=1)
    p.number("seasonal_phase", series.seasonal_phase)
    p.number("start_period", series.start_period, lower=0, integer=True)
    p.number("ramp_up_periods", series.ramp_up_periods, lower=0, integer=True)
    p.number("end_period", series.end_period, lower=1, integer=True, optional=True)
    if is_int(series.end_period) and is_int(series.start_period) and series.end_period <= series.start_period:
        p.add("end_period", series.end_period, f"> start_period ({series.start_period})")
    p.number("activation_probability", series.activation_probability, lower=0, upper=1)
    p.number("min_active_periods", series.min_active_periods, lower=1, integer=True)
    p.number("max_active_periods", series.max_active_periods, lower=1, integer=True)
    if (
        is_int(series.min_active_periods)
        and is_int(series.max_active_periods)
        and series.max_active_periods < series.min_active_periods
    ):
        p.add("max_active_periods", series.max_active_periods, f">= min_active_periods ({series.min_active_periods})")
    if series.pattern == "custom" and not callable(series.custom_pattern_func):
        p.add("custom_pattern_func", series.custom_pattern_func, "a callable when pattern='custom'")
    elif series.custom_pattern_func is not None and not callable(series.custom_pattern_func):
        p.add("custom_pattern_func", series.custom_pattern_func, "a callable or None")


def _check_levels(p: Problems, level: str, level_value, trend: str, trend_value, volatility: str,
                  volatility_value) -> None:
    p.number(level, level_value, lower=0, limit=MAX_LEVEL, why=_LIMIT_WHY["level"])
    p.number(trend, trend_value, limit=MAX_TREND, why=_LIMIT_WHY["trend"])
    p.number(volatility, volatility_value, lower=0, limit=MAX_VOLATILITY, why=_LIMIT_WHY["volatility"])


# --------------------------------------------------------------------------- channels
@dataclass
class ChannelConfig:
    """One media channel (paid, reach and frequency, organic) or non-media treatment.

    The default is today's paid channel whose transforms act on spend
    (``kind="paid"``, ``unit="spend"``); the other kinds are described under
    ``kind`` below and in the README ("Media inputs").

    Spend of channel ``c`` in geo ``g`` at period ``t`` is

    .. math:: s_{g,c,t} = B_c \\, f_{g,c} \\, m_c(t) \\, a_{g,c,t} \\, \\varepsilon_{g,c,t}

    with ``B`` = ``base_spend``, ``f`` the regional spend factor, ``m`` the
    pattern's shape (mean 1 while active, see :mod:`xmmm.patterns`), ``a`` the
    0/1 activity of ``on_off`` and ``delayed_start`` channels and
    ``epsilon`` log-normal noise with mean 1 and coefficient of variation
    ``spend_volatility``.  So the mean spend while active is close to
    ``base_spend`` times the regional factor.

    Parameters
    ----------
    name : str
        Channel name; the export column is ``x<i>-<name>`` (a leading ``x-``
        is dropped so it is not repeated).
    pattern : {"linear_trend", "seasonal", "delayed_start", "on_off", "custom"}
    base_spend : float
        Spend level (currency per period), >= 0.
    spend_trend : float
        ``linear_trend``: relative growth per period, ``m(t) ∝ 1 + spend_trend * t``.
    spend_volatility : float
        Coefficient of variation of the multiplicative spend noise, >= 0.
    seasonal_amplitude : float
        ``seasonal``: relative swing around the level, in [0, 1].
    seasonal_phase : float
        ``seasonal``: phase shift in radians.
    start_period, ramp_up_periods, end_period : int
        ``delayed_start``: zero before ``start_period``, linear ramp over
        ``ramp_up_periods``, zero from ``end_period`` on (``None`` = never stops).
    activation_probability : float
        ``on_off``: long-run share of active periods, in [0, 1].
    min_active_periods, max_active_periods : int
        ``on_off``: burst lengths are uniform on ``[min, max]``.
    custom_pattern_func : callable, optional
        ``custom``: ``f(channel, dates, seed) -> array`` of ``n_periods``
        non-negative finite spend values (currency), before the regional factor;
        ``base_spend`` and ``spend_volatility`` are not used.
    base_effectiveness : float
        Effect of a fully saturated channel as a share of the geo's baseline
        level (>= 0): ``contribution = base_effectiveness * level * saturated``.
        For a treatment, the effect of a value ``base_value`` above the
        baseline value as a share of the baseline level; any sign (a price).
    kind : {"paid", "reach_frequency", "organic", "organic_reach_frequency", "treatment"}
        ``"paid"`` (default): spend, with exposures when ``unit`` is not
        ``"spend"``.  ``"reach_frequency"``: paid impressions split into reach
        (people, at most the geo's population) and average frequency (>= 1);
        the effect is Meridian's, the saturation (Hill) of frequency times the
        scaled reach, then the adstock.  ``"organic"`` and
        ``"organic_reach_frequency"``: the same without spend (the pattern
        gives the exposures, level ``base_value``).  ``"treatment"``: a
        non-media treatment (a promotion, a price) whose pattern gives its
        values; its effect is linear, ``gamma * (value - baseline_value)``,
        and is its true incremental outcome against the baseline value.
    unit : {"spend", "impressions", "clicks"}
        What the exposures count.  ``"spend"`` (default): no exposures, the
        transforms act on spend.  Otherwise the pattern gives the spend
        (paid kinds) or the exposures (organic kinds), spend = exposures x
        cost per exposure, and the transforms act on the exposures.
        Reach-and-frequency and organic channels always have exposures: a
        unit left at ``"spend"`` becomes ``"impressions"``.
    cost_per_unit : float, optional
        Paid channels with exposures: the cost of 1000 impressions (CPM) or
        of one click (CPC) in currency, > 0, before regional variation
        (``channel_param_variation``).  Required for them, not allowed for
        channels without spend.
    cost_trend : float
        Media inflation: the cost grows as ``1 + cost_trend * t``.
    cost_volatility : float
        Coefficient of variation of the multiplicative noise of the cost, >= 0.
    base_value : float, optional
        Level of the pattern of a channel without spend: exposures per period
        (organic kinds) or the treatment's value.  ``None``: the number
        ``base_spend`` is used as that level.
    reachable_share : float
        Reach-and-frequency kinds: the share of the geo's population the
        channel can reach in one period, in (0, 1].  Reach follows the
        Poisson (random duplication) curve
        ``reach = s P (1 - exp(-impressions / (s P)))`` (``P`` the geo's
        population, ``s`` this share), so reach stays below ``s P`` and the
        average frequency ``impressions / reach`` is at least 1.
    reach_volatility : float
        Coefficient of variation of the period's reachable share (mean-one
        log-normal noise, capped so the share never exceeds 1), >= 0.
    baseline_value : float
        Treatments: the value their counterfactual refers to (e.g. 0 for no
        promotion, the regular price for a price).  A treatment's level is
        not varied by region, so every geo shares its baseline value.
    effectiveness_variation : TimeVariation, dict or float, optional
        Time-varying effectiveness (a number is the ``amplitude`` of a ``"gp"``
        path with the default length scale): the contribution is multiplied by a path
        ``m_{g,c,t}`` with mean 1 over the dates (see
        :class:`~xmmm.world.TimeVariation`), stored as the truth
        ``effectiveness_multiplier`` (date, geo, channel).  ``None`` (default):
        constant.
    spend_policy : {"exogenous", "demand_following", "target_chasing", "demand_capture"}
        How spend reacts to demand or sales (:mod:`xmmm.causal`); ``"exogenous"``
        (default) is the pattern's spend.
    policy_strength : float
        The policy's ``k`` (:mod:`xmmm.causal`); any sign.
    spend_cap : float, optional
        Upper limit of the policy's spend, in the currency of ``base_spend``
        (scaled by the geo's regional spend factor); ``None``: no cap.
    """

    name: str
    pattern: str = "linear_trend"
    base_spend: float = 1000.0
    spend_trend: float = 0.0
    spend_volatility: float = 0.1
    seasonal_amplitude: float = 0.3
    seasonal_phase: float = 0.0
    start_period: int = 0
    ramp_up_periods: int = 4
    end_period: int | None = None
    activation_probability: float = 0.4
    min_active_periods: int = 2
    max_active_periods: int = 8
    custom_pattern_func: Callable | None = None
    base_effectiveness: float = 0.5
    kind: str = "paid"
    unit: str = "spend"
    cost_per_unit: float | None = None
    cost_trend: float = 0.0
    cost_volatility: float = 0.1
    base_value: float | None = None
    reachable_share: float = 0.6
    reach_volatility: float = 0.05
    baseline_value: float = 0.0
    effectiveness_variation: TimeVariation | None = None
    spend_policy: str = "exogenous"
    policy_strength: float = 0.0
    spend_cap: float | None = None

    def __post_init__(self) -> None:
        self.effectiveness_variation = as_dataclass(TimeVariation, self.effectiveness_variation)
        if self.unit == "spend" and self.kind in (*REACH_FREQUENCY_KINDS, "organic"):
            self.unit = "impressions"  # these kinds always have exposures
        problems = Problems(f"{type(self).__name__}({self.name!r}).")
        self._collect(problems)
        problems.raise_if_any()

    def _collect(self, p: Problems) -> None:
        _check_pattern(p, self)
        _check_levels(p, "base_spend", self.base_spend, "spend_trend", self.spend_trend,
                      "spend_volatility", self.spend_volatility)
        treatment = self.kind == "treatment"
        p.number("base_effectiveness", self.base_effectiveness, lower=None if treatment else 0,
                 limit=MAX_EFFECTIVENESS, why=_LIMIT_WHY["effectiveness"])
        _nested(p, "effectiveness_variation", self.effectiveness_variation, TimeVariation, self)
        if self.spend_policy not in SPEND_POLICIES:
            p.add("spend_policy", self.spend_policy, "one of " + ", ".join(map(repr, SPEND_POLICIES)))
        p.number("policy_strength", self.policy_strength, limit=1e6, why="a plausibility limit")
        p.number("spend_cap", self.spend_cap, lower=0, lower_open=True, limit=MAX_LEVEL, why=_LIMIT_WHY["level"],
                 optional=True)
        if self.kind not in KINDS:
            p.add("kind", self.kind, "one of " + ", ".join(map(repr, KINDS)))
            return
        if self.unit not in UNITS:
            p.add("unit", self.unit, "one of " + ", ".join(map(repr, UNITS)))
        elif self.kind in REACH_FREQUENCY_KINDS and self.unit != "impressions":
            p.add("unit", self.unit, f"'impressions' for kind={self.kind!r} (reach x frequency counts impressions)")
        elif self.kind == "organic" and self.unit == "spend":
            p.add("unit", self.unit, "'impressions' or 'clicks' for kind='organic' (organic media has no spend)")
        elif treatment and self.unit != "spend":
            p.add("unit", self.unit, "'spend' (the default) for kind='treatment': a treatment has values, "
                  "not exposures")
        if self.has_cost and self.cost_per_unit is None:
            per = "1000 impressions (a CPM)" if self.unit == "impressions" else "one click (a CPC)"
            p.add("cost_per_unit", None, f"a number > 0 for kind={self.kind!r}, unit={self.unit!r}: the cost of {per}")
        elif self.has_cost:
            p.number("cost_per_unit", self.cost_per_unit, lower=0, lower_open=True, limit=MAX_LEVEL,
                     why=_LIMIT_WHY["level"])
        elif self.cost_per_unit is not None:
            why = "it has no spend" if self.kind in UNPAID_KINDS else "its transforms act on spend (unit='spend')"
            p.add("cost_per_unit", self.cost_per_unit, f"None for kind={self.kind!r}, unit={self.unit!r}: {why}")
        p.number("cost_trend", self.cost_trend, limit=MAX_TREND, why=_LIMIT_WHY["trend"])
        p.number("cost_volatility", self.cost_volatility, lower=0, limit=MAX_VOLATILITY,
                 why=_LIMIT_WHY["volatility"])
        if self.base_value is not None:
            p.number("base_value", self.base_value, lower=0, limit=MAX_LEVEL, why=_LIMIT_WHY["level"])
        p.number("reachable_share", self.reachable_share, lower=0, upper=1, lower_open=True)
        p.number("reach_volatility", self.reach_volatility, lower=0, limit=MAX_VOLATILITY,
                 why=_LIMIT_WHY["volatility"])
        p.number("baseline_value", self.baseline_value, limit=MAX_LEVEL, why=_LIMIT_WHY["level"])

    # ---- what the channel is made of
    @property
    def has_spend(self) -> bool:
        """Paid media (``kind`` ``"paid"`` or ``"reach_frequency"``)."""
        return self.kind not in UNPAID_KINDS

    @property
    def has_exposures(self) -> bool:
        """Exposures (impressions or clicks) beside or instead of spend."""
        return self.kind != "treatment" and self.unit != "spend"

    @property
    def has_cost(self) -> bool:
        """Spend = exposures x cost per exposure."""
        return self.has_spend and self.has_exposures

    @property
    def is_reach_frequency(self) -> bool:
        """Reach and frequency (paid or organic)."""
        return self.kind in REACH_FREQUENCY_KINDS

    @property
    def level(self) -> float:
        """Level of the pattern: ``base_spend`` (paid kinds), else ``base_value`` (``base_spend`` when None)."""
        if self.has_spend or self.base_value is None:
            return self.base_spend
        return self.base_value

    @property
    def pattern_spec(self) -> PatternSpec:
        """The pattern as the generator reads it: spend (paid kinds), exposures (organic) or values (treatment)."""
        return _pattern_spec(self, self.level, self.spend_trend, self.spend_volatility)

    @property
    def column_label(self) -> str:
        """The name as used in the export column (a leading ``x-`` removed)."""
        return _strip_prefix(self.name, "x")


@dataclass
class ControlConfig:
    """A control variable (price, promotion, distribution, ...).

    Values follow the same patterns as channel spend (the pattern fields
    have the meaning and defaults of :class:`ChannelConfig`'s), with
    ``base_value``, ``value_trend`` and ``value_volatility`` for the level, the
    trend and the noise; values are never negative.  The effect on sales is
    linear in the value,

    .. math:: e_{g,k,t} = \\gamma_{g,k} \\, v_{g,k,t},
              \\qquad \\gamma_{g,k} = \\text{base\\_effectiveness} \\cdot L_g / \\text{base\\_value}

    so ``base_effectiveness`` is the effect at the base value as a share of the
    geo's baseline level ``L``.  It may be negative (a price).

    Parameters
    ----------
    name : str
        Control name; the export column is ``c<k>-<name>`` (a leading ``c-`` is dropped).
    pattern : str
        As for :class:`ChannelConfig`; default ``"on_off"``.
    base_value : float
        Level of the control's values, >= 0.
    value_trend : float
        ``linear_trend``: relative growth per period.
    value_volatility : float
        Coefficient of variation of the multiplicative noise, >= 0.
    seasonal_amplitude, seasonal_phase, start_period, ramp_up_periods, end_period,
    activation_probability, min_active_periods, max_active_periods, custom_pattern_func
        The pattern, as for :class:`ChannelConfig`.
    base_effectiveness : float
        Effect at ``base_value`` as a share of baseline; any sign.
    regional_value_variation : float
        Relative spread of the value level across regions, in [0, 1).
    """

    name: str
    pattern: str = "on_off"
    base_value: float = 10.0
    value_trend: float = 0.0
    value_volatility: float = 0.1
    seasonal_amplitude: float = 0.3
    seasonal_phase: float = 0.0
    start_period: int = 0
    ramp_up_periods: int = 4
    end_period: int | None = None
    activation_probability: float = 0.4
    min_active_periods: int = 2
    max_active_periods: int = 8
    custom_pattern_func: Callable | None = None
    base_effectiveness: float = 0.05
    regional_value_variation: float = 0.05

    def __post_init__(self) -> None:
        problems = Problems(f"{type(self).__name__}({self.name!r}).")
        self._collect(problems)
        problems.raise_if_any()

    def _collect(self, p: Problems) -> None:
        _check_pattern(p, self)
        _check_levels(p, "base_value", self.base_value, "value_trend", self.value_trend,
                      "value_volatility", self.value_volatility)
        p.number("base_effectiveness", self.base_effectiveness, limit=MAX_EFFECTIVENESS,
                 why=_LIMIT_WHY["effectiveness"])
        p.number("regional_value_variation", self.regional_value_variation, lower=0, upper=1, upper_open=True)

    @property
    def pattern_spec(self) -> PatternSpec:
        """The value pattern as the generator reads it."""
        return _pattern_spec(self, self.base_value, self.value_trend, self.value_volatility)

    @property
    def column_label(self) -> str:
        """The name as used in the export column (a leading ``c-`` removed)."""
        return _strip_prefix(self.name, "c")


def _nested(p: Problems, name: str, value: Any, cls: type, owner: Any = None) -> None:
    """Check an optional nested option object, its problems named under ``name.``.

    A dict (or, for a TimeVariation, a number) set after the config was made
    (``channel.effectiveness_variation = {...}``) is turned into ``cls`` on
    ``owner`` here.
    """
    if value is not None and owner is not None and not isinstance(value, cls):
        try:
            converted = as_dataclass(cls, value)
        except ConfigError as err:
            text = str(err).replace(f"{cls.__name__}.", f"{p.prefix}{name}.")
            lines = text.split("\n- ")
            p.items += lines[1:] if len(lines) > 1 else lines
            return
        except TypeError as err:  # an unknown field
            p.add(name, value, f"a dict of {cls.__name__} fields ({err})")
            return
        if converted is None or isinstance(converted, cls):
            setattr(owner, name, converted)
            value = converted
    if value is None:
        return
    if not isinstance(value, cls):
        p.add(name, value, f"a {cls.__name__}, a dict of its fields or None")
        return
    sub = Problems(f"{p.prefix}{name}.")
    value._collect(sub)
    p.items += sub.items


def _strip_prefix(name: str, letter: str) -> str:
    for sep in "-_":
        prefix = letter + sep
        if name.lower().startswith(prefix) and len(name) > len(prefix):
            return name[len(prefix):]
    return name


# --------------------------------------------------------------------------- regions
@dataclass
class RegionConfig:
    """Geographic regions and the baseline sales of each.

    The baseline of geo ``g`` is the sum of four components (units of ``y``):

    .. math::
        L_g &= \\text{base\\_sales\\_rate} \\cdot b_g \\\\
        \\text{trend}_{g,t} &= L_g \\cdot \\text{sales\\_trend} \\cdot t \\\\
        \\text{seasonality}_{g,t} &= L_g \\cdot A \\sin(2\\pi \\, \\text{yearfrac}_t + \\varphi) \\\\
        \\text{noise}_{g,t} &= L_g \\cdot \\text{sales\\_volatility} \\cdot z_{g,t}

    where ``b_g`` is the regional baseline factor, ``yearfrac`` the calendar
    position of the date within its year and ``z`` standard normal.

    Regions differ (only when there are two or more) by factors
    ``1 + (1 - region_similarity) * v * u`` with ``u`` uniform on [-1, 1] and
    ``v`` the variation of each kind: ``baseline_variation`` for ``b_g``,
    ``channel_param_variation`` for channel spend levels and effectiveness,
    ``transform_variation`` for adstock and saturation parameters (varied on
    the odds scale for parameters in [0, 1], so they stay in range).
    ``region_similarity`` 1 makes all regions identical, 0 independent.

    Parameters
    ----------
    n_regions : int
        Number of regions, >= 1.
    region_names : list of str, optional
        Defaults to ``geo_1 ... geo_n`` (zero-padded so they sort in order).
    base_sales_rate : float
        Baseline sales per period before regional variation, > 0.
    sales_trend : float
        Relative linear growth of the baseline per period.
    sales_volatility : float
        Standard deviation of the baseline noise relative to the level, >= 0.
    seasonal_amplitude : float
        Relative amplitude of the annual baseline seasonality, in [0, 1].
    seasonal_phase : float
        Phase of the baseline seasonality in radians.
    baseline_variation, channel_param_variation, transform_variation : float
        Regional variation factors, in [0, 1).
    region_similarity : float
        0 = independent regions, 1 = identical parameters.
    population : float or list of float, optional
        People per geo, used for per-capita spend scaling
        (``transforms.spend_scaling="per_capita_median"``) and by the Meridian
        hand-off.  A list gives each geo's population; a number is the total,
        split between geos in proportion to their baseline level.  ``None``
        (default): proportional to the baseline level, ``population = L_g``
        (one person per unit of baseline sales per period), so baseline sales
        per head are the same in every geo.  Stored as the ``population``
        variable when set or used.
    seasonal_period_days : float, optional
        ``None`` (default): the baseline seasonality follows the calendar year,
        ``yearfrac = (day_of_year - 1) / days in that year``.  A number ``P``:
        ``yearfrac = day_of_year / P``; 365.25 is the year of pymc-marketing's
        ``YearlyFourier``, whose terms then express the seasonality exactly.
    noise : {"normal", "student_t", "lognormal", "ar1", "heteroscedastic"}
        The noise model (see :mod:`xmmm.blocks.noise`); ``sales_volatility``
        is its standard deviation relative to the level.  ``"normal"``
        (default): ``L_g sigma z``.  ``"student_t"``: t errors with ``noise_df``
        degrees of freedom, scaled to the same standard deviation.
        ``"lognormal"``: multiplicative, ``y = mean * exp(sigma z - sigma**2 / 2)``.
        ``"ar1"``: normal errors with lag-1 autocorrelation ``noise_ar``.
        ``"heteroscedastic"``: standard deviation ``sigma`` times the expected
        baseline of each period (level, trend, seasonality, breaks), not ``L_g``.
        The realised noise is ``baseline_noise``; ``y - baseline_noise`` is the
        exact mean.
    noise_df : float
        Degrees of freedom of ``"student_t"`` errors, > 2 (finite variance).
    noise_ar : float
        Lag-1 autocorrelation of the errors of any noise model (stationary
        AR(1) of the standardised errors), in (-1, 1); non-zero for ``"ar1"``.
    level_variation : TimeVariation or dict, optional
        Time-varying baseline level: the component ``baseline_drift =
        L_g (m_{g,t} - 1)`` with ``m`` a :class:`~xmmm.world.TimeVariation`
        path of mean 1.  ``None`` (default): a constant level.
    """

    n_regions: int = 1
    region_names: list[str] | None = None
    base_sales_rate: float = 10000.0
    sales_trend: float = 0.0
    sales_volatility: float = 0.01
    seasonal_amplitude: float = 0.2
    seasonal_phase: float = 0.0
    baseline_variation: float = 0.1
    channel_param_variation: float = 0.1
    transform_variation: float = 0.1
    region_similarity: float = 0.0
    population: float | list[float] | None = None
    seasonal_period_days: float | None = None
    noise: str = "normal"
    noise_df: float = 5.0
    noise_ar: float = 0.0
    level_variation: TimeVariation | None = None

    def __post_init__(self) -> None:
        if self.region_names is not None and not isinstance(self.region_names, str):
            self.region_names = list(self.region_names)
        if isinstance(self.population, tuple):
            self.population = list(self.population)
        self.level_variation = as_dataclass(TimeVariation, self.level_variation)
        p = Problems("RegionConfig.")
        self._collect(p)
        p.raise_if_any()

    def _collect(self, p: Problems) -> None:
        p.number("n_regions", self.n_regions, lower=1, integer=True, limit=MAX_REGIONS,
                 why="a plausibility limit on the size of one dataset")
        if self.region_names is not None:
            names = self.region_names
            if isinstance(names, str) or not all(isinstance(n, str) and n.strip() for n in names):
                p.add("region_names", names, "a list of non-empty strings")
            elif is_int(self.n_regions) and len(names) != self.n_regions:
                p.add("region_names", names, f"a list of n_regions ({self.n_regions}) names")
            elif len(set(names)) != len(names):
                dupes = sorted({n for n in names if names.count(n) > 1})
                p.add("region_names", names, f"unique (repeated: {', '.join(dupes)})")
        p.number("base_sales_rate", self.base_sales_rate, lower=0, lower_open=True, limit=MAX_SALES_RATE,
                 why=_LIMIT_WHY["level"])
        p.number("sales_trend", self.sales_trend, limit=MAX_TREND, why=_LIMIT_WHY["trend"])
        p.number("sales_volatility", self.sales_volatility, lower=0, limit=MAX_VOLATILITY,
                 why=_LIMIT_WHY["volatility"])
        p.number("seasonal_amplitude", self.seasonal_amplitude, lower=0, upper=1)
        p.number("seasonal_phase", self.seasonal_phase)
        for name in ("baseline_variation", "channel_param_variation", "transform_variation"):
            p.number(name, getattr(self, name), lower=0, upper=1, upper_open=True)
        p.number("region_similarity", self.region_similarity, lower=0, upper=1)
        if isinstance(self.population, list):
            if is_int(self.n_regions) and len(self.population) != self.n_regions:
                p.add("population", self.population, f"a number or a list of n_regions ({self.n_regions}) numbers")
            else:
                for i, value in enumerate(self.population):
                    p.number(f"population[{i}]", value, lower=0, lower_open=True)
        else:
            p.number("population", self.population, lower=0, lower_open=True, optional=True)
        p.number("seasonal_period_days", self.seasonal_period_days, lower=0, lower_open=True, optional=True)
        noise_problems(p, self)
        _nested(p, "level_variation", self.level_variation, TimeVariation, self)

    @property
    def names(self) -> list[str]:
        """Region names, given or default (``geo_1`` ... zero-padded to sort)."""
        if self.region_names is not None:
            return list(self.region_names)
        width = len(str(self.n_regions))
        return [f"geo_{i + 1:0{width}d}" for i in range(self.n_regions)]


# --------------------------------------------------------------------------- transforms
@dataclass
class TransformConfig:
    """Adstock and saturation applied to each channel's scaled spend.

    Function names and keyword arguments are pymc-marketing's
    (``pymc_marketing.mmm.transformers``), e.g. ``geometric_adstock`` with
    ``alpha`` and ``l_max``, ``hill_function`` with ``slope`` and ``kappa``;
    ``"none"`` (or ``None``) skips a stage.  Give one name / kwargs dict for all
    channels or a list with one entry per channel.  Missing keyword arguments
    take the registry defaults (see :mod:`xmmm.transforms`).

    Spend is divided by a per-(geo, channel) ``spend_scale`` before the
    transforms: its maximum over time (``"max"``, as pymc-marketing's MMM
    scales channels), its mean (``"mean"``), 1 (``"none"``, parameters in
    currency units) or, as Google Meridian scales media, the geo's population
    times the channel's median non-zero spend per head across geos and periods
    (``"per_capita_median"``; see ``RegionConfig.population``).  The scale used
    is stored as ground truth.
    """

    adstock_fun: str | list[str] | None = "geometric_adstock"
    adstock_kwargs: dict | list[dict] = field(default_factory=dict)
    saturation_fun: str | list[str] | None = "hill_function"
    saturation_kwargs: dict | list[dict] = field(default_factory=dict)
    spend_scaling: str = "max"

    def __post_init__(self) -> None:
        for name in ("adstock_fun", "saturation_fun", "adstock_kwargs", "saturation_kwargs"):
            value = getattr(self, name)
            if isinstance(value, tuple):
                setattr(self, name, list(value))
        p = Problems("TransformConfig.")
        self._collect(p)
        p.raise_if_any()

    def _collect(self, p: Problems, n_channels: int | None = None) -> None:
        from xmmm.transforms import get_transform

        if self.spend_scaling not in SPEND_SCALINGS:
            p.add("spend_scaling", self.spend_scaling, "one of " + ", ".join(map(repr, SPEND_SCALINGS)))
        for family in ("adstock", "saturation"):
            funs = getattr(self, f"{family}_fun")
            kwargs = getattr(self, f"{family}_kwargs")
            fun_list = funs if isinstance(funs, list) else None
            kw_list = kwargs if isinstance(kwargs, list) else None
            for name, value in ((f"{family}_fun", fun_list), (f"{family}_kwargs", kw_list)):
                if value is not None and n_channels is not None and len(value) != n_channels:
                    p.add(name, value, f"one entry for all channels or a list of {n_channels} (one per channel)")
            if kw_list is None and not isinstance(kwargs, Mapping):
                p.add(f"{family}_kwargs", kwargs, "a dict or a list of dicts")
                continue
            if kw_list is not None and not all(isinstance(k, Mapping) for k in kw_list):
                p.add(f"{family}_kwargs", kwargs, "a dict or a list of dicts")
                continue
            n = max(len(fun_list or [None]), len(kw_list or [None]))
            if fun_list is not None and kw_list is not None and len(fun_list) != len(kw_list):
                p.add(f"{family}_kwargs", kwargs, f"a list as long as {family}_fun ({len(fun_list)})")
                continue
            for i in range(n):
                fun = fun_list[i] if fun_list is not None else funs
                kw = kw_list[i] if kw_list is not None else kwargs
                where = f"{family}_fun[{i}]" if fun_list is not None or kw_list is not None else f"{family}_fun"
                try:
                    get_transform(family, _fun_name(fun)).resolve(kw)
                except TransformError as err:
                    p.items.append(f"{p.prefix}{where}: {err}")

    def for_channel(self, index: int, family: str) -> tuple[str, dict]:
        """Function name and resolved keyword arguments of one channel's stage."""
        from xmmm.transforms import get_transform

        funs = getattr(self, f"{family}_fun")
        kwargs = getattr(self, f"{family}_kwargs")
        fun = funs[index] if isinstance(funs, list) else funs
        kw = kwargs[index] if isinstance(kwargs, list) else kwargs
        name = _fun_name(fun)
        return name, get_transform(family, name).resolve(kw)


def _fun_name(fun: Any) -> Any:
    if fun is None or fun == "":
        return "none"
    return fun


# --------------------------------------------------------------------------- dataset
@dataclass
class MMMDataConfig:
    """Everything that defines a generated dataset.

    Parameters
    ----------
    n_periods : int
        Number of periods (dates), >= 1.  Default 129 (about 2.5 years weekly).
    start_date : str
        First date (any format pandas parses); dates are
        ``pandas.date_range(start_date, periods=n_periods, freq=frequency)``.
    channels : list of ChannelConfig
        At least one; names unique.
    regions : RegionConfig
    transforms : TransformConfig
    seed : int, optional
        Seed of every random stream, in [0, 2**63).  ``None`` draws one; the
        seed used is stored in the result's config so it can be reproduced.
    control_variables : list of ControlConfig
        Names unique.
    frequency : str
        pandas offset alias of the period, e.g. ``"W"`` (weekly, default),
        ``"D"``, ``"W-MON"``, ``"MS"``.
    kpi_type : {"revenue", "non_revenue"}
        What ``y`` measures: revenue (default) or another KPI (conversions,
        units sold).  Contributions and baseline are in KPI units.
    revenue_per_kpi : float or list, optional
        ``kpi_type="non_revenue"``: revenue of one unit of KPI, > 0, as one
        number, a list with one per geo, or a list per geo of one per period.
        ROAS and marginal ROAS are then revenue per unit of spend; the
        incremental KPI is ``incremental_outcome``.  ``None``: ROAS is KPI
        per unit of spend (Meridian's reading without a revenue per KPI).
    outcome_model : {"additive", "multiplicative"}
        ``"additive"`` (default): ``y = baseline + control effects +
        contributions``.  ``"multiplicative"``: the mean is ``baseline x
        prod_k (1 + control effect share) x prod_c (1 + media effect share)``;
        see :mod:`xmmm.blocks.outcome` for the stored decomposition.
    data_issues : DataIssues or dict, optional
        Data problems (missing rows, outliers, structural breaks, placebo
        channels, spend measurement error); ``None`` (default): clean data.
    demand : DemandConfig, optional
        A latent demand factor (:mod:`xmmm.causal`); ``None`` (default): none.
    experiments : list of ExperimentConfig
        Lift tests embedded in the data, with their exact truth.
    """

    n_periods: int = 129
    start_date: str | None = "2020-01-01"
    channels: list[ChannelConfig] = field(default_factory=list)
    regions: RegionConfig = field(default_factory=RegionConfig)
    transforms: TransformConfig = field(default_factory=TransformConfig)
    seed: int | None = None
    control_variables: list[ControlConfig] = field(default_factory=list)
    frequency: str = "W"
    kpi_type: str = "revenue"
    revenue_per_kpi: float | list | None = None
    outcome_model: str = "additive"
    data_issues: DataIssues | None = None
    demand: DemandConfig | None = None
    experiments: list[ExperimentConfig] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.data_issues = as_dataclass(DataIssues, self.data_issues)
        if isinstance(self.channels, tuple):
            self.channels = list(self.channels)
        if isinstance(self.experiments, tuple):
            self.experiments = list(self.experiments)
        if isinstance(self.control_variables, tuple):
            self.control_variables = list(self.control_variables)
        if isinstance(self.revenue_per_kpi, tuple):
            self.revenue_per_kpi = [list(v) if isinstance(v, tuple) else v for v in self.revenue_per_kpi]
        problems = collect_problems(self)
        if problems:
            raise ConfigError(join(problems))

    # ---- derived facts used by the generator
    @property
    def dates(self):
        """The period dates (a ``pandas.DatetimeIndex``)."""
        return _date_range(self.start_date or "2020-01-01", self.n_periods, self.frequency)

    @property
    def channel_names(self) -> list[str]:
        return [c.name for c in self.channels]

    @property
    def control_names(self) -> list[str]:
        return [c.name for c in self.control_variables]

    @property
    def region_names(self) -> list[str]:
        return self.regions.names

    @property
    def channel_columns(self) -> list[str]:
        """Export column names of the channels: ``x1-<label>``, ``x2-<label>``, ..."""
        return [f"x{i + 1}-{c.column_label}" for i, c in enumerate(self.channels)]

    @property
    def control_columns(self) -> list[str]:
        """Export column names of the controls: ``c1-<label>``, ..."""
        return [f"c{i + 1}-{c.column_label}" for i, c in enumerate(self.control_variables)]

    def _columns(self, letter: str, has) -> list[str]:
        return [f"{letter}{i + 1}-{c.column_label}" for i, c in enumerate(self.channels) if has(c)]

    @property
    def exposure_columns(self) -> list[str]:
        """Export columns of exposures (impressions, clicks), ``e<i>-<label>``, for channels that have them.

        ``i`` is the channel's number, as in its spend column ``x<i>-<label>``.
        """
        return self._columns("e", lambda c: c.has_exposures)

    @property
    def reach_columns(self) -> list[str]:
        """Export columns of reach, ``r<i>-<label>``, for reach-and-frequency channels."""
        return self._columns("r", lambda c: c.is_reach_frequency)

    @property
    def frequency_columns(self) -> list[str]:
        """Export columns of average frequency, ``f<i>-<label>``, for reach-and-frequency channels."""
        return self._columns("f", lambda c: c.is_reach_frequency)

    @property
    def treatment_columns(self) -> list[str]:
        """Export columns of treatment values, ``t<i>-<label>``, for non-media treatments."""
        return self._columns("t", lambda c: c.kind == "treatment")

    @property
    def media_input_columns(self) -> list[str]:
        """Every exposure, reach, frequency and treatment column, in that order (empty for spend-only configs)."""
        return self.exposure_columns + self.reach_columns + self.frequency_columns + self.treatment_columns

    @property
    def channel_kinds(self) -> list[str]:
        """The ``kind`` of every channel."""
        return [c.kind for c in self.channels]

    @property
    def has_media_inputs(self) -> bool:
        """Whether any channel is other than paid media acting on spend, or the KPI is not revenue.

        Such a dataset carries the variables of those inputs (``channel_kind``,
        ``incremental_outcome``, ...); a spend-only config has exactly xmmm
        0.1's variables.
        """
        return self.kpi_type != "revenue" or any(c.kind != "paid" or c.unit != "spend" for c in self.channels)
    @property
    def demand_column(self) -> str | None:
        """Export column of observed demand, ``c<K+1>-demand`` after the controls; ``None`` when unobserved."""
        if self.demand is None or not self.demand.observed:
            return None
        return f"c{len(self.control_variables) + 1}-demand"

    # ---- files
    def to_dict(self) -> dict:
        """Plain-data form (JSON/YAML-safe); :meth:`from_dict` inverts it."""
        return to_plain(self)

    @classmethod
    def from_dict(cls, data: Mapping, *, source: str | None = None) -> MMMDataConfig:
        """Build a config from :meth:`to_dict` output (or a YAML/JSON file's content).

        Parameters
        ----------
        data : mapping
        source : str, optional
            Where the data came from (a file name), used in error messages.

        Raises
        ------
        ConfigError
            On an unknown key, a wrong type or a bad value; the message names
            the source, the key path and the problem.
        """
        return from_plain(cls, data, _SCHEMA, "", source, legacy=_LEGACY_FIELDS)

    def copy(self) -> MMMDataConfig:
        """A deep copy (custom pattern functions are shared, not copied)."""
        return copy.deepcopy(self)


@functools.lru_cache(maxsize=64)
def _date_range(start: str, periods: int, frequency: str):
    # cached: pandas builds non-fixed frequencies (weeks, months) date by date
    import pandas as pd

    return pd.date_range(start, periods=periods, freq=frequency)


def _check_start_on_frequency(problems: Problems, config: MMMDataConfig) -> None:
    """A monthly, quarterly or yearly start_date must be a date of that frequency.

    pandas would silently start at the next such date (``2020-01-15`` with
    ``"MS"`` starts at 2020-02-01), a month or more later than asked for.
    """
    import pandas as pd

    if not isinstance(config.frequency, str):
        return
    try:
        offset = pd.tseries.frequencies.to_offset(config.frequency)
    except ValueError:
        return
    anchored = (pd.offsets.MonthBegin, pd.offsets.MonthEnd, pd.offsets.QuarterBegin, pd.offsets.QuarterEnd,
                pd.offsets.YearBegin, pd.offsets.YearEnd, pd.offsets.BusinessMonthBegin,
                pd.offsets.BusinessMonthEnd, pd.offsets.SemiMonthBegin, pd.offsets.SemiMonthEnd)
    start = pd.Timestamp(config.start_date or "2020-01-01")
    if not isinstance(offset, anchored) or offset.is_on_offset(start):
        return
    after, before = offset.rollforward(start), offset.rollback(start)
    problems.add("start_date", config.start_date,
                 f"a date of frequency {config.frequency!r} (pandas would start the dates at "
                 f"{after:%Y-%m-%d} instead): use {before:%Y-%m-%d} or {after:%Y-%m-%d}")


def collect_problems(config: MMMDataConfig) -> list[str]:
    """Every problem of a config, each one naming its field path."""
    import pandas as pd

    items: list[str] = []
    top = Problems("")
    top.number("n_periods", config.n_periods, lower=1, integer=True, limit=MAX_PERIODS,
               why="a plausibility limit on the length of one dataset")
    if config.seed is not None:
        top.number("seed", config.seed, lower=0, upper=2**63, upper_open=True, integer=True)
    if not isinstance(config.frequency, str):
        top.add("frequency", config.frequency, "a pandas offset alias such as 'W', 'D' or 'MS'")
    else:
        try:
            pd.tseries.frequencies.to_offset(config.frequency)
        except ValueError:
            top.add("frequency", config.frequency, "a pandas offset alias such as 'W', 'D' or 'MS'")
    try:
        pd.Timestamp(config.start_date or "2020-01-01")
    except (ValueError, TypeError):
        top.add("start_date", config.start_date, "a date such as '2020-01-01'")
    if not top.items:
        _check_start_on_frequency(top, config)
    if not top.items:
        _check_last_date(top, config)
    _check_kpi(top, config)
    # another spelling of a name ("Multiplicative") is that name, on every path a config is checked on
    config.outcome_model = canonical_name(config.outcome_model, OUTCOME_MODELS)
    if config.outcome_model not in OUTCOME_MODELS:
        top.add("outcome_model", config.outcome_model, "one of " + ", ".join(map(repr, OUTCOME_MODELS)))
    items += top.items

    for attr, cls, label in (
        ("channels", ChannelConfig, "channel"),
        ("control_variables", ControlConfig, "control"),
    ):
        entries = getattr(config, attr)
        if not isinstance(entries, list):
            items.append(f"{attr} must be a list of {cls.__name__}; got {entries!r}")
            continue
        if attr == "channels" and not entries:
            items.append("channels must hold at least one ChannelConfig; got []")
        names = []
        for i, entry in enumerate(entries):
            if attr == "channels" and type(entry) is not ChannelConfig or not isinstance(entry, cls):
                items.append(f"{attr}[{i}] must be a {cls.__name__}; got {type(entry).__name__}")
                continue
            p = Problems(f"{attr}[{i}] ({entry.name!r}).")
            entry._collect(p)
            items += p.items
            names.append(entry.name)
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            items.append(f"{attr} names must be unique; repeated {label} names: {', '.join(map(repr, dupes))}")
        labels = [e.column_label for e in entries if isinstance(e, cls)]
        dupe_labels = sorted({n for n in labels if labels.count(n) > 1} - set(dupes))
        if dupe_labels:
            items.append(
                f"{attr} export labels must be unique; {', '.join(map(repr, dupe_labels))} "
                f"appears twice once a leading '{label[0]}-' is dropped"
            )

    if isinstance(config.channels, list) and is_int(config.n_periods):
        for i, c in enumerate(config.channels):
            if (isinstance(c, ChannelConfig) and c.has_cost and isinstance(c.cost_trend, (int, float))
                    and 1 + c.cost_trend * (config.n_periods - 1) <= 0):
                items.append(f"channels[{i}] ({c.name!r}).cost_trend must keep the cost above zero over the "
                             f"{config.n_periods} periods (> {-1 / max(config.n_periods - 1, 1):.4g}); "
                             f"got {c.cost_trend!r}")
    if isinstance(config.regions, RegionConfig):
        p = Problems("regions.")
        config.regions._collect(p)
        items += p.items
    else:
        items.append(f"regions must be a RegionConfig; got {type(config.regions).__name__}")
    if isinstance(config.transforms, TransformConfig):
        p = Problems("transforms.")
        n = len(config.channels) if isinstance(config.channels, list) else None
        config.transforms._collect(p, n_channels=n)
        items += p.items
    else:
        items.append(f"transforms must be a TransformConfig; got {type(config.transforms).__name__}")
    if not items:
        items += _world_problems(config)
    if not items:
        check_scenario(config, items)
    if not items and config.has_media_inputs:
        items += _media_input_problems(config)
    return items


def _media_input_problems(config: MMMDataConfig) -> list[str]:
    """The options a generation with media inputs does not combine with (each coupling channels or series).

    Channel kinds other than paid spend, and a KPI that is not revenue, run
    the additive effects of :mod:`xmmm.blocks.exposures`; the harder worlds'
    multiplicative outcome, log-normal noise and time-varying effects, the
    spend policies and experiments of the causal scenarios, and data
    problems are made for spend-only channels.
    """
    why = ("for a config with media inputs (a channel kind other than 'paid' on spend, or kpi_type "
           "'non_revenue')")
    items = []
    if config.outcome_model != "additive":
        items.append(f"outcome_model must be 'additive' {why}; got {config.outcome_model!r}")
    if config.regions.noise == "lognormal":
        items.append(f"regions.noise must not be 'lognormal' {why} (its noise scales the media); got 'lognormal'")
    for i, c in enumerate(config.channels):
        if c.effectiveness_variation is not None:
            items.append(f"channels[{i}] ({c.name!r}).effectiveness_variation must be None {why}; got "
                         f"{c.effectiveness_variation!r}")
        if c.spend_policy != "exogenous":
            items.append(f"channels[{i}] ({c.name!r}).spend_policy must be 'exogenous' {why}; got {c.spend_policy!r}")
    if config.experiments:
        items.append(f"experiments must be [] {why}; got {len(config.experiments)} experiment(s)")
    if config.data_issues is not None and config.data_issues.any:
        items.append(f"data_issues must be None {why}; got {config.data_issues!r}")
    return items


def _check_kpi(top: Problems, config: MMMDataConfig) -> None:
    """``kpi_type`` and ``revenue_per_kpi``: a number, one per geo, or one per geo and period."""
    if config.kpi_type not in KPI_TYPES:
        top.add("kpi_type", config.kpi_type, "one of " + ", ".join(map(repr, KPI_TYPES)))
        return
    rpk = config.revenue_per_kpi
    if rpk is None:
        return
    if config.kpi_type == "revenue":
        top.add("revenue_per_kpi", rpk, "None when kpi_type='revenue' (y is revenue already)")
        return
    n_geo = config.regions.n_regions if isinstance(config.regions, RegionConfig) else None
    allowed = (f"a number > 0, a list of n_regions ({n_geo}) numbers or a list of n_regions lists of "
               f"n_periods ({config.n_periods}) numbers")
    if not isinstance(rpk, list):
        top.number("revenue_per_kpi", rpk, lower=0, lower_open=True, limit=MAX_LEVEL, why=_LIMIT_WHY["level"])
        return
    if not is_int(n_geo) or len(rpk) != n_geo:
        top.items.append(f"revenue_per_kpi must be {allowed}; got a list of {len(rpk)}")
        return
    for g, row in enumerate(rpk):
        if isinstance(row, list):
            if len(row) != config.n_periods:
                top.items.append(f"revenue_per_kpi[{g}] must be a list of n_periods ({config.n_periods}) numbers; "
                                 f"got a list of {len(row)}")
                return
            for t, value in enumerate(row):
                before = len(top.items)
                top.number(f"revenue_per_kpi[{g}][{t}]", value, lower=0, lower_open=True, limit=MAX_LEVEL,
                           why=_LIMIT_WHY["level"])
                if len(top.items) > before:
                    break  # one problem per geo is enough
        else:
            top.number(f"revenue_per_kpi[{g}]", row, lower=0, lower_open=True, limit=MAX_LEVEL,
                       why=_LIMIT_WHY["level"])
def _world_problems(config: MMMDataConfig) -> list[str]:
    """Checks of the harder-world options against the whole config (dates, names)."""
    p = Problems("")
    _nested(p, "data_issues", config.data_issues, DataIssues, config)
    if isinstance(config.data_issues, DataIssues) and not p.items:
        sub = Problems("data_issues.")
        config.data_issues.config_problems(sub, config)
        p.items += sub.items
    dates = config.dates
    for i, channel in enumerate(config.channels):
        if channel.effectiveness_variation is not None:
            sub = Problems(f"channels[{i}] ({channel.name!r}).effectiveness_variation.")
            channel.effectiveness_variation.date_problems(sub, dates)
            p.items += sub.items
    if config.regions.level_variation is not None:
        sub = Problems("regions.level_variation.")
        config.regions.level_variation.date_problems(sub, dates)
        p.items += sub.items
    return p.items


def validate_config(config: MMMDataConfig) -> None:
    """Check a whole config and raise one error listing every problem.

    Parameters
    ----------
    config : MMMDataConfig

    Raises
    ------
    ConfigError
        With every problem, each naming the field path, the value and what is
        allowed (e.g. ``channels[2] ('TV').base_spend must be >= 0; got -5``).

    Examples
    --------
    >>> from xmmm import DEFAULT_CONFIG, validate_config
    >>> validate_config(DEFAULT_CONFIG)
    """
    if not isinstance(config, MMMDataConfig):
        raise ConfigError(f"config must be an MMMDataConfig; got {type(config).__name__}")
    problems = collect_problems(config)
    if problems:
        raise ConfigError(join(problems))


def _check_last_date(top: Problems, config: MMMDataConfig) -> None:
    """The dates must fit in what pandas can hold (nanoseconds since 1970, up to 2262)."""
    import pandas as pd

    try:
        offset = pd.tseries.frequencies.to_offset(config.frequency)
        start = pd.Timestamp(config.start_date or "2020-01-01")
        last = start + offset * (int(config.n_periods) - 1) + offset
    except (OverflowError, ValueError, pd.errors.OutOfBoundsDatetime):
        last = None
    if last is None or last > pd.Timestamp.max:
        top.add("n_periods", config.n_periods,
                f"small enough that the last {config.frequency!r} date falls before 2262-04-11 "
                "(the latest date pandas can hold)")


# --------------------------------------------------------------------------- overrides
def apply_overrides(config: MMMDataConfig, overrides: Mapping[str, Any]) -> MMMDataConfig:
    """A validated copy of ``config`` with ``overrides`` applied; ``config`` is untouched.

    Keys are field names of :class:`MMMDataConfig` (``n_periods=104``), dotted
    paths (``"regions.n_regions": 3``) or nested dicts for sub-configs
    (``regions={"n_regions": 3}``).  When ``n_regions`` changes and
    ``region_names`` is not given, the first region names are kept and new
    regions get default names (``geo_7`` for a seventh); a single region's
    name (``"national"``) is dropped and all regions get default names.  A
    population per geo then keeps its total (split in proportion to the
    baseline level) and a revenue per KPI per geo becomes its mean over the
    geos.  When ``n_periods`` shrinks, a revenue per KPI per period keeps its
    first periods.

    Raises
    ------
    ConfigError
        An unknown key (naming the valid ones) or a bad value.
    """
    result = config.copy()
    sizes = (config.regions.n_regions, config.n_periods)
    for key, value in overrides.items():
        set_path(result, key.split("."), value, key, on_set=_on_override)
    _resized(result, overrides, *sizes)
    # re-run every check on the new whole
    problems = collect_problems(result)
    if problems:
        raise ConfigError(join(problems))
    return _rebuilt(result)


def _resized(config: MMMDataConfig, overrides: Mapping[str, Any], n_regions: int, n_periods: int) -> None:
    """Per-geo and per-period inputs follow a change of the number of regions or periods (see apply_overrides)."""
    given = {key.split(".")[-1] for key in overrides} | {
        k for value in overrides.values() if isinstance(value, Mapping) for k in value}
    regions = config.regions
    if regions.n_regions != n_regions and "population" not in given and isinstance(regions.population, list):
        regions.population = float(sum(regions.population))
    rpk = config.revenue_per_kpi
    if "revenue_per_kpi" in given or not isinstance(rpk, list):
        return
    if regions.n_regions != n_regions and len(rpk) == n_regions:
        rows = [r if isinstance(r, list) else [r] * n_periods for r in rpk]
        mean = [sum(column) / len(column) for column in zip(*rows)]
        rpk = mean if any(isinstance(r, list) for r in config.revenue_per_kpi) else mean[0]
        config.revenue_per_kpi = [rpk] * regions.n_regions
        rpk = config.revenue_per_kpi
    if config.n_periods < n_periods:
        config.revenue_per_kpi = [r[: config.n_periods] if isinstance(r, list) else r for r in rpk]
def with_placebo(config: MMMDataConfig, source: str, *, method: str = "shift", lag: int | None = None,
                 correlation: float = 0.7, name: str | None = None) -> MMMDataConfig:
    """A copy of ``config`` with a placebo channel made from ``source``'s spend (its true effect exactly 0).

    The placebo is appended to ``channels`` (``base_effectiveness=0``, the
    source's pattern and transforms, which never matter) and named in
    ``data_issues.placebo`` (see :class:`~xmmm.world.Placebo` for the methods).

    Parameters
    ----------
    config : MMMDataConfig
    source : str
        A real channel's name.
    method, lag, correlation
        As :class:`~xmmm.world.Placebo`.
    name : str, optional
        Default ``"<source>-placebo"``.

    Examples
    --------
    >>> import xmmm
    >>> c = with_placebo(xmmm.DEFAULT_CONFIG, "x-TV", method="mix", correlation=0.6)
    >>> c.channel_names[-1], c.data_issues.placebo[0].source
    ('x-TV-placebo', 'x-TV')
    """
    out = config.copy()
    names = out.channel_names
    if source not in names:
        raise ConfigError(f"with_placebo: source must be one of the channels ({', '.join(names)}); got {source!r}")
    index = names.index(source)
    placebo = name or f"{source}-placebo"
    twin = copy.deepcopy(out.channels[index])
    twin.name, twin.base_effectiveness, twin.effectiveness_variation = placebo, 0.0, None
    out.channels.append(twin)
    for family in ("adstock", "saturation"):
        for field_name in (f"{family}_fun", f"{family}_kwargs"):
            value = getattr(out.transforms, field_name)
            if isinstance(value, list):
                value.append(copy.deepcopy(value[index]))
    issues = out.data_issues if out.data_issues is not None else DataIssues()
    issues.placebo = [*issues.placebo, Placebo(channel=placebo, source=source, method=method, lag=lag,
                                              correlation=correlation)]
    out.data_issues = issues
    return _rebuilt(out)


def _on_override(obj: Any, name: str, value: Any) -> None:
    if isinstance(obj, RegionConfig) and name == "n_regions" and obj.region_names is not None:
        obj.region_names = _resized_names(obj.region_names, value)


def _resized_names(names: list[str], n: Any) -> list[str] | None:
    """Region names for a new count: the first ``n`` names, then default names for new regions.

    A single region's name describes the whole market (``"national"``), so it
    is not kept when the market is split: all names are then the defaults.
    Kept names keep their random streams, so their regions' data stay the same.
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 1 or len(names) == n:
        return names if len(names) == n else None
    if len(names) == 1:
        return None
    kept = list(names[:n])
    width = len(str(n))
    position = len(kept)
    while len(kept) < n:  # region k is geo_k, or the next free number if that name is taken
        position += 1
        candidate = f"geo_{position:0{width}d}"
        if candidate not in kept:
            kept.append(candidate)
    return kept


def _rebuilt(config: MMMDataConfig) -> MMMDataConfig:
    """Re-create every nested dataclass so each one's own checks run again."""
    return from_plain(MMMDataConfig, to_plain(config, keep_callables=True), _SCHEMA)


# --------------------------------------------------------------------------- plain data
_SCHEMA = Schema(
    nested={
        ("MMMDataConfig", "regions"): RegionConfig,
        ("MMMDataConfig", "transforms"): TransformConfig,
        ("MMMDataConfig", "data_issues"): DataIssues,
        ("MMMDataConfig", "demand"): DemandConfig,
        ("ChannelConfig", "effectiveness_variation"): TimeVariation,
        ("RegionConfig", "level_variation"): TimeVariation,
    },
    lists={
        ("MMMDataConfig", "channels"): ChannelConfig,
        ("MMMDataConfig", "control_variables"): ControlConfig,
        ("MMMDataConfig", "experiments"): ExperimentConfig,
        ("DataIssues", "missing"): MissingData,
        ("DataIssues", "breaks"): LevelBreak,
        ("DataIssues", "placebo"): Placebo,
    },
    callables=("custom_pattern_func",),
)
#: fields that older versions stored and that never had an effect: read and dropped
#: (xmmm 0.1 gave controls the spend fields of channels)
_LEGACY_FIELDS = {"ControlConfig": ("base_spend", "spend_trend", "spend_volatility")}


# --------------------------------------------------------------------------- default
def _default_config() -> MMMDataConfig:
    return MMMDataConfig(
        n_periods=129,
        start_date="2020-01-01",
        channels=[
            ChannelConfig(
                name="x-TV",
                pattern="seasonal",
                base_spend=5000.0,
                spend_volatility=0.15,
                seasonal_amplitude=0.4,
                seasonal_phase=0.0,
                base_effectiveness=0.25,
            ),
            ChannelConfig(
                name="x-Search",
                pattern="linear_trend",
                base_spend=3000.0,
                spend_trend=0.004,
                spend_volatility=0.2,
                base_effectiveness=0.15,
            ),
            ChannelConfig(
                name="x-Social",
                pattern="on_off",
                base_spend=1500.0,
                spend_volatility=0.2,
                activation_probability=0.6,
                min_active_periods=2,
                max_active_periods=8,
                base_effectiveness=0.12,
            ),
        ],
        regions=RegionConfig(
            n_regions=3,
            region_names=["geo_a", "geo_b", "geo_c"],
            base_sales_rate=10000.0,
            sales_trend=0.001,
            sales_volatility=0.03,
            seasonal_amplitude=0.15,
            baseline_variation=0.2,
            channel_param_variation=0.1,
            transform_variation=0.1,
        ),
        transforms=TransformConfig(
            adstock_fun="geometric_adstock",
            adstock_kwargs=[{"alpha": 0.6, "l_max": 8}, {"alpha": 0.3, "l_max": 8}, {"alpha": 0.45, "l_max": 8}],
            saturation_fun="hill_function",
            saturation_kwargs=[
                {"slope": 1.5, "kappa": 0.5},
                {"slope": 1.0, "kappa": 0.4},
                {"slope": 2.0, "kappa": 0.3},
            ],
        ),
        control_variables=[
            ControlConfig(
                name="price",
                pattern="seasonal",
                base_value=10.0,
                value_volatility=0.03,
                seasonal_amplitude=0.1,
                seasonal_phase=1.0,
                base_effectiveness=-0.2,
            ),
            ControlConfig(
                name="promotion",
                pattern="on_off",
                base_value=1.0,
                value_volatility=0.0,
                activation_probability=0.15,
                min_active_periods=1,
                max_active_periods=3,
                base_effectiveness=0.08,
            ),
        ],
        seed=42,
    )


def __getattr__(name: str):
    # DEFAULT_CONFIG is built on first use: validating it loads pandas, which
    # would otherwise make `import xmmm` slow.
    if name == "DEFAULT_CONFIG":
        global DEFAULT_CONFIG
        #: The configuration used when ``generate_mmm_dataset()`` is called without one:
        #: 129 weekly periods, 3 regions, seasonal / linear-trend / on-off channels,
        #: a price and a promotion control, seed 42.  Never mutated by xmmm.
        DEFAULT_CONFIG = _default_config()
        return DEFAULT_CONFIG
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
