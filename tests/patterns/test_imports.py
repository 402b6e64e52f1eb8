"""The import graph of patterns/: every module imports alone, the layers run one way, and
the compiled build's module list is the engine's real import closure. The web shell's
(mscomm/) has no circle either."""

from __future__ import annotations

import ast
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from patterns import native

PACKAGE = Path(native.__file__).resolve().parent.parent

# The engine modules, lowest layer first: a module imports only from layers below its own
# (docs/core-api.md, "Modules").
LAYERS = (
    ("dists", "metrics", "trace", "balancing"),
    ("runtime", "incidents"),
    ("faults",),
    ("services",),
    ("resilience",),
    ("topics", "common_data"),
    ("network",),
    ("sync", "messaging"),
    ("engine",),
)


def modules(package: str = "patterns") -> list[str]:
    """Every module of a package but ``__main__`` (which runs the command line)."""
    names = []
    for path in sorted((PACKAGE.parent / package).rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if "_native" in parts or parts[-1] == "__main__":
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(parts))
    return names


def bare(code: str) -> str:
    """Run ``code`` in a fresh interpreter where ``patterns`` is the bare package: its
    ``__init__`` (which imports the engine) has not run. Returns stdout."""
    prelude = (
        "import importlib, sys, types\n"
        "pkg = types.ModuleType('patterns')\n"
        f"pkg.__path__ = [{str(PACKAGE)!r}]\n"
        "sys.modules['patterns'] = pkg\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", prelude + code],
        cwd=PACKAGE.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def is_module(dotted: str) -> bool:
    path = PACKAGE.parent / Path(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def top_level_imports(path: Path, name: str) -> set[str]:
    """The modules of ``name``'s top package that it imports when it is imported:
    statements outside functions and outside ``if TYPE_CHECKING:`` blocks."""
    root = name.partition(".")[0]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                visit(node.orelse)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.partition(".")[0] == root)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    base = f"{parent}.{base}" if base else parent
                if base.partition(".")[0] != root:
                    continue
                found.add(base)
                # `from . import x` imports the module x.
                found.update(
                    f"{base}.{a.name}" for a in node.names if is_module(f"{base}.{a.name}")
                )
            elif isinstance(node, ast.If | ast.With):
                visit(node.body)
                visit(node.orelse if isinstance(node, ast.If) else [])
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    found.discard(name)
    return found


def graph(package: str = "patterns") -> dict[str, set[str]]:
    out = {}
    for name in modules(package):
        rel = Path(*name.split("."))
        path = PACKAGE.parent / rel / "__init__.py"
        if not path.is_file():
            path = (PACKAGE.parent / rel).with_suffix(".py")
        # A submodule's import of its own parent package is implied, not an edge.
        out[name] = {m for m in top_level_imports(path, name) if not name.startswith(f"{m}.")}
    return out


def test_every_patterns_module_imports_alone_in_a_fresh_interpreter_in_random_order():
    names = modules()
    seed = random.randrange(1 << 32)
    random.Random(seed).shuffle(names)
    assert len(names) > 20
    for name in names:
        out = bare(f"importlib.import_module({name!r}); print('ok')")
        assert out.strip() == "ok", f"{name} (order seed {seed})"


@pytest.mark.parametrize("package", ["patterns", "mscomm"])
def test_the_import_graph_has_no_circle(package):
    edges = graph(package)
    assert len(edges) > 20, sorted(edges)
    state: dict[str, int] = {}

    def walk(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            assert state.get(nxt) != 1, " -> ".join([*path, node, nxt])
            if nxt not in state:
                walk(nxt, [*path, node])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            walk(node, [])


def test_the_engine_modules_import_only_from_lower_layers():
    edges = graph()
    layer = {name: i for i, names in enumerate(LAYERS) for name in names}
    for name, i in layer.items():
        for dep in edges[f"patterns.{name}"]:
            short = dep.removeprefix("patterns.")
            assert short in layer, f"{name} imports {short}, which is no engine module"
            assert layer[short] < i, f"{name} imports {short} from its own layer or above"


def test_compiled_lists_exactly_the_modules_the_engine_really_imports():
    loaded = bare(
        "importlib.import_module('patterns.engine')\n"
        "import json\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('patterns.'))))"
    )
    closure = {m.removeprefix("patterns.") for m in json.loads(loaded)}
    assert set(native.SOURCE_ONLY) <= closure
    assert set(native.COMPILED) == closure - set(native.SOURCE_ONLY)
    assert len(native.COMPILED) == len(set(native.COMPILED))
    # The build's digest reads exactly what the engine imports.
    assert set(native.sources()) == closure
    assert {name for names in LAYERS for name in names} == closure
