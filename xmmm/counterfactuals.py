r"""Counterfactual truth: the same dataset under other media, response curves, the optimal budget.

Every random number of a dataset comes from a stream named by its seed, its
replicate and its series, so a dataset can be generated again with its media
changed and everything else held to the bit (common random numbers): the
baseline, the controls, the noise and every true parameter -- the spend scale
that normalises spend before the transforms included.  Every difference is
caused by the intervention.

* :func:`counterfactual` -- the dataset under an intervention (spend scaled or replaced);
* :func:`incremental_outcome` -- ``y`` minus ``y`` with each channel switched off;
* :func:`response_curves` -- total incremental outcome, ROAS and marginal ROAS of each
  channel at multiples of its spend path;
* :func:`optimal_budget` -- the spend per channel (or geo and channel) that maximises the
  total incremental outcome for a budget;
* :func:`score_allocation` -- the true outcome of any proposed allocation (yours, pymc-marketing's
  ``BudgetOptimizer``'s, Meridian's), the optimum's, and the regret;
* :func:`with_decision_truth` -- the dataset with the curves and the optimum in it (written to
  NetCDF with it; ``xmmm describe`` shows the optimum).

Each takes an :class:`~xmmm.result.MMMResult` or its Dataset, or a simulation
study (a ``replicate`` dim: every replicate at once, lazily where the study is
dask-backed).

The decision space of the budget functions is the one an advertiser controls
with one number per channel: **each channel's spend path is scaled by one
factor** (its flighting over dates and geos is kept), relative to today's
spend.  ``by=("geo", "channel")`` gives every geo-channel path its own
factor.  Outcomes are totals over the dataset's dates; ``carryover="full"``
also counts what the window's spend carries past the last date (see
:mod:`xmmm.response`).

Examples
--------
>>> import xmmm
>>> result = xmmm.generate_mmm_dataset(n_periods=52)
>>> half_tv = xmmm.counterfactual(result, scale={"x-TV": 0.5})
>>> bool((half_tv.dataset["baseline"] == result.dataset["baseline"]).all())     # same random numbers
True
>>> best = xmmm.optimal_budget(result)
>>> bool(best["total_incremental_outcome"] >= best["current_total_incremental_outcome"])
True
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr

from xmmm.blocks.outcome import check_finite
from xmmm.budget import allocate
from xmmm.config import MMMDataConfig
from xmmm.dataset import to_dataset
from xmmm.engine import Interventions, increments, run
from xmmm.errors import ConfigError
from xmmm.ground_truth import MARGINAL_STEP
from xmmm.plan import Plan
from xmmm.response import CARRYOVER, Paths, spend_of
from xmmm.result import MMMResult
from xmmm.spend_plan import Axes, factor_array, spend_array

__all__ = [
    "DEFAULT_SCALES",
    "budget_summary",
    "counterfactual",
    "decision_truth",
    "incremental_outcome",
    "optimal_budget",
    "response_curves",
    "score_allocation",
    "with_decision_truth",
]

#: the default scales of :func:`response_curves`: 0, 0.1, ..., 2 times today's spend
DEFAULT_SCALES = np.linspace(0.0, 2.0, 21)

#: the attribute that records what an intervention changed
INTERVENTION_ATTR = "xmmm_intervention"
#: the attribute describing the decision truth stored in a dataset
DECISION_ATTR = "xmmm_decision_truth"
_PREFIXES = {"curves": "response_", "optimum": "optimal_"}


# --------------------------------------------------------------------------- inputs
def _dataset(result, caller: str) -> xr.Dataset:
    ds = result.dataset if isinstance(result, MMMResult) else result
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"{caller} takes an MMMResult or an xmmm Dataset; got {type(result).__name__}")
    missing = [v for v in ("spend", "spend_scale", "channel_coefficient", "adstock_function") if v not in ds]
    if missing:
        raise ValueError(f"{caller}: not a generated xmmm dataset (no {missing[0]!r}); a long table has no truth")
    if caller not in _EVERY_KIND and "channel_kind" in ds.coords:
        raise ValueError(
            f"{caller} works on spend-only data (every channel paid media acting on spend); this dataset has media "
            "inputs (exposures, reach and frequency, organic media, treatments or a non-revenue KPI), whose "
            "response is not a curve of spend: use counterfactual() and incremental_outcome(), which take every kind"
        )
    return ds


#: the functions that take data with media inputs (exposures, reach and frequency, organic media, treatments)
_EVERY_KIND = ("counterfactual", "incremental_outcome", "response_curves")


def _recorded_as(ds: xr.Dataset, channel) -> str:
    """``"spend"``, or ``"value"`` for a channel without spend (organic media, a treatment)."""
    if "channel_kind" not in ds.coords:
        return "spend"
    kind = str(ds["channel_kind"].sel(channel=channel).values)
    return "value" if kind in ("organic", "organic_reach_frequency", "treatment") else "spend"


def _activity(ds: xr.Dataset) -> xr.DataArray:
    """What each channel's pattern gave (see :func:`_activity_of`), labelled like ``spend``."""
    out = ds["spend"]
    if "channel_kind" in ds.coords:
        kind = ds["channel_kind"]
        if "exposure" in ds:
            out = xr.where(kind.isin(["organic", "organic_reach_frequency"]), ds["exposure"], out)
        if "treatment_value" in ds:
            out = xr.where(kind == "treatment", ds["treatment_value"], out)
    return out


def _activity_of(ds: xr.Dataset) -> np.ndarray:
    """What each channel's pattern gave, in the engine's layout (R, G, S, T): the plan's given "spend".

    Spend for paid channels, exposures for organic media (impressions for
    organic reach and frequency), values for treatments; a spend-only
    dataset's spend.
    """
    out = _activity(ds)
    lead = _lead(ds)
    values = np.asarray(out.transpose(*lead, "geo", "channel", "date").values, dtype=float)
    return values if lead else values[None]


def _same_kind(result, ds: xr.Dataset):
    return MMMResult(ds) if isinstance(result, MMMResult) else ds


def _is_lazy(ds: xr.Dataset) -> bool:
    return any(v.chunks is not None for v in ds.variables.values())


def _lead(ds) -> tuple[str, ...]:
    return ("replicate",) if "replicate" in ds.dims else ()


def _build_plan(ds: xr.Dataset) -> Plan:
    """The generation's plan, rebuilt from the stored config (bit-identical), on its stored spend and scale."""
    try:
        config = MMMDataConfig.from_dict(json.loads(ds.attrs["xmmm_config"]))
    except KeyError:
        raise ValueError("counterfactual: the dataset has no xmmm_config attribute to regenerate it from") from None
    lead = _lead(ds)
    if lead:
        replicates = [int(r) for r in ds["replicate"].values]
        base = {
            ds[v].attrs["parameter"]: np.asarray(ds[v].values, dtype=float)
            for v in ds.data_vars if v.startswith("prior_") and "parameter" in ds[v].attrs
        }
    else:
        replicates, base = [int(ds.attrs.get("replicate", 0))], {}
    scale = np.asarray(ds["spend_scale"].transpose(*lead, "geo", "channel").values, dtype=float)
    # with media inputs the patterns are drawn again (the same bits: spend -> exposures -> spend would round)
    # unless the dataset's spend was a given plan
    given = "channel_kind" not in ds.coords or "xmmm_spend" in ds.attrs
    return Plan.build(config, replicates, base or None, spend=_activity_of(ds) if given else None,
                      spend_scale=scale if lead else scale[None])


