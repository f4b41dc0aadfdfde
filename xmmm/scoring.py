"""Score a posterior against the known truth: one row per estimand.

:func:`score` takes the truth of a hand-off (:attr:`xmmm.PymcMarketingHandoff.truth`
or :attr:`xmmm.MeridianHandoff.truth`) and a posterior (an
``arviz.InferenceData`` or a Dataset with ``chain`` and ``draw`` dims) and
returns one labelled Dataset with an ``estimand`` dim: for every quantity that
both hold, the posterior summaries, the interval checks and the proper scoring
rules below.  A simulation study concatenates these along ``replicate``
(:func:`xmmm.recovery_study`); :func:`xmmm.summarise` turns many of them into
coverage with exact binomial intervals.

Definitions (``x`` the truth, ``X`` a posterior draw, ``p = prob``, ``a = 1 - p``):

==================  ===================================================================
statistic           definition
==================  ===================================================================
``mean``            posterior mean of ``X``
``median``          posterior median
``sd``              posterior standard deviation (ddof 0)
``lower, upper``    central interval: the ``a/2`` and ``1 - a/2`` quantiles of the draws
                    (numpy's linear interpolation)
``hdi_lower/upper`` highest-density interval of probability ``p`` (``arviz.hdi``)
``covered``         ``lower <= x <= upper``
``hdi_covered``     ``hdi_lower <= x <= hdi_upper``
``bias``            ``mean - x``
``relative_error``  ``(mean - x) / |x|`` (NaN where ``x = 0``)
``interval_width``  ``upper - lower``
``interval_score``  Winkler / Gneiting-Raftery interval score of the central interval:
                    ``(upper - lower) + (2/a)(lower - x)[x < lower] + (2/a)(x - upper)[x > upper]``
``crps``            continuous ranked probability score of the draws' empirical
                    distribution: ``E|X - x| - E|X - X'| / 2``
``pit``             probability integral transform: the share of draws below ``x``
                    (uniform over replicates when the model is calibrated)
==================  ===================================================================

Lower is better for ``interval_score`` and ``crps``; both are in the units of
the estimand.  Estimands whose truth is not finite (unmapped parameters) are
left out.

Examples
--------
>>> import numpy as np, xarray as xr
>>> truth = xr.Dataset({"adstock_alpha": ("channel", [0.5, 0.2])}, coords={"channel": ["x1-TV", "x2-Search"]})
>>> rng = np.random.default_rng(0)
>>> posterior = xr.Dataset({"adstock_alpha": (("chain", "draw", "channel"),
...     0.5 + 0.05 * rng.standard_normal((2, 500, 2)))}, coords={"channel": ["x1-TV", "x2-Search"]})
>>> scores = score(truth, posterior)
>>> scores["estimand"].values.tolist()
['adstock_alpha[x1-TV]', 'adstock_alpha[x2-Search]']
>>> scores["covered"].values.tolist()
[True, False]
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import xarray as xr

from xmmm.errors import ConfigError

__all__ = [
    "score",
    "interval_score",
    "crps_from_draws",
    "clopper_pearson",
    "estimand_draws",
    "convergence",
    "STATISTICS",
    "LABEL_DIMS",
]

#: the statistics of :func:`score`, in order (see the module docstring for definitions)
STATISTICS = (
    "truth", "mean", "median", "sd", "lower", "upper", "hdi_lower", "hdi_upper",
    "covered", "hdi_covered", "bias", "relative_error", "interval_width", "hdi_width",
    "interval_score", "crps", "pit",
)

#: dims that label an estimand, and the coordinate each becomes in the scores
#: (Meridian's ``media_channel`` / ``control_variable`` read as ``channel`` / ``control``)
LABEL_DIMS = {
    "geo": "geo",
    "channel": "channel",
    "media_channel": "channel",
    "control": "control",
    "control_variable": "control",
}

#: truth name -> posterior name where the two libraries name a quantity differently
#: (Meridian samples ROI and marginal ROI as ``roi_m`` / ``mroi_m``)
POSTERIOR_ALIASES = {"roi": "roi_m", "mroi": "mroi_m"}

_SAMPLE_DIMS = ("chain", "draw")
_TIME_DIMS = ("date", "time", "media_time")


# --------------------------------------------------------------------------- scoring rules
def interval_score(lower, upper, truth, prob: float):
    r"""Winkler (Gneiting-Raftery) interval score of a central interval of probability ``prob``.

    .. math:: S = (u - l) + \frac{2}{\alpha}(l - x)\,1\{x < l\} + \frac{2}{\alpha}(x - u)\,1\{x > u\},
              \quad \alpha = 1 - p

    Parameters
    ----------
    lower, upper, truth : array_like
    prob : float
        Nominal probability of the interval, in (0, 1).

    Examples
    --------
    >>> float(interval_score(0.0, 1.0, 0.5, 0.9)), round(float(interval_score(0.0, 1.0, 1.5, 0.9)), 12)
    (1.0, 11.0)
    """
    alpha = 1.0 - _prob(prob)
    lower, upper, truth = (np.asarray(a, dtype=float) for a in (lower, upper, truth))
    below = np.where(truth < lower, lower - truth, 0.0)
    above = np.where(truth > upper, truth - upper, 0.0)
    return (upper - lower) + (2.0 / alpha) * (below + above)


def crps_from_draws(draws, truth, axis: int = -1):
    r"""CRPS of the empirical distribution of ``draws`` at ``truth``.

    .. math:: \mathrm{CRPS} = \frac{1}{n}\sum_i |X_i - x| - \frac{1}{2n^2}\sum_{i,j}|X_i - X_j|

    computed in :math:`O(n \log n)` from the sorted draws
    (:math:`\sum_{i,j}|X_i - X_j| = 2\sum_k (2k - n - 1) X_{(k)}`).  This is the
    CRPS of the step-function CDF of the draws exactly; it exceeds the CRPS of
    the distribution they come from by about :math:`E|X - X'| / (2n)`.

    Parameters
    ----------
    draws : array_like
        Draws along ``axis``.
    truth : array_like
        Broadcasts against ``draws`` without ``axis``.

    Examples
    --------
    >>> float(crps_from_draws([0.0, 1.0], 0.0))   # (0 + 1)/2 - (1/8)(2)
    0.25
    """
    x = np.moveaxis(np.asarray(draws, dtype=float), axis, -1)
    n = x.shape[-1]
    truth = np.asarray(truth, dtype=float)[..., np.newaxis]
    spread = np.abs(x - truth).mean(axis=-1)
    ranks = 2.0 * np.arange(1, n + 1) - n - 1
    pairs = 2.0 * (np.sort(x, axis=-1) * ranks).sum(axis=-1) / n**2
    return spread - 0.5 * pairs


def clopper_pearson(successes, trials, confidence: float = 0.95):
    """Exact (Clopper-Pearson) binomial confidence interval for a proportion.

    Equal to ``scipy.stats.binomtest(k, n).proportion_ci(confidence, method="exact")``;
    vectorised.  ``trials = 0`` gives ``(0, 1)``.

    Parameters
    ----------
    successes, trials : array_like of int
    confidence : float
        In (0, 1).

    Returns
    -------
    (lower, upper) : tuple of numpy arrays

    Examples
    --------
    >>> lo, hi = clopper_pearson(47, 50)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.8345, 0.9875)
    """
    from scipy.stats import beta

    a = 1.0 - _prob(confidence, "confidence")
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        lower = np.where(k > 0, beta.ppf(a / 2, k, n - k + 1), 0.0)
        upper = np.where(k < n, beta.ppf(1 - a / 2, k + 1, n - k), 1.0)
    return np.nan_to_num(lower, nan=0.0), np.nan_to_num(upper, nan=1.0)


# --------------------------------------------------------------------------- estimands
@dataclass(frozen=True)
class _Pair:
    """One estimand family: its truth and its posterior draws, on the same labels."""

    kind: str
    truth: xr.DataArray
    draws: xr.DataArray  # (chain, draw, *truth.dims)


def estimand_draws(truth: xr.Dataset, posterior, *, spend: xr.DataArray | None = None) -> dict[str, tuple]:
    """The estimands both ``truth`` and ``posterior`` hold: name -> (kind, truth, draws).

    ``kind`` is ``"parameter"`` (a variable of both, under the same name or an
    alias of :data:`POSTERIOR_ALIASES`) or ``"derived"`` (computed the same way
    from the truth and from every draw; see :func:`score`).  Draws have dims
    ``chain, draw`` followed by the truth's dims.

    Examples
    --------
    >>> import xarray as xr
    >>> truth = xr.Dataset({"y_sigma": ("geo", [0.1])}, coords={"geo": ["a"]})
    >>> post = xr.Dataset({"y_sigma": (("chain", "draw", "geo"), [[[0.1], [0.2]]])}, coords={"geo": ["a"]})
    >>> kind, t, d = estimand_draws(truth, post)["y_sigma"]
    >>> kind, d.dims
    ('parameter', ('chain', 'draw', 'geo'))
    """
    return {name: (p.kind, p.truth, p.draws) for name, p in _pairs(truth, posterior, spend).items()}


def _pairs(truth, posterior, spend) -> dict[str, _Pair]:
    truth = getattr(truth, "truth", truth)  # a hand-off object is fine too
    if not isinstance(truth, xr.Dataset):
        raise TypeError(f"truth must be an xarray.Dataset (a hand-off's .truth); got {type(truth).__name__}")
    post, constant = _posterior(posterior)
    pairs: dict[str, _Pair] = {}
    for name, true in truth.data_vars.items():
        if any(d in _TIME_DIMS for d in true.dims) or true.size == 0:
            continue
        source = name if name in post.data_vars else POSTERIOR_ALIASES.get(name)
        if source is None or source not in post.data_vars:
            continue
        draws = _align(post[source], true)
        if draws is not None and np.issubdtype(true.dtype, np.number):
            pairs[name] = _Pair("parameter", true.astype(float), draws)
    pairs.update(_derived_pymc_marketing(truth, post, constant, spend))
    return pairs


def _posterior(posterior) -> tuple[xr.Dataset, xr.Dataset]:
    constant = xr.Dataset()
    if hasattr(posterior, "posterior") and not isinstance(posterior, xr.Dataset):  # InferenceData
        if "constant_data" in posterior.groups():
            constant = posterior.constant_data
        posterior = posterior.posterior
    if not isinstance(posterior, xr.Dataset):
        raise TypeError(
            "posterior must be an arviz.InferenceData or an xarray.Dataset with chain and draw dims; "
            f"got {type(posterior).__name__}"
        )
    missing = [d for d in _SAMPLE_DIMS if d not in posterior.dims]
    if missing:
        raise ValueError(f"posterior has no {' and '.join(missing)} dim; it needs chain and draw dims")
    return posterior, constant


def _align(draws: xr.DataArray, truth: xr.DataArray) -> xr.DataArray | None:
    """Draws on the truth's labels (dims chain, draw, *truth.dims; no coordinates), or None."""
    if any(d not in _SAMPLE_DIMS and d not in truth.dims for d in draws.dims):
        return None
    missing = [d for d in truth.dims if d not in draws.dims]
    for d in missing:
        # the model has one value where the truth has one per label: comparable only
        # when the truth is the same for every label
        values = np.moveaxis(truth.values, truth.dims.index(d), 0)
        if not np.allclose(values, values[:1], rtol=1e-12, atol=0, equal_nan=True):
            return None
    select = {}
    for d in truth.dims:
        if d in draws.dims and d in truth.coords and d in draws.coords:
            want, have = truth[d].values, draws[d].values
            if len(want) != len(have) or not np.array_equal(want.astype(str), have.astype(str)):
                select[d] = want
    if select:
        try:
            draws = draws.sel(select)
        except (KeyError, ValueError):
            return None
    if missing:
        draws = draws.expand_dims({d: truth.sizes[d] for d in missing})
    data = draws.transpose(*_SAMPLE_DIMS, *truth.dims).values.astype(float)
    return xr.DataArray(data, dims=_SAMPLE_DIMS + truth.dims)


