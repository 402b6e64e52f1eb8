"""The optional compiled build of the engine, and choosing it when ``patterns`` is imported.

The engine modules (``COMPILED``) are plain Python. ``python -m patterns.native build``
compiles them with mypyc into ``patterns/_native/<cache tag>/``: the compiled modules
in a ``patterns/`` folder there, mypyc's shared library beside it, and ``stamp.json``
with the digest of the sources they were compiled from. ``activate`` (run by
``patterns/__init__.py`` before it imports anything else of the package) puts that
folder first on the package's path, so ``import patterns.engine`` loads the compiled
module, but only when the stamp matches the sources as they are now: a build older than
an edited source is never used. Everything else of the package (the scenario model, the
command line, the lab library) always comes from the source folder.

This module itself is never compiled, and imports nothing of the package.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

__all__ = [
    "COMPILED",
    "ENV",
    "activate",
    "broken",
    "build_dir",
    "digest",
    "forced_pure",
    "problem",
    "read_stamp",
    "sources",
    "status",
]

# The modules compiled, in the order the digest reads them.
COMPILED = (
    "engine",
    "services",
    "dists",
    "metrics",
    "events",
    "sync",
    "balancing",
    "resilience",
    "messaging",
    "common_data",
    "faults",
    "items",
    "incidents",
)
# Bumped when the way the build is made changes, so older builds count as stale.
RECIPE = "2"

ENV = "MSCOMM_PURE_PYTHON"

PACKAGE = Path(__file__).resolve().parent.parent
ROOT = PACKAGE / "_native"

_PARENT = __name__.rpartition(".")[0]
_BROKEN = "the build does not load"

# What activate() decided, for status().
_reason = "the package has not been imported"
_active = False


def build_dir(package: Path = PACKAGE) -> Path:
    """Where the build for this interpreter lives."""
    return package / "_native" / sys.implementation.cache_tag


def sources(package: Path = PACKAGE) -> list[str]:
    """The modules a build depends on: ``COMPILED``, then the other modules of the package
    that they import (mypyc reads their types and may build their constants in)."""
    imported: set[str] = set()
    for name in COMPILED:
        tree = ast.parse((package / f"{name}.py").read_bytes())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    imported.add(node.module.split(".")[0])
                else:
                    imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module == package.name:
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom | ast.Import):
                modules = [node.module] if isinstance(node, ast.ImportFrom) else []
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                for module in modules:
                    if module and module.startswith(f"{package.name}."):
                        imported.add(module.split(".")[1])
    others = sorted(m for m in imported - set(COMPILED) if (package / f"{m}.py").is_file())
    return [*COMPILED, *others]


def digest(package: Path = PACKAGE, names: list[str] | None = None) -> str:
    """sha256 of the sources the build depends on (``sources()``: names and bytes, in that
    order) and of the interpreter's version."""
    h = hashlib.sha256(f"mscomm-native/{RECIPE}\0".encode())
    for name in sources(package) if names is None else names:
        data = (package / f"{name}.py").read_bytes()
        h.update(f"{name}\0{len(data)}\0".encode())
        h.update(data)
    h.update(sys.version.encode())
    return h.hexdigest()


def read_stamp(package: Path = PACKAGE) -> dict[str, Any] | None:
    """The stamp of the build for this interpreter, or None if there is none."""
    try:
        stamp = json.loads((build_dir(package) / "stamp.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) else None


def forced_pure() -> bool:
    """True when the environment asks for the pure-Python engine."""
    value = os.environ.get(ENV, "").strip().lower()
    return value not in ("", "0", "false", "no", "off")


def problem(package: Path = PACKAGE, *, environment: bool = True) -> str | None:
    """Why the compiled build cannot be used here (None when it can); with
    ``environment=False``, whatever ``MSCOMM_PURE_PYTHON`` says."""
    if environment and forced_pure():
        return f"{ENV} is set"
    stamp = read_stamp(package)
    if stamp is None:
        return "not compiled (python -m patterns.native build)"
    if stamp.get("python") != sys.version:
        return "compiled for another Python (python -m patterns.native build)"
    names = stamp.get("sources")
    if not isinstance(names, list) or not set(COMPILED) <= set(names):
        return "compiled by an older recipe (python -m patterns.native build)"
    try:
        current = digest(package, [str(name) for name in names])
    except OSError as exc:
        return f"cannot read the engine's source ({exc})"
    if stamp.get("digest") != current:
        return "the source changed since it was compiled (python -m patterns.native build)"
    return None


def activate(package_path: list[str]) -> bool:
    """Put the compiled build first on the package's path if it is usable and up to date.

    ``package_path`` is the package's ``__path__``. Returns whether the compiled modules
    will be imported; nothing is changed when it returns False.
    """
    global _reason, _active
    package = Path(package_path[0]) if package_path else PACKAGE
    reason = problem(package)
    stamp = read_stamp(package) if reason is None else None
    if stamp is not None:
        build = build_dir(package)
        added = []
        # mypyc's shared library is a top-level module; the compiled modules are the
        # package's, found before the source.
        for entry, path in ((str(build), sys.path), (str(build / "patterns"), package_path)):
            if entry not in path:
                path.insert(0, entry)
                added.append(entry)
        try:
            # Import the compiled modules now, so that a build that does not load here
            # (another platform, a class mypyc cannot run) falls back to the source
            # instead of breaking `import patterns`.
            for name in COMPILED:
                module = importlib.import_module(f"{_PARENT}.{name}")
                if not str(module.__file__).startswith(str(build)):
                    raise ImportError(f"{module.__name__} was already imported from the source")
        except Exception as exc:
            _undo(added, package_path, str(stamp.get("runtime")))
            reason = f"{_BROKEN} ({type(exc).__name__}: {exc})"
    _active = reason is None
    _reason = reason or ""
    return _active


def _undo(added: list[str], package_path: list[str], runtime: str) -> None:
    """Forget a build that failed to load: its path entries and every module imported."""
    for entry in added:
        for path in (sys.path, package_path):
            if entry in path:
                path.remove(entry)
    parent = sys.modules.get(_PARENT)
    for name in list(sys.modules):
        if name == runtime or (name.startswith(f"{_PARENT}.") and not name.startswith(__name__)):
            del sys.modules[name]
            # `from . import x` takes the package's attribute when there is one.
            child = name[len(_PARENT) + 1 :]
            if parent is not None and "." not in child and hasattr(parent, child):
                delattr(parent, child)


def broken() -> bool:
    """True when this process found the build fresh but could not load it."""
    return _reason.startswith(_BROKEN)


def status() -> str:
    """Which engine this process runs, in a few words."""
    return "compiled (mypyc)" if _active else f"pure Python: {_reason}"