def _blockwise(ds: xr.Dataset, fn, template=None):
    """``fn(ds)``, or for a dask-backed study ``fn`` on each block of replicates, lazily.

    ``template(ds)`` gives the lazy result's layout; without it, the layout
    is that of ``fn`` on the first replicate (computed now, as a probe).
    """
    if not _is_lazy(ds):
        return fn(ds)
    if "replicate" not in ds.dims:
        return fn(ds.compute())
    ds = ds.chunk({d: -1 for d in ds.dims if d != "replicate"})
    layout = template(ds) if template else _template(fn(ds.isel(replicate=slice(0, 1)).compute()), ds)
    return xr.map_blocks(fn, ds, template=layout)


def _template(first, ds: xr.Dataset):
    """The lazy shape of ``fn``'s output over all replicates, from its output on the first one."""
    import dask.array as da

    chunks = ds.chunks["replicate"]

    def widen(v: xr.DataArray) -> xr.DataArray:
        if "replicate" not in v.dims:
            return v
        axis = v.dims.index("replicate")
        shape = list(v.shape)
        shape[axis] = ds.sizes["replicate"]
        block = tuple(chunks if i == axis else (n,) for i, n in enumerate(shape))
        return xr.DataArray(da.zeros(shape, dtype=v.dtype, chunks=block), dims=v.dims, attrs=v.attrs)

    coords = {k: (ds[k] if "replicate" in c.dims else c) for k, c in first.coords.items()}
    if isinstance(first, xr.DataArray):
        return widen(first).assign_coords(coords).rename(first.name)
    out = xr.Dataset({k: widen(v) for k, v in first.data_vars.items()}, coords=coords, attrs=first.attrs)
    return out


# --------------------------------------------------------------------------- counterfactual
def counterfactual(result, *, scale=None, spend=None):
    r"""The same dataset re-generated with its media changed and every random number the same.

    Parameters
    ----------
    result : MMMResult or xarray.Dataset
        A generated dataset, or a simulation study (``replicate`` dim).
    scale : number, mapping or xarray.DataArray, optional
        Multiplies spend: one factor for all channels, ``{channel: factor}``
        (channel names or export columns; others keep factor 1), or a DataArray broadcasting against
        ``spend (date, geo, channel)`` (e.g. dims ``channel``, or ``date`` and
        ``channel`` for a window; a ``replicate`` dim for a study).
    spend : xarray.DataArray or pandas.DataFrame, optional
        Replaces spend: a DataArray with the dims of ``spend``, or a long table
        (``date``, ``geo``, one column per channel), as for
        :func:`xmmm.generate_mmm_dataset`.  With ``scale`` too, the replaced
        spend is then scaled.

    Returns
    -------
    MMMResult or xarray.Dataset
        Of the same kind as ``result`` (lazy if it is).  Baseline, controls,
        noise and every true parameter, the spend scale included, are
        bit-identical to the original's; ``spend`` and every media variable
        (``adstocked``, ``saturated``, ``contribution``, ``y``, ``roas``,
        ``mroas``, ``attribution``, ``media_share``) are those of the new
        spend.  ``attrs["xmmm_intervention"]`` records what changed (JSON:
        one entry per intervention, the changed channels with their total
        spend before and after; for a lazy study, the intervention as
        requested, so nothing is computed); nothing changed, nothing is
        recorded, so ``counterfactual(result, scale={})`` is ``result`` to
        the bit.  ``y``
        may be negative where a large part of it was media (nothing is
        refused: it is the truth of that world).

    Raises
    ------
    ConfigError
        An unknown channel, labels that do not match, a factor or a spend
        that is negative or not finite.

    Notes
    -----
    Contributions are :math:`\beta\, f(\operatorname{adstock}(s' / k))` with
    the new spend :math:`s'`, the original spend scale :math:`k`, and the
    original coefficient :math:`\beta` and transform parameters.  For a
    dataset made from a given plan (``generate_mmm_dataset(spend=...)``) or a
    counterfactual itself, the stored spend and spend scale are the starting
    point, so interventions compose.

    Examples
    --------
    >>> import xmmm
    >>> result = xmmm.generate_mmm_dataset(n_periods=52)
    >>> off = xmmm.counterfactual(result, scale={"x1-TV": 0.0})
    >>> float(off.dataset["contribution"].sel(channel="x-TV").sum())
    0.0
    >>> xmmm.counterfactual(result, scale={}) == result
    True
    """
    ds = _dataset(result, "counterfactual")
    axes = Axes.of_dataset(ds)
    factor = None if scale is None or (isinstance(scale, Mapping) and not scale) else factor_array(scale, axes)
    given = None if spend is None else spend_array(spend, axes)
    if factor is None and given is None:
        return result
    def one(block: xr.Dataset) -> xr.Dataset:
        plan = _build_plan(block)
        lead = bool(_lead(block))
        interventions = Interventions(spend=_block(given, block, axes), scale=_block(factor, block, axes))
        arrays = run(plan, interventions)
        check_finite(arrays, replicates=plan.replicates, geos=plan.geos, channels=plan.channels,
                     controls=plan.controls, dates=plan.dates)
        labelled = to_dataset(arrays, plan.config, replicate_axis=lead,
                              replicates=plan.replicates if lead else None, plan=plan)
        # the block's variables with the new ones in place (Variables: no alignment to pay for)
        variables = {k: labelled.variables[k] if k in labelled.data_vars else v.variable
                     for k, v in block.data_vars.items()}
        return xr.Dataset(variables, coords=block.coords, attrs=block.attrs)

    out = _blockwise(ds, one, template=lambda full: full)
    record = _requested(factor, given, axes) if _is_lazy(ds) else _record(ds, out)
    if record is None:
        return result
    out.attrs = dict(ds.attrs)
    steps = json.loads(ds.attrs.get(INTERVENTION_ATTR, "[]"))
    out.attrs[INTERVENTION_ATTR] = json.dumps(steps + [record], sort_keys=True)
    return _same_kind(result, out)


def _block(values: np.ndarray | None, block: xr.Dataset, axes: Axes) -> np.ndarray | None:
    """An intervention array of the whole dataset, cut to a block of replicates (engine layout)."""
    if values is None or values.ndim < 4 or "replicate" not in block.dims:
        return values
    positions = [axes.replicates.index(int(r)) for r in block["replicate"].values]
    return values[positions]


def _record(before: xr.Dataset, after: xr.Dataset) -> dict | None:
    """What an intervention changed: the channels whose spend differs, with totals before and after.

    With media inputs a channel without spend is compared on what its pattern
    gives (organic exposures, a treatment's values), recorded as ``value``.
    """
    old, new = _activity(before), _activity(after)
    reduce = [d for d in old.dims if d != "channel"]
    parts = ((old != new).any(reduce), old.sum(reduce), new.sum(reduce))
    if _is_lazy(before) or _is_lazy(after):
        import dask

        parts = dask.compute(*parts)
    changed, total_old, total_new = parts
    if not bool(changed.any()):
        return None
    return {
        "intervention": "media changed on the same random numbers (counterfactual)",
        "channels": {
            str(c): {f"original_{what}": _rounded(total_old.sel(channel=c)), what: _rounded(total_new.sel(channel=c))}
            for c in changed["channel"].values[changed.values]
            for what in [_recorded_as(before, c)]
        },
    }