def _derived_pymc_marketing(truth, post, constant, spend) -> dict[str, _Pair]:
    """Incremental outcome, ROAS and contribution shares, from channel contributions (pymc-marketing)."""
    if "channel_contribution_original_scale" in truth.data_vars:
        true_c = truth["channel_contribution_original_scale"]
    elif "channel_contribution" in truth.data_vars and "target_scale" in truth.data_vars:
        true_c = truth["channel_contribution"] * truth["target_scale"]
    else:
        return {}
    if "channel_contribution_original_scale" in post.data_vars:
        draws_c = post["channel_contribution_original_scale"]
    elif "channel_contribution" in post.data_vars:
        scale = constant["target_scale"] if "target_scale" in constant else truth.get("target_scale")
        if scale is None:
            return {}
        draws_c = post["channel_contribution"] * scale
    else:
        return {}
    if "date" not in true_c.dims or "date" not in draws_c.dims:
        return {}
    true_total = true_c.sum("date")  # (geo, channel)
    draws_total = _align(draws_c.sum("date"), true_total)
    if draws_total is None:
        return {}
    out = {"incremental_outcome": _Pair("derived", true_total, draws_total)}
    geos = "geo" in true_total.dims and true_total.sizes["geo"] > 1

    def add(name, t, d):
        out[name] = _Pair("derived", t, d.transpose(*_SAMPLE_DIMS, *t.dims))

    if geos:
        add("incremental_outcome_all_geos", true_total.sum("geo"), draws_total.sum("geo"))
    add("total_media_contribution_original_scale", true_total.sum(), draws_total.sum(true_total.dims))
    with np.errstate(divide="ignore", invalid="ignore"):
        add("contribution_share", true_total / true_total.sum("channel"), draws_total / draws_total.sum("channel"))
        if geos:
            t = true_total.sum("geo")
            d = draws_total.sum("geo")
            add("contribution_share_all_geos", t / t.sum("channel"), d / d.sum("channel"))
    if spend is None and "channel_data" in constant:
        spend = constant["channel_data"]
    if spend is not None:
        spend_total = spend.sum("date") if "date" in spend.dims else spend
        spend_total = spend_total.drop_vars([c for c in spend_total.coords if c not in spend_total.dims])
        spend_total = spend_total.sel({d: true_total[d].values for d in true_total.dims if d in spend_total.dims})
        with np.errstate(divide="ignore", invalid="ignore"):
            add("roas", true_total / spend_total, draws_total / spend_total)
            if geos:
                s = spend_total.sum("geo")
                add("roas_all_geos", true_total.sum("geo") / s, draws_total.sum("geo") / s)
    return out


