"""Hand a generated dataset to a modelling library, with the truth in that library's terms.

* :func:`to_pymc_marketing` returns ``X``, ``y``, the keyword arguments of
  ``pymc_marketing.mmm.multidimensional.MMM`` (and its additive effects) whose
  model contains the data, and every free parameter of that model at its true
  value on pymc-marketing's scales (:mod:`xmmm.handoff.pymc_marketing`).
* :func:`to_meridian` lays the data out as Google Meridian's
  ``XrDatasetDataLoader`` expects, with the ``ModelSpec`` and priors whose
  model contains the data and the truth in Meridian's parameters and
  quantities (:mod:`xmmm.handoff.meridian`).

Data generated inside a library's family
(``xmmm.get_preset_config(name, target=...)``, see :mod:`xmmm.targets`) hand
off exactly: the library's own model, pinned at the truth, reproduces the
data's mean.  Otherwise the hand-off gives the nearest model of the family and
lists in ``mismatches`` what it cannot represent and how far it is from the
data.  Neither library is imported until it is needed.
"""

from xmmm.handoff._common import MISSING_OPTIONS, Mismatch
from xmmm.handoff.meridian import SEASONALITY_CONTROLS, MeridianHandoff, to_meridian
from xmmm.handoff.pymc_marketing import (
    ADSTOCK_COMPONENTS,
    SATURATION_COMPONENTS,
    PymcMarketingHandoff,
    to_pymc_marketing,
)

__all__ = [
    "MeridianHandoff",
    "PymcMarketingHandoff",
    "Mismatch",
    "to_meridian",
    "to_pymc_marketing",
    "ADSTOCK_COMPONENTS",
    "SATURATION_COMPONENTS",
    "SEASONALITY_CONTROLS",
    "MISSING_OPTIONS",
    "MERIDIAN_MISSING",
]

#: the ``missing=`` options of both hand-offs (the older name)
MERIDIAN_MISSING = MISSING_OPTIONS