def _requested(factor: np.ndarray | None, given: np.ndarray | None, axes: Axes) -> dict | None:
    """The record of an intervention on a lazy study: as asked (what it changed is not computed)."""
    record: dict = {"intervention": "media changed on the same random numbers (counterfactual)",
                    "recorded": "as requested: the study is lazy"}
    if given is not None:
        record["spend"] = "replaced"
    if factor is not None:
        moved = (factor != 1.0).any(axis=tuple(i for i in range(factor.ndim) if i != factor.ndim - 2))
        record["scale"] = {
            axes.channels[c]: [float(factor[..., c, :].min()), float(factor[..., c, :].max())]
            for c in np.flatnonzero(moved)
        }
    if given is None and not record.get("scale"):
        return None
    return record


def _rounded(value) -> float:
    # totals summed in another order (dask blocks) differ in the last bits; 12 digits say what changed
    return float(f"{float(value):.12g}")


# --------------------------------------------------------------------------- incremental outcome
def incremental_outcome(result) -> xr.DataArray:
    """``y`` minus ``y`` with each channel switched off, from paired counterfactuals, ``(date, geo, channel)``.

    For each channel, the dataset is re-generated with that channel's spend
    at 0 and everything else the same (common random numbers); the
    difference of the outcomes is the channel's incremental outcome in each
    period and geo.  In the additive outcome it equals ``contribution``
    exactly; it differs once the outcome is not a sum of channel effects or
    spend reacts to the outcome.

    Parameters
    ----------
    result : MMMResult or xarray.Dataset
        A dataset or a study (then dims ``replicate, date, geo, channel``).

    Examples
    --------
    >>> import xmmm
    >>> result = xmmm.generate_mmm_dataset(n_periods=52)
    >>> lift = xmmm.incremental_outcome(result)
    >>> bool((lift == result.dataset["contribution"]).all())
    True
    """
    ds = _dataset(result, "incremental_outcome")
    attrs = {"long_name": "Incremental outcome: y minus y with the channel switched off (same random numbers)",
             "units": "y"}

    def one(block: xr.Dataset) -> xr.DataArray:
        plan = _build_plan(block)
        n = len(plan.channels)
        scenarios = [Interventions(scale=np.where(np.arange(n) == c, 0.0, 1.0)[:, None]) for c in range(n)]
        lift = increments(plan, scenarios)  # (channel, R, G, T)
        lead = _lead(block)
        values = np.moveaxis(lift, 0, -1)  # (R, G, T, S)
        values = np.swapaxes(values, 1, 2)  # (R, T, G, S)
        da = xr.DataArray(
            values if lead else values[0], dims=lead + ("date", "geo", "channel"),
            coords={k: block[k] for k in lead + ("date", "geo", "channel")},
            name="incremental_outcome", attrs=attrs,
        )
        return da.assign_coords(channel_column=block["channel_column"])

    def layout(full: xr.Dataset) -> xr.DataArray:  # the contributions' own (lazy) layout
        return full["contribution"].rename("incremental_outcome").assign_attrs(attrs)

    return _blockwise(ds, one, template=layout)


# --------------------------------------------------------------------------- response curves
def _by(by) -> bool:
    """Whether ``by`` asks for geo-channel units (else channels)."""
    if by == "channel" or (isinstance(by, Sequence) and not isinstance(by, str) and tuple(by) == ("channel",)):
        return False
    if isinstance(by, Sequence) and not isinstance(by, str) and tuple(by) == ("geo", "channel"):
        return True
    raise ConfigError(f"by must be 'channel' or ('geo', 'channel'); got {by!r}")


def _carryover(carryover) -> str:
    if carryover not in CARRYOVER:
        raise ConfigError(f"carryover must be one of {', '.join(map(repr, CARRYOVER))}; got {carryover!r}")
    return carryover


def _paths(block: xr.Dataset, carryover: str) -> Paths:
    return Paths.of(Plan.from_dataset(block), spend_of(block), carryover)


def _units(values: np.ndarray, geo: bool) -> np.ndarray:
    """(..., R, G, S) per series -> (..., R, K) per unit (summed over geos unless by geo)."""
    if geo:
        return values.reshape(values.shape[:-2] + (-1,))
    return values.sum(axis=-2)


def _labelled(values: np.ndarray, block: xr.Dataset, geo: bool, lead_dims=(), lead_coords=None, **attrs):
    """A (..., R, K) unit array as a DataArray (lead dims, [replicate,] [geo,] channel)."""
    lead = _lead(block)
    n_geo, n_channel = block.sizes["geo"], block.sizes["channel"]
    shape = values.shape[:-1] + ((n_geo, n_channel) if geo else (n_channel,))
    values = values.reshape(shape)
    dims = tuple(lead_dims) + ("replicate",) + (("geo",) if geo else ()) + ("channel",)
    if not lead:
        values = values.take(0, axis=len(lead_dims))
        dims = tuple(d for d in dims if d != "replicate")
    coords = {k: block[k].values for k in lead + (("geo",) if geo else ()) + ("channel",)}
    coords.update(lead_coords or {})
    da = xr.DataArray(values, dims=dims, coords=coords, attrs=attrs)
    return da.transpose("replicate", ...) if lead else da


def _ratio(num: np.ndarray, den: np.ndarray, where_zero: np.ndarray | float = np.nan) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), where_zero)


def _curves_by_runs(block: xr.Dataset, scales: np.ndarray) -> dict[str, np.ndarray]:
    """Response curves of data with media inputs, from whole runs on the same random numbers.

    Every channel and geo is scaled by the same factor in one run: with media
    inputs the effects add up and do not interact (the config check refuses
    what would couple them), so each series' contribution at a factor is its
    own response.  Returns ``value``, the window's total contribution
    (n_scales + 1, R, G, S; the last row at today's media), ``slope``, its
    forward difference with respect to the factor (over
    :data:`MARGINAL_STEP`), today's ``spend`` (R, G, S), and for a KPI that
    is not revenue the same two in revenue (``revenue``, ``revenue_slope``).
    """
    plan = _build_plan(block)
    in_revenue = plan.inputs.revenue_per_kpi is not None

    thetas = np.concatenate([scales, [1.0]])
    # the window's totals at each factor and 1 % of today's spend beyond it: (2, n_scales + 1, R, G, S)
    kept = ("contribution", "incremental_revenue") if in_revenue else ("contribution",)
    totals = {name: np.empty((2, thetas.size) + plan.spend_level.shape) for name in kept}
    for step, offset in enumerate((0.0, MARGINAL_STEP)):
        for i, theta in enumerate(thetas):
            arrays = run(plan, Interventions(scale=np.asarray(theta + offset)))
            for name in kept:
                totals[name][step, i] = arrays[name].sum(axis=-1)
    spend = np.asarray(block["spend"].transpose(*_lead(block), "geo", "channel", "date").values, dtype=float)
    value = totals["contribution"]
    out = {"value": value[0], "slope": (value[1] - value[0]) / MARGINAL_STEP,
           "spend": spend.sum(axis=-1) if _lead(block) else spend.sum(axis=-1)[None]}
    if in_revenue:
        revenue = totals["incremental_revenue"]
        out.update(revenue=revenue[0], revenue_slope=(revenue[1] - revenue[0]) / MARGINAL_STEP)
    return out


