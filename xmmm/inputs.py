"""What each channel's data are made of: its kind, its exposures, costs, reach and frequency.

A channel (:class:`~xmmm.config.ChannelConfig`) is paid media, paid reach
and frequency, organic media (exposures, or reach and frequency, without
spend) or a non-media treatment.  :class:`MediaInputs` holds, per channel,
its kind and unit and the configured parameters of its inputs (cost per
exposure, reachable share, a treatment's baseline value), plus the revenue
per unit of KPI; the plan (:class:`~xmmm.plan.Plan`) carries one and the
media blocks (:mod:`xmmm.blocks.exposures`, :mod:`xmmm.blocks.reach`) read it.

A spend-only config (every channel ``kind="paid"``, ``unit="spend"``) has
:attr:`MediaInputs.spend_only` true: the generation is then xmmm 0.1's,
bit for bit.

Examples
--------
>>> import xmmm
>>> inputs = MediaInputs.of(xmmm.DEFAULT_CONFIG, 1)
>>> inputs.spend_only, inputs.kinds
(True, ('paid', 'paid', 'paid'))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from xmmm.config import COST_BASIS, REACH_FREQUENCY_KINDS, UNPAID_KINDS, MMMDataConfig

__all__ = ["MediaInputs", "effect_follows"]


def effect_follows(kind: str, unit: str) -> str:
    """What a channel's effect follows: ``"spend"``, ``"impressions"``, ``"clicks"``, ``"reach_frequency"`` or
    ``"value"`` (a treatment).

    Examples
    --------
    >>> effect_follows("paid", "impressions"), effect_follows("treatment", "spend")
    ('impressions', 'value')
    """
    if kind == "treatment":
        return "value"
    if kind in REACH_FREQUENCY_KINDS:
        return "reach_frequency"
    return unit


@dataclass(frozen=True, eq=False)
class MediaInputs:
    """Per channel: kind, unit and the parameters of its inputs (see the module docs).

    Attributes
    ----------
    kinds, units : tuple of str
        ``ChannelConfig.kind`` and ``ChannelConfig.unit`` of every channel.
    cost_per_exposure : numpy.ndarray
        (S,) configured cost of one exposure (``cost_per_unit`` / 1000 for
        impressions, ``cost_per_unit`` for clicks); NaN for channels without
        a cost.
    cost_trend, cost_volatility : numpy.ndarray
        (S,) media inflation per period and the cost's coefficient of variation.
    reachable_share, reach_volatility : numpy.ndarray
        (S,) reach-and-frequency channels' reachable share of the population
        and its period-to-period coefficient of variation.
    treatment_baseline : numpy.ndarray
        (S,) a treatment's baseline value; NaN for the other channels.
    revenue_per_kpi : numpy.ndarray or None
        (R, G, T) revenue of one unit of KPI (``kpi_type="non_revenue"`` with a
        ``revenue_per_kpi``); ``None`` when ``y`` is revenue or no revenue
        per KPI is given.
    kpi_type : str
    """

    kinds: tuple[str, ...]
    units: tuple[str, ...]
    cost_per_exposure: np.ndarray
    cost_trend: np.ndarray
    cost_volatility: np.ndarray
    reachable_share: np.ndarray
    reach_volatility: np.ndarray
    treatment_baseline: np.ndarray
    revenue_per_kpi: np.ndarray | None = None
    kpi_type: str = "revenue"

    # ---- channel sets
    def index(self, *kinds: str) -> np.ndarray:
        """Indices of the channels of the given kinds."""
        return np.array([i for i, k in enumerate(self.kinds) if k in kinds], dtype=int)

    @property
    def spend_only(self) -> bool:
        """Every channel is paid media acting on spend and ``y`` is revenue: xmmm 0.1's generation."""
        return (
            all(k == "paid" for k in self.kinds) and all(u == "spend" for u in self.units)
            and self.kpi_type == "revenue"
        )

    @property
    def has_spend(self) -> np.ndarray:
        """(S,) bool: paid kinds."""
        return np.array([k not in UNPAID_KINDS for k in self.kinds], dtype=bool)

    @property
    def has_exposures(self) -> np.ndarray:
        """(S,) bool: exposures beside or instead of spend."""
        return np.array([k != "treatment" and u != "spend" for k, u in zip(self.kinds, self.units)], dtype=bool)

    @property
    def has_cost(self) -> np.ndarray:
        """(S,) bool: spend = exposures x cost per exposure."""
        return self.has_spend & self.has_exposures

    @property
    def reach_frequency(self) -> np.ndarray:
        """Indices of the reach-and-frequency channels (paid and organic)."""
        return self.index(*REACH_FREQUENCY_KINDS)

    @property
    def treatments(self) -> np.ndarray:
        """Indices of the non-media treatments."""
        return self.index("treatment")

    @property
    def is_media(self) -> np.ndarray:
        """(S,) bool: media channels (every kind but treatments); attribution and media share count them."""
        return np.array([k != "treatment" for k in self.kinds], dtype=bool)

    @property
    def effect_follows(self) -> tuple[str, ...]:
        """What each channel's effect follows (:func:`effect_follows`)."""
        return tuple(effect_follows(k, u) for k, u in zip(self.kinds, self.units))

    # ---- building
    @classmethod
    def of(cls, config: MMMDataConfig, n_replicates: int) -> MediaInputs:
        """The inputs of a config, with ``revenue_per_kpi`` resolved to (R, G, T)."""
        channels = config.channels

        def column(get) -> np.ndarray:
            return np.array([get(c) for c in channels], dtype=float)

        return cls(
            kinds=tuple(c.kind for c in channels),
            units=tuple(c.unit for c in channels),
            cost_per_exposure=column(
                lambda c: c.cost_per_unit / COST_BASIS[c.unit] if c.has_cost else np.nan
            ),
            cost_trend=column(lambda c: c.cost_trend),
            cost_volatility=column(lambda c: c.cost_volatility),
            reachable_share=column(lambda c: c.reachable_share),
            reach_volatility=column(lambda c: c.reach_volatility),
            treatment_baseline=column(lambda c: c.baseline_value if c.kind == "treatment" else np.nan),
            revenue_per_kpi=revenue_per_kpi(config, n_replicates),
            kpi_type=config.kpi_type,
        )

    @classmethod
    def from_dataset(cls, ds, n_replicates: int) -> MediaInputs:
        """The inputs a Dataset records (all paid spend when it has no ``channel_kind``)."""
        n = ds.sizes["channel"]
        kinds = tuple(str(k) for k in ds["channel_kind"].values) if "channel_kind" in ds.coords else ("paid",) * n
        units = tuple(str(u) for u in ds["exposure_unit"].values) if "exposure_unit" in ds.coords else ("spend",) * n
        nan = np.full(n, np.nan)
        baseline = ds["treatment_baseline"].values.astype(float) if "treatment_baseline" in ds else nan
        rpk = None
        if "revenue_per_kpi" in ds:
            lead = ("replicate",) if "replicate" in ds.dims else ()
            values = np.asarray(ds["revenue_per_kpi"].transpose(*lead, "geo", "date").values, dtype=float)
            rpk = values if lead else np.broadcast_to(values, (n_replicates,) + values.shape)
        return cls(kinds=kinds, units=units, cost_per_exposure=nan, cost_trend=nan, cost_volatility=nan,
                   reachable_share=nan, reach_volatility=nan, treatment_baseline=baseline, revenue_per_kpi=rpk,
                   kpi_type=str(ds.attrs.get("kpi_type", "revenue")))


def revenue_per_kpi(config: MMMDataConfig, n_replicates: int) -> np.ndarray | None:
    """``config.revenue_per_kpi`` as an (R, G, T) array, or ``None`` (revenue KPI, or none given).

    Examples
    --------
    >>> import xmmm
    >>> config = xmmm.customize_preset("basic", kpi_type="non_revenue", revenue_per_kpi=[2.5])
    >>> revenue_per_kpi(config, 1).shape
    (1, 1, 52)
    """
    rpk = config.revenue_per_kpi
    if rpk is None or config.kpi_type == "revenue":
        return None
    n_geo, n = len(config.region_names), config.n_periods
    if isinstance(rpk, Sequence):
        rows = [np.full(n, float(r)) if not isinstance(r, Sequence) else np.asarray(r, dtype=float) for r in rpk]
        grid = np.stack(rows)
    else:
        grid = np.full((n_geo, n), float(rpk))
    return np.broadcast_to(grid, (n_replicates, n_geo, n)).copy()
