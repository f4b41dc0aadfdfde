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

import functools
import inspect
import json
import math
import re
import sys
import warnings
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
    "to_preliz",
    "to_scipy",
    "valid_paths",
]


# --------------------------------------------------------------------------- distributions
# PyMC's signatures give the names, order and defaults of the parameters; preliz
# resolves the parameterisation (Beta mu/sigma or mu/nu, Gamma mu/sigma, sigma or
# precision, ...); scipy evaluates the quantile from preliz's resolved parameters.
# preliz's own ppf is not used: it rounds differently for most distributions
# (draws stay bit-identical to xmmm 0.1's) and compiles per process.


def _inverse_gamma_scale(d, p):
    # PyMC's beta = mu (mu^2 + sigma^2) / sigma^2; preliz's mu^3 / sigma^2 + mu rounds otherwise
    return p["mu"] * (p["mu"] ** 2 + p["sigma"] ** 2) / p["sigma"] ** 2 if "mu" in p else d.beta


#: PyMC name -> (scipy.stats name, its arguments from the preliz distribution ``d``
#: and the given parameters ``p``, ``"fold"`` or ``"expit"`` for the two that
#: scipy lacks).  ``p`` is read only where preliz's own conversion rounds otherwise.
_SCIPY: dict[str, tuple[str, Callable, str]] = {
    "Normal": ("norm", lambda d, p: {"loc": d.mu, "scale": d.sigma}, ""),
    "HalfNormal": ("halfnorm", lambda d, p: {"scale": d.sigma}, ""),
    "LogNormal": ("lognorm", lambda d, p: {"s": d.sigma, "scale": np.exp(d.mu)}, ""),
    "LogitNormal": ("norm", lambda d, p: {"loc": d.mu, "scale": d.sigma}, "expit"),
    "TruncatedNormal": (
        "truncnorm",
        lambda d, p: {"a": (d.lower - d.mu) / d.sigma, "b": (d.upper - d.mu) / d.sigma, "loc": d.mu, "scale": d.sigma},
        "",
    ),
    "Beta": ("beta", lambda d, p: {"a": d.alpha, "b": d.beta}, ""),
    "Gamma": ("gamma", lambda d, p: {"a": d.alpha, "scale": 1.0 / d.beta}, ""),
    "InverseGamma": ("invgamma", lambda d, p: {"a": d.alpha, "scale": _inverse_gamma_scale(d, p)}, ""),
    # preliz keeps a given scale as 1 / (1 / scale)
    "Exponential": ("expon", lambda d, p: {"scale": p["scale"] if "scale" in p else 1.0 / d.lam}, ""),
    "Uniform": ("uniform", lambda d, p: {"loc": d.lower, "scale": d.upper - d.lower}, ""),
    "HalfCauchy": ("halfcauchy", lambda d, p: {"scale": d.beta}, ""),
    "Cauchy": ("cauchy", lambda d, p: {"loc": d.alpha, "scale": d.beta}, ""),
    "StudentT": ("t", lambda d, p: {"df": d.nu, "loc": d.mu, "scale": d.sigma}, ""),
    "HalfStudentT": ("t", lambda d, p: {"df": d.nu, "scale": d.sigma}, "fold"),
    "Laplace": ("laplace", lambda d, p: {"loc": d.mu, "scale": d.b}, ""),
    "Logistic": ("logistic", lambda d, p: {"loc": d.mu, "scale": d.s}, ""),
    "Weibull": ("weibull_min", lambda d, p: {"c": d.alpha, "scale": d.beta}, ""),
    "Gumbel": ("gumbel_r", lambda d, p: {"loc": d.mu, "scale": d.beta}, ""),
    "Triangular": (
        "triang",
        lambda d, p: {"c": (d.c - d.lower) / (d.upper - d.lower), "loc": d.lower, "scale": d.upper - d.lower},
        "",
    ),
    "SkewNormal": ("skewnorm", lambda d, p: {"a": d.alpha, "loc": d.mu, "scale": d.sigma}, ""),
    "ChiSquared": ("chi2", lambda d, p: {"df": d.nu}, ""),
    "Pareto": ("pareto", lambda d, p: {"b": d.alpha, "scale": d.m}, ""),
}

#: how the distributions with alternative parameterisations may be given
_ALTERNATIVES = {
    "Beta": "give alpha and beta, mu and sigma, or mu and nu",
    "Gamma": "give alpha and beta, or mu and sigma",
    "InverseGamma": "give alpha (and optionally beta), or mu and sigma",
    "Exponential": "give lam or scale",
}

_REQUIRED = inspect.Parameter.empty