def response_curves(result, scales=DEFAULT_SCALES, by="channel", carryover: str = "window") -> xr.Dataset:
    r"""The true response of each channel to scaling its whole spend path: outcome, ROAS, marginal ROAS.

    At scale :math:`\theta` the channel's spend in every period (and geo)
    is :math:`\theta` times today's; everything else is held (the spend
    scale included).

    Parameters
    ----------
    result : MMMResult or xarray.Dataset
        A dataset or a study.
    scales : array_like
        Factors of today's spend, >= 0 (default 0, 0.1, ..., 2).
    by : {"channel", ("geo", "channel")}
        Scale a channel in all geos at once (curves summed over geos), or
        each geo-channel path on its own.
    carryover : {"window", "full"}
        Count contributions inside the dates only, or also what the window's
        spend carries past them (see :mod:`xmmm.response`).

    Returns
    -------
    xarray.Dataset
        Dims ``scale`` and ``channel`` (plus ``geo`` for ``by=("geo",
        "channel")``, a leading ``replicate`` for a study):

        * ``spend`` -- total spend over the window at that scale;
        * ``incremental_outcome`` -- total incremental outcome against the
          channel switched off (at scale 1 with ``"window"``: the sum of its
          contributions; at 0: 0);
        * ``roas`` -- ``incremental_outcome / spend`` (at scale 0 its limit, the
          marginal ROAS at zero spend);
        * ``mroas`` -- the exact derivative ``d incremental_outcome / d spend``;
        * ``current_spend``, ``current_incremental_outcome`` -- today's (scale 1).

        NaN where a channel never spends.  Data with media inputs (exposures,
        reach and frequency, organic media, treatments; ``carryover="window"``
        only) get their curves from whole runs on the same random numbers: the
        factor scales spend (and the exposures or reach it buys), the
        exposures of organic media and a treatment's deviation from its
        baseline value, whose ``incremental_outcome`` is given without
        ``spend`` (ROAS NaN); ``mroas`` is then a forward difference over
        :data:`~xmmm.ground_truth.MARGINAL_STEP` of today's spend (as the
        dataset's ``mroas``).  With a KPI that is not revenue,
        ``incremental_revenue`` and ``current_incremental_revenue`` come
        beside, and ``roas``, ``mroas`` are in revenue per currency.

    Examples
    --------
    >>> import xmmm
    >>> result = xmmm.generate_mmm_dataset(n_periods=52)
    >>> curves = xmmm.response_curves(result)
    >>> curves["incremental_outcome"].dims
    ('scale', 'channel')
    >>> at_one = curves["incremental_outcome"].sel(scale=1.0)
    >>> bool(np.allclose(at_one, result.dataset["contribution"].sum(["date", "geo"])))
    True
    """
    ds = _dataset(result, "response_curves")
    geo = _by(by)
    carryover = _carryover(carryover)
    scales = np.asarray(scales, dtype=float).reshape(-1)
    if not scales.size or not np.isfinite(scales).all() or (scales < 0).any():
        raise ConfigError(f"scales must be finite numbers >= 0; got {scales!r}")

    media_inputs = "channel_kind" in ds.coords
    if media_inputs and carryover != "window":
        raise ConfigError(
            "carryover must be 'window' for data with media inputs (their curves come from runs over the dates); "
            f"got {carryover!r}"
        )

    def one(block: xr.Dataset) -> xr.Dataset:
        revenue = None
        if media_inputs:
            runs = {k: _units(v, geo) for k, v in _curves_by_runs(block, scales).items()}
            value, slope, spend = runs["value"], runs["slope"], runs["spend"]
            revenue, revenue_slope = runs.get("revenue"), runs.get("revenue_slope")
            # organic media and treatments have no spend but a response to their exposures or values
            kinds = np.asarray(block["channel_kind"].values).astype(str)
            unpaid = np.isin(kinds, ("organic", "organic_reach_frequency", "treatment"))
            measured = (spend > 0) | np.broadcast_to(np.tile(unpaid, block.sizes["geo"]) if geo else unpaid,
                                                      spend.shape)
        else:
            paths = _paths(block, carryover)
            theta = np.concatenate([scales, [1.0]])[:, None, None, None] * np.ones(paths.shape)
            value, slope = paths.evaluate(theta)
            value, slope = _units(value, geo), _units(slope, geo)
            spend = _units(paths.spend, geo)  # (R, K)
            measured = spend > 0
        # return on spend in revenue: for a KPI that is not revenue, its amounts times the revenue per KPI
        returned, returned_slope = (value, slope) if revenue is None else (revenue, revenue_slope)
        mroas = _ratio(returned_slope, spend)
        curve_spend = scales[:, None, None] * spend
        roas = np.where(scales[:, None, None] > 0, _ratio(returned[:-1], curve_spend), mroas[:-1])
        roas = np.where(spend > 0, roas, np.nan)
        scale_coord = {"scale": ("scale", scales, {"long_name": "Factor of today's spend path", "units": "1"})}

        def lab(v, *names, **attrs):
            return _labelled(v, block, geo, names, scale_coord if names else None, **attrs)

        out = xr.Dataset(
            {
                "spend": lab(curve_spend, "scale", long_name="Total spend over the window at this scale",
                             units="currency"),
                "incremental_outcome": lab(np.where(measured, value[:-1], np.nan), "scale",
                                           long_name="Total incremental outcome against the channel switched off",
                                           units="y"),
                "roas": lab(roas, "scale", long_name="Incremental outcome / spend (at scale 0: its limit)",
                            units="y per currency"),
                "mroas": lab(np.where(spend > 0, mroas[:-1], np.nan), "scale",
                             long_name="Marginal ROAS: exact derivative of the outcome with respect to spend",
                             units="y per currency"),
                "current_spend": lab(spend, long_name="Today's total spend over the window", units="currency"),
                "current_incremental_outcome": lab(np.where(measured, value[-1], np.nan),
                                                   long_name="Today's total incremental outcome", units="y"),
            },
            attrs={"by": "geo, channel" if geo else "channel", "carryover": carryover,
                   "description": "True response to scaling each spend path (xmmm.response_curves)",
                   "mroas": (f"forward difference over {MARGINAL_STEP:g} of today's spend (media inputs)"
                             if media_inputs else "exact derivative")},
        )
        if media_inputs:
            out["mroas"].attrs["long_name"] = "Marginal ROAS: forward difference over 1 % of today's spend"
        if revenue is not None:
            for name in ("roas", "mroas"):
                out[name].attrs.update(units="revenue per currency",
                                       long_name=out[name].attrs["long_name"].replace("outcome", "revenue"))
            out["incremental_revenue"] = lab(np.where(measured, revenue[:-1], np.nan), "scale", units="revenue",
                                             long_name="Total incremental outcome in revenue (x revenue_per_kpi)")
            out["current_incremental_revenue"] = lab(np.where(measured, revenue[-1], np.nan), units="revenue",
                                                     long_name="Today's total incremental outcome in revenue")
        return out.assign_coords(channel_column=block["channel_column"])

    return _blockwise(ds, one)


