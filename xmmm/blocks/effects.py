r"""Media effects: adstock, then saturation, of scaled spend, times the channel coefficient.

.. math::
    \text{contribution}_{g,c,t} = \beta_{g,c} \, f_c\big(\text{adstock}_c(s_{g,c,\cdot} / k_{g,c})_t\big)

with ``k`` the spend scale and ``beta`` the plan's channel coefficient.  The
kernels run once per group of channels that share a function and its
structural options, over the whole (replicate, geo) stack, unchecked: the
plan has validated every parameter.
"""

from __future__ import annotations

import numpy as np

from xmmm.plan import Plan

__all__ = ["transform", "contributions"]


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


def contributions(plan: Plan, saturated: np.ndarray, multiplier: np.ndarray | None = None) -> np.ndarray:
    """Channel effects: the coefficient (times a time-varying multiplier) times the saturated signal, (R, G, S, T).

    In y units in the additive model (the contributions), shares of the
    baseline in the multiplicative one.
    """
    if multiplier is None:
        return plan.coefficient[..., None] * saturated
    return plan.coefficient[..., None] * multiplier * saturated
