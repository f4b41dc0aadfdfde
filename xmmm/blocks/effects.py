r"""Media effects: adstock, then saturation, of scaled spend, times the channel coefficient.

.. math::
    \text{contribution}_{g,c,t} = \beta_{g,c} \, f_c\big(\text{adstock}_c(s_{g,c,\cdot} / k_{g,c})_t\big)

with ``k`` the spend scale and ``beta`` the plan's channel coefficient.  The
kernels run once per group of channels that share a function and its
structural options, over the whole (replicate, geo) stack, unchecked: the
plan has validated every parameter.

The ``row_*`` functions run the same kernels on any stack of series, each
named by its (replicate, geo, channel) in the plan (:class:`Rows`): scenarios
of a counterfactual study (a leading axis of spend paths folded into the
stack) use them.  A kernel computes each series on its own, so a series gives
the same bits in any stack.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from xmmm.plan import Plan

__all__ = ["Rows", "contributions", "row_adstock", "row_groups", "row_saturation", "row_saturation_derivative", "transform"]


def _run_groups(plan: Plan, family: str, x: np.ndarray) -> np.ndarray:
    out = np.empty_like(x)
    r, g, _, n = x.shape
    for group in plan.groups(family):
        spec, idx = group.transform, group.channels
        stack = np.ascontiguousarray(x[:, :, idx, :]).reshape(-1, n)
        numeric = [
            np.ascontiguousarray(plan.params[f"{family}_{p.name}"][:, :, idx]).reshape(-1)
            for p in spec.numeric_parameters
        ]
        out[:, :, idx, :] = spec.run(stack, numeric, group.options).reshape(r, g, len(idx), n)
    return out


def transform(plan: Plan, scaled: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(adstocked, saturated)`` of scaled spend (R, G, S, T)."""
    adstocked = _run_groups(plan, "adstock", scaled)
    return adstocked, _run_groups(plan, "saturation", adstocked)


def contributions(plan: Plan, saturated: np.ndarray) -> np.ndarray:
    """Channel contributions: the coefficient times the saturated signal, (R, G, S, T)."""
    return plan.coefficient[..., None] * saturated


@dataclass(frozen=True)
class Rows:
    """Which (replicate, geo, channel) of the plan each row of a stack of series belongs to.

    Attributes
    ----------
    replicate, geo, channel : numpy.ndarray
        Integer positions (not labels) into the plan's axes, one per row.
    """

    replicate: np.ndarray
    geo: np.ndarray
    channel: np.ndarray

    @classmethod
    def of(cls, shape: tuple[int, ...]) -> Rows:
        """The rows of a (..., R, G, S) stack flattened in C order (leading axes repeat the plan)."""
        r, g, c = shape[-3:]
        lead = int(np.prod(shape[:-3], dtype=np.int64))
        idx = np.indices((r, g, c)).reshape(3, -1)
        return cls(*(np.tile(i, lead) for i in idx))

    def take(self, picked: np.ndarray) -> Rows:
        """The rows at positions ``picked``."""
        return Rows(self.replicate[picked], self.geo[picked], self.channel[picked])


def row_groups(plan: Plan, family: str, rows: Rows):
    """For each group of channels sharing a transform: ``(group, picked, numeric)``.

    ``picked`` are the positions of the rows of those channels, ``numeric``
    each numeric parameter's value for those rows (C-contiguous, one per row).
    """
    for group in plan.groups(family):
        picked = np.flatnonzero(np.isin(rows.channel, group.channels))
        if not picked.size:
            continue
        r, g, c = rows.replicate[picked], rows.geo[picked], rows.channel[picked]
        numeric = [np.ascontiguousarray(plan.params[f"{family}_{p.name}"][r, g, c])
                   for p in group.transform.numeric_parameters]
        yield group, picked, numeric


def _run_rows(plan: Plan, family: str, x: np.ndarray, rows: Rows, derivative: bool = False) -> np.ndarray:
    out = np.empty_like(x)
    for group, picked, numeric in row_groups(plan, family, rows):
        spec = group.transform
        whole = picked.size == x.shape[0]
        run = spec.run_derivative if derivative else spec.run
        result = run(np.ascontiguousarray(x if whole else x[picked]), numeric, group.options)
        if whole:
            return result
        out[picked] = result
    return out


def row_adstock(plan: Plan, scaled: np.ndarray, rows: Rows) -> np.ndarray:
    """The adstock of each row's channel on a stack of scaled spend series (n_rows, T)."""
    return _run_rows(plan, "adstock", scaled, rows)


def row_saturation(plan: Plan, adstocked: np.ndarray, rows: Rows) -> np.ndarray:
    """The saturation of each row's channel on a stack of adstocked series (n_rows, T)."""
    return _run_rows(plan, "saturation", adstocked, rows)


def row_saturation_derivative(plan: Plan, adstocked: np.ndarray, rows: Rows) -> np.ndarray:
    """The derivative df/dx of each row's saturation at a stack of adstocked series (n_rows, T)."""
    return _run_rows(plan, "saturation", adstocked, rows, derivative=True)
