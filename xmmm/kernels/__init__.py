"""Numba kernels for adstock and saturation over stacks of series.

Plain NumPy in, NumPy out: ``x`` has shape ``(n_series, n_time)`` (time last,
C-contiguous ``float64``) and every numeric parameter is a 1-D array with one
value per series.  No labels, shapes juggling, validation or randomness live
here; :mod:`xmmm.transforms` is the checked, labelled entry point.  Kernels are
compiled on first call and cached on disk (see :mod:`xmmm.kernels._numba`).
"""

from xmmm.kernels import adstock, saturation

__all__ = ["adstock", "saturation"]
