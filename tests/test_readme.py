"""The README's statements hold: every Python block runs as written, and its tables are the code's.

The Python blocks run in order in one namespace (later blocks use what earlier ones made, as a reader
following the README would), in an empty working folder: a block that reads a file must create it or
the README must show where it comes from.  A block whose first line is ``# slow: ...`` (it fits
models for minutes) is compiled in the default suite and run, with all the others, under ``pytest -m slow``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import xmmm
from xmmm.presets import presets_table_markdown

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[tuple[int, str]]:
    """``(line number, code)`` of every fenced Python block of the README."""
    text = README.read_text(encoding="utf-8")
    blocks = []
    for match in re.finditer(r"^```python\n(.*?)^```", text, flags=re.S | re.M):
        blocks.append((text[: match.start()].count("\n") + 1, match.group(1)))
    return blocks


def is_slow(code: str) -> bool:
    return code.lstrip().startswith("# slow:")


def test_the_readme_has_python_blocks():
    assert len(python_blocks()) >= 5
    assert sum(not is_slow(code) for _, code in python_blocks()) >= 5


def run_blocks(tmp_path, monkeypatch, *, slow: bool) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "readme"}
    for line, code in python_blocks():
        compiled = compile(code, f"README.md:{line}", "exec")
        if is_slow(code) and not slow:
            continue
        try:
            exec(compiled, namespace)  # noqa: S102 - the README's own code
        except Exception as err:  # pragma: no cover - the failure message is the point
            pytest.fail(f"the README's Python block at line {line} fails: {type(err).__name__}: {err}")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pymc / pytensor chatter when a model is built
def test_every_python_block_runs_as_written(tmp_path, monkeypatch):
    run_blocks(tmp_path, monkeypatch, slow=False)
    # what the blocks say they write is there
    for name in ("basic.nc", "sales.nc", "sales.csv", "sales.csv.truth.json", "study.yaml", "study.json"):
        assert (tmp_path / name).exists(), name


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")  # sampler diagnostics of the short fits
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_every_python_block_runs_as_written_with_the_model_fits(tmp_path, monkeypatch):
    run_blocks(tmp_path, monkeypatch, slow=True)
    assert (tmp_path / "results.parquet").is_dir()


def test_presets_table_is_the_code_s():
    text = README.read_text(encoding="utf-8")
    table = presets_table_markdown()
    assert table.strip() in text, "README's preset table is out of date: paste presets_table_markdown()"


def test_exit_codes_in_the_readme_match_the_command():
    from xmmm import cli

    text = README.read_text(encoding="utf-8")
    assert f"{cli.EXIT_DIFFERS} " in text and "130" in text
    assert "xmmm verify" in text


def test_suite_timing_claim_is_stated_with_its_machine():
    text = README.read_text(encoding="utf-8")
    claim = re.search(r"The suite takes about (\d+) minutes", text)
    assert claim, "the README states how long the suite takes"
    assert "measured" in text[claim.start(): claim.start() + 300]
    assert xmmm.__version__
