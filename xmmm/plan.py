"""One parameter plan: every true parameter of a generation, resolved and validated once.

:meth:`Plan.build` turns a config (and, in a study, the base values drawn from
priors) into the final parameter arrays of every replicate, geo and channel:
the transforms of each channel with their parameters after regional
variation, the baseline level, spend levels, effectiveness, channel and
control coefficients.  Each transform parameter is varied on its own
function's scale (:class:`~xmmm.kernels.declare.Parameter.scale`), and every
final value is checked against its declaration once, here: a violation is a
:class:`~xmmm.errors.ConfigError` naming the channel, the geo, the replicate
(in studies), the parameter, the value and the limit.  The kernels are then
called unchecked.

The simulation blocks (:mod:`xmmm.blocks`) read the plan and the random
streams and nothing else, so a plan fixes the model: an intervention changes
the media, never the parameters.  :meth:`Plan.from_dataset` rebuilds the
transform part of a plan from a Dataset (for quality checks, plots and
hand-offs).

Examples
--------
>>> import xmmm
>>> plan = Plan.build(xmmm.DEFAULT_CONFIG, [0])
>>> plan.params["adstock_alpha"].shape          # (replicate, geo, channel)
(1, 3, 3)
>>> [stage.name for stage in plan.saturation]
['hill_function', 'hill_function', 'hill_function']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from xmmm.config import MMMDataConfig
from xmmm.errors import ConfigError
from xmmm.inputs import MediaInputs
from xmmm.kernels.declare import Transform
from xmmm.random import stream_keys, uniforms
from xmmm.transforms import get_transform

__all__ = ["Plan", "Stage", "StageGroup", "base_values", "channel_stages", "regional_factors"]

FAMILIES = ("adstock", "saturation")


# --------------------------------------------------------------------------- stages
@dataclass(frozen=True)
class Stage:
    """One channel's adstock or saturation: the declaration and its configured arguments.

    Attributes
    ----------
    transform : Transform
        The declaration (:mod:`xmmm.kernels.declare`).
    options : mapping
        The structural options (``l_max``, ``normalize``, ``mode``, ``type``).
    values : mapping
        The configured numeric parameters (before regional variation).
    """

    transform: Transform
    options: Mapping[str, Any]
    values: Mapping[str, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The transform's (pymc-marketing) name."""
        return self.transform.name


@dataclass(frozen=True)
class StageGroup:
    """Channels that share one transform and its options: one kernel call."""

    transform: Transform
    options: Mapping[str, Any]
    channels: np.ndarray  #: channel indices


def channel_stages(config: MMMDataConfig, family: str) -> tuple[Stage, ...]:
    """The configured adstock or saturation of every channel, resolved (defaults filled).

    A non-media treatment enters linearly: its stages are ``"none"`` whatever
    the transforms say.
    """
    stages = []
    for i, channel in enumerate(config.channels):
        if channel.kind == "treatment":
            stages.append(Stage(get_transform(family, "none"), {}))
            continue
        name, resolved = config.transforms.for_channel(i, family)
        spec = get_transform(family, name)
        numeric, options = spec.split(resolved)
        values = {p.name: float(v) for p, v in zip(spec.numeric_parameters, numeric, strict=True)}
        stages.append(Stage(spec, options, values))
    return tuple(stages)


def stage_groups(stages: Sequence[Stage]) -> list[StageGroup]:
    """Channels grouped by (function, structural options), in first-seen order."""
    groups: dict[tuple, list[int]] = {}
    specs: dict[tuple, Stage] = {}
    for i, stage in enumerate(stages):
        key = (stage.name, tuple(stage.options.items()))
        groups.setdefault(key, []).append(i)
        specs.setdefault(key, stage)
    return [StageGroup(specs[k].transform, dict(specs[k].options), np.array(v)) for k, v in groups.items()]


