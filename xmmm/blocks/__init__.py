"""The simulation blocks, each one job, called in a fixed order by :func:`xmmm.engine.run`.

* :mod:`~xmmm.blocks.baseline` -- level, trend, yearly seasonality and noise of each geo;
* :mod:`~xmmm.blocks.media` -- spend from the patterns (or a given plan), its scale;
* :mod:`~xmmm.blocks.effects` -- adstock, saturation and channel contributions;
* :mod:`~xmmm.blocks.controls` -- control values and their effects;
* :mod:`~xmmm.blocks.outcome` -- ``y`` as the exact sum of its components.

A block reads the :class:`~xmmm.plan.Plan` (every true parameter) and the
random streams named by the seed, the replicate and the series
(:mod:`xmmm.random`), and returns plain arrays with a leading replicate axis:
(R, G, T) per geo, (R, G, S, T) per geo and channel (time last).  A new
mechanism is a new block or a new option of one.
"""
