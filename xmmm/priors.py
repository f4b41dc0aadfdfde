"""Sampled ground truth: parameters given as distributions, drawn once per replicate.

A simulation study (:func:`xmmm.simulate`) may give any base value of
:func:`xmmm.generate.base_values` as a distribution instead of a number, e.g.
``{"transforms.adstock_alpha": Prior("Beta", alpha=2, beta=5)}``.  Each
replicate then draws its own value (one per channel or control where the
parameter has one), and the drawn value is that replicate's ground truth.

Distributions are written as pymc-marketing / pymc-extras ``Prior`` objects or
as plain dicts for config files, ``{"dist": "Beta", "alpha": 2, "beta": 5}``
(``Prior.to_dict()``'s ``{"dist": ..., "kwargs": {...}}`` works too), with
PyMC's names and parameterisations.  No PyMC model is built: a draw is the
distribution's quantile function at a uniform number,

.. math::
    \\theta_{r, s} = F^{-1}(u_{r, s}), \\qquad
    u_{r, s} = U(\\text{seed}, \\text{"prior"}, \\text{parameter}, s, r),

where ``U`` is a counter-based uniform of :mod:`xmmm.random` named by the
seed, the parameter, the channel (or control) name and the replicate number.
So a replicate's draws do not depend on the chunking, on how many replicates
are simulated with it, or on which other parameters are sampled; and a prior
given for one channel draws the same value as one given for all channels.

Examples
--------
>>> from xmmm.priors import to_scipy
>>> float(to_scipy({"dist": "Gamma", "mu": 2.0, "sigma": 1.0}).mean())
2.0
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from xmmm.config import MMMDataConfig
from xmmm.errors import ConfigError

__all__ = [
    "DISTRIBUTIONS",
    "PriorSpec",
    "SampledParameter",
    "parse_prior",
    "parse_priors",
    "prior_variable_name",
    "priors_to_json",
    "sample_base",
    "to_scipy",
    "valid_paths",
]


# --------------------------------------------------------------------------- distributions
def _precision_to_sigma(sigma, tau, what: str):
    if sigma is not None and tau is not None:
        raise ConfigError(f"{what}: give sigma or tau, not both")
    if tau is not None:
        return 1.0 / np.sqrt(tau)
    return 1.0 if sigma is None else sigma


class _Folded:
    """The absolute value of a distribution symmetric about 0 (HalfStudentT)."""

    def __init__(self, base) -> None:
        self.base = base

    def ppf(self, u):
        return self.base.ppf(0.5 + 0.5 * np.asarray(u))

    def support(self):
        return 0.0, math.inf


class _Mapped:
    """A monotone increasing function of a distribution (LogitNormal)."""

    def __init__(self, base, fn: Callable, support: tuple[float, float]) -> None:
        self.base, self.fn, self._support = base, fn, support

    def ppf(self, u):
        return self.fn(self.base.ppf(u))

    def support(self):
        return self._support


def _normal(mu=0.0, sigma=None, tau=None):
    from scipy import stats

    return stats.norm(loc=mu, scale=_precision_to_sigma(sigma, tau, "Normal"))


def _half_normal(sigma=None, tau=None):
    from scipy import stats

    return stats.halfnorm(scale=_precision_to_sigma(sigma, tau, "HalfNormal"))


def _log_normal(mu=0.0, sigma=None, tau=None):
    from scipy import stats

    return stats.lognorm(s=_precision_to_sigma(sigma, tau, "LogNormal"), scale=np.exp(mu))


def _logit_normal(mu=0.0, sigma=None, tau=None):
    from scipy import special

    return _Mapped(_normal(mu, _precision_to_sigma(sigma, tau, "LogitNormal")), special.expit, (0.0, 1.0))


def _truncated_normal(mu=0.0, sigma=None, tau=None, lower=None, upper=None):
    from scipy import stats

    sigma = _precision_to_sigma(sigma, tau, "TruncatedNormal")
    lo = -np.inf if lower is None else lower
    hi = np.inf if upper is None else upper
    return stats.truncnorm(a=(np.asarray(lo) - mu) / sigma, b=(np.asarray(hi) - mu) / sigma, loc=mu, scale=sigma)


def _beta(alpha=None, beta=None, mu=None, sigma=None, nu=None):
    from scipy import stats

    if alpha is not None and beta is not None and mu is None and sigma is None and nu is None:
        pass
    elif mu is not None and sigma is not None and alpha is None and beta is None and nu is None:
        kappa = np.asarray(mu) * (1 - np.asarray(mu)) / np.asarray(sigma) ** 2 - 1
        alpha, beta = mu * kappa, (1 - np.asarray(mu)) * kappa
    elif mu is not None and nu is not None and alpha is None and beta is None and sigma is None:
        alpha, beta = np.asarray(mu) * nu, (1 - np.asarray(mu)) * nu
    else:
        raise ConfigError("Beta: give alpha and beta, mu and sigma, or mu and nu")
    return stats.beta(a=alpha, b=beta)


def _gamma(alpha=None, beta=None, mu=None, sigma=None):
    from scipy import stats

    if alpha is not None and beta is not None and mu is None and sigma is None:
        pass
    elif mu is not None and sigma is not None and alpha is None and beta is None:
        alpha, beta = np.asarray(mu) ** 2 / np.asarray(sigma) ** 2, np.asarray(mu) / np.asarray(sigma) ** 2
    else:
        raise ConfigError("Gamma: give alpha and beta, or mu and sigma")
    return stats.gamma(a=alpha, scale=1.0 / np.asarray(beta, dtype=float))


def _inverse_gamma(alpha=None, beta=None, mu=None, sigma=None):
    from scipy import stats

    if alpha is not None and mu is None and sigma is None:
        beta = 1.0 if beta is None else beta
    elif mu is not None and sigma is not None and alpha is None and beta is None:
        mu, sigma = np.asarray(mu, dtype=float), np.asarray(sigma, dtype=float)
        alpha, beta = mu**2 / sigma**2 + 2.0, mu * (mu**2 + sigma**2) / sigma**2
    else:
        raise ConfigError("InverseGamma: give alpha (and optionally beta), or mu and sigma")
    return stats.invgamma(a=alpha, scale=beta)


def _exponential(lam=None, scale=None):
    from scipy import stats

    if (lam is None) == (scale is None):
        raise ConfigError("Exponential: give lam or scale")
    return stats.expon(scale=1.0 / np.asarray(lam, dtype=float) if scale is None else scale)


def _uniform(lower=0.0, upper=1.0):
    from scipy import stats

    return stats.uniform(loc=lower, scale=np.asarray(upper) - lower)


def _half_cauchy(beta):
    from scipy import stats

    return stats.halfcauchy(scale=beta)


def _cauchy(alpha, beta):
    from scipy import stats

    return stats.cauchy(loc=alpha, scale=beta)


def _student_t(nu, mu=0.0, sigma=None, lam=None):
    from scipy import stats

    sigma = _precision_to_sigma(sigma, lam, "StudentT")
    return stats.t(df=nu, loc=mu, scale=sigma)


def _half_student_t(nu, sigma=None, lam=None):
    from scipy import stats

    return _Folded(stats.t(df=nu, scale=_precision_to_sigma(sigma, lam, "HalfStudentT")))


def _laplace(mu, b):
    from scipy import stats

    return stats.laplace(loc=mu, scale=b)


def _logistic(mu=0.0, s=1.0):
    from scipy import stats

    return stats.logistic(loc=mu, scale=s)


def _weibull(alpha, beta):
    from scipy import stats

    return stats.weibull_min(c=alpha, scale=beta)


def _gumbel(mu, beta):
    from scipy import stats

    return stats.gumbel_r(loc=mu, scale=beta)


def _triangular(lower=0.0, upper=1.0, c=0.5):
    from scipy import stats

    width = np.asarray(upper, dtype=float) - lower
    return stats.triang(c=(np.asarray(c) - lower) / width, loc=lower, scale=width)


def _skew_normal(alpha=1.0, mu=0.0, sigma=None, tau=None):
    from scipy import stats

    return stats.skewnorm(a=alpha, loc=mu, scale=_precision_to_sigma(sigma, tau, "SkewNormal"))


def _chi_squared(nu):
    from scipy import stats

    return stats.chi2(df=nu)


def _pareto(alpha, m):
    from scipy import stats

    return stats.pareto(b=alpha, scale=m)


#: PyMC distribution name -> builder of the scipy distribution, with PyMC's parameter names
DISTRIBUTIONS: dict[str, Callable] = {
    "Normal": _normal,
    "HalfNormal": _half_normal,
    "LogNormal": _log_normal,
    "LogitNormal": _logit_normal,
    "TruncatedNormal": _truncated_normal,
    "Beta": _beta,
    "Gamma": _gamma,
    "InverseGamma": _inverse_gamma,
    "Exponential": _exponential,
    "Uniform": _uniform,
    "HalfCauchy": _half_cauchy,
    "Cauchy": _cauchy,
    "StudentT": _student_t,
    "HalfStudentT": _half_student_t,
    "Laplace": _laplace,
    "Logistic": _logistic,
    "Weibull": _weibull,
    "Gumbel": _gumbel,
    "Triangular": _triangular,
    "SkewNormal": _skew_normal,
    "ChiSquared": _chi_squared,
    "Pareto": _pareto,
}


# --------------------------------------------------------------------------- one prior
@dataclass(frozen=True)
class PriorSpec:
    """A parsed distribution: PyMC name and numeric parameters (plain data, picklable).

    Parameters
    ----------
    dist : str
        A key of :data:`DISTRIBUTIONS`.
    params : tuple of (str, float or tuple)
        Parameters in PyMC's names; a tuple value holds one value per channel
        (or control) in config order.
    """

    dist: str
    params: tuple

    def frozen(self):
        """The scipy.stats frozen distribution (or an object with ``ppf`` and ``support``)."""
        kwargs = {k: (np.asarray(v, dtype=float) if isinstance(v, tuple) else v) for k, v in self.params}
        return DISTRIBUTIONS[self.dist](**kwargs)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Quantiles at ``u`` (broadcast against per-channel parameters on the last axis)."""
        return np.asarray(self.frozen().ppf(u), dtype=float)

    def to_dict(self) -> dict:
        """``{"dist": name, **params}``, the config-file form (JSON-safe)."""
        return {"dist": self.dist, **{k: (list(v) if isinstance(v, tuple) else v) for k, v in self.params}}

    def __str__(self) -> str:
        inner = ", ".join(f"{k}={list(v) if isinstance(v, tuple) else v!r}" for k, v in self.params)
        return f"{self.dist}({inner})"