# --------------------------------------------------------------------------- the optimal budget
def _bounds(bounds, axes: Axes, geo: bool) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper factors per channel, (S,) each."""
    s = len(axes.channels)

    def pair(value, what):
        try:
            lo, hi = (float(v) for v in value)
        except (TypeError, ValueError):
            raise ConfigError(f"{what} must be a pair (lower, upper) of factors of today's spend; got {value!r}") from None
        if not (np.isfinite(lo) and lo >= 0 and hi >= lo) or np.isnan(hi):
            raise ConfigError(f"{what} must satisfy 0 <= lower <= upper (upper may be inf); got {value!r}")
        return lo, hi

    if isinstance(bounds, Mapping):
        lower, upper = np.zeros(s), np.full(s, np.inf)
        names = axes.channel_names(list(bounds), "bounds")
        for name, key in zip(names, bounds):
            i = axes.channels.index(name)
            lower[i], upper[i] = pair(bounds[key], f"bounds[{key!r}]")
        return lower, upper
    lo, hi = pair(bounds, "bounds")
    return np.full(s, lo), np.full(s, hi)


def _budget_of(budget, block: xr.Dataset, current: np.ndarray) -> np.ndarray:
    """The budget of each replicate of a block, (R,)."""
    if budget is None:
        return current.sum(axis=-1)
    if isinstance(budget, xr.DataArray) and "replicate" in budget.dims:
        values = budget.sel(replicate=block["replicate"]).values if "replicate" in block.dims else budget.values
    else:
        values = np.asarray(budget, dtype=float)
    values = np.broadcast_to(np.asarray(values, dtype=float), current.shape[:1]).copy()
    if not np.isfinite(values).all() or (values < 0).any():
        raise ConfigError(f"budget must be a finite total spend >= 0; got {budget!r}")
    return values


def _optimise(block: xr.Dataset, budget, lower_s, upper_s, geo: bool, carryover: str):
    """The optimum of a block: (paths, current spend (R, K), budget (R,), bounds, allocation)."""
    paths = _paths(block, carryover)
    current = _units(paths.spend, geo)
    n_geo = block.sizes["geo"]
    lower = np.broadcast_to(np.tile(lower_s, n_geo) if geo else lower_s, current.shape)
    upper = np.broadcast_to(np.tile(upper_s, n_geo) if geo else upper_s, current.shape)
    budgets = _budget_of(budget, block, current)
    movable = current > 0
    low_total = np.where(movable, lower * current, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore"):
        high_total = np.where(movable, upper * current, 0.0).sum(axis=-1)
    bad = (budgets < low_total * (1 - 1e-12)) | (budgets > high_total * (1 + 1e-12))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        where = f" in replicate {int(block['replicate'][i])}" if "replicate" in block.dims else ""
        raise ConfigError(
            f"budget {budgets[i]:,.6g}{where} cannot be spent within the bounds: they allow "
            f"{low_total[i]:,.6g} ... {high_total[i]:,.6g} (the bounds times today's spend of each channel)"
        )
    # an infinite upper bound is the most the unit can take of the budget, the others at their lower bounds
    with np.errstate(divide="ignore", invalid="ignore"):
        reach = (budgets[:, None] - (low_total[:, None] - lower * current)) / current
    upper = np.where(np.isfinite(upper), upper, np.where(movable, np.maximum(reach, lower), lower))
    # a channel's response is concave when it is in every geo (a sum of concave curves)
    concave = paths.concave().reshape(current.shape) if geo else paths.concave().all(axis=1)
    allocation = allocate(_evaluator(paths, geo), current, budgets, lower, upper, concave=concave)
    return paths, current, budgets, lower, upper, allocation, concave


def _evaluator(paths: Paths, geo: bool):
    """``evaluate(theta (N, R, K))`` of the allocation solver on a dataset's paths."""
    r, g, s = paths.shape

    def evaluate(theta, value=True, slope=True):
        theta = np.asarray(theta, dtype=float)
        full = theta.reshape(theta.shape[:-1] + (g, s)) if geo else np.broadcast_to(
            theta[..., None, :], theta.shape[:-1] + (g, s))
        v, d = paths.evaluate(full, value=value, slope=slope)
        return (None if v is None else _units(v, geo)), (None if d is None else _units(d, geo))

    return evaluate


def optimal_budget(result, budget=None, *, bounds=(0.0, 2.0), by="channel", carryover: str = "window") -> xr.Dataset:
    r"""The spend per channel that maximises the total incremental outcome for a budget.

    Each channel's spend path (or each geo-channel path) is scaled by one
    factor :math:`\theta` within ``bounds`` (factors of today's spend), and
    the total spend equals ``budget``.  The answer is exact: the optimum is
    found on the true responses (:mod:`xmmm.response`) with exact marginal
    returns, to :data:`xmmm.budget.TOLERANCE` on the equal-marginal-return
    conditions (see :mod:`xmmm.budget`).  Concave responses have a single
    optimum; S-shaped ones (e.g. Hill with ``slope > 1``) may have several,
    and the search starts from several points (``attrs["starts"]``).

    Parameters
    ----------
    result : MMMResult or xarray.Dataset
        A dataset or a study (each replicate optimised on its own).
    budget : float or xarray.DataArray, optional
        Total spend over the window (default: today's total; a DataArray
        with a ``replicate`` dim gives each replicate its own).
    bounds : (float, float) or mapping
        ``(lower, upper)`` factors of today's spend for every channel
        (``upper`` may be ``inf``), or ``{channel: (lower, upper)}``
        (unnamed channels: ``(0, inf)``).
    by : {"channel", ("geo", "channel")}
    carryover : {"window", "full"}
        Count outcomes inside the dates, or also their carry-over past them
        (what pymc-marketing's ``BudgetOptimizer`` counts: it appends
        ``l_max`` zero periods).

    Returns
    -------
    xarray.Dataset
        Per channel (or geo and channel): ``scale``, ``spend``,
        ``incremental_outcome``, ``roas`` and ``mroas`` at the optimum;
        ``current_*`` the same for today's spend; ``at_bound`` (-1 at the
        lower bound, 1 at the upper, 0 inside), ``lower_bound`` and
        ``upper_bound`` (factors).  Totals: ``budget``,
        ``total_incremental_outcome``, ``current_total_incremental_outcome``,
        ``gain`` and ``gain_share`` (the optimum over today),
        ``marginal_roas`` (the common marginal ROAS of the channels inside
        their bounds: the return of one more unit of budget) and
        ``converged``.  ``attrs``: ``by``, ``carryover``, ``concave``,
        ``starts``.  Channels that never spend keep 0 (scale NaN).

    Raises
    ------
    ConfigError
        A budget the bounds cannot meet, bad bounds.

    Examples
    --------
    >>> import xmmm
    >>> best = xmmm.optimal_budget(xmmm.generate_mmm_dataset(n_periods=52), bounds=(0.5, 1.5))
    >>> best["scale"].dims, bool(np.isclose(best["spend"].sum(), best["budget"]))
    (('channel',), True)
    """
    ds = _dataset(result, "optimal_budget")
    geo = _by(by)
    carryover = _carryover(carryover)
    lower_s, upper_s = _bounds(bounds, Axes.of_dataset(ds), geo)

    def one(block: xr.Dataset) -> xr.Dataset:
        paths, current, budgets, lower, upper, best, concave = _optimise(block, budget, lower_s, upper_s, geo,
                                                                       carryover)
        today_value, today_slope = _evaluator(paths, geo)(np.ones((1,) + current.shape))
        return _optimum_dataset(block, geo, current, budgets, lower, upper, best, today_value[0], today_slope[0],
                                concave, carryover)

    return _blockwise(ds, one)


