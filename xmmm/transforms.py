r"""The transform registry and its labelled wrappers.

Every adstock and saturation function is declared once, in :data:`_TABLE`:
its name (pymc-marketing's), its parameters with defaults and valid ranges,
the pymc-marketing function it must equal and a one-line formula.  Config
validation, the generator, the tests, the docs and the CLI all read that
table; adding a transform is one entry there plus its kernel, a function of
the same name in :mod:`xmmm.kernels.adstock` or :mod:`xmmm.kernels.saturation`.

Defaults follow pymc-marketing's MMM components, not its bare functions: in
particular ``normalize=True`` (the adstock components' default; the bare
``pymc_marketing.mmm.transformers`` functions default to ``False``).

Importing this module imports neither Numba nor pymc-marketing; kernels are
loaded (and compiled, once, cached on disk) on first use.

Examples
--------
>>> import numpy as np
>>> import xarray as xr
>>> from xmmm import transforms
>>> spend = xr.DataArray([[1.0, 0.0, 0.0]], dims=("channel", "date"))
>>> transforms.adstock(spend, "geometric_adstock", alpha=0.5, l_max=2).values
array([[0.66666667, 0.33333333, 0.        ]])
>>> transforms.get_transform("saturation", "hill_function").apply(np.array([1.0]), kappa=1.0)
array([0.5])
"""

from __future__ import annotations

import importlib
import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import sys
from typing import TYPE_CHECKING

import numpy as np

from xmmm.errors import TransformError

if TYPE_CHECKING:  # xarray is imported only when a labelled wrapper runs
    import xarray as xr

__all__ = [
    "ADSTOCK_TRANSFORMS",
    "FAMILIES",
    "SATURATION_TRANSFORMS",
    "Parameter",
    "TransformSpec",
    "adstock",
    "get_transform",
    "saturation",
]

FAMILIES = ("adstock", "saturation")
SCALES = ("unit", "positive", "real")


def _is_dataarray(value) -> bool:
    """True for an ``xarray.DataArray``, without importing xarray (kept out of ``import xmmm``)."""
    xr = sys.modules.get("xarray")
    return xr is not None and isinstance(value, xr.DataArray)


def _number(v: float) -> str:
    return f"{v:g}"


