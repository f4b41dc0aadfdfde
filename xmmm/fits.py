"""Ready fit functions for recovery studies: a hand-off in, an ``arviz.InferenceData`` out.

A fit function is any callable ``fit(handoff) -> InferenceData``;
:func:`xmmm.recovery_study` calls it once per replicate (on a worker, so it
must pickle) and scores what it returns.  The two here fit the model the
hand-off describes, with its default priors:

* :func:`pymc_marketing` -- ``pymc_marketing.mmm.multidimensional.MMM`` from
  :class:`xmmm.PymcMarketingHandoff` (``sampler="nutpie"`` needs the optional
  ``nutpie`` package: ``pip install 'xmmm[fits]'``);
* :func:`meridian` -- Google Meridian from :class:`xmmm.MeridianHandoff`
  (needs ``google-meridian``, which lives in an environment of its own).

Neither library is imported until the fit runs.  Each fit object has a
``name`` (its settings, e.g. ``"pymc-marketing(sampler=pymc, draws=200, tune=200, chains=2)"``),
which a results store uses to tell fits apart, and a ``target``
(the hand-off it takes).

Examples
--------
>>> import xmmm
>>> fit = xmmm.fits.pymc_marketing(draws=200, sampler="pymc")
>>> fit.name, fit.target
('pymc-marketing(sampler=pymc, draws=200, tune=200, chains=2)', 'pymc-marketing')
>>> config = xmmm.get_preset_config("basic", target="pymc-marketing")
>>> handoff = xmmm.to_pymc_marketing(xmmm.generate_dataset(config))
>>> handoff.exact
True
>>> idata = fit(handoff)                      # doctest: +SKIP
"""

from __future__ import annotations

import importlib.util
import zlib
from dataclasses import dataclass, field

import numpy as np

from xmmm.errors import ConfigError

__all__ = ["pymc_marketing", "meridian", "PymcMarketingFit", "MeridianFit", "by_name", "FIT_NAMES"]

#: names accepted by :func:`by_name` (and ``xmmm study --fit``)
FIT_NAMES = ("pymc-marketing", "meridian")

_SAMPLERS = ("nutpie", "pymc")