def _scipy_builder(name: str) -> Callable:
    def build(**params):
        return parse_prior({"dist": name, **params}).frozen()

    build.__name__ = build.__qualname__ = name
    build.__doc__ = f"The scipy.stats distribution of PyMC's {name} with these parameters."
    return build


#: PyMC distribution name -> builder of the scipy distribution, with PyMC's parameter names
DISTRIBUTIONS: dict[str, Callable] = {name: _scipy_builder(name) for name in _SCIPY}


def _preliz():
    """The preliz module, imported on first use (it loads PyMC: seconds).

    preliz before 0.27 (the last for Python 3.11 is 0.24) reaches
    ``matplotlib.style.core`` as an attribute, which matplotlib 3.11 no longer
    imports by itself; it is imported first, quietly as it is deprecated.
    preliz also sets ``savefig.bbox`` on import: matplotlib's settings are
    kept as they were.
    """
    if "preliz" not in sys.modules:
        import matplotlib

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", matplotlib.MatplotlibDeprecationWarning)
            try:
                import matplotlib.style.core  # noqa: F401
            except ImportError:  # matplotlib >= 3.13, with a preliz that no longer needs it
                pass
        with matplotlib.rc_context():
            import preliz  # noqa: F401
    return sys.modules["preliz"]


@functools.cache
def _pymc_parameters(name: str) -> tuple[tuple[str, object], ...]:
    """``(name, default)`` of PyMC's parameters of a distribution, in PyMC's order."""
    import pymc

    signature = inspect.signature(getattr(pymc, name).dist)
    return tuple(
        (p.name, p.default) for p in signature.parameters.values()
        if p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    )


def _missing(name: str, names: Sequence[str]) -> str:
    """Python's own words for missing arguments, as the message has always been."""
    quoted = [repr(n) for n in names]
    listed = " and ".join(quoted) if len(quoted) <= 2 else ", ".join(quoted[:-1]) + f", and {quoted[-1]}"
    return f"{name}: missing {len(names)} required positional argument{'s' if len(names) > 1 else ''}: {listed}"


def _preliz_distribution(name: str, given: Mapping[str, np.ndarray]):
    """preliz's distribution of PyMC's ``name`` with the given parameters.

    ``given`` holds float arrays (0-d for one value), not Python floats: numpy
    rounds ``x ** 2`` and ``x ** 0.5`` as ``x * x`` and ``sqrt(x)``, which the
    draws rely on.

    Applies PyMC's defaults (those of its signature; ``sigma = 1`` when neither
    ``sigma`` nor the precision is given; InverseGamma ``beta = 1``;
    TruncatedNormal without a bound on a side) and converts a precision that
    preliz does not take (LogNormal's and TruncatedNormal's ``tau``).

    Raises
    ------
    ConfigError
        A missing parameter or an incomplete or mixed parameterisation (the
        message does not name the prior: the caller adds that).
    """
    pz = _preliz()
    pymc_params = _pymc_parameters(name)
    missing = [k for k, default in pymc_params if default is _REQUIRED and k not in given]
    if missing:
        raise ConfigError(_missing(name, missing))
    kwargs = {k: np.asarray(default, dtype=float) for k, default in pymc_params
              if default is not _REQUIRED and default is not None}
    kwargs.update(given)
    names = {k for k, _ in pymc_params}
    precision = next((k for k in ("tau", "lam") if "sigma" in names and k in names), None)
    if precision is not None:
        if "sigma" in given and precision in given:
            raise ConfigError(f"{name}: give sigma or tau, not both")
        if precision not in given:
            kwargs.setdefault("sigma", np.asarray(1.0))
        elif precision not in inspect.signature(getattr(pz, name)).parameters:
            kwargs["sigma"] = 1.0 / np.sqrt(kwargs.pop(precision))
    if name == "InverseGamma" and "alpha" in given:
        kwargs.setdefault("beta", np.asarray(1.0))
    if name == "TruncatedNormal":
        kwargs.setdefault("lower", np.asarray(-np.inf))
        kwargs.setdefault("upper", np.asarray(np.inf))
    try:
        with np.errstate(all="ignore"):
            dist = getattr(pz, name)(**kwargs)
    except ValueError as err:
        if "Incompatible parametrization" not in str(err):
            raise ConfigError(f"{name}: {err}") from None
        dist = None
    if dist is None or not dist.is_frozen:
        raise ConfigError(f"{name}: {_ALTERNATIVES.get(name, 'give ' + ', '.join(sorted(names)))}")
    return dist


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