def _plain_number(value, where: str):
    if isinstance(value, (bool, np.bool_)):
        raise ConfigError(f"{where} must be a number; got {value!r}")
    if hasattr(value, "distribution") and hasattr(value, "parameters"):
        raise ConfigError(
            f"{where} is itself a distribution ({value!r}); hierarchical priors are not supported, "
            "give numbers"
        )
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ConfigError(f"{where} must be a number or a list of numbers; got {value!r}") from None
    if arr.ndim > 1 or not np.isfinite(arr).all():
        raise ConfigError(f"{where} must be a finite number or a list of finite numbers; got {value!r}")
    return float(arr) if arr.ndim == 0 else tuple(float(x) for x in arr)


def parse_prior(obj, where: str = "prior") -> PriorSpec:
    """A distribution given as a ``Prior`` object or a dict, as a :class:`PriorSpec`.

    Parameters
    ----------
    obj : Prior or dict
        ``pymc_extras.prior.Prior`` (what ``pymc_marketing.prior.Prior`` is),
        any object with ``distribution`` and ``parameters`` attributes, a dict
        ``{"dist": "Beta", "alpha": 2, "beta": 5}`` or
        ``{"dist": "Beta", "kwargs": {"alpha": 2, "beta": 5}}``.
    where : str
        Name used in error messages.

    Raises
    ------
    ConfigError
        An unknown distribution, an unknown or missing parameter, a
        non-numeric (e.g. hierarchical) parameter, a transform.

    Examples
    --------
    >>> parse_prior({"dist": "Beta", "alpha": 2, "beta": 5})
    PriorSpec(dist='Beta', params=(('alpha', 2.0), ('beta', 5.0)))
    """
    if isinstance(obj, PriorSpec):
        return obj
    if isinstance(obj, Mapping):
        data = dict(obj)
        name = data.pop("dist", data.pop("distribution", None))
        if name is None:
            raise ConfigError(f"{where}: a distribution dict needs a 'dist' key, e.g. {{'dist': 'Beta', 'alpha': 2, "
                              f"'beta': 5}}; got {obj!r}")
        if "kwargs" in data and isinstance(data["kwargs"], Mapping):
            extra = {k: v for k, v in data.items() if k != "kwargs"}
            data = dict(data["kwargs"])
        else:
            extra = {}
        if extra.get("transform") is not None:
            raise ConfigError(f"{where}: transformed priors are not supported; got transform={extra['transform']!r}")
    elif hasattr(obj, "distribution") and hasattr(obj, "parameters"):
        name = obj.distribution
        if not isinstance(name, str):
            raise ConfigError(f"{where}: {type(obj).__name__} is not supported (only plain Prior distributions)")
        if getattr(obj, "transform", None) is not None:
            raise ConfigError(f"{where}: transformed priors are not supported; got transform={obj.transform!r}")
        data = dict(obj.parameters)
    else:
        raise ConfigError(
            f"{where} must be a Prior (pymc_marketing.prior.Prior) or a dict like "
            f"{{'dist': 'Beta', 'alpha': 2, 'beta': 5}}; got {obj!r}"
        )
    if name not in DISTRIBUTIONS:
        raise ConfigError(f"{where}: unknown distribution {name!r}; supported: {', '.join(sorted(DISTRIBUTIONS))}")
    params = tuple((str(k), _plain_number(v, f"{where}: {name} parameter {k}")) for k, v in data.items())
    spec = PriorSpec(name, params)
    _check_builds(spec, where)
    return spec