def _optimum_dataset(block, geo, current, budgets, lower, upper, best, today_value, today_slope, concave, carryover):
    movable = current > 0
    spend = np.where(movable, best.theta * current, 0.0)
    value = np.where(movable, best.value, 0.0)
    mroas = _ratio(best.slope, current)
    roas = np.where(best.theta > 0, _ratio(value, spend), mroas)

    def lab(v, **attrs):
        return _labelled(v, block, geo, **attrs)

    def total(v, **attrs):
        lead = _lead(block)
        return xr.DataArray(v if lead else v[0], dims=lead, coords={k: block[k].values for k in lead}, attrs=attrs)

    out = xr.Dataset(
        {
            "scale": lab(np.where(movable, best.theta, np.nan), long_name="Optimal factor of today's spend path",
                         units="1"),
            "spend": lab(spend, long_name="Optimal total spend over the window", units="currency"),
            "incremental_outcome": lab(value, long_name="Incremental outcome at the optimum", units="y"),
            "roas": lab(np.where(movable, roas, np.nan), long_name="ROAS at the optimum", units="y per currency"),
            "mroas": lab(np.where(movable, mroas, np.nan), long_name="Marginal ROAS at the optimum",
                         units="y per currency"),
            "current_spend": lab(current, long_name="Today's total spend over the window", units="currency"),
            "current_incremental_outcome": lab(np.where(movable, today_value, 0.0),
                                               long_name="Today's incremental outcome", units="y"),
            "current_roas": lab(np.where(movable, _ratio(today_value, current), np.nan), long_name="Today's ROAS",
                                units="y per currency"),
            "current_mroas": lab(np.where(movable, _ratio(today_slope, current), np.nan),
                                 long_name="Today's marginal ROAS", units="y per currency"),
            "at_bound": lab(best.at_bound, long_name="Where the optimum sits", flag_values=np.array([-1, 0, 1],
                            dtype=np.int8), flag_meanings="lower_bound inside upper_bound"),
            "lower_bound": lab(np.asarray(lower, dtype=float), long_name="Lower bound (factor of today's spend)",
                               units="1"),
            "upper_bound": lab(np.asarray(upper, dtype=float),
                               long_name="Upper bound (factor of today's spend; an infinite one as far as the budget reaches)",
                               units="1"),
            "budget": total(budgets, long_name="Budget: total spend over the window", units="currency"),
            "total_incremental_outcome": total(value.sum(axis=-1), long_name="Total incremental outcome at the optimum",
                                               units="y"),
            "current_total_incremental_outcome": total(np.where(movable, today_value, 0.0).sum(axis=-1),
                                                       long_name="Today's total incremental outcome", units="y"),
            "gain": total(value.sum(axis=-1) - np.where(movable, today_value, 0.0).sum(axis=-1),
                          long_name="Total incremental outcome at the optimum minus today's", units="y"),
            "gain_share": total(_ratio(value.sum(axis=-1) - np.where(movable, today_value, 0.0).sum(axis=-1),
                                       np.where(movable, today_value, 0.0).sum(axis=-1), np.nan),
                                long_name="Gain over today's total incremental outcome", units="1"),
            "marginal_roas": total(best.multiplier,
                                   long_name="Common marginal ROAS of the channels inside their bounds", units="y per currency"),
            "converged": total(best.converged, long_name="Equal-marginal-return conditions hold to 1e-12"),
        },
        attrs={
            "by": "geo, channel" if geo else "channel", "carryover": carryover, "starts": best.starts,
            "concave": int(bool(np.all(concave))),
            "description": ("Optimal budget: each spend path scaled by one factor within the bounds, total spend = "
                            "budget (xmmm.optimal_budget); concave = 1: every response is concave, the optimum is "
                            "unique"),
        },
    )
    return out.assign_coords(channel_column=block["channel_column"])