@dataclass(frozen=True, eq=False)
class _Quantile:
    """A scipy.stats distribution by name and arguments (plain data: needs scipy only)."""

    scipy_name: str
    arguments: tuple  #: ((name, numpy array), ...); 1-d arrays hold one value per item
    post: str = ""  #: "fold" (HalfStudentT) or "expit" (LogitNormal)

    def frozen(self):
        from scipy import special, stats

        base = getattr(stats, self.scipy_name)(**dict(self.arguments))
        if self.post == "fold":
            return _Folded(base)
        if self.post == "expit":
            return _Mapped(base, special.expit, (0.0, 1.0))
        return base

    def take(self, items: Sequence[int]) -> _Quantile:
        """The same distribution for some items only (columns of the per-item arguments)."""
        index = list(items)
        arguments = tuple((k, v[index] if np.ndim(v) == 1 else v) for k, v in self.arguments)
        return _Quantile(self.scipy_name, arguments, self.post)


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

    Notes
    -----
    The quantile function is resolved (through preliz) once, where the prior
    is parsed, and travels with the object: processes that only draw need
    scipy, not preliz or PyMC.
    """

    dist: str
    params: tuple

    def preliz(self):
        """The preliz distribution (per-item parameters as arrays)."""
        return _preliz_distribution(self.dist, self._given())

    @functools.cached_property
    def _quantile(self) -> _Quantile:
        given = self._given()
        scipy_name, arguments, post = _SCIPY[self.dist]
        with np.errstate(all="ignore"):
            values = arguments(_preliz_distribution(self.dist, given), given)
        return _Quantile(scipy_name, tuple((k, np.asarray(v, dtype=float)) for k, v in values.items()), post)

    def _given(self) -> dict[str, np.ndarray]:
        return {k: np.asarray(v, dtype=float) for k, v in self.params}

    def frozen(self):
        """The scipy.stats frozen distribution (or an object with ``ppf`` and ``support``)."""
        return self._quantile.frozen()

    def ppf(self, u: np.ndarray, items: Sequence[int] | None = None) -> np.ndarray:
        """Quantiles at ``u`` (broadcast against per-item parameters on the last axis).

        ``items`` keeps the per-item parameters of those items only.
        """
        quantile = self._quantile if items is None else self._quantile.take(items)
        return np.asarray(quantile.frozen().ppf(u), dtype=float)

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
    accepted = [k for k, _ in _pymc_parameters(spec.dist)]
    unknown = [k for k, _ in spec.params if k not in accepted]
    if unknown:
        raise ConfigError(
            f"{where}: {spec.dist} has no parameter {', '.join(map(repr, unknown))}; its parameters are "
            f"{', '.join(accepted)}"
        )
    lengths = {k: len(v) for k, v in spec.params if isinstance(v, tuple)}
    if len(set(lengths.values())) > 1:
        raise ConfigError(
            f"{where}: {spec.dist} parameters given as lists need one length (one value per item); got "
            + ", ".join(f"{k} with {n}" for k, n in lengths.items())
        )
    try:
        with np.errstate(all="ignore"):
            probe = spec.ppf(np.array([0.001, 0.5, 0.999])[:, None])
    except ConfigError as err:
        raise ConfigError(f"{where}: {err}") from None
    if not np.isfinite(probe).all():
        raise ConfigError(f"{where}: {spec} is not a valid distribution (check its parameters' ranges)")


def to_scipy(obj):
    """The scipy.stats frozen distribution of a ``Prior`` or distribution dict.

    Parameterisations follow PyMC, e.g. Gamma ``alpha, beta`` is
    ``scipy.stats.gamma(a=alpha, scale=1 / beta)``, LogNormal ``mu, sigma`` is
    ``scipy.stats.lognorm(s=sigma, scale=exp(mu))``.  ``HalfStudentT`` and
    ``LogitNormal``, which scipy lacks, give small objects with ``ppf`` and
    ``support`` only.  Draws are this distribution's quantiles.

    Examples
    --------
    >>> round(float(to_scipy({"dist": "LogNormal", "mu": 0.0, "sigma": 1.0}).median()), 6)
    1.0
    """
    return parse_prior(obj).frozen()


def to_preliz(obj):
    """The preliz distribution of a ``Prior`` or distribution dict, e.g. to plot or elicit it.

    Examples
    --------
    >>> dist = to_preliz({"dist": "Gamma", "mu": 2.0, "sigma": 1.0})
    >>> float(dist.alpha), float(dist.beta)
    (4.0, 2.0)
    >>> dist.plot_pdf()  # doctest: +SKIP
    """
    return parse_prior(obj).preliz()


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
    with np.errstate(all="ignore"):
        # per-item parameters: the columns of the drawn items
        drawn = entry.prior.ppf(u, items)
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
