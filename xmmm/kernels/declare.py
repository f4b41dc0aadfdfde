r"""How a transform is declared: once, next to its kernel.

A kernel module (:mod:`xmmm.kernels.adstock`, :mod:`xmmm.kernels.saturation`)
follows each public kernel function with one :func:`declare` call.  The
declaration is everything xmmm knows about the transform:

* its name (pymc-marketing's function name, which is also the kernel's name)
  and family;
* its parameters (:class:`Parameter`): defaults, valid ranges, whether a value
  may vary by series and on which scale regional variation acts (``"unit"``:
  the odds of a value in [0, 1]; ``"positive"``: multiplicative; ``"real"``:
  additive), and the structural options shared by all series (``l_max``,
  ``normalize``, ``mode``, ``type``);
* cross-parameter rules (:class:`Constraint`), checked elementwise so that a
  violation after regional variation can be named by channel, geo and
  replicate;
* its ceiling (the curve's supremum as a function of its parameters, for
  saturations), its pymc-marketing twin (function and component class) and
  how the channel coefficient enters that component.

Config validation, the parameter plan, the generator, the quality checks, the
hand-offs and the tests' oracle table all read these declarations (through
:mod:`xmmm.transforms`); adding a transform is one kernel and one
``declare`` call.

The array plumbing here (broadcasting parameters against a stack of series)
is plain NumPy: kernels stay loops over one series, time last.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from xmmm.errors import TransformError

__all__ = [
    "FAMILIES",
    "SCALES",
    "Constraint",
    "Parameter",
    "Transform",
    "declare",
    "positive",
    "registry",
    "unit",
]

FAMILIES = ("adstock", "saturation")
#: elements per chunk of the generic response (bounds its memory)
_CHUNK = 2_000_000
SCALES = ("unit", "positive", "real")

# family -> name -> Transform, filled by the kernel modules' declare() calls
_REGISTRY: dict[str, dict[str, Transform]] = {family: {} for family in FAMILIES}


def _number(v: float) -> str:
    return f"{v:g}"


def show(value) -> str:
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
        How a numeric parameter is varied across regions: on the odds scale (a
        parameter in [0, 1]), multiplicatively (positive) or additively.
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

    def must_be(self) -> str:
        """``"in [0, 1]"``, ``"> 0"``, ...: the text after "must be"."""
        allowed = self.allowed
        return f"in {allowed}" if allowed[0] in "[(" else allowed

    def _error(self, function: str, value) -> TransformError:
        return TransformError(f"{function}: {self.name} must be {self.must_be()}; got {show(value)}")

    def in_range(self, values: np.ndarray) -> np.ndarray:
        """Elementwise: whether each value is inside the valid range (NaN is not)."""
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
        labelled = hasattr(value, "dims") and hasattr(value, "values")  # an xarray.DataArray
        if labelled:
            values = np.asarray(value.values)
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
        ok = self.in_range(values)
        if not ok.all():
            raise self._error(function, values[~ok].flat[0] if values.ndim else value)
        if labelled:
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
        if not self.in_range(np.asarray(float(number))):
            raise self._error(function, value)
        return number


def unit(name, default, doc, *, lower_inclusive=True, upper_inclusive=True) -> Parameter:
    """A parameter in [0, 1] (bounds optionally open), varied on the odds scale."""
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


def positive(name, default, doc, *, inclusive=False) -> Parameter:
    """A parameter > 0 (``>= 0`` with ``inclusive``), varied multiplicatively."""
    return Parameter(name, default, lower=0.0, lower_inclusive=inclusive, scale="positive", doc=doc)


# --------------------------------------------------------------------------- Constraint
@dataclass(frozen=True)
class Constraint:
    """A rule joining several parameters, checked elementwise.

    Parameters
    ----------
    holds : callable
        ``holds(values) -> bool array``: given every parameter (numeric ones as
        arrays broadcast against each other, structural ones as scalars),
        whether the rule holds at each element.
    message : callable
        ``message(values) -> str``: the text (after ``"<name>: "``) for the
        values at one element where the rule fails.
    """

    holds: Callable[[Mapping], np.ndarray]
    message: Callable[[Mapping], str]


# --------------------------------------------------------------------------- Transform
@dataclass(frozen=True)
class Transform:
    """The declaration of one transform (see the module docs).

    Parameters
    ----------
    name : str
        pymc-marketing's function name, e.g. ``"geometric_adstock"``, or ``"none"``.
    family : {"adstock", "saturation"}
    parameters : tuple of Parameter
        Numeric per-series parameters first, then structural ones, each group
        in pymc-marketing's order (the kernel's positional order).
    kernel : callable
        ``kernel(x, *numeric, **structural)`` on a C-contiguous ``(n_series,
        n_time)`` float64 stack with one value per series for each numeric
        parameter; unchecked.
    formula : str
        One line of LaTeX for docs.
    pymc_function : str or None
        The twin in ``pymc_marketing.mmm.transformers`` (``None`` for ``"none"``).
    pymc_component : str or mapping, optional
        The pymc-marketing component class (in ``pymc_marketing.mmm.components``);
        a mapping from a structural option's value to a class where the class
        depends on it (Weibull's ``type``).
    component_option : str, optional
        The structural option that picks the class from ``pymc_component``.
    coefficient : str, optional
        How xmmm's channel coefficient enters the pymc-marketing component,
        which has no separate coefficient for some curves: ``"beta"`` (the
        component multiplies by a ``beta`` parameter), or the name of the
        parameter(s) that absorb it: ``"alpha"`` (Michaelis-Menten's
        maximum), ``"sigma"`` (the sigmoid's asymptote), ``"b,c"`` (tanh:
        ``b`` times, ``c`` divided by the coefficient).
    ceiling : callable, optional
        Saturations: ``ceiling(**numeric) -> array``, the supremum of the
        curve over ``x >= 0``; ``None`` where the curve is unbounded.
    weights : callable, optional
        Adstocks: ``weights(*numeric, **structural) -> (n_series, n_lags)``
        carry-over weights (``mode`` excluded).
    constraints : tuple of Constraint
        Rules joining several parameters.
    power_law : bool
        Saturations whose elasticity is the same at every input (``x**alpha``):
        where spend falls on the curve says nothing about the parameters, so
        "the curve barely bends over the spend range" is no warning for them.
    derivative : callable, optional
        Saturations: ``derivative(x, *numeric) -> df/dx``, elementwise on a
        stack like the kernel's, unchecked; at ``x = 0`` the one-sided limit
        (``inf`` where the curve starts vertically).
    concave : callable, optional
        Saturations: ``concave(**numeric) -> bool array``, whether the curve
        is concave on ``x >= 0`` for those parameters (an S-shaped curve is
        not); ``None``: not known.
    response : (callable, callable), optional
        Saturations: a faster :meth:`run_response`, as ``(prepare,
        evaluate)``: ``prepare(a, *numeric) -> state`` once per stack,
        ``evaluate(state, theta, *numeric) -> (values, slopes)`` per set of
        factors.  Without it the curve and its derivative are evaluated at
        ``theta * a``.
    """

    name: str
    family: str
    parameters: tuple[Parameter, ...]
    kernel: Callable = field(repr=False)
    formula: str
    pymc_function: str | None = None
    pymc_component: str | Mapping | None = None
    component_option: str | None = None
    coefficient: str = "beta"
    ceiling: Callable | None = field(default=None, repr=False)
    weights_kernel: Callable | None = field(default=None, repr=False)
    constraints: tuple[Constraint, ...] = field(default=(), repr=False)
    power_law: bool = False
    derivative: Callable | None = field(default=None, repr=False)
    concave: Callable | None = field(default=None, repr=False)
    response: tuple[Callable, Callable] | None = field(default=None, repr=False)

    # ---- the parameters
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

    def parameter(self, name: str) -> Parameter:
        """The declaration of one parameter."""
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(f"{self.name} has no parameter {name!r}")

    def component(self, options: Mapping | None = None) -> str | None:
        """The pymc-marketing component class name for these structural options."""
        if isinstance(self.pymc_component, Mapping):
            option = self.component_option
            value = (options or {}).get(option, self.parameter(option).default)
            return self.pymc_component[value]
        return self.pymc_component

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
        >>> from xmmm.transforms import get_transform
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
                raise TransformError(f"{self.name}: {p.name} is required; it must be {p.must_be()}")
            resolved[p.name] = p.check(self.name, kwargs.get(p.name, p.default))
        problem = self.first_violation(resolved)
        if problem is not None:
            raise TransformError(f"{self.name}: {problem[1]}")
        return resolved

    def first_violation(self, values: Mapping) -> tuple[tuple, str] | None:
        """The first element where a range or a constraint fails: ``(index, message)``.

        ``values`` holds every parameter (numeric ones as arrays that broadcast
        against each other); ``index`` is the position in the broadcast shape.
        Ranges of numeric values are checked first, then the constraints.

        Examples
        --------
        >>> from xmmm.transforms import get_transform
        >>> spec = get_transform("adstock", "delayed_adstock")
        >>> spec.first_violation({"alpha": 0.5, "theta": np.array([1.0, 5.0]), "l_max": 4,
        ...                       "normalize": True, "mode": "After"})
        ((1,), 'theta must be <= l_max - 1 = 3; got 5.0')
        """
        numeric = {p.name: np.asarray(values[p.name], dtype=np.float64) for p in self.numeric_parameters}
        shape = np.broadcast_shapes(*(v.shape for v in numeric.values())) if numeric else ()
        arrays = {k: np.broadcast_to(v, shape) for k, v in numeric.items()}
        for p in self.numeric_parameters:
            ok = p.in_range(arrays[p.name])
            if not ok.all():
                index = _first(ok)
                got = show(float(arrays[p.name][index]))
                return index, f"{p.name} must be {p.must_be()}; got {got}"
        structural = {p.name: values[p.name] for p in self.structural_parameters}
        for rule in self.constraints:
            with np.errstate(all="ignore"):
                ok = np.broadcast_to(np.asarray(rule.holds({**arrays, **structural}), dtype=bool), shape)
            if not ok.all():
                index = _first(ok)
                at = {k: float(v[index]) for k, v in arrays.items()}
                return index, rule.message({**at, **structural})
        return None

    # ---- running the kernel
    def run(self, stack: np.ndarray, numeric, options: Mapping) -> np.ndarray:
        """The kernel on a ``(n_series, n_time)`` stack, one value per series: unchecked.

        Parameters
        ----------
        stack : numpy.ndarray
            C-contiguous ``float64``, shape ``(n_series, n_time)``.
        numeric : sequence of numpy.ndarray
            One C-contiguous ``float64`` array of ``n_series`` values per numeric
            parameter, in declaration order.
        options : mapping
            The structural options.
        """
        return self.kernel(stack, *numeric, **options)

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
        >>> from xmmm.transforms import get_transform
        >>> spec = get_transform("adstock", "geometric_adstock")
        >>> spec.apply(np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]]), alpha=[0.5, 0.0],
        ...            l_max=2, normalize=False)
        array([[1. , 0.5, 0. ],
               [0. , 2. , 0. ]])
        """
        return self.apply_resolved(x, self.resolve(params))

    def split(self, resolved: Mapping) -> tuple[list, dict]:
        """``(numeric values in kernel order, structural options)`` of resolved parameters."""
        numeric = [resolved[p.name] for p in self.numeric_parameters]
        structural = {p.name: resolved[p.name] for p in self.structural_parameters}
        return numeric, structural

    def apply_resolved(self, x, resolved: Mapping, elementwise: bool = False) -> np.ndarray:
        """:meth:`apply` without the checks.

        ``elementwise``: saturation parameters broadcast against all of ``x``
        (otherwise one value per series, i.e. per ``x[..., :]``).
        """
        numeric, structural = self.split(resolved)
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
        out = self.run(stack, per_series, structural)
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
        out = self.run(stack, per_series, structural).reshape(moved)
        return out.transpose(np.argsort(order))

    def run_derivative(self, stack: np.ndarray, numeric, options: Mapping) -> np.ndarray:
        """The derivative kernel on a stack, as :meth:`run`: unchecked.

        Raises
        ------
        TransformError
            The transform declares no derivative (adstocks: they are linear).
        """
        if self.derivative is None:
            raise TransformError(f"{self.name}: no derivative is declared")
        return self.derivative(stack, *numeric, **options)

    def prepare_response(self, a: np.ndarray, numeric, options: Mapping):
        """What :meth:`run_response` reuses for a stack ``a`` (n_series, n_time): unchecked."""
        if self.response is not None:
            return self.response[0](a, *numeric, **options)
        return a

    def run_response(self, state, theta: np.ndarray, numeric, options: Mapping):
        r"""Sums over time of the curve and of its slope at scaled inputs: unchecked.

        .. math:: V_{j,i} = \sum_t f(\theta_{j,i} a_{i,t}), \qquad
                  D_{j,i} = \sum_t f'(\theta_{j,i} a_{i,t}) \, a_{i,t}

        (terms with :math:`a_{i,t} = 0` add 0 to ``D``), i.e. the value and
        the derivative with respect to :math:`\theta` of a series' summed
        response when its input is scaled by :math:`\theta`.

        Parameters
        ----------
        state
            From :meth:`prepare_response` of a stack ``a`` (n, T).
        theta : numpy.ndarray
            (m, n) factors, >= 0.
        numeric : sequence of numpy.ndarray
            One value per series (n,) for each numeric parameter.
        options : mapping

        Returns
        -------
        (numpy.ndarray, numpy.ndarray)
            ``V`` and ``D``, each (m, n).
        """
        if self.response is not None:
            return self.response[1](state, theta, *numeric, **options)
        a = state
        m, n = theta.shape
        t = a.shape[-1]
        values, slopes = np.empty((m, n)), np.empty((m, n))
        positive = a > 0.0
        step = max(1, _CHUNK // max(n * t, 1))
        for lo in range(0, m, step):
            hi = min(m, lo + step)
            k = hi - lo
            x = np.ascontiguousarray((theta[lo:hi, :, None] * a).reshape(k * n, t))
            tiled = [np.tile(v, k) for v in numeric]
            values[lo:hi] = self.run(x, tiled, options).reshape(k, n, t).sum(axis=-1)
            d = self.run_derivative(x, tiled, options).reshape(k, n, t)
            with np.errstate(invalid="ignore"):
                slopes[lo:hi] = np.where(positive, d * a, 0.0).sum(axis=-1)
        return values, slopes

    def derivative_of(self, x, **params) -> np.ndarray:
        """The derivative ``df/dx`` of a saturation at ``x``, with checked parameters (as :meth:`apply`).

        Examples
        --------
        >>> from xmmm.transforms import get_transform
        >>> get_transform("saturation", "michaelis_menten").derivative_of(np.array([0.0, 1.0]), alpha=2.0, lam=1.0)
        array([2. , 0.5])
        """
        if self.derivative is None:
            raise TransformError(f"{self.name}: no derivative is declared")
        # the derivative broadcasts like the curve: the same plumbing with the other kernel
        return dataclasses.replace(self, kernel=self.derivative).apply_resolved(x, self.resolve(params))

    def is_concave(self, **numeric) -> np.ndarray:
        """Whether the curve is concave on ``x >= 0`` for these parameter values (False where unknown).

        Examples
        --------
        >>> from xmmm.transforms import get_transform
        >>> get_transform("saturation", "hill_function").is_concave(slope=np.array([0.8, 1.0, 1.5]), kappa=0.5)
        array([ True,  True, False])
        """
        values = {k: np.asarray(v, dtype=np.float64) for k, v in numeric.items()}
        shape = np.broadcast_shapes(*(v.shape for v in values.values())) if values else ()
        if self.concave is None:
            return np.zeros(shape, dtype=bool)
        return np.broadcast_to(np.asarray(self.concave(**values), dtype=bool), shape).copy()

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
        >>> from xmmm.transforms import get_transform
        >>> get_transform("adstock", "geometric_adstock").weights(alpha=0.5, l_max=3,
        ...                                                       normalize=False)
        array([1.  , 0.5 , 0.25])
        """
        if self.weights_kernel is None:
            raise TransformError(f"{self.name}: weights exist for adstock transforms only")
        numeric, structural = self.split(self.resolve(params))
        structural.pop("mode", None)
        values = [np.asarray(v, dtype=np.float64) for v in numeric]
        shape = np.broadcast_shapes(*(v.shape for v in values)) if values else ()
        flat = [np.ascontiguousarray(np.broadcast_to(v, shape)).reshape(-1) for v in values]
        w = self.weights_kernel(*flat, **structural)
        return w.reshape(shape + w.shape[-1:])

    def ceiling_of(self, **numeric) -> np.ndarray:
        """Supremum of a saturation curve for these parameters; ``inf`` where unbounded.

        Examples
        --------
        >>> from xmmm.transforms import get_transform
        >>> float(get_transform("saturation", "michaelis_menten").ceiling_of(alpha=2.0, lam=0.5))
        2.0
        """
        values = {k: np.asarray(v, dtype=np.float64) for k, v in numeric.items()}
        shape = np.broadcast_shapes(*(v.shape for v in values.values())) if values else ()
        if self.ceiling is None:
            return np.full(shape, np.inf)
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(self.ceiling(**values), dtype=np.float64), shape).copy()


def _first(ok: np.ndarray) -> tuple:
    """Index of the first False of a boolean array."""
    if ok.ndim == 0:
        return ()
    return tuple(int(i) for i in np.unravel_index(int(np.flatnonzero(~ok.ravel())[0]), ok.shape))


def declare(kernel: Callable, family: str, parameters=(), **details) -> Transform:
    """Declare the transform whose kernel is ``kernel`` (named as pymc-marketing names it).

    Parameters
    ----------
    kernel : callable
        The public kernel function; its ``__name__`` is the transform's name.
    family : {"adstock", "saturation"}
    parameters : sequence of Parameter
    **details
        The other fields of :class:`Transform`.

    Returns
    -------
    Transform
        Also registered under ``(family, name)`` for :func:`registry`.
    """
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}; got {family!r}")
    spec = Transform(name=kernel.__name__, family=family, parameters=tuple(parameters), kernel=kernel, **details)
    _REGISTRY[family][spec.name] = spec
    return spec


def registry(family: str) -> dict[str, Transform]:
    """The declared transforms of one family, by name (in declaration order)."""
    return _REGISTRY[family]
