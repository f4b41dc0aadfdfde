"""Execute the notebooks (all of them, or those named) and report the time each took.

Usage::

    python notebooks/run.py                       # every notebook in this folder
    python notebooks/run.py recovery_study.ipynb  # one
    python notebooks/run.py --out executed/       # also keep the executed copies (with outputs)

Outputs are not written back to the notebooks here (the repository keeps them without outputs).  A
notebook that raises fails the run (exit code 1) with the failing cell's error.  Needs the
``notebooks`` extra: ``pip install -e ".[notebooks]"``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: a notebook (or one of its cells) that takes longer than this fails the run; they take a few minutes
TIMEOUT_SECONDS = 900


def run(path: Path, out: Path | None) -> float:
    import nbformat
    from nbclient import NotebookClient

    book = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(book, timeout=TIMEOUT_SECONDS, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - start
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        nbformat.write(book, out / path.name)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("notebooks", nargs="*", help="notebook files (default: every *.ipynb here)")
    parser.add_argument("--out", type=Path, help="folder for the executed copies")
    args = parser.parse_args(argv)
    # a bare name is a notebook of this folder, wherever the command runs from
    paths = [Path(p) if Path(p).exists() else HERE / p for p in args.notebooks] or sorted(HERE.glob("*.ipynb"))
    failed = 0
    for path in paths:
        try:
            seconds = run(path, args.out)
        except Exception as err:  # noqa: BLE001 - report every notebook, then fail
            failed += 1
            print(f"FAILED {path.name}: {type(err).__name__}: {str(err)[-2000:]}", flush=True)
            continue
        print(f"ok {path.name}: {seconds:.0f} s", flush=True)
    print(f"notebooks executed: {len(paths) - failed} of {len(paths)} without error", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