def _show(value) -> str:
    """A value as it appears after ``got`` in an error message."""
    if isinstance(value, (bool, np.bool_)):
        return repr(bool(value))
    if isinstance(value, numbers.Integral):
        return repr(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    return repr(value)


# --------------------------------------------------------------------------- Parameter


@dataclass(frozen=True)
class Parameter:
    """One parameter of a transform: default, valid range, how it may vary.

    Parameters
    ----------
    name : str
        The keyword, as in pymc-marketing.
    default : float, int, bool, str or None
        Default value; ``None`` means required.
    lower, upper : float or None
        Bounds; ``None`` is unbounded.
    lower_inclusive, upper_inclusive : bool
        Whether each bound itself is allowed.
    structural : bool
        ``l_max``, ``normalize``, ``mode``, ``type``: one scalar shared by all
        series, never varied across regions.
    choices : tuple or None
        The allowed values of a categorical parameter.
    integer : bool
        Whether the value must be an integer (``l_max``).
    scale : {"unit", "positive", "real"}
        How a numeric parameter may be varied across regions: on the logit
        scale (a parameter in [0, 1]), on the log scale (positive) or additively.
    doc : str
        One line for docs and ``--help``.
    """

    name: str
    default: float | int | bool | str | None
    lower: float | None = None
    upper: float | None = None
    lower_inclusive: bool = True
    upper_inclusive: bool = True
    structural: bool = False
    choices: tuple | None = None
    integer: bool = False
    scale: str = "real"
    doc: str = ""

    def __post_init__(self) -> None:
        if self.scale not in SCALES:
            raise ValueError(f"Parameter {self.name}: scale must be one of {SCALES}")

    @property
    def required(self) -> bool:
        """Whether the parameter has no default."""
        return self.default is None

    @property
    def allowed(self) -> str:
        """The valid values in words, e.g. ``"[0, 1]"``, ``"> 0"``, ``"one of 'PDF', 'CDF'"``."""
        if self.choices is not None:
            if all(isinstance(c, bool) for c in self.choices):
                return "True or False"
            return "one of " + ", ".join(repr(c) for c in self.choices)
        prefix = "an integer " if self.integer else ""
        lo, hi = self.lower, self.upper
        if lo is not None and hi is not None:
            left = "[" if self.lower_inclusive else "("
            right = "]" if self.upper_inclusive else ")"
            return f"{prefix}{left}{_number(lo)}, {_number(hi)}{right}"
        if lo is not None:
            return f"{prefix}{'>=' if self.lower_inclusive else '>'} {_number(lo)}"
        if hi is not None:
            return f"{prefix}{'<=' if self.upper_inclusive else '<'} {_number(hi)}"
        return "an integer" if self.integer else "a real number"

    def _must_be(self) -> str:
        allowed = self.allowed
        return f"in {allowed}" if allowed[0] in "[(" else allowed

    def _error(self, function: str, value) -> TransformError:
        return TransformError(f"{function}: {self.name} must be {self._must_be()}; got {_show(value)}")

    def _in_range(self, values: np.ndarray) -> np.ndarray:
        ok = ~np.isnan(values)
        if self.lower is not None:
            ok &= values >= self.lower if self.lower_inclusive else values > self.lower
        if self.upper is not None:
            ok &= values <= self.upper if self.upper_inclusive else values < self.upper
        return ok

    def check(self, function: str, value):
        """Return ``value`` in canonical form, or raise :class:`TransformError`.

        Structural parameters take scalars; numeric ones take a scalar, an
        array or an ``xarray.DataArray`` (every element is checked).

        Parameters
        ----------
        function : str
            The transform's name, for the message.
        value : object
            The value to check.

        Returns
        -------
        object
            ``float`` for a numeric scalar, a ``float64`` array or DataArray for
            arrays, ``int`` for an integer, ``bool`` or ``str`` for choices.

        Examples
        --------
        >>> Parameter("alpha", 0.5, lower=0, upper=1).check("geometric_adstock", 1.3)
        Traceback (most recent call last):
        ...
        xmmm.errors.TransformError: geometric_adstock: alpha must be in [0, 1]; got 1.3
        """
        if self.choices is not None:
            return self._check_choice(function, value)
        if self.integer:
            return self._check_integer(function, value)
        if _is_dataarray(value):
            values = value.values
        else:
            values = np.asarray(value) if not isinstance(value, (str, bytes)) else None
        if (
            values is None
            or values.dtype.kind not in "fiu"
            or (self.structural and values.ndim)
            or isinstance(value, (bool, np.bool_))
        ):
            raise self._error(function, value)
        values = values.astype(np.float64, copy=False)
        ok = self._in_range(values)
        if not ok.all():
            raise self._error(function, values[~ok].flat[0] if values.ndim else value)
        if _is_dataarray(value):
            return value.astype(np.float64, copy=False)
        return float(values) if values.ndim == 0 else values

    def _check_choice(self, function: str, value):
        if all(isinstance(c, bool) for c in self.choices):
            if isinstance(value, (bool, np.bool_)):
                return bool(value)
            raise self._error(function, value)
        if isinstance(value, str) and value in self.choices:
            return str(value)  # a StrEnum member (pymc-marketing's ConvMode) becomes its value
        raise self._error(function, value)

    def _check_integer(self, function: str, value) -> int:
        if isinstance(value, (bool, np.bool_)):
            raise self._error(function, value)
        if isinstance(value, numbers.Integral):
            number = int(value)
        elif isinstance(value, numbers.Real) and float(value).is_integer():
            number = int(value)
        else:
            raise self._error(function, value)
        if not self._in_range(np.asarray(float(number))):
            raise self._error(function, value)
        return number


# --------------------------------------------------------------------------- TransformSpec


@dataclass(frozen=True)
class TransformSpec:
    """The declaration of one transform.

    Parameters
    ----------
    name : str
        pymc-marketing's function name, e.g. ``"geometric_adstock"``; also the
        name of the kernel in ``xmmm.kernels.<family>``.
    family : {"adstock", "saturation"}
    parameters : tuple of Parameter
        Numeric per-series parameters first, then structural ones, each group
        in pymc-marketing's order (the kernel's positional order).
    pymc_function : str or None
        The twin in ``pymc_marketing.mmm.transformers`` (``None`` for ``"none"``).
    formula : str
        One line of LaTeX for docs.
    constraint : callable, optional
        ``constraint(resolved) -> str | None``: a rule joining several
        parameters; returns the message (after ``"<name>: "``) when broken.
    """

    name: str
    family: str
    parameters: tuple[Parameter, ...]
    pymc_function: str | None
    formula: str
    constraint: Callable[[Mapping], str | None] | None = field(default=None, repr=False)

    @property
    def numeric_parameters(self) -> tuple[Parameter, ...]:
        """Per-series parameters, in kernel order."""
        return tuple(p for p in self.parameters if not p.structural)

    @property
    def structural_parameters(self) -> tuple[Parameter, ...]:
        """Options shared by all series (``l_max``, ``normalize``, ``mode``, ``type``)."""
        return tuple(p for p in self.parameters if p.structural)

    @property
    def defaults(self) -> dict:
        """Default value of every parameter (``None`` for required ones)."""
        return {p.name: p.default for p in self.parameters}

    def resolve(self, kwargs: Mapping | None = None) -> dict:
        """Fill defaults and check every value.

        Parameters
        ----------
        kwargs : mapping, optional
            Keyword arguments as given by a user or a config.

        Returns
        -------
        dict
            Every parameter, in declaration order, in canonical form.

        Raises
        ------
        TransformError
            An unknown keyword, a missing required one, or a value out of range.

        Examples
        --------
        >>> get_transform("adstock", "geometric_adstock").resolve({"alpha": 0.3})
        {'alpha': 0.3, 'l_max': 12, 'normalize': True, 'mode': 'After'}
        """
        kwargs = dict(kwargs or {})
        names = [p.name for p in self.parameters]
        unknown = [k for k in kwargs if k not in names]
        if unknown:
            valid = ", ".join(names) if names else "(it takes none)"
            raise TransformError(
                f"{self.name}: unknown parameter {unknown[0]!r}; valid parameters are {valid}"
            )
        resolved = {}
        for p in self.parameters:
            if p.name not in kwargs and p.required:
                raise TransformError(f"{self.name}: {p.name} is required; it must be {p._must_be()}")
            resolved[p.name] = p.check(self.name, kwargs.get(p.name, p.default))
        if self.constraint is not None:
            problem = self.constraint(resolved)
            if problem:
                raise TransformError(f"{self.name}: {problem}")
        return resolved

    def _kernel(self, suffix: str = "") -> Callable:
        module = importlib.import_module(f"xmmm.kernels.{self.family}")
        return getattr(module, f"{self.name}{suffix}")

    def _split(self, resolved: Mapping) -> tuple[list, dict]:
        numeric = [resolved[p.name] for p in self.numeric_parameters]
        structural = {p.name: resolved[p.name] for p in self.structural_parameters}
        return numeric, structural

    def apply(self, x: np.ndarray, **params) -> np.ndarray:
        """Apply the transform to ``x`` (time last) with checked parameters.

        Parameters
        ----------
        x : array_like
            Shape ``(..., n_time)``; adstock convolves along the last axis.
        **params
            Numeric parameters as scalars or arrays broadcastable to
            ``x.shape[:-1]`` (one value per series, for both families);
            structural options as scalars.  Missing ones take their defaults.

        Returns
        -------
        numpy.ndarray
            ``float64``, shaped like ``x`` (broadcast against the parameters).

        Examples
        --------
        >>> spec = get_transform("adstock", "geometric_adstock")
        >>> spec.apply(np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]]), alpha=[0.5, 0.0],
        ...            l_max=2, normalize=False)
        array([[1. , 0.5, 0. ],
               [0. , 2. , 0. ]])
        """
        return self._apply_resolved(x, self.resolve(params))

    def _apply_resolved(self, x, resolved: Mapping, elementwise: bool = False) -> np.ndarray:
        """``elementwise``: saturation parameters broadcast against all of ``x``."""
        numeric, structural = self._split(resolved)
        x = np.asarray(x, dtype=np.float64)
        values = [np.asarray(v, dtype=np.float64) for v in numeric]
        if self.family == "adstock":
            return self._apply_adstock(x, values, structural)
        if not elementwise and x.ndim:
            # one value per series: a trailing length-1 time axis
            values = [v[..., np.newaxis] if v.ndim else v for v in values]
        return self._apply_saturation(x, values, structural)

    def _broadcast_error(self, what: str, shapes) -> TransformError:
        shown = ", ".join(str(s) for s in shapes)
        return TransformError(f"{self.name}: parameter shapes ({shown}) do not broadcast to {what}")

    def _apply_adstock(self, x, values, structural) -> np.ndarray:
        if x.ndim == 0:
            raise TransformError(f"{self.name}: x needs a time axis (the last one); got a scalar")
        n_time = x.shape[-1]
        try:
            lead = np.broadcast_shapes(x.shape[:-1], *(v.shape for v in values))
        except ValueError:
            raise self._broadcast_error(f"x.shape[:-1] = {x.shape[:-1]}", [v.shape for v in values]) from None
        stack = np.ascontiguousarray(np.broadcast_to(x, lead + (n_time,))).reshape(-1, n_time)
        per_series = [np.ascontiguousarray(np.broadcast_to(v, lead)).reshape(-1) for v in values]
        out = self._kernel()(stack, *per_series, **structural)
        return out.reshape(lead + (n_time,))

    def _apply_saturation(self, x, values, structural) -> np.ndarray:
        try:
            shape = np.broadcast_shapes(x.shape, *(v.shape for v in values))
        except ValueError:
            raise self._broadcast_error(f"x.shape = {x.shape}", [v.shape for v in values]) from None
        ndim = len(shape)
        if ndim == 0:
            return self._apply_saturation(x.reshape(1), values, structural).reshape(())
        values = [v.reshape((1,) * (ndim - v.ndim) + v.shape) for v in values]
        # Series are the axes along which a parameter varies, placed first; the
        # rest is the "time" block.  Usually that is every axis but the last,
        # which needs no transpose.
        varying = {ax for ax in range(ndim) for v in values if v.shape[ax] != 1}
        if ndim - 1 not in varying:
            order = list(range(ndim))
            n_rest = 1
        else:
            order = sorted(varying) + [ax for ax in range(ndim) if ax not in varying]
            n_rest = ndim - len(varying)
        moved = tuple(shape[ax] for ax in order)
        lead = moved[: ndim - n_rest]
        n_time = math.prod(moved[ndim - n_rest :])
        stack = np.broadcast_to(x, shape).transpose(order)
        stack = np.ascontiguousarray(stack).reshape(-1, n_time)
        per_series = [
            np.ascontiguousarray(
                np.broadcast_to(v.transpose(order)[(...,) + (0,) * n_rest], lead)
            ).reshape(-1)
            for v in values
        ]
        out = self._kernel()(stack, *per_series, **structural).reshape(moved)
        return out.transpose(np.argsort(order))

    def weights(self, **params) -> np.ndarray:
        """Carry-over weights of an adstock (normalised if ``normalize=True``).

        Parameters
        ----------
        **params
            As for :meth:`apply`; ``mode`` is accepted and ignored.

        Returns
        -------
        numpy.ndarray
            Shape ``broadcast(param shapes) + (n_lags,)`` where ``n_lags`` is
            ``l_max`` (``l_max + 1`` for the Weibull CDF, which starts with a
            1; 1 for ``"none"``).

        Examples
        --------
        >>> get_transform("adstock", "geometric_adstock").weights(alpha=0.5, l_max=3,
        ...                                                       normalize=False)
        array([1.  , 0.5 , 0.25])
        """
        if self.family != "adstock":
            raise TransformError(f"{self.name}: weights exist for adstock transforms only")
        numeric, structural = self._split(self.resolve(params))
        structural.pop("mode", None)
        values = [np.asarray(v, dtype=np.float64) for v in numeric]
        shape = np.broadcast_shapes(*(v.shape for v in values))
        flat = [np.ascontiguousarray(np.broadcast_to(v, shape)).reshape(-1) for v in values]
        w = self._kernel("_weights")(*flat, **structural)
        return w.reshape(shape + w.shape[-1:])


# --------------------------------------------------------------------------- the table


def _unit(name, default, doc, *, lower_inclusive=True, upper_inclusive=True) -> Parameter:
    return Parameter(
        name,
        default,
        lower=0.0,
        upper=1.0,
        lower_inclusive=lower_inclusive,
        upper_inclusive=upper_inclusive,
        scale="unit",
        doc=doc,
    )


def _positive(name, default, doc, *, inclusive=False) -> Parameter:
    return Parameter(name, default, lower=0.0, lower_inclusive=inclusive, scale="positive", doc=doc)


_L_MAX = Parameter(
    "l_max", 12, lower=1, structural=True, integer=True, doc="Number of carry-over weights."
)
_NORMALIZE = Parameter(
    "normalize",
    True,
    structural=True,
    choices=(True, False),
    doc="Scale the weights to sum to 1 (pymc-marketing MMM components' default).",
)
_MODE = Parameter(
    "mode",
    "After",
    structural=True,
    choices=("After", "Before", "Overlap"),
    doc="Carry-over after spend, before it, or both (pymc-marketing ConvMode).",
)
_WEIBULL_TYPE = Parameter(
    "type", "PDF", structural=True, choices=("PDF", "CDF"), doc="Weights from the PDF or the CDF."
)


def _theta_fits(p: Mapping) -> str | None:
    theta_max = float(np.max(p["theta"]))
    if theta_max > p["l_max"] - 1:
        return f"theta must be <= l_max - 1 = {p['l_max'] - 1}; got {theta_max!r}"
    return None


def _weibull_pdf_lags(p: Mapping) -> str | None:
    # PDF weights are min-max scaled: 0 / 0 when the density is equal at every
    # lag 1..l_max (a single lag, or a density that underflows before lag 1)
    if p["type"] != "PDF":
        return None
    if p["l_max"] < 2:
        return f"l_max must be >= 2 when type is 'PDF'; got {p['l_max']}"
    lam, k = np.broadcast_arrays(np.asarray(p["lam"], float), np.asarray(p["k"], float))
    t = np.arange(1.0, p["l_max"] + 1.0)
    with np.errstate(all="ignore"):
        z = t / lam[..., np.newaxis]
        density = np.exp(np.log(k)[..., np.newaxis] - np.log(lam)[..., np.newaxis]
                         + (k[..., np.newaxis] - 1.0) * np.log(z) - z ** k[..., np.newaxis])
    flat = density.max(axis=-1) == density.min(axis=-1)
    if np.any(flat):
        i = np.flatnonzero(flat.ravel())[0]
        return (
            f"lam and k must give unequal PDF weights over lags 1..{p['l_max']}; "
            f"got lam={float(lam.ravel()[i])!r}, k={float(k.ravel()[i])!r}"
        )
    return None


_ADSTOCK_OPTIONS = (_L_MAX, _NORMALIZE, _MODE)

_TABLE: tuple[TransformSpec, ...] = (
    # ---------------------------------------------------------------- adstock
    TransformSpec(
        "geometric_adstock",
        "adstock",
        (_unit("alpha", 0.5, "Retention rate per period."), *_ADSTOCK_OPTIONS),
        "geometric_adstock",
        r"w_l = \alpha^{l}, \quad l = 0, \dots, l_{max} - 1",
    ),
    TransformSpec(
        "delayed_adstock",
        "adstock",
        (
            # alpha = 0 would make every weight 0**(l - theta)**2 = 0 unless theta
            # is a whole number, and the normalised weights 0 / 0
            _unit("alpha", 0.5, "Retention rate per period.", lower_inclusive=False),
            _positive("theta", 1.0, "Delay of the peak effect, in periods.", inclusive=True),
            *_ADSTOCK_OPTIONS,
        ),
        "delayed_adstock",
        r"w_l = \alpha^{(l - \theta)^2}",
        constraint=_theta_fits,
    ),
    TransformSpec(
        "weibull_adstock",
        "adstock",
        (
            _positive("lam", 1.0, "Weibull scale."),
            _positive("k", 1.0, "Weibull shape."),
            _L_MAX,
            _NORMALIZE,
            _MODE,
            _WEIBULL_TYPE,
        ),
        "weibull_adstock",
        r"w_l \propto f_{k,\lambda}(l + 1) \text{ (PDF, min-max scaled)}; "
        r"w = \operatorname{cumprod}(1, 1 - F_{k,\lambda}(1..l_{max})) \text{ (CDF)}",
        constraint=_weibull_pdf_lags,
    ),
    TransformSpec(
        "binomial_adstock",
        "adstock",
        (_unit("alpha", 0.5, "Retention: larger is longer carry-over."), *_ADSTOCK_OPTIONS),
        "binomial_adstock",
        r"w_l = \left(1 - \frac{l}{l_{max} + 1}\right)^{1/\alpha - 1}",
    ),
    TransformSpec("none", "adstock", (), None, r"y_t = x_t"),
    # ---------------------------------------------------------------- saturation
    TransformSpec(
        "hill_function",
        "saturation",
        (
            _positive("slope", 1.0, "Steepness."),
            _positive("kappa", 0.5, "Half-saturation point."),
        ),
        "hill_function",
        r"f(x) = 1 - \frac{\kappa^s}{\kappa^s + x^s}",
    ),
    TransformSpec(
        "logistic_saturation",
        "saturation",
        (_positive("lam", 1.0, "Efficiency: larger saturates sooner."),),
        "logistic_saturation",
        r"f(x) = \frac{1 - e^{-\lambda x}}{1 + e^{-\lambda x}}",
    ),
    TransformSpec(
        "inverse_scaled_logistic_saturation",
        "saturation",
        (
            _positive("lam", 1.0, "Half-saturation point (with the default eps)."),
            _positive("eps", math.log(3), "Scaling; log(3) puts half saturation at lam."),
        ),
        "inverse_scaled_logistic_saturation",
        r"f(x) = \frac{1 - e^{-x \epsilon / \lambda}}{1 + e^{-x \epsilon / \lambda}}",
    ),
    TransformSpec(
        "tanh_saturation",
        "saturation",
        (
            _positive("b", 1.0, "Saturation level."),
            _positive("c", 1.0, "Cost per unit at zero spend (1 / initial slope)."),
        ),
        "tanh_saturation",
        r"f(x) = b \tanh\left(\frac{x}{b c}\right)",
    ),
    TransformSpec(
        "tanh_saturation_baselined",
        "saturation",
        (
            _positive("x0", 1.0, "Reference spend."),
            _positive("gain", 0.5, "Return per unit at the reference, f(x0) / x0."),
            _unit(
                "r",
                0.5,
                "Overspend fraction f(x0) / saturation.",
                lower_inclusive=False,
                upper_inclusive=False,
            ),
        ),
        "tanh_saturation_baselined",
        r"f(x) = \frac{g x_0}{r} \tanh\left(\frac{x \operatorname{artanh}(r)}{x_0}\right)",
    ),
    TransformSpec(
        "michaelis_menten",
        "saturation",
        (
            _positive("alpha", 1.0, "Maximum contribution.", inclusive=True),
            _positive("lam", 0.5, "Half-saturation point."),
        ),
        "michaelis_menten",
        r"f(x) = \frac{\alpha x}{\lambda + x}",
    ),
    TransformSpec(
        "root_saturation",
        "saturation",
        (_unit("alpha", 0.5, "Exponent (concave for alpha <= 1).", lower_inclusive=False),),
        "root_saturation",
        r"f(x) = x^{\alpha}",
    ),
    TransformSpec(
        "hill_saturation_sigmoid",
        "saturation",
        (
            _positive("sigma", 1.0, "Upper asymptote."),
            _positive("beta", 1.0, "Steepness."),
            _positive("lam", 1.0, "Midpoint.", inclusive=True),
        ),
        "hill_saturation_sigmoid",
        r"f(x) = \frac{\sigma}{1 + e^{-\beta (x - \lambda)}} - \frac{\sigma}{1 + e^{\beta \lambda}}",
    ),
    TransformSpec("none", "saturation", (), None, r"f(x) = x"),
)

ADSTOCK_TRANSFORMS: dict[str, TransformSpec] = {
    s.name: s for s in _TABLE if s.family == "adstock"
}
SATURATION_TRANSFORMS: dict[str, TransformSpec] = {
    s.name: s for s in _TABLE if s.family == "saturation"
}
_REGISTRY = {"adstock": ADSTOCK_TRANSFORMS, "saturation": SATURATION_TRANSFORMS}


def get_transform(family: str, name: str) -> TransformSpec:
    """Look up a transform by family and name.

    Parameters
    ----------
    family : {"adstock", "saturation"}
    name : str
        pymc-marketing's function name, or ``"none"``.

    Returns
    -------
    TransformSpec

    Raises
    ------
    TransformError
        Unknown family or name; the message lists the valid names.

    Examples
    --------
    >>> get_transform("saturation", "hill_function").defaults
    {'slope': 1.0, 'kappa': 0.5}
    """
    if family not in _REGISTRY:
        raise TransformError(f"family must be one of 'adstock', 'saturation'; got {family!r}")
    specs = _REGISTRY[family]
    if not isinstance(name, str) or name not in specs:
        valid = ", ".join(repr(n) for n in specs)
        raise TransformError(f"unknown {family} transform {name!r}; valid names are {valid}")
    return specs[name]


# --------------------------------------------------------------------------- labelled wrappers


def _labelled(spec: TransformSpec, da, params: Mapping, core: list):
    import xarray as xr

    if not isinstance(da, xr.DataArray):
        raise TransformError(f"{spec.name}: expected an xarray.DataArray; got {type(da).__name__}")
    resolved = spec.resolve(params)
    numeric, structural = spec._split(resolved)
    aligned = []
    for p, value in zip(spec.numeric_parameters, numeric, strict=True):
        if _is_dataarray(value):
            if set(core) & set(value.dims):
                raise TransformError(f"{spec.name}: {p.name} must not vary along {core[0]!r}")
            # parameters follow the data's labels; a label without a value is an error
            value = xr.align(da, value, join="left")[1]
            if value.isnull().any():
                raise TransformError(
                    f"{spec.name}: {p.name} has no value for some labels of the data"
                )
        aligned.append(value)
    names = [p.name for p in spec.numeric_parameters]

    def _array_fn(x, *values):
        resolved = {**dict(zip(names, values, strict=True)), **structural}
        return spec._apply_resolved(x, resolved, elementwise=True)

    out = xr.apply_ufunc(
        _array_fn,
        da,
        *aligned,
        input_core_dims=[core] + [[] for _ in aligned],
        output_core_dims=[core],
        dask="parallelized",
        output_dtypes=[np.float64],
    )
    return out.transpose(*da.dims, ...).rename(da.name)


def adstock(da: xr.DataArray, name: str, dim: str = "date", **params) -> xr.DataArray:
    """Apply an adstock along ``dim`` of a labelled array.

    Parameters
    ----------
    da : xarray.DataArray
        Input, e.g. spend with dims ``(date, geo, channel)``.
    name : str
        Adstock name (``"geometric_adstock"``, ... or ``"none"``).
    dim : str
        The time dimension to convolve along.
    **params
        Numeric parameters as scalars or DataArrays (broadcast against ``da``
        by dimension name, aligned by label); structural options as scalars.

    Returns
    -------
    xarray.DataArray
        Same dims (same order) and coords as ``da`` (plus any dims only the
        parameters have, last).

    Examples
    --------
    >>> import xarray as xr
    >>> spend = xr.DataArray([[1.0, 0.0], [0.0, 0.0], [0.0, 2.0]], dims=("date", "channel"),
    ...                      coords={"channel": ["tv", "radio"]})
    >>> alpha = xr.DataArray([0.5, 0.0], dims="channel", coords={"channel": ["tv", "radio"]})
    >>> adstock(spend, "geometric_adstock", alpha=alpha, l_max=3, normalize=False).values
    array([[1.  , 0.  ],
           [0.5 , 0.  ],
           [0.25, 2.  ]])
    """
    spec = get_transform("adstock", name)
    if dim not in getattr(da, "dims", ()):
        raise TransformError(f"{name}: dim {dim!r} is not a dimension of the data {getattr(da, 'dims', None)}")
    return _labelled(spec, da, params, [dim])


def saturation(da: xr.DataArray, name: str, **params) -> xr.DataArray:
    """Apply a saturation curve elementwise to a labelled array.

    Parameters
    ----------
    da : xarray.DataArray
        Input, e.g. adstocked spend.
    name : str
        Saturation name (``"hill_function"``, ... or ``"none"``).
    **params
        Scalars or DataArrays broadcast against ``da`` by dimension name.

    Returns
    -------
    xarray.DataArray
        Same dims (same order) and coords as ``da``.

    Examples
    --------
    >>> import xarray as xr
    >>> x = xr.DataArray([0.0, 1.0, 3.0], dims="date")
    >>> saturation(x, "hill_function", slope=1.0, kappa=1.0).values
    array([0.  , 0.5 , 0.75])
    """
    spec = get_transform("saturation", name)
    return _labelled(spec, da, params, [])
