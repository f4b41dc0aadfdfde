r"""Causal scenarios: latent demand, spend policies and embedded experiments (configuration).

Three things make spend endogenous or tested, each off by default (a config
without them gives the data of xmmm 0.1 bit for bit):

* :class:`DemandConfig` (``MMMDataConfig.demand``) -- a latent demand factor
  per geo and date that moves sales and, through the spend policies, spend;
* ``ChannelConfig.spend_policy`` (one of :data:`SPEND_POLICIES`) with
  ``policy_strength`` and ``spend_cap`` -- how a channel's spend reacts to
  demand or to the outcome;
* :class:`ExperimentConfig` (``MMMDataConfig.experiments``) -- lift tests,
  holdouts and heavy-ups embedded in the data, with their exact truth.

The generative model (all arrays at once; :mod:`xmmm.blocks.demand`,
:mod:`xmmm.blocks.policy`, :mod:`xmmm.blocks.experiments`):

.. math::
    c_t &= A \sin(2\pi \tau_t + \varphi) - \overline{A \sin(2\pi \tau + \varphi)}
        \quad (\tau_t = t / P \text{ with a period } P \text{, else the calendar year fraction}) \\
    p_{g,t} &= c_t + \textstyle\sum_k b_k \, z_{g,k,t}
        \quad (z \text{: the control's values, z-scored over time}) \\
    u_{g,t} &= \rho \, u_{g,t-1} + \sigma \sqrt{1 - \rho^2} \, \eta_{g,t},
        \quad u_{g,0} = \sigma \eta_{g,0} \\
    d_{g,t} &= p_{g,t} + u_{g,t}, \qquad
    \text{demand\_effect}_{g,t} = \theta \, L_g \, d_{g,t}

with ``theta`` = ``effect`` (a share of the geo's baseline level ``L`` per
unit of demand).  The forecast the spend policies read is
:math:`f_{g,t} = d_{g,t} + \text{forecast\_noise} \cdot \epsilon_{g,t}`.
With ``observed=True`` the long table carries
:math:`d_{g,t} + \text{proxy\_noise} \cdot \xi_{g,t}` as a control column
(``MMMDataConfig.demand_column``, shifted by a constant to start at 0 like
every control value); the outcome always uses the true ``d``.

Spend policies, with :math:`s^0` the pattern's spend (the *planned* spend),
:math:`\ell` the channel's spend level, :math:`k` = ``policy_strength``:

===================== =============================================================================
``"exogenous"``       :math:`s = s^0` (xmmm 0.1)
``"demand_following"`` :math:`s_t = s^0_t + k \, \ell \, f_t` -- budgets follow the demand forecast
``"demand_capture"``  :math:`s_t = s^0_t \exp(k \, d_t)` -- spend is pulled by realised demand
                      (paid search: more queries, more clicks)
``"target_chasing"``  :math:`s_t = s^0_t + k \, \ell \, (\text{target}_{t-1} - y_{t-1}) / L` --
                      spend reacts to last period's shortfall of sales against plan
===================== =============================================================================

Every policy's spend is floored at 0 and capped at ``spend_cap`` (in the
currency of ``base_spend``, scaled by the geo's regional spend factor).  The
sales target of ``"target_chasing"`` is what the plan expects: the
baseline's level, trend and seasonality, the control effects, the
predictable part of the demand effect (:math:`\theta L p`) and every
channel's steady-state contribution at its spend level.

Examples
--------
>>> DemandConfig(ar=0.9, sigma=1.0, effect=0.05).observed
False
>>> ExperimentConfig("TV", start=10, end=13, mode="shift", value=-100.0).geos is None
True
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import Any

from xmmm.checks import Problems, is_int

__all__ = [
    "DEMAND_POLICIES",
    "EXPERIMENT_MODES",
    "FEEDBACK_POLICIES",
    "SPEND_POLICIES",
    "DemandConfig",
    "ExperimentConfig",
]

#: How a channel's spend is set (``ChannelConfig.spend_policy``).
SPEND_POLICIES = ("exogenous", "demand_following", "target_chasing", "demand_capture")
#: Policies that read the latent demand (they need ``MMMDataConfig.demand``).
DEMAND_POLICIES = ("demand_following", "demand_capture")
#: Policies with feedback from the outcome: simulated by a time loop inside one kernel.
FEEDBACK_POLICIES = ("target_chasing",)
#: How an experiment changes a channel's spend inside its window.
EXPERIMENT_MODES = ("scale", "set", "shift")


@dataclass
class DemandConfig:
    """A latent demand factor per geo and date (see the module docs for the formulas).

    Parameters
    ----------
    ar : float
        AR(1) coefficient of the demand shock, in [0, 1).
    sigma : float
        Stationary standard deviation of the shock (the innovations have
        ``sigma * sqrt(1 - ar**2)``), >= 0.
    effect : float
        Effect on sales of one unit of demand, as a share of the geo's
        baseline level (``demand_effect = effect * level * demand``).  Any sign.
    seasonal_amplitude, seasonal_phase : float
        The calendar term ``A sin(2 pi tau + phi)`` of demand, demeaned over
        the dates (``A`` >= 0; 0 switches it off).
    seasonal_period : int, optional
        The calendar's period in periods (``tau = t / P``, e.g. 52 weeks);
        ``None``: the calendar year (``tau`` = the date's year fraction).
    drivers : dict of str to float
        Control name -> loading: demand moves with those controls' values,
        z-scored over time per geo (e.g. macro indicators).
    forecast_noise : float
        Standard deviation of the forecast error of the demand the
        ``"demand_following"`` policies plan with, in demand units, >= 0.
    observed : bool
        ``False``: demand is an unobserved confounder.  ``True``: the long
        table carries it as a control column (``MMMDataConfig.demand_column``),
        exact or, with ``proxy_noise`` > 0, as a noisy proxy.
    proxy_noise : float
        Standard deviation of the proxy's error, in demand units, >= 0.
    """

    ar: float = 0.8
    sigma: float = 1.0
    effect: float = 0.05
    seasonal_amplitude: float = 0.0
    seasonal_phase: float = 0.0
    seasonal_period: int | None = None
    drivers: dict = field(default_factory=dict)
    forecast_noise: float = 0.5
    observed: bool = False
    proxy_noise: float = 0.0

    def __post_init__(self) -> None:
        if self.drivers is None:
            self.drivers = {}
        p = Problems("DemandConfig.")
        self._collect(p)
        p.raise_if_any()

    def _collect(self, p: Problems) -> None:
        p.number("ar", self.ar, lower=0, upper=1, upper_open=True)
        p.number("sigma", self.sigma, lower=0, limit=1e6, why="a plausibility limit")
        p.number("effect", self.effect, limit=100.0, why="a plausibility limit (100 times the baseline level)")
        p.number("seasonal_amplitude", self.seasonal_amplitude, lower=0, limit=1e6, why="a plausibility limit")
        p.number("seasonal_phase", self.seasonal_phase)
        p.number("seasonal_period", self.seasonal_period, lower=1, lower_open=True, integer=True, optional=True)
        p.number("forecast_noise", self.forecast_noise, lower=0, limit=1e6, why="a plausibility limit")
        p.number("proxy_noise", self.proxy_noise, lower=0, limit=1e6, why="a plausibility limit")
        if not isinstance(self.observed, bool):
            p.add("observed", self.observed, "True or False")
        if not isinstance(self.drivers, dict) or not all(
            isinstance(k, str) and isinstance(v, numbers.Real) and not isinstance(v, bool)
            for k, v in self.drivers.items()
        ):
            p.add("drivers", self.drivers, "a dict of control name -> loading (a number)")


@dataclass
class ExperimentConfig:
    """A lift test, holdout or heavy-up embedded in the data.

    Inside the window (periods ``start`` to ``end``, both included) and in
    ``geos`` (default: every geo, a national test) the channel's spend ``s``
    becomes ``value * s`` (``mode="scale"``: 0 is a go-dark holdout, 1.5 a
    heavy-up), ``value`` (``"set"``) or ``s + value`` (``"shift"``), floored at
    0.  The generated data contain the intervention; the truth ``lift`` is
    ``y`` minus the run without this experiment on the same random numbers
    (so it includes any feedback through spend policies), and the measured
    lift adds ``N(0, measurement_sigma)`` to the window's mean lift per geo.

    Parameters
    ----------
    channel : str
        A channel name.
    start, end : int or str
        First and last period of the window: period indices (0-based) or dates
        (any format pandas parses; they must be dates of the data).
    geos : list of str, optional
        The tested geos; ``None`` tests every geo.
    mode : {"scale", "set", "shift"}
    value : float
        The multiplier (``"scale"``, >= 0), the spend per period (``"set"``,
        >= 0) or the change per period (``"shift"``), in currency per period
        (``"set"`` and ``"shift"`` are per geo, as the spend is).
    measurement_sigma : float
        Standard deviation of the measured per-period lift of each geo, in
        ``y`` units, >= 0.
    name : str, optional
        A label (default ``"<channel>_<start>"``).
    """

    channel: str
    start: Any
    end: Any
    geos: list | None = None
    mode: str = "scale"
    value: float = 0.0
    measurement_sigma: float = 0.0
    name: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.geos, tuple):
            self.geos = list(self.geos)
        p = Problems(f"ExperimentConfig({self.channel!r}).")
        self._collect(p)
        p.raise_if_any()

    def _collect(self, p: Problems) -> None:
        if not isinstance(self.channel, str) or not self.channel:
            p.add("channel", self.channel, "a channel name")
        for name in ("start", "end"):
            value = getattr(self, name)
            if not (is_int(value) and value >= 0) and not isinstance(value, str):
                p.add(name, value, "a period index >= 0 or a date string")
        if is_int(self.start) and is_int(self.end) and self.end < self.start:
            p.add("end", self.end, f">= start ({self.start})")
        if self.mode not in EXPERIMENT_MODES:
            p.add("mode", self.mode, "one of " + ", ".join(map(repr, EXPERIMENT_MODES)))
        lower = 0 if self.mode in ("scale", "set") else None
        p.number("value", self.value, lower=lower, limit=1e12, why="a plausibility limit")
        p.number("measurement_sigma", self.measurement_sigma, lower=0, limit=1e15, why="a plausibility limit")
        if self.geos is not None and (
            not isinstance(self.geos, list) or not self.geos or not all(isinstance(g, str) for g in self.geos)
        ):
            p.add("geos", self.geos, "None (every geo) or a non-empty list of geo names")
        if self.name is not None and (not isinstance(self.name, str) or not self.name.strip()):
            p.add("name", self.name, "None or a non-empty string")

    @property
    def label(self) -> str:
        """The experiment's name, or ``"<channel>_<start>"``."""
        return self.name if self.name else f"{self.channel}_{self.start}"


def check_scenario(config, items: list[str]) -> None:
    """Cross-field checks of demand, policies and experiments against the rest of a config.

    Appends one line per problem to ``items`` (the channels, geos, controls and
    dates must exist; demand policies need demand; a feedback policy needs an
    adstock that does not look ahead).
    """
    import pandas as pd

    demand = config.demand
    if demand is not None:
        if not isinstance(demand, DemandConfig):
            items.append(f"demand must be None or a DemandConfig; got {type(demand).__name__}")
            demand = None
        else:
            p = Problems("demand.")
            demand._collect(p)
            items += p.items
            unknown = sorted(set(demand.drivers) - set(config.control_names))
            if unknown:
                items.append(
                    f"demand.drivers names unknown control(s) {', '.join(map(repr, unknown))}; the controls are "
                    f"{', '.join(map(repr, config.control_names)) or 'none'}"
                )
    channels = config.channel_names
    for i, channel in enumerate(config.channels):
        policy = getattr(channel, "spend_policy", "exogenous")
        if policy in DEMAND_POLICIES and demand is None:
            items.append(
                f"channels[{i}] ({channel.name!r}).spend_policy {policy!r} reads the latent demand: set "
                "MMMDataConfig.demand (a DemandConfig) or use 'exogenous' or 'target_chasing'"
            )
        if policy in FEEDBACK_POLICIES:
            try:
                _, resolved = config.transforms.for_channel(i, "adstock")
            except Exception:  # reported by the transforms' own checks
                continue
            mode = str(getattr(resolved.get("mode", "After"), "value", resolved.get("mode", "After")))
            if mode != "After":
                items.append(
                    f"channels[{i}] ({channel.name!r}).spend_policy {policy!r} reacts to past sales, but its "
                    f"adstock mode {mode!r} looks ahead (spend would act before it is decided); use mode 'After'"
                )
    experiments = config.experiments
    if not isinstance(experiments, list):
        items.append(f"experiments must be a list of ExperimentConfig; got {experiments!r}")
        return
    if not experiments:
        return
    dates = config.dates
    geos = config.region_names
    labels = []
    for e, exp in enumerate(experiments):
        where = f"experiments[{e}]"
        if not isinstance(exp, ExperimentConfig):
            items.append(f"{where} must be an ExperimentConfig; got {type(exp).__name__}")
            continue
        p = Problems(f"{where} ({exp.label!r}).")
        exp._collect(p)
        items += p.items
        labels.append(exp.label)
        if exp.channel not in channels:
            items.append(f"{where}.channel must be one of {', '.join(map(repr, channels))}; got {exp.channel!r}")
        if exp.geos is not None and isinstance(exp.geos, list):
            unknown = [g for g in exp.geos if g not in geos]
            if unknown:
                items.append(f"{where}.geos names unknown geo(s) {', '.join(map(repr, unknown))}; the geos are "
                             f"{', '.join(map(repr, geos))}")
        for name in ("start", "end"):
            value = getattr(exp, name)
            if is_int(value) and value >= len(dates):
                items.append(f"{where}.{name} must be a period index < n_periods ({len(dates)}); got {value!r}")
            elif isinstance(value, str):
                try:
                    stamp = pd.Timestamp(value)
                except (ValueError, TypeError):
                    items.append(f"{where}.{name} must be a date of the data; got {value!r}")
                    continue
                if stamp not in dates:
                    items.append(f"{where}.{name} must be one of the data's dates ({dates[0].date()} to "
                                 f"{dates[-1].date()}, frequency {config.frequency!r}); got {value!r}")
        if not any(where in item for item in items):
            first, last = window(exp, dates)
            if last < first:
                items.append(f"{where}.end must not be before start; got start {exp.start!r}, end {exp.end!r}")
    dupes = sorted({x for x in labels if labels.count(x) > 1})
    if dupes:
        items.append(f"experiments names must be unique; repeated: {', '.join(map(repr, dupes))} (set name=)")


def window(exp: ExperimentConfig, dates) -> tuple[int, int]:
    """``(first, last)`` period indices of an experiment's window (both included)."""
    import pandas as pd

    def index(value):
        return int(value) if is_int(value) else int(dates.get_loc(pd.Timestamp(value)))

    first, last = index(exp.start), index(exp.end)
    return first, last