# --------------------------------------------------------------------------- score
def score(
    truth, posterior, *, prob: float = 0.94, spend: xr.DataArray | None = None, convergence: bool = False
) -> xr.Dataset:
    """Score a posterior against the truth, one row per estimand both hold.

    Parameters
    ----------
    truth : xarray.Dataset or hand-off
        A hand-off's truth (``xmmm.to_pymc_marketing(result).truth`` or
        ``xmmm.to_meridian(result).truth``), or the hand-off itself.
    posterior : arviz.InferenceData or xarray.Dataset
        Draws with ``chain`` and ``draw`` dims (an InferenceData's
        ``posterior`` group is used, and its ``constant_data`` for the data
        scales and spend).
    prob : float
        Probability of the central and highest-density intervals, in (0, 1).
    spend : xarray.DataArray, optional
        Spend per (date, geo, channel) or its totals per (geo, channel), for
        ROAS when the posterior has no ``constant_data.channel_data``
        (pymc-marketing's fits have it).
    convergence : bool
        Also ``r_hat``, ``ess_bulk`` and ``ess_tail`` of every estimand (see
        :func:`convergence`).

    Returns
    -------
    xarray.Dataset
        Dim ``estimand`` (labels such as ``"adstock_alpha[geo_1, x1-TV]"``),
        coordinates ``variable``, ``kind`` (``"parameter"`` or ``"derived"``),
        ``geo``, ``channel``, ``control`` (``""`` where the estimand has no such
        label), and one variable per statistic of :data:`STATISTICS` (defined
        in the module docstring).  Attributes: ``prob``, ``n_samples``.

    Notes
    -----
    The estimands, on the hand-off's labels:

    * **parameters** -- every truth variable without a time dim that the
      posterior holds under the same name (pymc-marketing: ``adstock_*``,
      ``saturation_*``, ``intercept_contribution``, ``y_sigma``,
      ``gamma_control``; Meridian: ``alpha_m``, ``slope_m``, and ``roi`` /
      ``mroi`` against ``roi_m`` / ``mroi_m``).  A truth per geo is compared
      with a posterior without ``geo`` only where it is the same in every geo.
    * **derived** (pymc-marketing truth with ``channel_contribution``), each
      computed by the same formula from the truth and from every draw of the
      posterior's ``channel_contribution`` times ``target_scale``:

      - ``incremental_outcome`` (geo, channel): the channel's contribution summed over dates, in ``y`` units;
      - ``incremental_outcome_all_geos`` (channel): summed over geos too (several geos only);
      - ``total_media_contribution_original_scale`` (): summed over dates, geos and channels
        (pymc-marketing's deterministic of that name);
      - ``contribution_share`` (geo, channel): the channel's share of the geo's media contribution
        (pymc-marketing's ``get_channel_contribution_share_samples``), in [0, 1];
        ``contribution_share_all_geos`` (channel) over all geos;
      - ``roas`` (geo, channel): incremental outcome / total spend (pymc-marketing's elementwise ROAS
        over the whole window); ``roas_all_geos`` (channel).  Needs spend (see ``spend``).

    Budget regret and other decision scores are separate scorers that return
    this layout (see ``scorers`` of :func:`xmmm.recovery_study`).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> truth = xr.Dataset({"y_sigma": ("geo", [1.0])}, coords={"geo": ["a"]})
    >>> draws = np.random.default_rng(1).normal(1.0, 0.1, (2, 1000, 1))
    >>> s = score(truth, xr.Dataset({"y_sigma": (("chain", "draw", "geo"), draws)}, coords={"geo": ["a"]}))
    >>> bool(s["covered"][0]), round(float(s["interval_width"][0]), 1)
    (True, 0.4)
    """
    prob = _prob(prob)
    flat = _flatten(_pairs(truth, posterior, spend), posterior)
    samples = flat.samples.reshape(len(flat.truth), flat.samples.shape[1] * flat.samples.shape[2])
    values = _statistics(flat.truth, samples, flat.samples.shape[1], flat.samples.shape[2], prob)
    if convergence:
        values.update(_convergence(flat.samples))
    return flat.dataset(values, prob=prob, n_samples=samples.shape[1])


