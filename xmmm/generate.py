"""Generate one dataset: the entry points of the description (``generate_mmm_dataset``).

The pipeline is config -> :class:`~xmmm.plan.Plan` (every true parameter,
validated once) -> :func:`xmmm.engine.run` (the blocks: baseline, media,
effects, controls, outcome, on whole (replicate, geo, series, date) arrays) ->
:func:`xmmm.dataset.to_dataset` (one labelled Dataset) -> :class:`MMMResult`.
A single dataset is replicate 0 of a study, so ``generate_mmm_dataset(config)``
and replicate 0 of ``xmmm.simulate(config, ...)`` are the same numbers.
Nothing loops over geos or channels.
"""

from __future__ import annotations

import secrets
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr

from xmmm.blocks.outcome import check_finite, check_non_negative
from xmmm.config import DEFAULT_CONFIG, MMMDataConfig, apply_overrides, validate_config
from xmmm.dataset import to_dataset
from xmmm.engine import run
from xmmm.errors import ConfigError, XmmmWarning
from xmmm.ground_truth import MARGINAL_STEP
from xmmm.blocks.media import natural_spend
from xmmm.lift import experiment_truth
from xmmm.plan import Plan, base_values
from xmmm.spend_plan import Axes, spend_array
from xmmm.result import MMMResult
from xmmm.suspicious import suspicious

__all__ = [
    "GIVEN_SPEND",
    "MARGINAL_STEP",
    "base_values",
    "check_arrays",
    "generate_dataset",
    "generate_mmm_dataset",
    "simulate_arrays",
    "to_dataset",
]


# --------------------------------------------------------------------------- entry points
def generate_mmm_dataset(config: MMMDataConfig | None = None, *, spend=None, **overrides):
    """Generate one MMM dataset with its exact ground truth.

    Parameters
    ----------
    config : MMMDataConfig, optional
        Defaults to :data:`xmmm.DEFAULT_CONFIG`.  Never mutated.
    spend : xarray.DataArray, pandas.DataFrame or numpy.ndarray, optional
        Bring your own media plan: this spend replaces the channels'
        patterns (a DataArray with dims ``date, geo, channel``, a long table
        with ``date``, ``geo`` and one column per channel named by channel
        name or export column, or an array shaped (date, geo, channel); see
        :mod:`xmmm.spend_plan`).  Everything else -- baseline, controls,
        noise, every true parameter -- is generated as usual, and the spend
        scale is computed from this spend as from generated spend, so the
        truth (contributions, ROAS, mROAS) is that of your plan.  When the
        plan differs from what the patterns would give, the Dataset's
        ``xmmm_spend`` attribute says so (its ``xmmm_config`` then does not
        regenerate it alone).
    **overrides
        Field overrides applied to a copy of ``config``, e.g. ``n_periods=104``,
        ``seed=7``, ``regions={"n_regions": 5}`` or ``**{"regions.n_regions": 5}``.
        An unknown name raises :class:`~xmmm.errors.ConfigError`.

    Returns
    -------
    MMMResult
        A mapping with the keys ``"data"`` (the long table), ``"ground_truth"``
        and ``"config"``, and the attribute ``dataset`` (the ``xarray.Dataset``
        holding everything).

    Raises
    ------
    ConfigError
        A bad configuration (every problem listed).
    GenerationError
        The outcome would be negative somewhere (names the geo and the date).

    Examples
    --------
    >>> import xmmm
    >>> result = xmmm.generate_mmm_dataset(n_periods=52)
    >>> result.dataset["y"].dims
    ('date', 'geo')
    >>> list(result["data"].columns)[:4]
    ['date', 'geo', 'y', 'x1-TV']

    Your own media plan (here: the generated one with TV doubled):

    >>> table = result["data"][["date", "geo", "x1-TV", "x2-Search", "x3-Social"]]
    >>> doubled = xmmm.generate_mmm_dataset(result.config, spend=table.assign(**{"x1-TV": 2 * table["x1-TV"]}))
    >>> tv = doubled.dataset["spend"].sel(channel="x-TV")
    >>> bool((tv == 2 * result.dataset["spend"].sel(channel="x-TV")).all()), "xmmm_spend" in doubled.dataset.attrs
    (True, True)
    """
    resolved = _resolve_config(config, overrides)
    return MMMResult(_generate(resolved, spend=spend), resolved)


