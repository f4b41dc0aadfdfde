"""Presets moved into a library's family at a test-friendly size (shared by the hand-off tests)."""

from __future__ import annotations

import xmmm


def small_target_config(name: str, target: str):
    """A preset moved into a family, at a size that keeps every channel spending (fast to build)."""
    config = xmmm.get_preset_config(name, target=target)
    if config.experiments:  # its experiments name periods and geos of the whole preset
        return config
    starts = [c.start_period + c.ramp_up_periods for c in config.channels if c.pattern == "delayed_start"]
    n_periods = min(config.n_periods, max([120 if config.frequency == "D" else 60] + [s + 12 for s in starts]))
    overrides = {"n_periods": n_periods}
    if config.regions.n_regions > 3:
        overrides["regions"] = {"n_regions": 3}
    return xmmm.customize_preset(name, target=target, **overrides)