def convergence(truth, posterior, *, spend: xr.DataArray | None = None) -> xr.Dataset:
    """R-hat and effective sample sizes of every estimand of :func:`score`, on its labels.

    ``r_hat`` is ArviZ's rank-normalised split R-hat, ``ess_bulk`` and
    ``ess_tail`` its bulk and tail effective sample sizes, computed on the
    draws of each estimand (derived ones included).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> truth = xr.Dataset({"y_sigma": ("geo", [1.0])}, coords={"geo": ["a"]})
    >>> draws = np.random.default_rng(1).normal(1.0, 0.1, (4, 500, 1))
    >>> c = convergence(truth, xr.Dataset({"y_sigma": (("chain", "draw", "geo"), draws)}, coords={"geo": ["a"]}))
    >>> bool(c["r_hat"][0] < 1.01), bool(c["ess_bulk"][0] > 1000)
    (True, True)
    """
    flat = _flatten(_pairs(truth, posterior, spend), posterior)
    return flat.dataset(_convergence(flat.samples))


def _convergence(samples: np.ndarray) -> dict:
    """R-hat and ESS of rows of draws (estimand, chain, draw)."""
    import arviz as az

    if len(samples) == 0:
        return {k: np.zeros(0) for k in ("r_hat", "ess_bulk", "ess_tail")}
    draws = xr.Dataset({"x": (("estimand", "chain", "draw"), samples)})
    with warnings.catch_warnings():
        # one chain: arviz logs and returns NaN, which is the honest answer
        warnings.simplefilter("ignore", RuntimeWarning)
        return {
            "r_hat": az.rhat(draws)["x"].values,
            "ess_bulk": az.ess(draws, method="bulk")["x"].values,
            "ess_tail": az.ess(draws, method="tail")["x"].values,
        }


