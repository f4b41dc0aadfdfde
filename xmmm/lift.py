r"""The exact truth of embedded experiments: each one's lift against its untested world.

For experiment ``e`` the untested world is the same plan without ``e`` (the
other experiments kept), run by :func:`xmmm.engine.run` on the same random
streams (common random numbers), so

.. math:: \text{lift}_{e,g,t} = y_{g,t} - y^{(-e)}_{g,t}

is exact and includes every consequence of the test: carry-over after the
window and, with a ``"target_chasing"`` policy, the spend the policy changes
in reaction.  Per experiment and geo, with ``W`` the window's periods:

=========================  ===================================================================
``lift_x``                 mean untested spend of the channel over ``W`` (per period)
``lift_delta_x``           mean change of its spend over ``W`` (tested - untested)
``lift_delta_y``           mean lift over ``W``: the realised lift per period, with the
                           carry-over inside the window (what the window measures, noise-free)
``lift_measured``          ``lift_delta_y + measurement_sigma * N(0, 1)`` (stream ``lift_measurement``)
``lift_total``             the lift summed over every date of the data (carry-over after the
                           window included)
``lift_delta_y_model``     the steady-state lift of the model: ``beta (f(x + dx) - f(x))`` with
                           ``f`` the saturation at ``gain * spend / spend_scale`` -- what
                           pymc-marketing's lift-test likelihood implies at the true parameters
``lift_sigma``             ``measurement_sigma``
``lift_tested``            whether the geo is in the test
=========================  ===================================================================
"""

from __future__ import annotations

import dataclasses

import numpy as np

from xmmm.blocks.effects import saturate
from xmmm.blocks.experiments import masks
from xmmm.blocks.policy import adstock_weights
from xmmm.engine import run
from xmmm.plan import Plan
from xmmm.random import normals, stream_keys

__all__ = ["experiment_truth", "steady_state_lift"]


def steady_state_lift(plan: Plan, channel: int, x: np.ndarray, dx: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``beta (f(g (x + dx) / k) - f(g x / k))`` per (R, G) for one channel (``g`` the adstock gain)."""
    every = np.arange(len(plan.channels))
    gain = adstock_weights(plan, every).sum(axis=-1)[:, :, channel]
    r, g = x.shape
    levels = np.zeros((r, g, len(plan.channels), 2))
    levels[:, :, channel, 0] = gain * x / scale[:, :, channel]
    levels[:, :, channel, 1] = gain * (x + dx) / scale[:, :, channel]
    curve = saturate(plan, levels)[:, :, channel]
    return plan.coefficient[:, :, channel] * (curve[..., 1] - curve[..., 0])


def experiment_truth(plan: Plan, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The truth of every experiment of the plan; empty without experiments.

    Parameters
    ----------
    plan : Plan
    arrays : dict
        :func:`xmmm.engine.run` of the plan (the tested world: the data).

    Returns
    -------
    dict of numpy.ndarray
        ``lift`` (R, G, E, T) and the per-experiment summaries of the module
        docs, each (R, G, E).
    """
    experiments = plan.experiments
    if not experiments:
        return {}
    r, g, _, n = arrays["spend"].shape
    n_exp = len(experiments)
    lift = np.empty((r, g, n_exp, n))
    fields = ("lift_x", "lift_delta_x", "lift_delta_y", "lift_measured", "lift_total", "lift_delta_y_model",
              "lift_sigma")
    out = {name: np.empty((r, g, n_exp)) for name in fields}
    out["lift_tested"] = np.zeros((r, g, n_exp), dtype=bool)
    for e, experiment in enumerate(experiments):
        others = experiments[:e] + experiments[e + 1 :]
        untested = run(dataclasses.replace(plan, experiments=others))
        j, geos, window = masks(plan, experiment)
        lift[:, :, e] = arrays["y"] - untested["y"]
        x = untested["spend"][:, :, j][..., window].mean(axis=-1)
        dx = arrays["spend"][:, :, j][..., window].mean(axis=-1) - x
        delta_y = lift[:, :, e][..., window].mean(axis=-1)
        keys = stream_keys(plan.seed, "lift_measurement", [experiment.label], plan.geos, replicates=plan.replicates)
        noise = normals(keys, 1)[:, 0, :, 0]
        sigma = float(experiment.measurement_sigma)
        out["lift_x"][:, :, e] = x
        out["lift_delta_x"][:, :, e] = dx
        out["lift_delta_y"][:, :, e] = delta_y
        # only the tested geos are measured; elsewhere the lift is exactly 0
        out["lift_measured"][:, :, e] = delta_y + sigma * noise * geos
        out["lift_total"][:, :, e] = lift[:, :, e].sum(axis=-1)
        out["lift_delta_y_model"][:, :, e] = steady_state_lift(plan, j, x, dx, arrays["spend_scale"])
        out["lift_sigma"][:, :, e] = sigma
        out["lift_tested"][:, :, e] = geos[None, :]
    return {"lift": lift, **out}