def parameter_names(stages: Sequence[Stage]) -> list[str]:
    """Numeric parameter names used by any channel, in first-seen order."""
    names: list[str] = []
    for stage in stages:
        for p in stage.transform.numeric_parameters:
            if p.name not in names:
                names.append(p.name)
    return names


# --------------------------------------------------------------------------- base values
def base_values(config: MMMDataConfig, n_replicates: int) -> dict[str, np.ndarray]:
    """Configured base values with a leading replicate axis, before regional variation.

    Keys: ``regions.<field>`` (R,), ``channels.<field>`` (R, S),
    ``controls.<field>`` (R, K) and ``transforms.<family>_<param>`` (R, S)
    (NaN for channels whose function has no such parameter).  Simulation
    studies replace entries with sampled values; these keys are the paths a
    prior may be given for.

    Examples
    --------
    >>> import xmmm
    >>> list(base_values(xmmm.DEFAULT_CONFIG, 2))[:2]
    ['regions.base_sales_rate', 'regions.sales_trend']
    """
    r = n_replicates

    def rep(v):
        return np.repeat(np.asarray(v, dtype=float)[None, ...], r, axis=0)

    reg = config.regions
    out = {
        f"regions.{f}": rep(getattr(reg, f))
        for f in ("base_sales_rate", "sales_trend", "sales_volatility", "seasonal_amplitude")
    }
    # a custom pattern returns spend in currency: its level is the regional factor alone;
    # the level of a channel without spend is its base_value (exposures, a treatment's value)
    out["channels.base_spend"] = rep([1.0 if c.pattern == "custom" else c.level for c in config.channels])
    out["channels.base_effectiveness"] = rep([c.base_effectiveness for c in config.channels])
    out["controls.base_value"] = rep(
        [1.0 if c.pattern == "custom" else c.base_value for c in config.control_variables]
    ).reshape(r, -1)
    out["controls.base_effectiveness"] = rep(
        [c.base_effectiveness for c in config.control_variables]
    ).reshape(r, -1)
    for family in FAMILIES:
        stages = channel_stages(config, family)
        for pname in parameter_names(stages):
            out[f"transforms.{family}_{pname}"] = rep([s.values.get(pname, np.nan) for s in stages])
    return out


# --------------------------------------------------------------------------- regional variation
def population_of(population, level: np.ndarray) -> np.ndarray:
    """People per (replicate, geo): given per geo, a total split in proportion to the level, or the level."""
    if population is None:
        return level.copy()
    if isinstance(population, (list, tuple)):
        return np.broadcast_to(np.asarray(population, dtype=float), level.shape).copy()
    return float(population) * level / level.sum(axis=-1, keepdims=True)


def regional_factors(
    seed: int,
    role: str,
    geo_names: Sequence[str],
    series: Sequence[str],
    variation: float,
    similarity: float,
    replicates: Sequence[int],
) -> np.ndarray:
    """``1 + (1 - similarity) * variation * u``, u ~ U(-1, 1) per (replicate, geo, series).

    Regions vary only when there are two or more: a single region has exactly
    the configured parameters.
    """
    shape = (len(replicates), len(geo_names), len(series))
    spread = (1.0 - similarity) * variation
    if len(geo_names) < 2 or spread == 0.0 or not series:
        return np.ones(shape)
    u = uniforms(stream_keys(seed, f"region_{role}", geo_names, series, replicates=replicates), 1)[..., 0]
    return 1.0 + spread * (2.0 * u - 1.0)


def vary(values: np.ndarray, factor: np.ndarray, scale: str) -> np.ndarray:
    """Apply a regional factor on a parameter's own scale (odds for [0, 1] parameters)."""
    if scale == "unit":
        with np.errstate(divide="ignore", invalid="ignore"):
            odds = values / (1.0 - values) * factor
            varied = odds / (1.0 + odds)
        return np.where((values <= 0.0) | (values >= 1.0) | (factor == 1.0), values, varied)
    if scale == "real":
        return values + (factor - 1.0)
    return values * factor


