r"""The noise of the outcome: normal, Student-t, log-normal, AR(1) or heteroscedastic errors.

Every model starts from the same standard normal draws ``z`` of the stream
``baseline_noise`` of each (replicate, geo) -- so switching the noise model
keeps the shocks (common random numbers across models) -- and builds
standardised errors ``e`` (mean 0, variance 1):

* ``"normal"``: ``e = z``;
* ``"student_t"``: ``e = z / sqrt(w) * sqrt((nu - 2) / nu)`` with ``nu w`` a
  chi-square with ``nu = noise_df`` degrees of freedom, from the uniforms of
  the stream ``baseline_noise_scale`` (inverse CDF): t errors with tail index
  ``nu``, scaled to unit variance;
* ``noise_ar`` ``rho != 0`` (any model; ``"ar1"`` is normal errors with it):
  ``e`` becomes the stationary AR(1) ``a_t = rho a_{t-1} + sqrt(1 - rho^2) e_t``
  (:func:`xmmm.kernels.timeseries.ar1_filter`, one Numba loop over the stack).

With ``sigma = sales_volatility``, the realised noise ``baseline_noise`` is

* ``"normal"``, ``"student_t"``, ``"ar1"``: ``L_g sigma e`` (xmmm 0.1's noise for ``"normal"``);
* ``"heteroscedastic"``: ``B_{g,t} sigma e``, ``B`` the expected baseline of the
  period (level, trend, seasonality, drift, breaks): proportional to the level;
* ``"lognormal"``: ``mu_{g,t} (eta_t - 1)``, ``eta = exp(sigma e - sigma^2 / 2)``
  (mean 1), ``mu`` the mean outcome: ``y = mu eta``, multiplicative.

In every model ``y - baseline_noise`` is the mean outcome; only the
log-normal noise depends on the media (it scales the whole mean).
"""

from __future__ import annotations

import numpy as np

from xmmm.kernels.timeseries import ar1_filter
from xmmm.plan import Plan
from xmmm.random import normals, stream_keys, uniforms

__all__ = ["noise", "standardized_errors"]


def standardized_errors(plan: Plan) -> np.ndarray:
    """(R, G, T) errors with mean 0 and variance 1 of the plan's noise model (see the module docs)."""
    regions = plan.config.regions
    n = len(plan.dates)
    e = normals(stream_keys(plan.seed, "baseline_noise", plan.geos, replicates=plan.replicates), n)
    if regions.noise == "student_t":
        from scipy import stats

        nu = float(regions.noise_df)
        u = uniforms(stream_keys(plan.seed, "baseline_noise_scale", plan.geos, replicates=plan.replicates), n)
        w = stats.gamma.ppf(u, nu / 2.0, scale=2.0 / nu)  # chi-square(nu) / nu
        e = e / np.sqrt(w) * np.sqrt((nu - 2.0) / nu)
    if regions.noise_ar != 0:
        e = ar1_filter(e, np.full(e.shape[:-1], float(regions.noise_ar)))
    return e


def noise(plan: Plan, expected: np.ndarray, mean: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """The realised noise (R, G, T) and, for the log-normal model, its factor ``eta`` (else ``None``).

    Parameters
    ----------
    plan : Plan
    expected : numpy.ndarray
        (R, G, T) expected baseline (level + trend + seasonality + drift + breaks).
    mean : numpy.ndarray, optional
        (R, G, T) mean outcome; needed by ``"lognormal"``.
    """
    model = plan.config.regions.noise
    sigma = plan.base["regions.sales_volatility"][:, None, None]
    e = standardized_errors(plan)
    if model == "lognormal":
        log_eta = sigma * e - 0.5 * sigma**2
        return mean * np.expm1(log_eta), np.exp(log_eta)
    if model == "heteroscedastic":
        return expected * sigma * e, None
    return plan.level[..., None] * sigma * e, None