@dataclass(frozen=True)
class _Flat:
    """Estimands as rows: labels, truth (n,) and draws (n, chain, draw)."""

    labels: list
    variables: list
    kinds: list
    coords: dict
    truth: np.ndarray
    samples: np.ndarray

    def dataset(self, values: dict, **attrs) -> xr.Dataset:
        return xr.Dataset(
            {k: ("estimand", v) for k, v in values.items()},
            coords={
                "estimand": np.asarray(self.labels, dtype=object),
                "variable": ("estimand", np.asarray(self.variables, dtype=object)),
                "kind": ("estimand", np.asarray(self.kinds, dtype=object)),
                **{c: ("estimand", np.asarray(v, dtype=object)) for c, v in sorted(self.coords.items())},
            },
            attrs=attrs,
        )


def _flatten(pairs: dict[str, _Pair], posterior) -> _Flat:
    labels, variables, kinds, truths, rows = [], [], [], [], []
    coords: dict[str, list] = {c: [] for c in sorted(set(LABEL_DIMS.values()))}
    n_chain, n_draw = _sample_shape(posterior)
    for name, pair in pairs.items():
        t = pair.truth
        flat_t = t.values.reshape(-1)
        d = pair.draws.values.reshape(n_chain, n_draw, -1)
        index = list(np.ndindex(*t.shape)) if t.ndim else [()]
        for k, idx in enumerate(index):
            if not np.isfinite(flat_t[k]) or not np.all(np.isfinite(d[:, :, k])):
                continue
            parts = {LABEL_DIMS.get(dim, dim): str(t[dim].values[i]) for dim, i in zip(t.dims, idx)}
            labels.append(f"{name}[{', '.join(parts.values())}]" if parts else name)
            variables.append(name)
            kinds.append(pair.kind)
            for c in coords:
                coords[c].append(parts.get(c, ""))
            truths.append(float(flat_t[k]))
            rows.append(d[:, :, k])
    samples = np.asarray(rows, dtype=float).reshape(len(rows), n_chain, n_draw)
    return _Flat(labels, variables, kinds, coords, np.asarray(truths, dtype=float), samples)