def _varied(stages: Sequence[Stage], family: str, pname: str, raw: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """One parameter of every channel, each varied on its own function's scale."""
    scales = [s.transform.parameter(pname).scale if pname in s.values else None for s in stages]
    out = np.array(raw, dtype=float, copy=True)
    for scale in dict.fromkeys(sc for sc in scales if sc is not None):
        idx = [i for i, sc in enumerate(scales) if sc == scale]
        out[..., idx] = vary(raw[..., idx], factor[..., idx], scale)
    return out


# --------------------------------------------------------------------------- the plan
@dataclass(frozen=True, eq=False)
class Plan:
    """The resolved, validated parameters of one generation (see the module docs).

    Arrays have a leading replicate axis: (R, G) per geo, (R, G, S) per geo
    and channel, (R, G, K) per geo and control, (R,) per replicate.

    Attributes
    ----------
    config : MMMDataConfig or None
        With a seed (``None`` for a plan rebuilt from a Dataset without one).
    replicates : tuple of int
    geos, channels, controls : tuple of str
    dates : pandas.DatetimeIndex
    adstock, saturation : tuple of Stage
        One per channel.
    params : dict of numpy.ndarray
        ``"<family>_<param>"`` -> (R, G, S) final transform parameters, NaN for
        channels whose function has no such parameter.
    base : dict of numpy.ndarray
        The base values used (:func:`base_values`, drawn ones in place).
    level : numpy.ndarray
        (R, G) baseline level ``L_g``.
    spend_level, effectiveness, coefficient : numpy.ndarray
        (R, G, S): spend level, effectiveness and channel coefficient
        (``effectiveness * level``; in the multiplicative outcome model the
        coefficient is the effectiveness itself, a share of the baseline).
    control_level, control_coefficient : numpy.ndarray
        (R, G, K).
    spend_scale : numpy.ndarray, optional
        (R, G, S): what divides spend before the transforms.  ``None`` in a
        plan built from a config: the media block computes it from the
        natural spend; set in a plan rebuilt from a Dataset, and in one built
        with ``spend_scale=`` (a counterfactual holds its original's).
    population : numpy.ndarray, optional
        (R, G) people per geo (``RegionConfig.population``; proportional to
        the level when not configured).  ``None`` in a plan rebuilt from a
        Dataset without a ``population`` variable.
    inputs : MediaInputs, optional
        What each channel's data are made of (kinds, units, costs, reach,
        treatments' baselines, revenue per KPI); ``None``: paid spend only.
    cost_level : numpy.ndarray, optional
        (R, G, S) cost per exposure before its trend and noise (the configured
        cost times the regional factor); NaN for channels without a cost.
    spend : numpy.ndarray, optional
        (R, G, S, T): the natural spend, given (a user's media plan, or the
        stored spend of a dataset) instead of drawn from the channels'
        patterns; ``None``: the media block draws it.
    experiments : tuple of ExperimentConfig
        The experiments the run applies (the config's; ``dataclasses.replace``
        a plan with fewer to run the untested world on the same streams).
    """

    config: MMMDataConfig | None
    replicates: tuple[int, ...]
    geos: tuple[str, ...]
    channels: tuple[str, ...]
    controls: tuple[str, ...]
    dates: Any
    adstock: tuple[Stage, ...]
    saturation: tuple[Stage, ...]
    params: Mapping[str, np.ndarray]
    base: Mapping[str, np.ndarray]
    level: np.ndarray
    spend_level: np.ndarray
    effectiveness: np.ndarray
    coefficient: np.ndarray
    control_level: np.ndarray
    control_coefficient: np.ndarray
    spend_scale: np.ndarray | None = None
    population: np.ndarray | None = None
    inputs: MediaInputs | None = None
    cost_level: np.ndarray | None = None
    spend: np.ndarray | None = None
    experiments: tuple = ()

    # ---- derived facts
    @property
    def seed(self) -> int:
        """The seed of every random stream."""
        return int(self.config.seed)

    def stages(self, family: str) -> tuple[Stage, ...]:
        """The adstock or saturation stage of every channel."""
        return self.adstock if family == "adstock" else self.saturation

    def groups(self, family: str) -> list[StageGroup]:
        """Channels sharing one transform and its options (one kernel call each)."""
        return stage_groups(self.stages(family))

    def parameter_names(self, family: str) -> list[str]:
        """Numeric parameter names of a family used by any channel, in first-seen order."""
        return parameter_names(self.stages(family))

    # ---- building
    @classmethod
    def build(
        cls,
        config: MMMDataConfig,
        replicates: Sequence[int],
        base: Mapping[str, np.ndarray] | None = None,
        *,
        spend: np.ndarray | None = None,
        spend_scale: np.ndarray | None = None,
    ) -> Plan:
        """The plan of a validated config (with a seed) for the given replicates.

        Parameters
        ----------
        config : MMMDataConfig
        replicates : sequence of int
            Each replicate's regional factors come from its own streams.
        base : mapping, optional
            Per-replicate base values replacing the configured ones (drawn from
            priors), keyed as in :func:`base_values`, each with a leading
            replicate axis.
        spend : numpy.ndarray, optional
            The natural spend, (R, G, S, T) or (G, S, T) for every replicate,
            in place of the channels' patterns (finite and >= 0; checked by
            the caller, e.g. :func:`xmmm.spend_plan.spend_array`).
        spend_scale : numpy.ndarray, optional
            (R, G, S) or (G, S): hold the spend scale at these values instead
            of computing it from the natural spend.

        Raises
        ------
        ConfigError
            A parameter outside its declared range or constraint after regional
            variation or sampling, naming the channel, geo, replicate, parameter,
            value and limit.
        """
        seed = int(config.seed)
        reps = tuple(int(r) for r in replicates)
        geo, channels, controls = config.region_names, config.channel_names, config.control_names
        regions = config.regions
        sim = regions.region_similarity
        values = base_values(config, len(reps))
        if base:
            values.update({k: np.asarray(v, dtype=float) for k, v in base.items()})

        level = values["regions.base_sales_rate"][:, None] * regional_factors(
            seed, "baseline", geo, ["level"], regions.baseline_variation, sim, reps
        )[..., 0]
        spend_factor = regional_factors(seed, "spend", geo, channels, regions.channel_param_variation, sim, reps)
        spend_level = values["channels.base_spend"][:, None, :] * spend_factor

        stages = {family: channel_stages(config, family) for family in FAMILIES}
        params: dict[str, np.ndarray] = {}
        for family in FAMILIES:
            for pname in parameter_names(stages[family]):
                key = f"{family}_{pname}"
                # each parameter has its own streams, so adding one never shifts another
                factor = regional_factors(
                    seed, f"transform_{key}", geo, channels, regions.transform_variation, sim, reps
                )
                raw = np.broadcast_to(values[f"transforms.{key}"][:, None, :], factor.shape)
                params[key] = _varied(stages[family], family, pname, raw, factor)

        effect_factor = regional_factors(
            seed, "effectiveness", geo, channels, regions.channel_param_variation, sim, reps
        )
        effectiveness = values["channels.base_effectiveness"][:, None, :] * effect_factor
        # additive: effects in units of y (per unit of level); multiplicative: shares of the baseline
        additive = config.outcome_model == "additive"
        coefficient = effectiveness * level[..., None] if additive else effectiveness.copy()
        treatments = [i for i, c in enumerate(config.channels) if c.kind == "treatment"]
        if treatments:
            # a treatment's level is not varied by region: its baseline value is shared by every geo
            spend_level[..., treatments] = np.broadcast_to(
                values["channels.base_spend"][:, None, treatments], spend_level[..., treatments].shape)
            # a treatment's effect is linear in its value: effectiveness * level per base_value of change
            base_level = values["channels.base_spend"][:, None, treatments]
            with np.errstate(divide="ignore", invalid="ignore"):
                coefficient[..., treatments] = np.where(
                    base_level > 0, coefficient[..., treatments] / base_level, 0.0)

        value_factor = regional_factors(seed, "control_value", geo, controls, 1.0, sim, reps)
        value_spread = np.array([c.regional_value_variation for c in config.control_variables])
        value_factor = 1.0 + (value_factor - 1.0) * value_spread
        control_level = values["controls.base_value"][:, None, :] * value_factor
        control_factor = regional_factors(
            seed, "control_effectiveness", geo, controls, regions.channel_param_variation, sim, reps
        )
        base_value = values["controls.base_value"][:, None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            per_unit = np.where(base_value > 0, values["controls.base_effectiveness"][:, None, :] / base_value, 0.0)
        control_coefficient = per_unit * control_factor * level[..., None] if additive else per_unit * control_factor

        inputs = MediaInputs.of(config, len(reps))
        cost_level = None
        if inputs.has_cost.any():
            cost_factor = regional_factors(seed, "cost", geo, channels, regions.channel_param_variation, sim, reps)
            cost_level = inputs.cost_per_exposure[None, None, :] * cost_factor

        plan = cls(
            config=config,
            replicates=reps,
            geos=tuple(geo),
            channels=tuple(channels),
            controls=tuple(controls),
            dates=config.dates,
            adstock=stages["adstock"],
            saturation=stages["saturation"],
            params=params,
            base=values,
            level=level,
            spend_level=spend_level,
            effectiveness=effectiveness,
            coefficient=coefficient,
            control_level=control_level,
            control_coefficient=control_coefficient,
            population=population_of(regions.population, level),
            inputs=inputs,
            cost_level=cost_level,
            spend_scale=None if spend_scale is None else _per_replicate(spend_scale, (len(reps),) + coefficient.shape[1:]),
            spend=None if spend is None else _per_replicate(spend, coefficient.shape + (len(config.dates),)),
            experiments=tuple(getattr(config, "experiments", ()) or ()),
        )
        plan.validate()
        return plan

    def validate(self) -> None:
        """Check every final transform parameter against its declaration.

        Raises
        ------
        ConfigError
            Naming the channel, the geo, the replicate (in a study), the
            parameter, the value and the limit.
        """
        for family in FAMILIES:
            for group in self.groups(family):
                spec = group.transform
                values = {
                    p.name: self.params[f"{family}_{p.name}"][:, :, group.channels] for p in spec.numeric_parameters
                }
                found = spec.first_violation({**values, **group.options})
                if found is None:
                    continue
                (r, g, j), message = found if found[0] else ((0, 0, 0), found[1])
                raise ConfigError(self._violation(family, spec, int(group.channels[j]), r, g, message))

    def _violation(self, family: str, spec: Transform, channel: int, r: int, g: int, message: str) -> str:
        name = self.channels[channel]
        replicate = self.replicates[r]
        where = f"replicate {replicate}, " if len(self.replicates) > 1 or replicate != 0 else ""
        configured = ", ".join(
            f"{p} = {self.base[f'transforms.{family}_{p}'][r, channel]:g}" for p in self.stages(family)[channel].values
        )
        return (
            f"channels[{channel}] ({name!r}) in {where}geo {self.geos[g]!r}: {spec.name}: {message} "
            f"after regional variation (configured {configured}; regions.transform_variation = "
            f"{self.config.regions.transform_variation:g}); lower the variation or move the value away from its limit"
        )

    # ---- rebuilt from a Dataset
    @classmethod
    def from_dataset(cls, ds) -> Plan:
        """The plan of a generated Dataset (a single dataset or a study), from its stored truth.

        The transforms, their final parameters and the coefficients are read
        from the Dataset's variables; ``config`` is the one in its attributes
        (``None`` without one).  ``base`` is empty: what was configured before
        regional variation is not stored.

        Examples
        --------
        >>> import xmmm
        >>> ds = xmmm.generate_dataset(n_periods=30)
        >>> plan = Plan.from_dataset(ds)
        >>> plan.weights("x-TV").shape                 # (geo, lag)
        (3, 8)
        """
        import json

        lead = ("replicate",) if "replicate" in ds.dims else ()
        reps = tuple(int(r) for r in ds["replicate"].values) if lead else (int(ds.attrs.get("replicate", 0)),)

        def values(name: str, *dims: str) -> np.ndarray:
            a = np.asarray(ds[name].transpose(*lead, *dims).values, dtype=float)
            return a if lead else a[None, ...]

        stages = {family: _stages_of(ds, family) for family in FAMILIES}
        params = {
            f"{family}_{pname}": values(f"{family}_{pname}", "geo", "channel")
            for family in FAMILIES
            for pname in parameter_names(stages[family])
        }
        try:
            config = MMMDataConfig.from_dict(json.loads(ds.attrs["xmmm_config"]))
        except (KeyError, TypeError, ValueError):
            config = None
        has = set(ds.variables)

        def optional(name: str, *dims: str) -> np.ndarray:
            return values(name, "geo", *dims) if name in has else np.full((len(reps), ds.sizes["geo"]) + tuple(
                ds.sizes[d] for d in dims), np.nan)

        level = (
            values("baseline_level", "geo", "date")[..., 0] if "baseline_level" in has
            else np.full((len(reps), ds.sizes["geo"]), np.nan)
        )
        return cls(
            config=config,
            replicates=reps,
            geos=tuple(str(g) for g in ds["geo"].values),
            channels=tuple(str(c) for c in ds["channel"].values),
            controls=tuple(str(c) for c in ds["control"].values) if "control" in ds.dims else (),
            dates=ds.indexes["date"] if "date" in ds.indexes else None,
            adstock=stages["adstock"],
            saturation=stages["saturation"],
            params=params,
            base={},
            level=level,
            spend_level=optional("spend_level", "channel"),
            effectiveness=optional("effectiveness", "channel"),
            coefficient=optional("channel_coefficient", "channel"),
            control_level=optional("control_level", "control") if "control" in ds.dims else np.empty((len(reps), ds.sizes["geo"], 0)),
            control_coefficient=(
                optional("control_coefficient", "control") if "control" in ds.dims
                else np.empty((len(reps), ds.sizes["geo"], 0))
            ),
            spend_scale=optional("spend_scale", "channel"),
            population=values("population", "geo") if "population" in has else None,
            inputs=MediaInputs.from_dataset(ds, len(reps)),
        )

    # ---- the true curves of one channel (quality checks, plots, hand-offs)
    def _channel(self, channel) -> int:
        names = list(self.channels)
        if str(channel) not in names:
            raise KeyError(f"no channel {channel!r}; the channels are {', '.join(map(repr, names))}")
        return names.index(str(channel))

    def _rows(self, geos) -> Any:
        return slice(None) if geos is None else [list(self.geos).index(str(g)) for g in geos]

    def numeric(self, family: str, channel, geos=None, replicate: int = 0) -> dict[str, np.ndarray]:
        """The final numeric parameters of one channel's stage, each an array over ``geos`` (default all)."""
        j = self._channel(channel)
        spec = self.stages(family)[j].transform
        rows = self._rows(geos)
        return {p.name: self.params[f"{family}_{p.name}"][replicate, rows, j] for p in spec.numeric_parameters}

    def weights(self, channel, replicate: int = 0) -> np.ndarray:
        """True carry-over weights of one channel, shape (geo, lag)."""
        j = self._channel(channel)
        stage = self.adstock[j]
        options = {k: v for k, v in stage.options.items() if k != "mode"}
        n_geo = len(self.geos)
        w = stage.transform.weights(**self.numeric("adstock", channel, replicate=replicate), **options)
        return np.broadcast_to(w, (n_geo, w.shape[-1])).copy()

    def saturation_curve(self, channel, x: np.ndarray, geos=None, replicate: int = 0) -> np.ndarray:
        """The true saturation of one channel at scaled inputs ``x`` of shape (geo, n).

        ``geos`` selects the geos whose parameters are used (rows of ``x``); default all.
        """
        stage = self.saturation[self._channel(channel)]
        numeric = self.numeric("saturation", channel, geos, replicate)
        return stage.transform.apply(np.asarray(x, dtype=float), **numeric, **stage.options)

    def steady_state_contribution(self, channel, spend: np.ndarray, geos=None, replicate: int = 0,
                                  frequency: np.ndarray | None = None) -> np.ndarray:
        """Contribution per period of spending ``spend`` every period (the long-run response).

        ``coefficient * saturation(gain * spend / spend_scale)`` with ``gain``
        the sum of the adstock weights (1 when they are normalised).  For a
        channel with exposures ``spend`` is the sustained exposures; for a
        reach-and-frequency channel it is the sustained reach at a
        ``frequency`` held fixed, ``coefficient * gain * reach / spend_scale *
        saturation(frequency)`` (linear in reach, as Meridian's response
        curves of such channels); for a treatment it is the deviation from
        the baseline value, ``coefficient * deviation``.

        Parameters
        ----------
        channel : str
        spend : numpy.ndarray
            Shape (geo, n): sustained spend levels per selected geo.
        geos : list of str, optional
            The geos (rows of ``spend``); default all.
        frequency : numpy.ndarray, optional
            Shape (geo,): the frequency of a reach-and-frequency channel.
        """
        j = self._channel(channel)
        rows = self._rows(geos)
        kind = self.inputs.kinds[j] if self.inputs is not None else "paid"
        coefficient = self.coefficient[replicate, rows, j]
        x = np.asarray(spend, dtype=float)
        if kind == "treatment":
            return coefficient[:, None] * x
        gain = self.weights(channel, replicate).sum(axis=-1)[rows]
        scale = self.spend_scale[replicate, rows, j]
        if kind.endswith("reach_frequency"):
            if frequency is None:
                raise ValueError(f"channel {channel!r} has reach and frequency: give the frequency to hold fixed")
            effective = self.saturation_curve(channel, np.asarray(frequency, dtype=float)[:, None], geos, replicate)
            return coefficient[:, None] * gain[:, None] * x / scale[:, None] * effective
        return coefficient[:, None] * self.saturation_curve(channel, gain[:, None] * x / scale[:, None], geos,
                                                            replicate)

    def ceiling(self, channel, replicate: int = 0) -> np.ndarray:
        """Supremum of one channel's saturation curve per geo; ``inf`` where it is unbounded."""
        stage = self.saturation[self._channel(channel)]
        return stage.transform.ceiling_of(**self.numeric("saturation", channel, replicate=replicate))


def _per_replicate(values, shape: tuple) -> np.ndarray:
    """``values`` as a float array of ``shape`` (a missing leading replicate axis is broadcast)."""
    values = np.asarray(values, dtype=float)
    if values.shape != shape:
        values = np.broadcast_to(values, shape)
    return values


def _stages_of(ds, family: str) -> tuple[Stage, ...]:
    """Each channel's stage as a Dataset stores it (structural options as columns per channel)."""
    out = []
    for j, name in enumerate(ds[f"{family}_function"].values):
        spec = get_transform(family, str(name))
        options = {}
        for p in spec.structural_parameters:
            var = f"{family}_{p.name}"
            if var not in ds:
                continue
            value = ds[var].values[j]
            if isinstance(p.default, bool):
                value = bool(value)
            elif p.integer:
                value = int(value)
            elif isinstance(value, bytes):
                value = value.decode()
            elif isinstance(p.default, str) or p.choices:
                value = str(value)
            options[p.name] = value
        out.append(Stage(spec, options))
    return tuple(out)
