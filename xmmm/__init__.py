"""xmmm: reproducible synthetic Marketing Mix Model datasets with exact, known ground truth.

Everything generated lives in one labelled ``xarray.Dataset`` (dims ``date``,
``geo``, ``channel``, ``control``, and ``replicate`` in simulation studies);
the long pandas table is made only on export.

>>> import xmmm
>>> result = xmmm.generate_mmm_dataset()          # DEFAULT_CONFIG
>>> result.dataset                                 # doctest: +SKIP
>>> result["data"].head()                          # doctest: +SKIP
"""

from __future__ import annotations

import importlib

from xmmm._version import __version__
from xmmm.config import (
    ChannelConfig,
    ControlConfig,
    MMMDataConfig,
    RegionConfig,
    TransformConfig,
    with_placebo,
)
from xmmm.world import DataIssues, LevelBreak, MissingData, Placebo, TimeVariation
from xmmm.errors import ConfigError, DataFileError, GenerationError, TransformError, XmmmWarning

# Public names whose modules are imported on first use, so that `import xmmm`
# stays fast: numpy, pandas, xarray, numba and matplotlib load only when needed.
_LAZY = {
    "DEFAULT_CONFIG": "xmmm.config",
    "validate_config": "xmmm.targets",
    "TARGETS": "xmmm.targets",
    "generate_mmm_dataset": "xmmm.generate",
    "generate_dataset": "xmmm.generate",
    "MMMResult": "xmmm.result",
    "to_long_dataframe": "xmmm.export",
    "from_long_dataframe": "xmmm.export",
    "get_preset_config": "xmmm.presets",
    "customize_preset": "xmmm.presets",
    "list_available_presets": "xmmm.presets",
    "check_data_quality": "xmmm.quality",
    "validate_output_schema": "xmmm.schema",
    "plot_channel_spend": "xmmm.plot",
    "plot_channel_contributions": "xmmm.plot",
    "plot_roas_comparison": "xmmm.plot",
    "plot_regional_comparison": "xmmm.plot",
    "plot_data_quality": "xmmm.plot",
    "plot_response_curves": "xmmm.plot",
    "plot_adstock_kernels": "xmmm.plot",
    "plot_media_inputs": "xmmm.plot",
    "plot_budget_response": "xmmm.plot",
    "save_all_plots": "xmmm.plot",
    "open_dataset": "xmmm.io",
    "open_result": "xmmm.result",
    "load_config": "xmmm.io",
    "load_priors": "xmmm.io",
    "save_config": "xmmm.io",
    "content_hash": "xmmm.io",
    "provenance": "xmmm.io",
    "verify": "xmmm.reproduce",
    "VerifyReport": "xmmm.reproduce",
    "to_meridian": "xmmm.handoff",
    "to_pymc_marketing": "xmmm.handoff",
    "MeridianHandoff": "xmmm.handoff",
    "PymcMarketingHandoff": "xmmm.handoff",
    "QualityReport": "xmmm.quality",
    "simulate": "xmmm.study",
    "replicate_dataset": "xmmm.io",
    "replicate_config": "xmmm.study",
    "transforms": "xmmm.transforms",
    "counterfactual": "xmmm.counterfactuals",
    "incremental_outcome": "xmmm.counterfactuals",
    "response_curves": "xmmm.counterfactuals",
    "optimal_budget": "xmmm.counterfactuals",
    "score_allocation": "xmmm.counterfactuals",
    "with_decision_truth": "xmmm.counterfactuals",
    "decision_truth": "xmmm.counterfactuals",
    "DemandConfig": "xmmm.causal",
    "ExperimentConfig": "xmmm.causal",
    "lift_tests": "xmmm.experiments",
    "MeridianCalibration": "xmmm.experiments",
    "score": "xmmm.scoring",
    "recovery_study": "xmmm.recovery",
    "summarise": "xmmm.recovery",
    "load_results": "xmmm.recovery",
    "RecoverySummary": "xmmm.recovery",
    "fits": "xmmm.fits",
}

__all__ = [
    "__version__",
    "ChannelConfig",
    "ControlConfig",
    "MMMDataConfig",
    "RegionConfig",
    "TransformConfig",
    "TimeVariation",
    "DataIssues",
    "MissingData",
    "LevelBreak",
    "Placebo",
    "with_placebo",
    "ConfigError",
    "DataFileError",
    "GenerationError",
    "TransformError",
    "XmmmWarning",
    *_LAZY,
]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'xmmm' has no attribute {name!r}")
    if name == module.rsplit(".", 1)[1]:
        value = importlib.import_module(module)
    else:
        value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