def _check_builds(spec: PriorSpec, where: str) -> None:
    import inspect

    builder = DISTRIBUTIONS[spec.dist]
    accepted = list(inspect.signature(builder).parameters)
    unknown = [k for k, _ in spec.params if k not in accepted]
    if unknown:
        raise ConfigError(
            f"{where}: {spec.dist} has no parameter {', '.join(map(repr, unknown))}; its parameters are "
            f"{', '.join(accepted)}"
        )
    try:
        with np.errstate(all="ignore"):
            dist = spec.frozen()
            probe = np.asarray(dist.ppf(np.array([0.001, 0.5, 0.999])[:, None]), dtype=float)
    except ConfigError as err:
        raise ConfigError(f"{where}: {err}") from None
    except TypeError as err:
        raise ConfigError(f"{where}: {spec.dist}: {err}") from None
    if not np.isfinite(probe).all():
        raise ConfigError(f"{where}: {spec} is not a valid distribution (check its parameters' ranges)")


def to_scipy(obj):
    """The scipy.stats frozen distribution of a ``Prior`` or distribution dict.

    Parameterisations follow PyMC, e.g. Gamma ``alpha, beta`` is
    ``scipy.stats.gamma(a=alpha, scale=1 / beta)``, LogNormal ``mu, sigma`` is
    ``scipy.stats.lognorm(s=sigma, scale=exp(mu))``.  ``HalfStudentT`` and
    ``LogitNormal``, which scipy lacks, give small objects with ``ppf`` and
    ``support`` only.

    Examples
    --------
    >>> round(float(to_scipy({"dist": "LogNormal", "mu": 0.0, "sigma": 1.0}).median()), 6)
    1.0
    """
    return parse_prior(obj).frozen()


