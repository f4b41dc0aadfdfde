"""The layers of the package, held: every import (function-level ones included) points downward.

``LAYERS`` is the documented order (README, "Architecture"): a module may
import a module of a lower layer, or of its own layer where no cycle forms.
Imports under ``if TYPE_CHECKING:`` are for type checkers only and do not
count.  A module that is not listed fails the test: placing a new module is
a decision, made here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "xmmm"

#: lowest first; a module imports only from its own layer or the ones above it in this list
LAYERS: list[tuple[str, ...]] = [
    ("xmmm._version", "xmmm.errors"),
    ("xmmm.checks", "xmmm.plain"),
    ("xmmm.kernels._numba", "xmmm.kernels.declare", "xmmm.kernels.adstock", "xmmm.kernels.saturation",
     "xmmm.kernels.timeseries", "xmmm.kernels.feedback", "xmmm.kernels.effects", "xmmm.kernels", "xmmm.random"),
    ("xmmm.transforms",),
    ("xmmm.world", "xmmm.causal"),
    ("xmmm.config", "xmmm.graph"),
    ("xmmm.inputs",),
    ("xmmm.patterns", "xmmm.spend_plan"),
    ("xmmm.ground_truth",),
    ("xmmm.plan",),
    ("xmmm.blocks", "xmmm.blocks.baseline", "xmmm.blocks.media", "xmmm.blocks.reach", "xmmm.blocks.exposures",
     "xmmm.blocks.effects", "xmmm.blocks.controls", "xmmm.blocks.outcome", "xmmm.blocks.noise",
     "xmmm.blocks.variation", "xmmm.blocks.issues", "xmmm.blocks.demand", "xmmm.blocks.experiments",
     "xmmm.blocks.policy"),
    ("xmmm.engine", "xmmm.dataset", "xmmm.suspicious", "xmmm.response", "xmmm.budget"),
    ("xmmm.lift",),
    ("xmmm.export",),
    ("xmmm.schema", "xmmm.detect", "xmmm.quality"),
    ("xmmm.io.atomic", "xmmm.io.hashing", "xmmm.io.encoding", "xmmm.io.replicates"),
    ("xmmm.io.netcdf", "xmmm.io.tables", "xmmm.io.configs"),
    ("xmmm.io.reading",),
    ("xmmm.io.studies",),
    ("xmmm.io",),
    ("xmmm.plot",),
    ("xmmm.result",),
    ("xmmm.scenarios", "xmmm.generate", "xmmm.presets", "xmmm.targets", "xmmm.priors", "xmmm.study",
     "xmmm.counterfactuals"),
    ("xmmm.handoff", "xmmm.handoff._common", "xmmm.handoff.meridian", "xmmm.handoff.pymc_marketing",
     "xmmm.reproduce", "xmmm.experiments"),
    ("xmmm.scoring", "xmmm.fits", "xmmm.recovery"),
    ("xmmm.cli", "xmmm.__main__"),
]
#: the package's front door re-exports lazily by name; it is above everything
EXEMPT = {"xmmm"}
#: modules that must do no arithmetic belonging to the ground truth
EDGES = ("xmmm.cli", "xmmm.plot")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(path: Path) -> list[tuple[int, str]]:
    """``(line, module)`` of every xmmm import in a file, at any depth, except type-checking ones."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rsplit(".", 1)[0]
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names if alias.name.split(".")[0] == "xmmm")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == "xmmm":
                # `from xmmm import io` imports the submodule xmmm.io; other names come from target itself
                submodules = [f"{target}.{a.name}" for a in node.names if _exists(f"{target}.{a.name}")]
                found.extend((node.lineno, m) for m in submodules)
                if len(submodules) < len(node.names):
                    found.append((node.lineno, target))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _exists(module: str) -> bool:
    relative = Path(*module.split(".")[1:])
    return (PACKAGE / relative).with_suffix(".py").exists() or (PACKAGE / relative / "__init__.py").exists()


def _sources() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _layer_of() -> dict[str, int]:
    return {m: i for i, layer in enumerate(LAYERS) for m in layer}


def test_every_module_has_a_layer():
    layer = _layer_of()
    missing = sorted(m for m in _sources() if m not in layer and m not in EXEMPT)
    assert not missing, f"place these modules in LAYERS: {missing}"
    stale = sorted(m for m in layer if m not in _sources())
    assert not stale, f"LAYERS lists modules that do not exist: {stale}"


def test_imports_point_downward():
    layer = _layer_of()
    wrong = []
    for module, path in _sources().items():
        if module in EXEMPT:
            continue
        for line, target in imports(path):
            if target in EXEMPT:
                wrong.append(f"{module}:{line} imports the package front door ({target}); import the module")
            elif target in layer and layer[target] > layer[module]:
                wrong.append(f"{module}:{line} imports {target}, a higher layer")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles():
    graph = {m: {t for _, t in imports(p) if t != m and t not in EXEMPT} for m, p in _sources().items()}
    state: dict[str, int] = {}
    cycles = []

    def walk(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            # a package's __init__ importing its own submodules is not a cycle with them
            if nxt.startswith(node + ".") or node.startswith(nxt + "."):
                continue
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]) if nxt in stack else f"{node} -> {nxt}")
            elif nxt not in state:
                walk(nxt, stack + [nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module, [module])
    assert not cycles, "\n".join(cycles)


@pytest.mark.parametrize("module", EDGES)
def test_edge_modules_do_no_truth_arithmetic(module):
    # ROAS, marginal ROAS and attribution are computed in xmmm.ground_truth; edges only show them
    source = _sources()[module].read_text()
    assert "MARGINAL_STEP" not in source
    tree = ast.parse(source)
    divisions = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)
        and {"contribution", "spend"} <= {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    ]
    assert not divisions, f"{module} divides contribution by spend at lines {divisions}"


def _is_io(module: str | None) -> bool:
    """``xmmm.io`` or one of its submodules: importing any of them loads the file machinery."""
    return module is not None and (module == "xmmm.io" or module.startswith("xmmm.io."))


def test_the_checker_sees_function_level_imports():
    # the rule covers imports inside functions, where a circle hides: result.open_result imports io lazily
    path = _sources()["xmmm.result"]
    tree = ast.parse(path.read_text())
    lazy = {
        node.lineno
        for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef)
        for node in ast.walk(fn) if isinstance(node, ast.ImportFrom) and _is_io(node.module)
    }
    assert lazy and lazy <= {line for line, target in imports(path) if _is_io(target)}


def test_the_checker_resolves_imports_of_a_package_and_its_submodules(monkeypatch):
    # `from xmmm.io import netcdf` names a submodule, `from xmmm.io import to_netcdf` the package itself;
    # inside the package, `from xmmm.io.atomic import ...` and `from . import tables` name submodules
    probe = PACKAGE / "io" / "probe.py"
    text = "from xmmm.io import netcdf, to_netcdf\nfrom xmmm.io.atomic import _target\nfrom . import tables\n"
    read_text = Path.read_text
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: text if self == probe else read_text(self, *a, **k))
    assert imports(probe) == [(1, "xmmm.io.netcdf"), (1, "xmmm.io"), (2, "xmmm.io.atomic"), (3, "xmmm.io.tables")]