def _sample_shape(posterior) -> tuple[int, int]:
    post, _ = _posterior(posterior)
    return int(post.sizes["chain"]), int(post.sizes["draw"])


def _statistics(truth: np.ndarray, draws: np.ndarray, n_chain: int, n_draw: int, prob: float) -> dict:
    """Every statistic of :data:`STATISTICS` for rows of draws (estimand, sample)."""
    import arviz as az

    n = len(truth)
    a = 1.0 - prob
    if n == 0:
        return {k: np.zeros(0, dtype=bool if "covered" in k else float) for k in STATISTICS}
    lower, upper = np.quantile(draws, [a / 2, 1 - a / 2], axis=1)
    # arviz takes (chain, draw, *shape); restore the chains so that its multimodal checks see them
    hdi = np.asarray(az.hdi(np.moveaxis(draws.reshape(n, n_chain, n_draw), 0, -1), hdi_prob=prob)).reshape(n, 2)
    mean = draws.mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(truth != 0, (mean - truth) / np.abs(truth), np.nan)
    return {
        "truth": truth,
        "mean": mean,
        "median": np.median(draws, axis=1),
        "sd": draws.std(axis=1),
        "lower": lower,
        "upper": upper,
        "hdi_lower": hdi[:, 0],
        "hdi_upper": hdi[:, 1],
        "covered": (lower <= truth) & (truth <= upper),
        "hdi_covered": (hdi[:, 0] <= truth) & (truth <= hdi[:, 1]),
        "bias": mean - truth,
        "relative_error": relative,
        "interval_width": upper - lower,
        "hdi_width": hdi[:, 1] - hdi[:, 0],
        "interval_score": interval_score(lower, upper, truth, prob),
        "crps": crps_from_draws(draws, truth),
        "pit": (draws < truth[:, None]).mean(axis=1),
    }


def _prob(value, name: str = "prob") -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not 0 < value < 1 \
            or not math.isfinite(value):
        raise ConfigError(f"{name} must be a number in (0, 1); got {value!r}")
    return float(value)

