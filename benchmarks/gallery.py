"""Write a PNG of every xmmm figure for the ``demo`` preset, to look at them.

Usage::

    python benchmarks/gallery.py [OUT_DIR]                       # default: gallery/ (gitignored)
    python benchmarks/gallery.py OUT_DIR --preset enterprise     # any preset (30 geos: 6 shown, the rest counted)

The images are for eyes, not for the repository: do not commit them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import xmmm  # noqa: E402
from xmmm.plot import save_all_plots  # noqa: E402


def demo_config(name: str = "demo"):
    """A preset (default ``demo``), or the default config while presets are not available."""
    try:
        return xmmm.get_preset_config(name), name
    except (AttributeError, ImportError, KeyError, ValueError):
        return xmmm.DEFAULT_CONFIG, "default"


def main(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", nargs="?", default="gallery", help="directory for the PNGs (default: gallery/)")
    parser.add_argument("--dpi", type=int, default=110)
    parser.add_argument("--preset", default="demo", help="the preset to draw (default: demo)")
    args = parser.parse_args(argv)
    config, name = demo_config(args.preset)
    result = xmmm.generate_mmm_dataset(config)
    paths = save_all_plots(result, args.out_dir, dpi=args.dpi)
    print(f"{len(paths)} figures of the {name!r} config in {Path(args.out_dir).resolve()}:")
    for path in paths:
        print(f"  {path.name}")
    return paths


if __name__ == "__main__":
    main(sys.argv[1:])