def _count(name: str, value, lower: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lower:
        raise ConfigError(f"{name} must be an integer >= {lower}; got {value!r}")
    return int(value)


def _data_seed(values) -> int:
    """A seed from the data themselves: reruns repeat, replicates differ."""
    return zlib.crc32(np.ascontiguousarray(np.asarray(values, dtype=float)).tobytes())


# --------------------------------------------------------------------------- pymc-marketing
@dataclass(frozen=True)
class PymcMarketingFit:
    """Fit pymc-marketing's multidimensional MMM to a :class:`xmmm.PymcMarketingHandoff`.

    Made by :func:`pymc_marketing`, which documents the parameters.
    """

    draws: int = 500
    tune: int = 500
    chains: int = 2
    sampler: str = "nutpie"
    cores: int = 1
    random_seed: int | None = None
    target_accept: float | None = None
    model_kwargs: dict = field(default_factory=dict)
    sample_kwargs: dict = field(default_factory=dict)
    target = "pymc-marketing"

    @property
    def name(self) -> str:
        extra = ""
        if self.target_accept is not None:
            extra += f", target_accept={self.target_accept}"
        if self.model_kwargs:
            extra += ", model=" + ",".join(f"{k}={v!r}" for k, v in sorted(self.model_kwargs.items()))
        if self.sample_kwargs:
            extra += ", " + ", ".join(f"{k}={v!r}" for k, v in sorted(self.sample_kwargs.items()))
        return (f"pymc-marketing(sampler={self.sampler}, draws={self.draws}, tune={self.tune}, "
                f"chains={self.chains}{extra})")

    def __call__(self, handoff):
        """Build the model from the hand-off, sample it, return the InferenceData."""
        if not hasattr(handoff, "build_model"):
            raise TypeError(
                f"the pymc-marketing fit takes a PymcMarketingHandoff (xmmm.to_pymc_marketing); "
                f"got {type(handoff).__name__}"
            )
        if self.sampler == "nutpie" and importlib.util.find_spec("nutpie") is None:
            raise ImportError("sampler='nutpie' needs nutpie: pip install 'xmmm[fits]' (or use sampler='pymc')")
        mmm = handoff.build_model(**self.model_kwargs)
        seed = self.random_seed if self.random_seed is not None else _data_seed(handoff.y.to_numpy())
        kwargs = dict(self.sample_kwargs)
        if self.target_accept is not None:
            kwargs["target_accept"] = self.target_accept
        return mmm.fit(
            handoff.X,
            handoff.y,
            draws=self.draws,
            tune=self.tune,
            chains=self.chains,
            cores=self.cores,
            nuts_sampler=self.sampler,
            random_seed=seed,
            progressbar=False,
            **kwargs,
        )


def pymc_marketing(
    draws: int = 500,
    *,
    tune: int | None = None,
    chains: int = 2,
    sampler: str | None = None,
    cores: int = 1,
    random_seed: int | None = None,
    target_accept: float | None = None,
    model_kwargs: dict | None = None,
    **sample_kwargs,
) -> PymcMarketingFit:
    """A fit function for pymc-marketing's multidimensional MMM.

    The model is ``handoff.build_model(**model_kwargs)``: the hand-off's
    data, transforms, scaling and pymc-marketing's default priors, plus any
    overrides (``model_kwargs={"yearly_seasonality": 2}`` for a dataset with
    seasonality, or a ``model_config`` with other priors).

    Parameters
    ----------
    draws : int
        Draws kept per chain.
    tune : int, optional
        Tuning steps per chain; default ``draws``.
    chains : int
    sampler : {"nutpie", "pymc"}, optional
        ``nuts_sampler`` of ``MMM.fit``; default ``"nutpie"`` when it is
        installed (``pip install 'xmmm[fits]'``), else ``"pymc"``.  nutpie
        compiles the model with Numba for every fit (about a minute of CPU
        for a small MMM) and then samples it far faster than PyMC's NUTS
        (2 s against 100 s for 2 x 400 iterations of a two-channel model, one
        core); PyMC's compiled C code is cached on disk, so repeated fits of
        one model shape cost only their sampling, which ``nuts={"max_treedepth":
        6}`` bounds.  Long chains: nutpie; many short fits: either.
    cores : int
        Chains sampled at once (PyMC; nutpie uses threads).  Default 1: a
        study already runs one fit per worker.
    random_seed : int, optional
        Default: a seed computed from the data, so a rerun gives the same
        draws and replicates get different ones.
    target_accept : float, optional
    model_kwargs : dict, optional
        Overrides of the hand-off's ``MMM`` arguments.
    **sample_kwargs
        Passed on to ``MMM.fit`` (the sampler).

    Returns
    -------
    PymcMarketingFit
        Callable ``fit(handoff) -> arviz.InferenceData``, picklable, with
        ``name`` and ``target = "pymc-marketing"``.

    Examples
    --------
    >>> fit = pymc_marketing(draws=100, tune=200, sampler="pymc", chains=1)
    >>> fit.name
    'pymc-marketing(sampler=pymc, draws=100, tune=200, chains=1)'
    >>> pymc_marketing(sampler="stan")
    Traceback (most recent call last):
    ...
    xmmm.errors.ConfigError: sampler must be one of 'nutpie', 'pymc'; got 'stan'
    """
    if sampler is None:
        sampler = "nutpie" if importlib.util.find_spec("nutpie") is not None else "pymc"
    if sampler not in _SAMPLERS:
        raise ConfigError(f"sampler must be one of {', '.join(map(repr, _SAMPLERS))}; got {sampler!r}")
    draws = _count("draws", draws)
    tune = draws if tune is None else _count("tune", tune, 0)
    if target_accept is not None and not (isinstance(target_accept, float) and 0 < target_accept < 1):
        raise ConfigError(f"target_accept must be a number in (0, 1); got {target_accept!r}")
    return PymcMarketingFit(
        draws=draws,
        tune=tune,
        chains=_count("chains", chains),
        sampler=sampler,
        cores=_count("cores", cores),
        random_seed=None if random_seed is None else _count("random_seed", random_seed, 0),
        target_accept=target_accept,
        model_kwargs=dict(model_kwargs or {}),
        sample_kwargs=dict(sample_kwargs),
    )


# --------------------------------------------------------------------------- Meridian
@dataclass(frozen=True)
class MeridianFit:
    """Fit Google Meridian to a :class:`xmmm.MeridianHandoff`. Made by :func:`meridian`."""

    draws: int = 500
    tune: int = 500
    chains: int = 2
    max_lag: int | None = None
    random_seed: int | None = None
    spec_kwargs: dict = field(default_factory=dict)
    target = "meridian"

    @property
    def name(self) -> str:
        extra = "" if self.max_lag is None else f", max_lag={self.max_lag}"
        if self.spec_kwargs:
            extra += ", spec=" + ",".join(f"{k}={v!r}" for k, v in sorted(self.spec_kwargs.items()))
        return f"meridian(draws={self.draws}, tune={self.tune}, chains={self.chains}{extra})"

    def __call__(self, handoff):
        """Build Meridian on the hand-off's InputData, sample the posterior, return its InferenceData."""
        if not hasattr(handoff, "input_data"):
            raise TypeError(
                f"the Meridian fit takes a MeridianHandoff (xmmm.to_meridian); got {type(handoff).__name__}"
            )
        try:
            import meridian  # noqa: F401
        except ImportError:
            raise ImportError("the Meridian fit needs google-meridian: pip install 'xmmm[meridian]'") from None
        overrides = dict(self.spec_kwargs)
        if self.max_lag is not None:
            overrides["max_lag"] = self.max_lag
        # the hand-off's ModelSpec contains the truth (its max_lag, knots and priors)
        mmm = handoff.model(**overrides)
        seed = self.random_seed if self.random_seed is not None else _data_seed(handoff.dataset["kpi"].values)
        mmm.sample_posterior(
            n_chains=self.chains, n_adapt=self.tune // 2 + self.tune % 2, n_burnin=self.tune // 2,
            n_keep=self.draws, seed=int(seed % (2**31 - 1)),
        )
        return mmm.inference_data


def meridian(
    draws: int = 500,
    *,
    tune: int | None = None,
    chains: int = 2,
    max_lag: int | None = None,
    random_seed: int | None = None,
    **spec_kwargs,
) -> MeridianFit:
    """A fit function for Google Meridian (``meridian.model.Meridian``).

    Parameters
    ----------
    draws : int
        ``n_keep`` draws per chain.
    tune : int, optional
        Warm-up steps, split between ``n_adapt`` and ``n_burnin``; default ``draws``.
    chains : int
    max_lag : int, optional
        ``ModelSpec(max_lag=...)``; default the hand-off's
        (``MeridianHandoff.model_spec_kwargs``: xmmm's ``l_max - 1``).
    random_seed : int, optional
        Default: computed from the data.
    **spec_kwargs
        Other ``meridian.model.spec.ModelSpec`` arguments (knots, ...), over the
        hand-off's :meth:`xmmm.MeridianHandoff.model_spec` (which carries the
        priors that contain the truth).

    Returns
    -------
    MeridianFit
        Callable ``fit(handoff) -> arviz.InferenceData`` with ``name`` and ``target = "meridian"``.

    Examples
    --------
    >>> meridian(draws=100, chains=1).name
    'meridian(draws=100, tune=100, chains=1)'
    """
    draws = _count("draws", draws)
    return MeridianFit(
        draws=draws,
        tune=draws if tune is None else _count("tune", tune, 2),
        chains=_count("chains", chains),
        max_lag=None if max_lag is None else _count("max_lag", max_lag, 0),
        random_seed=None if random_seed is None else _count("random_seed", random_seed, 0),
        spec_kwargs=dict(spec_kwargs),
    )


def by_name(name: str, **options):
    """The fit function named ``name`` (``"pymc-marketing"`` or ``"meridian"``) with ``options``.

    Examples
    --------
    >>> by_name("pymc-marketing", draws=50, sampler="pymc").draws
    50
    >>> by_name("stan")
    Traceback (most recent call last):
    ...
    xmmm.errors.ConfigError: fit must be one of 'pymc-marketing', 'meridian'; got 'stan'
    """
    key = str(name).lower().replace("_", "-")
    if key in ("pymc-marketing", "pymc", "pymc-marketing-mmm"):
        return pymc_marketing(**options)
    if key == "meridian":
        options.pop("sampler", None)  # Meridian has one sampler
        return meridian(**options)
    raise ConfigError(f"fit must be one of {', '.join(map(repr, FIT_NAMES))}; got {name!r}")

