"""Exceptions and warnings raised by xmmm.

Every error that comes from bad input is a :class:`ConfigError`, which is a
``ValueError`` so that ``except ValueError`` keeps working for callers that do
not know about xmmm.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "TransformError",
    "GenerationError",
    "DataFileError",
    "XmmmWarning",
]


class ConfigError(ValueError):
    """A configuration value is invalid.

    The message names the field (as a path such as ``channels[2].base_spend``),
    the value that was given and what is allowed.
    """


class TransformError(ConfigError):
    """An unknown transform name or an out-of-range transform parameter."""


class GenerationError(ValueError):
    """A valid configuration produced data that cannot be returned.

    Raised, for example, when the outcome ``y`` would be negative for some
    date and geo; the message names the geo, the date and what to change.
    """


class DataFileError(ValueError):
    """A file is not an xmmm dataset, or it is corrupt."""


class XmmmWarning(UserWarning):
    """A legal but suspicious setting or dataset property."""
