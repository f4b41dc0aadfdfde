"""Value checks that name the field: the validation framework of every config object.

A :class:`Problems` collects every problem of one object, each as one line
``<path><field> must be <allowed>; got <value>``, so that a config reports all
of its problems at once (:func:`join` makes one message of them).

Examples
--------
>>> p = Problems("channels[1] ('Search').")
>>> p.number("base_spend", -5.0, lower=0)
>>> p.items
["channels[1] ('Search').base_spend must be >= 0; got -5.0"]
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from xmmm.errors import ConfigError

__all__ = ["Problems", "join", "is_int", "range_text"]


def is_int(value: Any) -> bool:
    """An integer that is not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _bound(value: float) -> str:
    # integers print exactly (a seed bound is 9223372036854775808, not 9.22337e+18)
    if isinstance(value, numbers.Integral) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e6):
        return str(int(value))
    return f"{value:g}"


def range_text(lower=None, upper=None, lower_open=False, upper_open=False, sep: str = "") -> str:
    """``"in [0, 1)"``, ``">= 0"``, ``"<= 5"`` or ``""``, after ``sep``."""
    if lower is not None and upper is not None:
        return f"{sep}in {'(' if lower_open else '['}{_bound(lower)}, {_bound(upper)}{')' if upper_open else ']'}"
    if lower is not None:
        return f"{sep}{'>' if lower_open else '>='} {_bound(lower)}"
    if upper is not None:
        return f"{sep}{'<' if upper_open else '<='} {_bound(upper)}"
    return ""


def join(items: list[str]) -> str:
    """One message for one or several problems."""
    if len(items) == 1:
        return items[0]
    return f"{len(items)} problems:\n- " + "\n- ".join(items)


class Problems:
    """Collects every problem of one config object, each named by its field path.

    Parameters
    ----------
    prefix : str
        Put before every field name, e.g. ``"regions."``.
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.items: list[str] = []

    def add(self, name: str, value: Any, allowed: str) -> None:
        """Record ``<prefix><name> must be <allowed>; got <value!r>``."""
        self.items.append(f"{self.prefix}{name} must be {allowed}; got {value!r}")

    def number(
        self,
        name: str,
        value: Any,
        *,
        lower: float | None = None,
        upper: float | None = None,
        lower_open: bool = False,
        upper_open: bool = False,
        integer: bool = False,
        optional: bool = False,
        limit: float | None = None,
        why: str = "",
    ) -> None:
        """Check one number.

        Parameters
        ----------
        name, value
            The field and its value.
        lower, upper, lower_open, upper_open
            The valid range (``None``: unbounded).
        integer
            The value must be a whole number.
        optional
            ``None`` is allowed.
        limit, why
            A plausibility limit on the magnitude: ``|value| <= limit``, with the
            reason, e.g. ``"no business spends more per period"``.  Keeps
            every generated value finite in float64.
        """
        if value is None and optional:
            return
        kind = "an integer" if integer else "a number"
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            self.add(name, value, kind + range_text(lower, upper, lower_open, upper_open, " "))
            return
        if not math.isfinite(value):
            self.add(name, value, "finite")
            return
        if integer and int(value) != value:
            self.add(name, value, kind + range_text(lower, upper, lower_open, upper_open, " "))
            return
        too_low = lower is not None and (value <= lower if lower_open else value < lower)
        too_high = upper is not None and (value >= upper if upper_open else value > upper)
        if too_low or too_high:
            self.add(name, value, range_text(lower, upper, lower_open, upper_open))
            return
        if limit is not None and abs(value) > limit:
            bound = f"<= {_bound(limit)}" if lower is not None and lower >= 0 else f"within +-{_bound(limit)}"
            self.add(name, value, f"{bound} ({why})" if why else bound)

    def raise_if_any(self) -> None:
        """Raise one :class:`~xmmm.errors.ConfigError` listing every problem, if any."""
        if self.items:
            raise ConfigError(join(self.items))