def generate_dataset(
    config: MMMDataConfig | None = None, *, replicate: int = 0, spend=None, **overrides
) -> xr.Dataset:
    """Like :func:`generate_mmm_dataset` but return the ``xarray.Dataset`` itself.

    ``replicate`` selects the random streams: replicate ``r`` of a simulation
    study is ``generate_dataset(xmmm.replicate_config(config, r, priors), replicate=r)``.
    """
    return _generate(_resolve_config(config, overrides), replicate, spend=spend)


#: the ``xmmm_spend`` attribute of a dataset whose spend is a given plan
GIVEN_SPEND = "given: the spend is a plan passed to generate_mmm_dataset(spend=...), not the patterns of xmmm_config"


def _generate(config: MMMDataConfig, replicate: int = 0, spend=None) -> xr.Dataset:
    """One dataset of a resolved config (validated, seed set), optionally on a given spend plan."""
    replicate = int(replicate)
    given = None if spend is None else spend_array(spend, Axes.of_config(config))
    plan = Plan.build(config, [replicate], spend=given)
    arrays = run(plan)
    check_arrays(plan, arrays)
    for message in suspicious(plan, arrays):
        warnings.warn(message, XmmmWarning, stacklevel=3)
    arrays.update(experiment_truth(plan, arrays))
    dataset = to_dataset(arrays, config, replicate_axis=False, plan=plan)
    if replicate:
        dataset.attrs["replicate"] = replicate
    # the config regenerates the file unless the plan differs from the patterns' spend
    if given is not None and not np.array_equal(arrays["spend"], natural_spend(Plan.build(config, [replicate]))):
        dataset.attrs["xmmm_spend"] = GIVEN_SPEND
    return dataset


def _resolve_config(config: MMMDataConfig | None, overrides: Mapping) -> MMMDataConfig:
    base = DEFAULT_CONFIG if config is None else config
    if not isinstance(base, MMMDataConfig):
        raise ConfigError(f"config must be an MMMDataConfig or None; got {type(base).__name__}")
    resolved = apply_overrides(base, overrides) if overrides else base.copy()
    validate_config(resolved)
    if resolved.seed is None:
        resolved.seed = secrets.randbits(63)
    return resolved


def check_arrays(plan: Plan, arrays: Mapping[str, np.ndarray]) -> None:
    """Raise :class:`~xmmm.errors.GenerationError` if a generated value is not finite, or ``y`` is negative."""
    labels = dict(replicates=plan.replicates, geos=plan.geos, dates=plan.dates)
    check_finite(arrays, channels=plan.channels, controls=plan.controls, **labels)
    check_non_negative(arrays, **labels)


def simulate_arrays(
    config: MMMDataConfig,
    replicates: Sequence[int],
    base: Mapping[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Every generated array of a validated config (with a seed) for the given replicates.

    ``run(Plan.build(config, replicates, base))``: see :class:`xmmm.plan.Plan`
    and :func:`xmmm.engine.run`.  Each replicate's random streams are its
    own, so the result for replicate ``r`` does not depend on which other
    replicates are computed alongside it.

    Examples
    --------
    >>> import xmmm
    >>> simulate_arrays(xmmm.DEFAULT_CONFIG, [0, 1])["spend"].shape    # (R, G, S, T)
    (2, 3, 3, 129)
    """
    plan = Plan.build(config, replicates, base)
    arrays = run(plan)
    arrays.update(experiment_truth(plan, arrays))
    return arrays
