"""Configuration of harder worlds: time-varying paths, noise models and data problems.

Each option is off by default, so a config that does not use one generates
exactly what xmmm 0.1 generated.  The dataclasses here are parts of
:class:`~xmmm.config.MMMDataConfig` (its module holds the fields that use
them):

* :class:`TimeVariation` -- a smooth multiplier over time with mean 1 over
  the window: ``ChannelConfig.effectiveness_variation`` (time-varying media
  effectiveness) and ``RegionConfig.level_variation`` (time-varying baseline
  level);
* :data:`NOISE_MODELS` -- ``RegionConfig.noise`` (with ``noise_df`` and
  ``noise_ar``);
* :data:`OUTCOME_MODELS` -- ``MMMDataConfig.outcome_model``;
* :class:`DataIssues` -- ``MMMDataConfig.data_issues``: missing rows
  (:class:`MissingData`), outliers, structural breaks (:class:`LevelBreak`),
  placebo channels (:class:`Placebo`) and measurement noise on reported spend.

Examples
--------
>>> TimeVariation(kind="linear", ratio=2.0).kind
'linear'
>>> DataIssues(outlier_share=0.02).any
True
>>> TimeVariation(kind="gp", amplitude=-1.0)
Traceback (most recent call last):
...
xmmm.errors.ConfigError: TimeVariation.amplitude must be in [0, 3]; got -1.0
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from xmmm.checks import Problems, is_int

__all__ = [
    "NOISE_MODELS",
    "OUTCOME_MODELS",
    "PLACEBO_METHODS",
    "VARIATION_KINDS",
    "DataIssues",
    "LevelBreak",
    "MissingData",
    "Placebo",
    "TimeVariation",
    "as_dataclass",
    "describe_world",
]

#: kinds of :class:`TimeVariation`
VARIATION_KINDS = ("gp", "fourier", "linear", "step")
#: ``RegionConfig.noise``
NOISE_MODELS = ("normal", "student_t", "lognormal", "ar1", "heteroscedastic")
#: ``MMMDataConfig.outcome_model``
OUTCOME_MODELS = ("additive", "multiplicative")
#: ``Placebo.method``
PLACEBO_METHODS = ("shift", "permute", "mix")

#: other spellings of the noise models (compared lower-case, ``-`` and spaces read as ``_``)
_NOISE_ALIASES = {"gaussian": "normal", "t": "student_t", "studentt": "student_t", "student": "student_t",
                  "log_normal": "lognormal", "ar(1)": "ar1", "ar_1": "ar1", "ar": "ar1",
                  "heteroskedastic": "heteroscedastic"}


def canonical_name(value: Any, allowed: tuple[str, ...], aliases: Mapping[str, str] | None = None) -> Any:
    """``value`` as one of ``allowed`` when it is one written otherwise (case, hyphens, an alias); else unchanged.

    >>> canonical_name("Student-t", NOISE_MODELS, _NOISE_ALIASES)
    'student_t'
    >>> canonical_name("Multiplicative", OUTCOME_MODELS)
    'multiplicative'
    """
    if not isinstance(value, str):
        return value
    key = value.strip().lower().replace("-", "_").replace(" ", "_")
    key = (aliases or {}).get(key, key)
    return key if key in allowed else value


def noise_model_name(value: Any) -> Any:
    """The :data:`NOISE_MODELS` name of ``value`` (``"Student-t"`` -> ``"student_t"``), else ``value``."""
    return canonical_name(value, NOISE_MODELS, _NOISE_ALIASES)


#: largest standard deviation of a log multiplier: exp(3) is a 20-fold swing
MAX_AMPLITUDE = 3.0


def as_dataclass(cls: type, value: Any) -> Any:
    """``cls(**value)`` for a mapping (a config written as plain data), else ``value`` unchanged.

    For :class:`TimeVariation` a number is the ``amplitude`` of a ``"gp"`` path
    (0: no variation, ``None``).
    """
    if cls is TimeVariation and isinstance(value, (int, float)) and not isinstance(value, bool):
        return TimeVariation(amplitude=value) if value != 0 else None
    return cls(**value) if isinstance(value, Mapping) else value


def _date_problem(p: Problems, name: str, value: Any, optional: bool = False) -> None:
    import pandas as pd

    if value is None and optional:
        return
    try:
        pd.Timestamp(value)
    except (ValueError, TypeError):
        p.add(name, value, "a date such as '2021-03-01'")
    else:
        if not isinstance(value, str):
            p.add(name, value, "a date written as a string such as '2021-03-01'")


# --------------------------------------------------------------------------- time variation
@dataclass
class TimeVariation:
    r"""A smooth multiplier over time, ``m_t > 0`` with mean exactly 1 over the window.

    The multiplier of each (replicate, geo, series) is ``m_t = e^{f_t} /
    \text{mean}_t e^{f_t}``, so the configured effectiveness (or level) is the
    average over the dates and ``m`` only redistributes it in time:

    * ``"gp"``: ``f`` is a Gaussian process with the squared-exponential kernel
      ``amplitude**2 * exp(-(t - t')**2 / (2 * length_scale**2))`` (``t`` in
      periods), drawn as 64 random Fourier features (Rahimi & Recht, 2007):
      ``f_t = amplitude * sqrt(2 / 64) * sum_j cos(w_j t + phi_j)``,
      ``w_j ~ N(0, 1 / length_scale**2)``, ``phi_j ~ U(0, 2 pi)``; its
      covariance is the kernel's in expectation, and every series has its own
      path;
    * ``"fourier"``: ``f_t = sum_{k=1..n_terms} a_k sin(2 pi k t / length_scale) +
      b_k cos(2 pi k t / length_scale)`` with ``a_k, b_k ~ N(0, amplitude**2 /
      (2 n_terms))`` (variance ``amplitude**2``); ``length_scale`` is the period of
      the slowest term;
    * ``"linear"``: ``m_t`` proportional to ``1 + (ratio - 1) t / (n - 1)``: the
      multiplier grows (or shrinks) steadily, ``m_{n-1} / m_0 = ratio`` (the
      same path in every geo);
    * ``"step"``: ``m_t`` proportional to 1 before the date ``at`` and to
      ``ratio`` from it on (the same in every geo).

    Parameters
    ----------
    kind : {"gp", "fourier", "linear", "step"}
    amplitude : float
        ``gp``, ``fourier``: standard deviation of ``f`` (the log multiplier),
        in [0, 3].
    length_scale : float
        ``gp``: the kernel's length scale in periods; ``fourier``: the period
        of the slowest term in periods.  > 0.
    n_terms : int
        ``fourier``: number of harmonics, 1 to 50.
    ratio : float
        ``linear``: last over first multiplier; ``step``: after over before.  > 0.
    at : str, optional
        ``step``: the first date of the new regime (within the dates).
    """

    kind: str = "gp"
    amplitude: float = 0.2
    length_scale: float = 26.0
    n_terms: int = 2
    ratio: float = 2.0
    at: str | None = None

    def __post_init__(self) -> None:
        p = Problems("TimeVariation.")
        self._collect(p)
        p.raise_if_any()

    def _collect(self, p: Problems) -> None:
        if self.kind not in VARIATION_KINDS:
            p.add("kind", self.kind, "one of " + ", ".join(map(repr, VARIATION_KINDS)))
        p.number("amplitude", self.amplitude, lower=0, upper=MAX_AMPLITUDE)
        p.number("length_scale", self.length_scale, lower=0, lower_open=True, limit=1e6,
                 why="longer than any series")
        p.number("n_terms", self.n_terms, lower=1, upper=50, integer=True)
        p.number("ratio", self.ratio, lower=0, lower_open=True, limit=1e3, why="a thousand-fold change")
        if self.kind == "step" and self.at is None:
            p.add("at", self.at, "a date (the first of the new regime) when kind='step'")
        _date_problem(p, "at", self.at, optional=True)

    def date_problems(self, p: Problems, dates) -> None:
        """``at`` must fall inside the dates (checked against the whole config)."""
        import pandas as pd

        if self.kind == "step" and isinstance(self.at, str) and not p.items:
            try:
                at = pd.Timestamp(self.at)
            except ValueError:
                return
            if not dates[0] < at <= dates[-1]:
                p.add("at", self.at, f"a date after {dates[0].date()} and not after {dates[-1].date()}")


# --------------------------------------------------------------------------- data problems
@dataclass
class MissingData:
    """Rows the modeller does not receive: dates ``start`` to ``end`` (inclusive) in ``geos``.

    Parameters
    ----------
    start, end : str, optional
        First and last missing date; ``None`` is the first (last) date of the
        series.  ``MissingData(geos=["geo_b"])`` removes a geo from the table;
        ``MissingData(end="2021-06-27", geos=["geo_b"])`` makes it join late.
    geos : list of str, optional
        Default: every geo (a national reporting gap).
    """

    start: str | None = None
    end: str | None = None
    geos: list[str] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.geos, tuple):
            self.geos = list(self.geos)
        p = Problems("MissingData.")
        self._collect(p)
        p.raise_if_any()

    def _collect(self, p: Problems) -> None:
        import pandas as pd

        _date_problem(p, "start", self.start, optional=True)
        _date_problem(p, "end", self.end, optional=True)
        if not p.items and self.start is not None and self.end is not None:
            if pd.Timestamp(self.end) < pd.Timestamp(self.start):
                p.add("end", self.end, f"on or after start ({self.start})")
        _geo_list(p, self.geos)


@dataclass
class LevelBreak:
    """A structural break: the baseline level moves by ``size`` from ``date`` on (a real change in sales).

    Parameters
    ----------
    date : str
        The first date of the new level (within the dates).
    size : float
        The shift as a share of the geo's baseline level ``L_g`` (``0.15``: 15 %
        more baseline sales per period from ``date`` on; > -1).
    geos : list of str, optional
        Default: every geo.
    """

    date: str
    size: float = 0.1
    geos: list[str] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.geos, tuple):
            self.geos = list(self.geos)
        p = Problems("LevelBreak.")
        self._collect(p)
        p.raise_if_any()

    def _collect(self, p: Problems) -> None:
        _date_problem(p, "date", self.date)
        p.number("size", self.size, lower=-1, lower_open=True, limit=100, why="a hundred-fold level")
        _geo_list(p, self.geos)


@dataclass
class Placebo:
    """A negative-control channel: spend copied from a real channel, with no effect at all.

    The placebo is an ordinary entry of ``channels`` (its name, transforms and
    export column as for any channel, with ``base_effectiveness=0``); its
    spend pattern fields are not used: its spend in each geo is made from the
    ``source`` channel's spend there,

    * ``"shift"``: moved ``lag`` periods later, circularly (``lag`` ``None``:
      drawn uniformly from 1 .. n - 1 per geo, as pymc-marketing's
      ``add_placebo_channel`` does); a short lag keeps the flighting and most
      of the correlation -- a copy a model can mistake for carry-over;
    * ``"permute"``: the periods in random order (per geo): the same
      distribution of spend, no time structure;
    * ``"mix"``: ``(1 - w) * source + w * permuted source`` with ``w`` chosen in
      each geo so that the sample correlation with the source is exactly
      ``correlation``: the same mean spend, a correlation that is set, not hoped for.

    Its true effect is exactly zero (contribution, ROAS, incremental outcome);
    the truth variable ``placebo`` (channel) marks it.

    Parameters
    ----------
    channel : str
        The placebo's name in ``channels``.
    source : str
        The real channel it copies.
    method : {"shift", "permute", "mix"}
    lag : int, optional
        ``shift``: periods, >= 1 and < n_periods.
    correlation : float
        ``mix``: the target correlation with the source, in [0, 1).
    """

    channel: str
    source: str
    method: str = "shift"
    lag: int | None = None
    correlation: float = 0.7

    def __post_init__(self) -> None:
        p = Problems("Placebo.")
        self._collect(p)
        p.raise_if_any()

    def _collect(self, p: Problems) -> None:
        for name in ("channel", "source"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                p.add(name, value, "a channel name")
        if self.channel == self.source:
            p.add("source", self.source, "another channel than the placebo itself")
        if self.method not in PLACEBO_METHODS:
            p.add("method", self.method, "one of " + ", ".join(map(repr, PLACEBO_METHODS)))
        p.number("lag", self.lag, lower=1, integer=True, optional=True)
        p.number("correlation", self.correlation, lower=0, upper=1, upper_open=True)


def _geo_list(p: Problems, geos: Any) -> None:
    if geos is None:
        return
    if isinstance(geos, str) or not isinstance(geos, list) or not all(isinstance(g, str) for g in geos) or not geos:
        p.add("geos", geos, "a non-empty list of geo names or None (every geo)")


@dataclass
class DataIssues:
    """Data problems: what the modeller receives differs from the world, and the truth says where.

    The true series stay in the Dataset; what a modeller would receive is
    ``y_observed`` and ``spend_observed`` (with NaN where rows are missing),
    and the long table and the hand-offs are made from those.  Every mask is
    stored: ``missing`` (date, geo), ``outlier`` (date, geo; 0 where there is
    none), ``baseline_break`` (date, geo), ``placebo`` (channel).

    Parameters
    ----------
    missing : list of MissingData
        Rows left out of the table.
    missing_share : float
        Share of the periods of each geo left out at random, in gaps of 1 to
        ``missing_run`` periods, in [0, 0.5].
    missing_run : int
        Longest random gap, >= 1.
    outlier_share : float
        Chance that a reported ``y`` holds a spike, per (date, geo), in [0, 0.2].
    outlier_size : float
        Typical spike as a share of the geo's baseline level: a spike is
        ``sign * outlier_size * L_g * (0.5 + u)``, ``u ~ U(0, 1)``, the sign up
        with probability ``outlier_up``; > 0.  A downward spike never takes the
        reported ``y`` below 0.
    outlier_up : float
        Share of upward spikes, in [0, 1].
    breaks : list of LevelBreak
        Structural breaks of the baseline level (real: they are part of ``y``).
    placebo : list of Placebo
        Placebo channels.
    spend_noise : float or dict
        Coefficient of variation of the log-normal (mean 1) measurement error
        on reported spend, one number for every channel or ``{channel: cv}``;
        in [0, 2].  The effects follow the true spend.
    """

    missing: list[MissingData] = field(default_factory=list)
    missing_share: float = 0.0
    missing_run: int = 3
    outlier_share: float = 0.0
    outlier_size: float = 0.3
    outlier_up: float = 0.7
    breaks: list[LevelBreak] = field(default_factory=list)
    placebo: list[Placebo] = field(default_factory=list)
    spend_noise: float | dict = 0.0

    def __post_init__(self) -> None:
        for name, cls in (("missing", MissingData), ("breaks", LevelBreak), ("placebo", Placebo)):
            value = getattr(self, name)
            if isinstance(value, (tuple, list)):
                setattr(self, name, [as_dataclass(cls, v) for v in value])
        p = Problems("DataIssues.")
        self._collect(p)
        p.raise_if_any()

    def _collect(self, p: Problems) -> None:
        for name, cls in (("missing", MissingData), ("breaks", LevelBreak), ("placebo", Placebo)):
            value = getattr(self, name)
            if not isinstance(value, list) or not all(isinstance(v, cls) for v in value):
                p.add(name, value, f"a list of {cls.__name__}")
        p.number("missing_share", self.missing_share, lower=0, upper=0.5)
        p.number("missing_run", self.missing_run, lower=1, integer=True, limit=10_000, why="longer than any series")
        p.number("outlier_share", self.outlier_share, lower=0, upper=0.2)
        p.number("outlier_size", self.outlier_size, lower=0, lower_open=True, limit=100, why="a hundred-fold spike")
        p.number("outlier_up", self.outlier_up, lower=0, upper=1)
        if isinstance(self.spend_noise, Mapping):
            for k, v in self.spend_noise.items():
                p.number(f"spend_noise[{k!r}]", v, lower=0, upper=2)
        else:
            p.number("spend_noise", self.spend_noise, lower=0, upper=2)

    @property
    def any(self) -> bool:
        """Whether any problem is configured."""
        noise = self.spend_noise.values() if isinstance(self.spend_noise, Mapping) else [self.spend_noise]
        return bool(self.missing or self.missing_share or self.outlier_share or self.breaks or self.placebo
                    or any(v > 0 for v in noise))

    def placebo_of(self, channel: str) -> Placebo | None:
        """The placebo entry of a channel, or None."""
        return next((pl for pl in self.placebo if pl.channel == channel), None)

    def spend_noise_of(self, channels: list[str]) -> list[float]:
        """The measurement-error CV of each channel."""
        if isinstance(self.spend_noise, Mapping):
            return [float(self.spend_noise.get(c, 0.0)) for c in channels]
        return [float(self.spend_noise)] * len(channels)

    def config_problems(self, p: Problems, config) -> None:
        """Cross-checks against the whole config: channel, geo and date names exist."""
        import pandas as pd

        channels = [c.name for c in config.channels]
        by_name = {c.name: c for c in config.channels}
        geos = set(config.region_names)
        dates = config.dates
        seen: list[str] = []
        for i, pl in enumerate(self.placebo):
            where = f"placebo[{i}]."
            if pl.channel not in by_name:
                p.add(where + "channel", pl.channel, "the name of a channel in channels (" + ", ".join(channels) + ")")
            elif by_name[pl.channel].base_effectiveness != 0:
                p.add(where + "channel", pl.channel,
                      f"a channel with base_effectiveness=0 (a placebo has no effect; {pl.channel!r} has "
                      f"{by_name[pl.channel].base_effectiveness:g})")
            elif getattr(by_name[pl.channel], "effectiveness_variation", None) is not None:
                p.add(where + "channel", pl.channel, "a channel without effectiveness_variation")
            if pl.source not in by_name or self.placebo_of(pl.source) is not None:
                p.add(where + "source", pl.source, "the name of a real (not placebo) channel in channels")
            if pl.channel in seen:
                p.add(where + "channel", pl.channel, "named by one placebo only")
            seen.append(pl.channel)
            if pl.lag is not None and is_int(config.n_periods) and pl.lag >= config.n_periods:
                p.add(where + "lag", pl.lag, f"< n_periods ({config.n_periods})")
        if isinstance(self.spend_noise, Mapping):
            for k in self.spend_noise:
                if k not in by_name:
                    p.add("spend_noise", k, "keyed by channel names (" + ", ".join(channels) + ")")
        for label, items in (("missing", self.missing), ("breaks", self.breaks)):
            for i, item in enumerate(items):
                for g in item.geos or []:
                    if g not in geos:
                        p.add(f"{label}[{i}].geos", g, "names of regions (" + ", ".join(config.region_names) + ")")
        for i, brk in enumerate(self.breaks):
            at = pd.Timestamp(brk.date)
            if not dates[0] < at <= dates[-1]:
                p.add(f"breaks[{i}].date", brk.date,
                      f"a date after {dates[0].date()} and not after {dates[-1].date()}")


def noise_problems(p: Problems, regions) -> None:
    """The noise fields of a RegionConfig (another spelling of a model's name becomes that name)."""
    regions.noise = noise_model_name(regions.noise)
    if regions.noise not in NOISE_MODELS:
        p.add("noise", regions.noise, "one of " + ", ".join(map(repr, NOISE_MODELS)))
    p.number("noise_df", regions.noise_df, lower=2, lower_open=True, limit=1e6,
             why="a t distribution indistinguishable from the normal")
    p.number("noise_ar", regions.noise_ar, lower=-1, upper=1, lower_open=True, upper_open=True)
    if regions.noise == "ar1" and isinstance(regions.noise_ar, (int, float)) and regions.noise_ar == 0:
        p.add("noise_ar", regions.noise_ar, "non-zero when noise='ar1' (the lag-1 autocorrelation of the errors)")
    if regions.noise == "lognormal" and isinstance(regions.sales_volatility, (int, float)) and \
            math.isfinite(regions.sales_volatility) and regions.sales_volatility > 3:
        p.add("sales_volatility", regions.sales_volatility, "<= 3 with noise='lognormal' (the sd of log y)")


# --------------------------------------------------------------------------- description
def describe_world(config) -> list[str]:
    """One phrase per harder-world option a config uses (none for xmmm 0.1's world).

    Parameters
    ----------
    config : MMMDataConfig

    Examples
    --------
    >>> import xmmm
    >>> describe_world(xmmm.get_preset_config("messy"))[0]
    'data problems: 2 missing span(s), random gaps in 2% of periods, outliers in 1.5% of rows, ...'
    >>> describe_world(xmmm.get_preset_config("basic"))
    []
    """
    out = []
    if config.outcome_model != "additive":
        out.append(f"{config.outcome_model} outcome")
    regions = config.regions
    if regions.noise != "normal" or regions.noise_ar:
        detail = {"student_t": f" (df {regions.noise_df:g})"}.get(regions.noise, "")
        ar = f", AR(1) errors with rho {regions.noise_ar:g}" if regions.noise_ar else ""
        out.append(f"{regions.noise} noise{detail}{ar}")
    varying = [f"{c.name} ({c.effectiveness_variation.kind})" for c in config.channels if c.effectiveness_variation]
    if varying:
        out.append("time-varying effectiveness: " + ", ".join(varying))
    if regions.level_variation is not None:
        out.append(f"time-varying baseline level ({regions.level_variation.kind})")
    issues = config.data_issues
    if issues is not None and issues.any:
        parts = []
        if issues.missing:
            parts.append(f"{len(issues.missing)} missing span(s)")
        if issues.missing_share:
            parts.append(f"random gaps in {issues.missing_share:.0%} of periods")
        if issues.outlier_share:
            parts.append(f"outliers in {issues.outlier_share:.1%} of rows")
        if issues.breaks:
            parts.append(", ".join(f"a level break of {b.size:+.0%} on {b.date}" for b in issues.breaks))
        for p in issues.placebo:
            parts.append(f"placebo {p.channel} ({p.method} of {p.source})")
        if issues.spend_noise:
            noisy = ", ".join(issues.spend_noise) if isinstance(issues.spend_noise, Mapping) else "every channel"
            parts.append(f"spend measurement error on {noisy}")
        out.append("data problems: " + ", ".join(parts))
    return out