# --------------------------------------------------------------------------- which parameters
def valid_paths(config: MMMDataConfig) -> list[str]:
    """Parameter paths that may be given a distribution (the keys of ``base_values``)."""
    from xmmm.plan import base_values

    return list(base_values(config, 1))


def _items(config: MMMDataConfig, key: str) -> list[str] | None:
    """Labels of the per-item axis of a base value (channel or control names), None for scalars."""
    group = key.split(".", 1)[0]
    if group in ("channels", "transforms"):
        return config.channel_names
    if group == "controls":
        return config.control_names
    return None


def prior_variable_name(key: str) -> str:
    """Name of the Dataset variable holding the drawn values, e.g. ``prior_transforms_adstock_alpha``."""
    return "prior_" + key.replace(".", "_")


_ITEM = re.compile(r"^(?P<group>channels|controls|transforms)(?:\[(?P<item>[^\]]+)\]\.|\.)(?P<rest>.+)$")


@dataclass(frozen=True)
class SampledParameter:
    """One parsed entry of ``priors``: which base value, which items, which distribution."""

    path: str  #: as the user wrote it
    key: str  #: the ``base_values`` key
    items: tuple[int, ...] | None  #: channel/control indices drawn; None for a scalar
    prior: PriorSpec


def parse_priors(priors: Mapping | None, config: MMMDataConfig) -> list[SampledParameter]:
    """Check and resolve the ``priors`` argument of :func:`xmmm.simulate`.

    Parameters
    ----------
    priors : mapping of str to distribution, optional
        Keys are parameter paths: ``"channels.base_effectiveness"`` (every
        channel), ``"channels[TV].base_effectiveness"`` or
        ``"channels.TV.base_effectiveness"`` (one channel, by name or index),
        likewise ``controls...`` and ``transforms.adstock_alpha`` /
        ``transforms[TV].adstock_alpha``; ``regions.base_sales_rate``, ... .
    config : MMMDataConfig

    Returns
    -------
    list of SampledParameter

    Raises
    ------
    ConfigError
        An unknown path (listing the valid ones), an unknown item, a path
        given twice for the same item, a bad distribution.
    """
    if not priors:
        return []
    if not isinstance(priors, Mapping):
        raise ConfigError(f"priors must be a mapping from parameter path to distribution; got {type(priors).__name__}")
    from xmmm.plan import base_values

    base = base_values(config, 1)
    valid = list(base)
    out: list[SampledParameter] = []
    taken: dict[tuple[str, int | None], str] = {}
    for path, dist in priors.items():
        if not isinstance(path, str):
            raise ConfigError(f"priors: keys must be parameter paths (str); got {path!r}")
        key, item = _split_path(path, valid)
        labels = _items(config, key)
        if item is None:
            idx = None if labels is None else tuple(i for i in range(len(labels)) if not np.isnan(base[key][0, i]))
            if idx == ():
                raise ConfigError(f"priors[{path!r}]: no channel uses this parameter")
        else:
            if labels is None:
                raise ConfigError(f"priors[{path!r}]: {key} has one value per study, not per item")
            i = _item_index(item, labels, path)
            if np.isnan(base[key][0, i]):
                raise ConfigError(f"priors[{path!r}]: channel {labels[i]!r}'s function has no such parameter")
            idx = (i,)
        spec = parse_prior(dist, f"priors[{path!r}]")
        _check_shape(spec, labels, path, single=item is not None)
        for i in idx if idx is not None else (None,):
            if (key, i) in taken:
                what = key if i is None else f"{key} of {labels[i]!r}"
                raise ConfigError(f"priors: {what} is given twice ({taken[(key, i)]!r} and {path!r})")
            taken[(key, i)] = path
        out.append(SampledParameter(path, key, idx, spec))
    return out


