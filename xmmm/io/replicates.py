"""Replicates of a study: one replicate as an ordinary dataset, with its drawn values in its config."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import xarray as xr

    from xmmm.config import MMMDataConfig

__all__ = ["replicate_dataset", "with_base_values"]

#: Attributes of a study that one replicate of it does not carry.
_STUDY_ATTRS = ("n_replicates", "first_replicate", "xmmm_priors")


def replicate_dataset(study: xr.Dataset, replicate: int) -> xr.Dataset:
    """One replicate of a study as an ordinary single dataset.

    The result has the variables, dims and attributes of
    :func:`xmmm.generate_dataset`'s output, so :func:`xmmm.to_long_dataframe`,
    :class:`xmmm.MMMResult` and the exporters take it.  Its ``xmmm_config``
    attribute is the study's config with the replicate's drawn values put in
    (see :func:`xmmm.replicate_config`), and (for replicates other than 0) its
    ``replicate`` attribute the replicate number: the replicate's random
    streams are those of that number, so ``generate_dataset`` of that config
    alone (which is replicate 0) gives other noise unless it is told the
    replicate number.  Replicate 0 of a study without priors is identical to
    ``generate_dataset(config)``.

    Parameters
    ----------
    study : xarray.Dataset
        From :func:`xmmm.simulate` (in memory, lazy or opened from a file).
    replicate : int
        The replicate *number* (a label of the ``replicate`` coordinate).

    Returns
    -------
    xarray.Dataset
        Lazy if the study is.

    Examples
    --------
    >>> import xmmm
    >>> study = xmmm.simulate(xmmm.DEFAULT_CONFIG, 3)
    >>> one = replicate_dataset(study, 1)
    >>> one.attrs["replicate"], "replicate" in one.dims
    (1, False)
    """
    import numpy as np

    from xmmm.config import MMMDataConfig

    if "replicate" not in study.dims:
        raise ValueError("replicate_dataset takes a simulation study (a Dataset with a 'replicate' dim)")
    replicate = int(replicate)
    if replicate not in study.indexes["replicate"]:
        labels = study["replicate"].values
        raise KeyError(
            f"replicate {replicate} is not in the study (replicates {labels.min()} ... {labels.max()})"
        )
    priors = [v for v in study.data_vars if v.startswith("prior_")]
    one = study.drop_vars(priors).sel(replicate=replicate).drop_vars("replicate")
    config = MMMDataConfig.from_dict(json.loads(study.attrs["xmmm_config"]))
    drawn = {
        study[v].attrs["parameter"]: np.asarray(study[v].sel(replicate=replicate).values)[None, ...]
        for v in priors
    }
    config = with_base_values(config, drawn)
    attrs = {k: v for k, v in study.attrs.items() if k not in _STUDY_ATTRS}
    attrs["xmmm_config"] = json.dumps(config.to_dict(), sort_keys=True)
    if replicate:  # replicate 0 is what generate_dataset gives, attributes included
        attrs["replicate"] = replicate
    one.attrs = attrs
    one.encoding = {}
    return one


def with_base_values(config: MMMDataConfig, values: Mapping[str, np.ndarray]) -> MMMDataConfig:
    """A copy of ``config`` whose base values are ``values`` (first replicate of each).

    ``values`` maps base-value keys (``channels.<field>``, ``controls.<field>``,
    ``regions.<field>``, ``transforms.<family>_<parameter>``) to arrays whose
    first axis is the replicate.
    """
    import numpy as np

    from xmmm.config import validate_config

    out = config.copy()
    for key, arr in values.items():
        arr = np.asarray(arr, dtype=float)[0]
        group, field = key.split(".", 1)
        if group == "regions":
            setattr(out.regions, field, float(arr))
        elif group in ("channels", "controls"):
            items = out.channels if group == "channels" else out.control_variables
            for item, v in zip(items, arr):
                # the level of a channel without spend is its base_value when it has one
                unpaid = group == "channels" and not item.has_spend and item.base_value is not None
                setattr(item, "base_value" if field == "base_spend" and unpaid else field, float(v))
        else:  # transforms.<family>_<parameter>
            family, pname = field.split("_", 1)
            kwargs = getattr(out.transforms, f"{family}_kwargs")
            per_channel = [
                dict(kwargs[i] if isinstance(kwargs, list) else kwargs) for i in range(len(out.channels))
            ]
            for kw, v in zip(per_channel, arr):
                if not np.isnan(v):
                    kw[pname] = float(v)
            setattr(out.transforms, f"{family}_kwargs", per_channel)
    validate_config(out)
    return out
