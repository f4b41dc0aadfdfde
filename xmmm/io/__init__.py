"""Files: NetCDF and Zarr, long tables with a ground-truth sidecar, config files, provenance.

Four kinds of file -- NetCDF datasets, studies (NetCDF or Zarr), long tables
(CSV, Parquet) with a JSON ground-truth sidecar, and configs (YAML, JSON) --
every one written atomically, every data file carrying its provenance.  One
module per job, each documenting its format:

* :mod:`~xmmm.io.atomic` -- temporary files and atomic (all-or-nothing) writes,
  and the removal of leftovers of killed writes (:func:`remove_stale_temps`);
* :mod:`~xmmm.io.hashing` -- :func:`content_hash` of a Dataset's data and the
  provenance attributes (hash, library versions) written with it;
* :mod:`~xmmm.io.encoding` -- in-memory dtypes to file dtypes and back (text,
  booleans, dates, durations);
* :mod:`~xmmm.io.replicates` -- one replicate of a study as an ordinary dataset
  (:func:`replicate_dataset`, ``with_base_values``);
* :mod:`~xmmm.io.netcdf` -- a whole Dataset to a NetCDF-4 file, written with
  netCDF4 in slabs (:func:`to_netcdf`);
* :mod:`~xmmm.io.reading` -- reading and checking xmmm files, NetCDF or Zarr
  (:func:`open_dataset`, :func:`provenance`);
* :mod:`~xmmm.io.studies` -- study files written block by block and opened
  lazily (``study_target``, ``StudyWriter``, ``open_study``);
* :mod:`~xmmm.io.tables` -- long tables with their ground-truth sidecar
  (:func:`to_csv`, :func:`to_parquet`, :func:`truth_json`, :func:`truth_sidecar_path`);
* :mod:`~xmmm.io.configs` -- config and priors files (:func:`load_config`,
  :func:`save_config`, ``load_priors``).

Every name is imported from here (``xmmm.io.to_netcdf``); the submodules are
the place to read how a format is laid out.
"""

from __future__ import annotations

from xmmm.io.atomic import remove_stale_temps
from xmmm.io.configs import CONFIG_SUFFIXES, load_config, save_config
from xmmm.io.hashing import HASH_ATTR, content_hash
from xmmm.io.netcdf import NETCDF_SUFFIXES, to_netcdf
from xmmm.io.reading import open_dataset, provenance
from xmmm.io.replicates import replicate_dataset
from xmmm.io.tables import to_csv, to_parquet, truth_json, truth_sidecar_path

# Not in __all__ but imported from here: by xmmm.study and the command line (studies, priors),
# and by tests that break a write on purpose (the NetCDF writer, a temporary name).
from xmmm.io.atomic import _temp_path  # noqa: F401
from xmmm.io.configs import load_priors  # noqa: F401
from xmmm.io.netcdf import _NetCDFFile  # noqa: F401
from xmmm.io.replicates import with_base_values  # noqa: F401
from xmmm.io.studies import StudyWriter, open_study, study_target  # noqa: F401

__all__ = [
    "to_netcdf",
    "open_dataset",
    "replicate_dataset",
    "content_hash",
    "provenance",
    "remove_stale_temps",
    "to_csv",
    "to_parquet",
    "truth_sidecar_path",
    "truth_json",
    "load_config",
    "save_config",
    "CONFIG_SUFFIXES",
    "DATA_SUFFIXES",
    "NETCDF_SUFFIXES",
    "HASH_ATTR",
]

#: File name endings of dataset files (the CLI picks the writer from these).
DATA_SUFFIXES = (".nc", ".csv", ".parquet")
