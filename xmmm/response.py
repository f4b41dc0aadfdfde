r"""The true response of each channel to scaling its whole spend path: values and exact derivatives.

Scaling the spend path of channel ``c`` in geo ``g`` by :math:`\theta`
changes only that series' media path (the spend scale is held, as in every
counterfactual), and in the additive outcome its incremental outcome against
the channel switched off is

.. math::
    R_{g,c}(\theta) = \beta_{g,c} \sum_t f_{g,c}\big(\theta \, a_{g,c,t}\big), \qquad
    \frac{dR_{g,c}}{d\theta} = \beta_{g,c} \sum_t f'_{g,c}\big(\theta \, a_{g,c,t}\big) \, a_{g,c,t},

where :math:`a = \operatorname{adstock}(s / k)` is the adstocked scaled spend
of the path itself (adstock is linear, so the path scaled by :math:`\theta`
has adstock :math:`\theta a`), :math:`f` the saturation and :math:`f'` its
declared derivative.  ``f(0) = 0`` for every saturation, so a channel
switched off contributes 0.

Carry-over (``carryover``):

* ``"window"`` -- only contributions on the dataset's dates count: ``a`` is
  the adstock the generator computed (the sum at :math:`\theta = 1` is the
  channel's total ``contribution``);
* ``"full"`` -- every contribution the window's spend causes counts, also
  the carry-over after the last date (and, for adstocks with anticipation,
  ``mode="Before"`` / ``"Overlap"``, before the first): the scaled spend is
  padded with ``L - 1`` zero periods on both sides (``L`` the longest carry-over
  of any channel) and ``t`` runs over the padded axis.

Everything here works on whole stacks: a leading axis of scenarios
(:math:`\theta` values) is folded into the stack of series, in chunks that
bound memory.

Examples
--------
>>> import xmmm
>>> from xmmm.plan import Plan
>>> ds = xmmm.generate_dataset(n_periods=30)
>>> plan = Plan.from_dataset(ds)
>>> paths = Paths.of(plan, spend_of(ds))
>>> value, slope = paths.evaluate(np.ones((1,) + paths.shape))        # theta = 1: today's spend
>>> bool(np.allclose(value[0, 0], ds["contribution"].sum("date").transpose("geo", "channel").values))
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from xmmm.blocks.effects import Rows, row_adstock, row_groups
from xmmm.plan import Plan

__all__ = ["CARRYOVER", "Paths", "spend_of"]

CARRYOVER = ("window", "full")


def spend_of(ds) -> np.ndarray:
    """The spend of a Dataset in the engine's layout, (R, G, S, T) (R = 1 for a single dataset)."""
    lead = ("replicate",) if "replicate" in ds.dims else ()
    values = np.asarray(ds["spend"].transpose(*lead, "geo", "channel", "date").values, dtype=float)
    return values if lead else values[None]


def lags(plan: Plan) -> int:
    """The longest carry-over (number of weights) of any channel."""
    return max(plan.weights(c).shape[-1] for c in plan.channels)


@dataclass(frozen=True)
class Paths:
    """The adstocked scaled spend paths of every (replicate, geo, channel), ready to be scaled.

    Attributes
    ----------
    plan : Plan
    spend : numpy.ndarray
        (R, G, S): today's total spend of each series over the window.
    shape : tuple
        (R, G, S).
    carryover : str
    groups : list
        Per group of channels sharing a saturation: ``(transform, options,
        picked rows, numeric parameters, prepared state)``.
    """

    plan: Plan
    spend: np.ndarray
    shape: tuple
    carryover: str
    groups: list

    @classmethod
    def of(cls, plan: Plan, spend: np.ndarray, carryover: str = "window") -> Paths:
        """The paths of spend (R, G, S, T) under a plan (its spend scale and transforms)."""
        if carryover not in CARRYOVER:
            raise ValueError(f"carryover must be one of {CARRYOVER}; got {carryover!r}")
        shape = spend.shape[:-1]
        rows = Rows.of(shape)
        scaled = (spend / plan.spend_scale[..., None]).reshape(-1, spend.shape[-1])
        if carryover == "full":
            pad = lags(plan) - 1
            scaled = np.pad(scaled, ((0, 0), (pad, pad)))
        adstocked = row_adstock(plan, np.ascontiguousarray(scaled), rows)
        groups = [
            (group.transform, group.options, picked, numeric,
             group.transform.prepare_response(np.ascontiguousarray(adstocked[picked]), numeric, group.options))
            for group, picked, numeric in row_groups(plan, "saturation", rows)
        ]
        return cls(plan, spend.sum(axis=-1), shape, carryover, groups)

    def evaluate(self, theta: np.ndarray, *, slope: bool = True, value: bool = True):
        """``(R(theta), dR/dtheta)`` for factors ``theta`` of shape (N, R, G, S), each (N, R, G, S).

        ``R`` is the incremental outcome of each series over the window
        (or with full carry-over) with its path scaled by ``theta``, against
        the series switched off.  A part not asked for is ``None``.
        """
        theta = np.asarray(theta, dtype=float)
        n = theta.shape[0]
        flat = theta.reshape(n, -1)
        values, slopes = np.empty(flat.shape), np.empty(flat.shape)
        for spec, options, picked, numeric, state in self.groups:
            v, d = spec.run_response(state, flat[:, picked], numeric, options)
            values[:, picked], slopes[:, picked] = v, d
        coefficient = self.plan.coefficient.reshape(1, -1)
        return ((coefficient * values).reshape(theta.shape) if value else None,
                (coefficient * slopes).reshape(theta.shape) if slope else None)

    def concave(self) -> np.ndarray:
        """(R, G, S): whether each series' saturation is concave (then R(theta) is concave too)."""
        out = np.zeros(self.shape, dtype=bool)
        for group in self.plan.groups("saturation"):
            spec = group.transform
            numeric = {p.name: self.plan.params[f"saturation_{p.name}"][:, :, group.channels]
                       for p in spec.numeric_parameters}
            out[:, :, group.channels] = spec.is_concave(**numeric)
        return out