# --------------------------------------------------------------------------- scoring an allocation
def score_allocation(result, allocation, *, by="channel", bounds=(0.0, 2.0), carryover: str = "window",
                     per_period: bool = False) -> xr.Dataset:
    """The true outcome of a proposed allocation, the optimum's at the same budget, and the regret.

    Parameters
    ----------
    result : MMMResult or xarray.Dataset
        A dataset or a study.
    allocation : mapping or xarray.DataArray
        Spend per channel -- ``{channel: spend}`` or a DataArray with dim
        ``channel`` -- or per geo and channel (dims ``geo, channel``, with
        ``by=("geo", "channel")``); channel labels are names or export
        columns.  Extra dims (e.g. posterior draws of a recommendation) are
        scored at once; a ``replicate`` dim pairs with a study's.  Totals
        over the window unless ``per_period``.  What the optimisers return:

        * pymc-marketing: ``optimal_budgets, _ = mmm.optimize_budget(budget=b, ...)`` is a
          DataArray (``channel``, or the model's dims then ``channel``, e.g.
          ``geo, channel``) of spend **per period**: pass it with
          ``per_period=True``.
        * Meridian: ``BudgetOptimizer(mmm).optimize(...).optimized_data["spend"]`` is a
          DataArray over ``channel`` of total spend over the optimised window.
    by : {"channel", ("geo", "channel")}
    bounds, carryover
        As for :func:`optimal_budget`: the optimum is taken within the same
        bounds, so an allocation outside them is refused.
    per_period : bool
        The allocation is spend per period: multiplied by the number of dates.

    Returns
    -------
    xarray.Dataset
        Per channel (and the allocation's extra dims): ``spend``, ``scale``,
        ``incremental_outcome``, ``optimal_spend``,
        ``optimal_incremental_outcome``; totals: ``budget`` (the allocation's
        total), ``total_incremental_outcome``,
        ``optimal_total_incremental_outcome``, ``regret`` (optimum minus
        allocation, >= 0 up to the optimum's tolerance) and ``regret_share``
        (regret / optimum).

    Note that the decision space is xmmm's (each channel's path scaled by one
    factor, flighting kept): an optimiser that spends evenly over the weeks
    is scored on the path it would scale, so its regret includes what its
    other decision space costs.

    Examples
    --------
    >>> import xmmm
    >>> result = xmmm.generate_mmm_dataset(n_periods=52)
    >>> spend = result.dataset["spend"].sum(["date", "geo"])
    >>> even = {c: float(spend.sum()) / 3 for c in spend["channel"].values}
    >>> score = xmmm.score_allocation(result, even, bounds=(0.0, 4.0))
    >>> bool(score["regret"] >= 0), float(score["regret_share"]) < 1
    (True, True)
    """
    ds = _dataset(result, "score_allocation")
    geo = _by(by)
    carryover = _carryover(carryover)
    axes = Axes.of_dataset(ds)
    lower_s, upper_s = _bounds(bounds, axes, geo)
    proposed = _allocation_array(allocation, ds, axes, geo)
    if per_period:
        proposed = proposed * ds.sizes["date"]

    def one(block: xr.Dataset) -> xr.Dataset:
        lead = _lead(block)
        own = proposed.sel(replicate=block["replicate"]) if "replicate" in proposed.dims and lead else proposed
        unit_dims = (("geo",) if geo else ()) + ("channel",)
        extra = [d for d in own.dims if d not in unit_dims + ("replicate",)]
        own = own.transpose(*extra, *(d for d in ("replicate",) if d in own.dims), *unit_dims)
        n_rep = block.sizes.get("replicate", 1)
        values = np.asarray(own.values, dtype=float)
        if "replicate" not in own.dims:
            values = np.expand_dims(values, len(extra))
        values = np.broadcast_to(values, values.shape[: len(extra)] + (n_rep,) + values.shape[len(extra) + 1:])
        draws = values.reshape((-1, n_rep, values.shape[-1] * (values.shape[-2] if geo else 1)))
        paths = _paths(block, carryover)
        current = _units(paths.spend, geo)
        theta = _ratio(draws, current, np.where(draws > 0, np.inf, 1.0))
        _check_within(theta, current, draws, lower_s, upper_s, geo, block)
        value, _ = _evaluator(paths, geo)(np.where(current > 0, theta, 1.0), slope=False)
        value = np.where(current > 0, value, 0.0)
        budgets = draws.sum(axis=-1)  # (D, R)
        optimum_value, optimum_spend = _optima(block, budgets, lower_s, upper_s, geo, carryover)
        totals = value.sum(axis=-1)
        best_totals = optimum_value.sum(axis=-1)
        shape = values.shape[: len(extra)]
        extra_coords = {d: own[d] for d in extra if d in own.coords}

        def lab(v, **attrs):
            v = v.reshape(shape + v.shape[1:])
            return _labelled(v, block, geo, extra, extra_coords, **attrs)

        def total(v, **attrs):
            v = v.reshape(shape + v.shape[1:])
            dims = tuple(extra) + lead
            da = xr.DataArray(v if lead else v[..., 0], dims=dims,
                              coords={**extra_coords, **{k: block[k].values for k in lead}}, attrs=attrs)
            return da.transpose("replicate", ...) if lead else da

        regret = best_totals - totals
        out = xr.Dataset(
            {
                "spend": lab(draws, long_name="Proposed total spend over the window", units="currency"),
                "scale": lab(np.where(current > 0, theta, np.nan), long_name="Proposed factor of today's spend path",
                             units="1"),
                "incremental_outcome": lab(value, long_name="True incremental outcome of the proposal", units="y"),
                "optimal_spend": lab(optimum_spend, long_name="Optimal spend at the same budget", units="currency"),
                "optimal_incremental_outcome": lab(optimum_value, long_name="Incremental outcome at the optimum",
                                                   units="y"),
                "budget": total(budgets, long_name="Total spend of the proposal", units="currency"),
                "total_incremental_outcome": total(totals, long_name="True total incremental outcome of the proposal",
                                                   units="y"),
                "optimal_total_incremental_outcome": total(best_totals,
                                                           long_name="Total incremental outcome at the optimum",
                                                           units="y"),
                "regret": total(regret, long_name="Optimum minus proposal: outcome lost", units="y"),
                "regret_share": total(_ratio(regret, best_totals, 0.0), long_name="Regret / optimum", units="1"),
            },
            attrs={"by": "geo, channel" if geo else "channel", "carryover": carryover,
                   "description": "A proposed allocation scored against the truth (xmmm.score_allocation)"},
        )
        return out.assign_coords(channel_column=block["channel_column"])

    return _blockwise(ds, one)


def _allocation_array(allocation, ds, axes: Axes, geo: bool) -> xr.DataArray:
    """The allocation as a DataArray over (extra..., [replicate,] [geo,] channel) with channel names."""
    if isinstance(allocation, Mapping):
        if geo:
            raise ConfigError("allocation: a mapping gives spend per channel; with by=('geo', 'channel') pass a "
                              "DataArray with dims geo and channel")
        names = axes.channel_names(list(allocation), "allocation")
        values = np.zeros(len(axes.channels))
        for name, key in zip(names, allocation):
            values[axes.channels.index(name)] = float(allocation[key])
        da = xr.DataArray(values, dims=("channel",), coords={"channel": list(axes.channels)})
    elif isinstance(allocation, xr.DataArray):
        if "channel" not in allocation.dims:
            raise ConfigError(f"allocation: a DataArray needs a 'channel' dim; got {allocation.dims}")
        if "geo" in allocation.dims and not geo:
            raise ConfigError("allocation has a 'geo' dim: pass by=('geo', 'channel') to score spend per geo and channel")
        if geo and "geo" not in allocation.dims:
            raise ConfigError("allocation: by=('geo', 'channel') needs a DataArray with dims geo and channel")
        da = allocation.assign_coords(channel=axes.channel_names(allocation["channel"].values, "allocation"))
        da = da.drop_vars([c for c in da.coords if c not in da.dims])
        missing = [c for c in axes.channels if c not in da["channel"].values]
        if missing:
            da = da.reindex(channel=list(axes.channels), fill_value=0.0)
        da = da.sel(channel=list(axes.channels))
        if geo:
            absent = [g for g in axes.geos if g not in [str(v) for v in da["geo"].values]]
            if absent:
                raise ConfigError(f"allocation: geo {absent[0]!r} is missing")
            da = da.sel(geo=list(axes.geos))
    else:
        raise ConfigError(f"allocation must be a mapping {{channel: spend}} or an xarray.DataArray; got "
                          f"{type(allocation).__name__}")
    values = np.asarray(da.values, dtype=float)
    if not np.isfinite(values).all() or (values < 0).any():
        raise ConfigError("allocation: spend must be finite and >= 0")
    return da.astype(float)


def _check_within(theta, current, draws, lower_s, upper_s, geo, block) -> None:
    n_geo = block.sizes["geo"]
    lower = np.tile(lower_s, n_geo) if geo else lower_s
    upper = np.tile(upper_s, n_geo) if geo else upper_s
    never = (current <= 0) & (draws > 0)
    if never.any():
        k = int(np.argwhere(never)[0][-1])
        raise ConfigError(f"allocation: {_unit_name(block, k, geo)} never spends today: there is no spend path to "
                          f"scale, so it cannot be given {draws[never][0]:,.6g}")
    outside = (current > 0) & ((theta < lower * (1 - 1e-9)) | (theta > upper * (1 + 1e-9)))
    if outside.any():
        idx = np.argwhere(outside)[0]
        k = int(idx[-1])
        raise ConfigError(
            f"allocation: {_unit_name(block, k, geo)} gets {theta[tuple(idx)]:.4g} times today's spend, outside the "
            f"bounds ({lower[k]:g}, {upper[k]:g}); pass bounds= that include it (the regret is measured against the "
            "optimum within the bounds)"
        )