def _split_path(path: str, valid: Sequence[str]) -> tuple[str, str | None]:
    if path in valid:
        return path, None
    m = _ITEM.match(path)
    if m:
        group, item, rest = m["group"], m["item"], m["rest"]
        if item is None and "." in rest:  # channels.<name>.<field>; a name may hold dots
            item, field = rest.rsplit(".", 1)
        else:
            field = rest
        key = f"{group}.{field}"
        if key in valid and item is not None:
            return key, item
    raise ConfigError(
        f"priors: unknown parameter path {path!r}; valid paths are {', '.join(valid)} "
        "(add [name] after channels/controls/transforms for one item, e.g. 'channels[TV].base_effectiveness')"
    )


def _item_index(item: str, labels: Sequence[str], path: str) -> int:
    if item in labels:
        return list(labels).index(item)
    if item.isdigit() and int(item) < len(labels):
        return int(item)
    raise ConfigError(f"priors[{path!r}]: unknown name {item!r}; the names are {', '.join(map(repr, labels))}")


def _check_shape(spec: PriorSpec, labels, path: str, single: bool) -> None:
    for name, value in spec.params:
        if isinstance(value, tuple) and (single or labels is None or len(value) != len(labels)):
            expected = (
                "one value" if single or labels is None
                else f"one value or a list of {len(labels)} (one per item, in config order)"
            )
            raise ConfigError(f"priors[{path!r}]: parameter {name} must be {expected}; got {list(value)}")


# --------------------------------------------------------------------------- valid ranges
def _range_of(config: MMMDataConfig, key: str, item: int | None):
    """(lower, upper, lower_inclusive, upper_inclusive, text) of one base value."""
    from xmmm.plan import channel_stages

    fixed = {
        "regions.base_sales_rate": (0.0, None, False, True),
        "regions.sales_trend": (None, None, True, True),
        "regions.sales_volatility": (0.0, None, True, True),
        "regions.seasonal_amplitude": (0.0, 1.0, True, True),
        "channels.base_spend": (0.0, None, True, True),
        "channels.base_effectiveness": (0.0, None, True, True),
        "controls.base_value": (0.0, None, True, True),
        "controls.base_effectiveness": (None, None, True, True),
    }
    if key in fixed:
        lo, hi, li, hi_inc = fixed[key]
    else:
        family, pname = key.split(".", 1)[1].split("_", 1)
        p = channel_stages(config, family)[item].transform.parameter(pname)
        lo, hi, li, hi_inc = p.lower, p.upper, p.lower_inclusive, p.upper_inclusive
    if lo is not None and hi is not None:
        text = f"in {'[' if li else '('}{lo:g}, {hi:g}{']' if hi_inc else ')'}"
    elif lo is not None:
        text = f"{'>=' if li else '>'} {lo:g}"
    elif hi is not None:
        text = f"{'<=' if hi_inc else '<'} {hi:g}"
    else:
        text = "finite"
    return lo, hi, li, hi_inc, text


