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

import hashlib
import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["COMPILED", "ENV", "activate", "build_dir", "digest", "problem", "status"]

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
)
# Modules of the package that the compiled ones import at run time: mypyc may build
# their values into the compiled code, so an edit to them makes the build stale too.
DEPENDS = ("trace",)
# Bumped when the way the build is made changes, so older builds count as stale.
RECIPE = "1"

ENV = "MSCOMM_PURE_PYTHON"

PACKAGE = Path(__file__).resolve().parent.parent
ROOT = PACKAGE / "_native"

# What activate() decided, for status().
_reason = "the package has not been imported"
_active = False


def build_dir(package: Path = PACKAGE) -> Path:
    """Where the build for this interpreter lives."""
    return package / "_native" / sys.implementation.cache_tag


def digest(package: Path = PACKAGE) -> str:
    """sha256 of the sources the build depends on (names and bytes) and the interpreter."""
    h = hashlib.sha256(f"mscomm-native/{RECIPE}\0".encode())
    for name in COMPILED + DEPENDS:
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


def problem(package: Path = PACKAGE) -> str | None:
    """Why the compiled build cannot be used here (None when it can)."""
    if forced_pure():
        return f"{ENV} is set"
    stamp = read_stamp(package)
    if stamp is None:
        return "not compiled (python -m patterns.native build)"
    if stamp.get("python") != sys.version:
        return "compiled for another Python (python -m patterns.native build)"
    try:
        current = digest(package)
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
        build = str(build_dir(package))
        added = build not in sys.path
        if added:
            sys.path.insert(0, build)
        try:
            # The compiled modules all need mypyc's shared library: load it now, so a
            # build that cannot load here falls back instead of breaking the import.
            importlib.import_module(str(stamp["runtime"]))
        except (ImportError, KeyError, OSError) as exc:
            if added:
                sys.path.remove(build)
            reason = f"the build does not load ({exc})"
        else:
            compiled = str(Path(build) / "patterns")
            if compiled not in package_path:
                package_path.insert(0, compiled)
    _active = reason is None
    _reason = reason or ""
    return _active


def status() -> str:
    """Which engine this process runs, in a few words."""
    return "compiled (mypyc)" if _active else f"pure Python: {_reason}"
