"""The optimal budget against pymc-marketing's own BudgetOptimizer, its model pinned at the truth.

pymc-marketing's optimiser with ``budget_distribution_over_period`` set to today's
flighting scales each (geo, channel) spend path by one factor -- xmmm's decision
space -- and counts the carry-over past the window (it appends ``l_max`` zero
periods): ``carryover="full"``.  With a one-draw posterior at the true
parameters its response is the true one, so both optimisers must find the same
allocation and the same total, and xmmm must score pymc-marketing's answer
with no regret.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import xmmm

pytest.importorskip("pymc_marketing.mmm.multidimensional")


def _with_geo_priors(component):
    """The same component with every parameter over (geo, channel), so per-geo truth can be pinned."""
    from pymc_extras.prior import Prior

    priors = {name: Prior("HalfNormal", sigma=1, dims=("geo", "channel")) for name in component.default_priors}
    if hasattr(component, "l_max"):
        return type(component)(l_max=component.l_max, normalize=component.normalize, mode=component.mode,
                               priors=priors)
    return type(component)(priors=priors)


def _pinned_model(result):
    """pymc-marketing's MMM from the hand-off, with a posterior of one draw: the true parameters."""
    import arviz as az

    handoff = xmmm.to_pymc_marketing(result)
    kwargs = dict(handoff.model_kwargs)
    kwargs["adstock"] = _with_geo_priors(kwargs["adstock"])
    kwargs["saturation"] = _with_geo_priors(kwargs["saturation"])
    mmm = xmmm.PymcMarketingHandoff(handoff.X, handoff.y, kwargs, handoff.truth).build_model()
    model = mmm.model
    posterior = {}
    for rv in model.free_RVs:
        dims = model.named_vars_to_dims.get(rv.name, ())
        assert rv.name in handoff.truth, f"no truth for {rv.name}"
        posterior[rv.name] = xr.DataArray(
            handoff.truth[rv.name].transpose(*dims).values[None, None], dims=("chain", "draw", *dims),
            coords={d: list(model.coords[d]) for d in dims})
    mmm.idata = az.InferenceData(posterior=xr.Dataset(posterior))
    return mmm


@pytest.fixture(scope="module")
def regional():
    config = xmmm.customize_preset("basic", n_periods=30, seed=5, regions={"n_regions": 2})
    config.transforms.adstock_kwargs = [{"alpha": a, "l_max": 6} for a in (0.6, 0.2, 0.4)]
    config.transforms.saturation_fun = "logistic_saturation"
    config.transforms.saturation_kwargs = [{"lam": lam} for lam in (1.5, 3.0, 1.0)]
    return xmmm.generate_mmm_dataset(config)


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning", "ignore::DeprecationWarning",
                            "ignore::RuntimeWarning")
def test_optimum_equals_pymc_marketings_budget_optimizer_pinned_at_the_truth(regional):
    from pymc_marketing.mmm.multidimensional import MultiDimensionalBudgetOptimizerWrapper

    ds = regional.dataset
    mmm = _pinned_model(regional)
    dates = pd.DatetimeIndex(ds["date"].values)
    n, step = len(dates), dates[1] - dates[0]
    future = pd.date_range(dates[-1] + step, periods=n, freq=step)
    wrapper = MultiDimensionalBudgetOptimizerWrapper(
        model=mmm, start_date=str(future[0].date()), end_date=str(future[-1].date()),
        compile_kwargs={"mode": "FAST_COMPILE"})
    assert wrapper.num_periods == n
    columns = list(ds["channel_column"].values)
    flighting = (ds["spend"] / ds["spend"].sum("date")).assign_coords(channel=columns, date=future)
    flighting = flighting.reset_coords(drop=True).transpose("date", "geo", "channel")
    current = ds["spend"].sum("date").assign_coords(channel=columns).reset_coords(drop=True).transpose("geo", "channel")
    lower, upper = 0.2, 2.0
    budget_bounds = xr.concat([current * lower / n, current * upper / n], dim="bound").transpose("geo", "channel", "bound")

    budgets, fit = wrapper.optimize_budget(
        budget=float(ds["spend"].sum()) / n, budget_bounds=budget_bounds, budget_distribution_over_period=flighting,
        minimize_kwargs={"method": "SLSQP", "options": {"ftol": 1e-12, "maxiter": 1000}})
    assert fit.success

    ours = xmmm.optimal_budget(regional, bounds=(lower, upper), by=("geo", "channel"), carryover="full")
    assert bool(ours["converged"])
    ours_per_period = (ours["spend"] / n).assign_coords(channel=columns).reset_coords(drop=True)
    np.testing.assert_allclose(budgets.transpose("geo", "channel").values,
                               ours_per_period.transpose("geo", "channel").values, rtol=1e-5)
    # pymc-marketing's objective is its mean total media contribution (a one-draw posterior: the truth)
    np.testing.assert_allclose(-fit.fun, float(ours["total_incremental_outcome"]), rtol=1e-10)

    score = xmmm.score_allocation(regional, budgets, per_period=True, by=("geo", "channel"),
                                  bounds=(lower, upper), carryover="full")
    np.testing.assert_allclose(float(score["total_incremental_outcome"]), -fit.fun, rtol=1e-10)
    assert abs(float(score["regret_share"])) <= 1e-9  # neither beats the other beyond rounding