def _in_range(values: np.ndarray, lo, hi, li, hi_inc) -> np.ndarray:
    ok = np.isfinite(values)
    if lo is not None:
        ok &= values >= lo if li else values > lo
    if hi is not None:
        ok &= values <= hi if hi_inc else values < hi
    return ok


# --------------------------------------------------------------------------- sampling
def sample_base(
    config: MMMDataConfig, sampled: Sequence[SampledParameter], replicates: Sequence[int]
) -> dict[str, np.ndarray]:
    """Base values of the sampled parameters for the given replicates.

    Parameters
    ----------
    config : MMMDataConfig
        With a seed.
    sampled : list of SampledParameter
        From :func:`parse_priors`.
    replicates : sequence of int

    Returns
    -------
    dict of numpy.ndarray
        One entry per sampled ``base_values`` key, shaped like
        ``base_values(config, len(replicates))[key]``: the configured values
        with the drawn ones in place.

    Raises
    ------
    ConfigError
        A drawn value outside the parameter's valid range; the message names
        the parameter, the item, the replicate and the range.
    """
    from xmmm.plan import base_values
    from xmmm.random import stream_keys, uniforms

    if not sampled:
        return {}
    reps = [int(r) for r in replicates]
    seed = int(config.seed)
    base = base_values(config, len(reps))
    out: dict[str, np.ndarray] = {}
    for entry in sampled:
        values = out.setdefault(entry.key, base[entry.key].copy())
        labels = _items(config, entry.key)
        if entry.items is None:
            # the stream is named by the parameter only: one draw per replicate
            u = uniforms(stream_keys(seed, "prior", [entry.key], replicates=reps), 1)[:, 0, 0]
            values[:] = _draw(entry, u, config, None, reps)
            continue
        names = [labels[i] for i in entry.items]
        # named by parameter and item: drawing all channels or one gives the same value
        u = uniforms(stream_keys(seed, "prior", [entry.key], names, replicates=reps), 1)[:, 0, :, 0]
        values[:, list(entry.items)] = _draw(entry, u, config, entry.items, reps)
    return out


def _draw(entry: SampledParameter, u: np.ndarray, config, items, reps) -> np.ndarray:
    prior = entry.prior
    if items is not None and any(isinstance(v, tuple) for _, v in prior.params):
        # per-item parameters: keep the columns of the drawn items
        params = tuple(
            (k, tuple(v[i] for i in items) if isinstance(v, tuple) else v) for k, v in prior.params
        )
        prior = PriorSpec(prior.dist, params)
    with np.errstate(all="ignore"):
        drawn = prior.ppf(u)
    drawn = np.broadcast_to(drawn, u.shape)
    for j, item in enumerate(items if items is not None else (None,)):
        column = drawn if item is None else drawn[:, j]
        lo, hi, li, hi_inc, text = _range_of(config, entry.key, item)
        ok = _in_range(column, lo, hi, li, hi_inc)
        if not ok.all():
            bad = int(np.flatnonzero(~ok)[0])
            field = entry.key.split(".", 1)[1]
            label = "" if item is None else f" of {_items(config, entry.key)[item]!r}"
            raise ConfigError(
                f"priors[{entry.path!r}]: replicate {reps[bad]} drew {field}{label} = {column[bad]:.6g}, but "
                f"{field} must be {text}; use a distribution whose support lies in that range (e.g. Beta, "
                "TruncatedNormal, HalfNormal, LogNormal)"
            )
    return drawn


def priors_to_json(sampled: Sequence[SampledParameter]) -> str:
    """The priors of a study as JSON (``{path: {"dist": ..., params}}``), for Dataset attrs."""
    return json.dumps({e.path: e.prior.to_dict() for e in sampled}, sort_keys=True)