def _unit_name(block, k: int, geo: bool) -> str:
    channels = [str(c) for c in block["channel"].values]
    if not geo:
        return f"channel {channels[k]!r}"
    g, c = divmod(k, len(channels))
    return f"channel {channels[c]!r} in geo {str(block['geo'].values[g])!r}"


def _optima(block, budgets: np.ndarray, lower_s, upper_s, geo, carryover):
    """The optimum's values and spend per unit for budgets (D, R): (D, R, K) each."""
    values, spends = [], []
    same = np.allclose(budgets, budgets[:1], rtol=1e-12, atol=0.0)
    for budget in (budgets[:1] if same else budgets):
        _, current, _, _, _, best, _ = _optimise(block, budget, lower_s, upper_s, geo, carryover)
        values.append(np.where(current > 0, best.value, 0.0))
        spends.append(np.where(current > 0, best.theta * current, 0.0))
    values, spends = np.stack(values), np.stack(spends)
    if same:
        values = np.broadcast_to(values, (budgets.shape[0],) + values.shape[1:])
        spends = np.broadcast_to(spends, (budgets.shape[0],) + spends.shape[1:])
    return values, spends


# --------------------------------------------------------------------------- stored with the dataset
def with_decision_truth(result, *, scales=DEFAULT_SCALES, budget=None, bounds=(0.0, 2.0), by="channel",
                        carryover: str = "window"):
    """The dataset with its response curves and optimal budget in it, ready to write with it.

    The curves of :func:`response_curves` are stored as ``response_<name>``
    (new dim ``scale``) and the optimum of :func:`optimal_budget` as
    ``optimal_<name>``; ``attrs["xmmm_decision_truth"]`` records the
    arguments (JSON).  :func:`decision_truth` gives both back from a dataset
    (one read from a file, too); ``xmmm describe`` prints the optimum.

    Returns
    -------
    MMMResult or xarray.Dataset
        Of the same kind as ``result``.

    Examples
    --------
    >>> import xmmm
    >>> result = xmmm.with_decision_truth(xmmm.generate_mmm_dataset(n_periods=52))
    >>> result.dataset["optimal_spend"].dims, result.dataset["response_mroas"].dims
    (('channel',), ('scale', 'channel'))
    """
    ds = _dataset(result, "with_decision_truth")
    curves = response_curves(ds, scales, by=by, carryover=carryover)
    optimum = optimal_budget(ds, budget, bounds=bounds, by=by, carryover=carryover)
    out = ds.drop_vars([v for v in ds.data_vars if v.startswith(tuple(_PREFIXES.values()))] +
                       (["scale"] if "scale" in ds.coords else []))
    for prefix, part in ((_PREFIXES["curves"], curves), (_PREFIXES["optimum"], optimum)):
        for name, var in part.data_vars.items():
            out[prefix + name] = var
    out.attrs = dict(ds.attrs)
    out.attrs[DECISION_ATTR] = json.dumps(
        {"by": curves.attrs["by"], "carryover": carryover, "bounds": _plain_bounds(bounds),
         "budget": "today's total" if budget is None else "given", "starts": optimum.attrs["starts"],
         "concave": optimum.attrs["concave"]},
        sort_keys=True,
    )
    return _same_kind(result, out)


def _plain_bounds(bounds):
    if isinstance(bounds, Mapping):
        return {str(k): [float(v) for v in pair] for k, pair in bounds.items()}
    return [float(v) for v in bounds]


def decision_truth(result) -> tuple[xr.Dataset, xr.Dataset]:
    """``(curves, optimum)`` stored in a dataset by :func:`with_decision_truth`, named as those functions name them.

    Raises
    ------
    ValueError
        The dataset holds no decision truth.
    """
    ds = _dataset(result, "decision_truth")
    if DECISION_ATTR not in ds.attrs:
        raise ValueError("the dataset holds no decision truth: make it with xmmm.with_decision_truth(result)")
    parts = []
    for prefix in _PREFIXES.values():
        names = {v: v[len(prefix):] for v in ds.data_vars if v.startswith(prefix)}
        part = ds[list(names)].rename(names)
        part = part.drop_vars([c for c in part.coords if c not in part.dims and c != "channel_column"])
        parts.append(part)
    curves, optimum = parts
    settings = json.loads(ds.attrs[DECISION_ATTR])
    curves.attrs = {"by": settings["by"], "carryover": settings["carryover"]}
    optimum.attrs = {k: settings[k] for k in ("by", "carryover", "starts", "concave")}
    return curves, optimum


def budget_summary(result) -> str:
    """The optimal budget of a dataset as text (``xmmm describe``): stored decision truth, else computed.

    Examples
    --------
    >>> import xmmm
    >>> print(budget_summary(xmmm.generate_mmm_dataset(n_periods=52)))          # doctest: +ELLIPSIS
    Optimal budget (each channel's spend path scaled by one factor in [0, 2]; same total spend; ...
    """
    import pandas as pd

    ds = _dataset(result, "budget_summary")
    if "replicate" in ds.dims:
        ds = ds.isel(replicate=0)
    if DECISION_ATTR in ds.attrs:
        _, optimum = decision_truth(ds)
        settings = json.loads(ds.attrs[DECISION_ATTR])
        bounds = settings["bounds"]
    else:
        optimum = optimal_budget(ds)
        bounds = [0.0, 2.0]
    if "geo" in optimum["spend"].dims:
        optimum = optimum.sum("geo").assign(scale=optimum["spend"].sum("geo") / optimum["current_spend"].sum("geo"))
        columns = ["current_spend", "spend", "scale"]
    else:
        columns = ["current_spend", "spend", "scale", "current_mroas", "mroas"]
    table = pd.DataFrame({c: optimum[c].values for c in columns},
                         index=pd.Index([str(c) for c in optimum["channel_column"].values], name="channel"))
    table.columns = ["spend today", "optimal spend", "scale", "mROAS today", "mROAS optimal"][: len(columns)]
    span = (f"one factor in [{bounds[0]:g}, {bounds[1]:g}]" if isinstance(bounds, list)
            else "one factor within the given bounds")
    unit = "geo-channel" if "geo" in optimum.attrs.get("by", "") else "channel's"
    starts = int(optimum.attrs.get("starts", 1))
    lines = [
        f"Optimal budget (each {unit} spend path scaled by {span}; same total spend; "
        f"{optimum.attrs.get('carryover', 'window')} outcomes"
        + ("" if starts == 1 else f"; S-shaped curves: best of {starts} starts") + "):",
        table.to_string(formatters={"spend today": "{:,.0f}".format, "optimal spend": "{:,.0f}".format,
                                    "scale": "{:.3f}".format, "mROAS today": "{:.4f}".format,
                                    "mROAS optimal": "{:.4f}".format}),
        f"Total incremental outcome: {float(optimum['current_total_incremental_outcome']):,.0f} today -> "
        f"{float(optimum['total_incremental_outcome']):,.0f} at the optimum ({float(optimum['gain_share']):+.2%}); "
        f"marginal ROAS there {float(optimum['marginal_roas']):.4f}",
    ]
    return "\n".join(lines)
