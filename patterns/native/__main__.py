"""``python -m patterns.native build|status``: compile the engine with mypyc, or say which runs.

    python -m patterns.native build [--if-needed] [--force]
    python -m patterns.native status

``build`` compiles the engine modules in a temporary folder (a copy of the package), then
moves the result into ``patterns/_native/<cache tag>/`` in one rename, its stamp already
inside. ``--if-needed`` does nothing when the build there matches the sources, this
Python and the installed mypy. When mypy, setuptools or a C compiler is missing, or the
compilation fails, it says so in one line and exits 1: the engine then runs as pure
Python, which gives the same results, only slower.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

from patterns import native

LOG = native.ROOT / "build.log"


class BuildError(Exception):
    """A build that cannot be made here: the message is the one line to print."""


def mypy_version() -> str | None:
    try:
        return importlib.metadata.version("mypy")
    except importlib.metadata.PackageNotFoundError:
        return None


def fresh() -> bool:
    """The build there matches the sources and this Python (whatever the environment)."""
    return native.problem(environment=False) is None


def up_to_date() -> bool:
    """Fresh, loading, and made by the installed mypy (a newer one may make faster code)."""
    stamp = native.read_stamp()
    installed = mypy_version()
    if not fresh() or native.broken():
        return False
    return installed is None or (stamp or {}).get("mypy") == installed


def fallback() -> str:
    """What runs after a failed build."""
    if fresh() and not native.broken():
        return "the compiled engine built before stays in use"
    return "the engine will run as pure Python"


def c_compiler() -> str | None:
    names = [os.environ["CC"].split()[0]] if os.environ.get("CC") else ["cc", "gcc", "clang"]
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


def check_tools() -> str:
    """The mypy version to build with; raises BuildError naming what is missing."""
    version = mypy_version()
    if version is None or importlib.util.find_spec("mypyc") is None:
        raise BuildError("mypy (which provides mypyc) is not installed")
    if importlib.util.find_spec("setuptools") is None:
        raise BuildError("setuptools is not installed")
    if c_compiler() is None:
        raise BuildError("no C compiler (cc, gcc or clang) was found")
    return version


@contextlib.contextmanager
def locked() -> Iterator[None]:
    """One build at a time (scripts/start and scripts/test may run side by side)."""
    native.ROOT.mkdir(parents=True, exist_ok=True)
    with open(native.ROOT / ".lock", "w") as handle:
        try:
            import fcntl
        except ImportError:  # Windows: builds there are not serialised
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def compile_into(work: Path, log: Path) -> dict[str, object]:
    """Compile a copy of the package in ``work``; return the stamp for what was built."""
    source = work / "patterns"
    shutil.copytree(
        native.PACKAGE,
        source,
        ignore=shutil.ignore_patterns("_native", "__pycache__", "*.so", "*.pyd"),
    )
    # The digest of the copy, not of the package: an edit made while this compiles must
    # leave the build stale.
    names = native.sources(source)
    stamp: dict[str, object] = {
        "sources": names,
        "digest": native.digest(source, names),
        "python": sys.version,
        "cache_tag": sys.implementation.cache_tag,
        "mypy": mypy_version(),
    }
    command = [sys.executable, "-m", "mypyc", *(f"patterns/{name}.py" for name in native.COMPILED)]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop(native.ENV, None)
    with open(log, "w", encoding="utf-8") as out:
        out.write(f"$ {' '.join(command)}\n")
        out.flush()
        done = subprocess.run(
            command, cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT, check=False
        )
    if done.returncode != 0:
        raise BuildError(f"mypyc failed (exit {done.returncode})")
    runtimes = sorted(work.glob("*__mypyc.*"))
    if len(runtimes) != 1:
        raise BuildError("mypyc did not leave one shared library")
    stamp["runtime"] = runtimes[0].name.split(".")[0]
    return stamp


def install(work: Path, stamp: dict[str, object]) -> None:
    """Move the compiled modules into place: a new folder, renamed over the old one."""
    target = native.build_dir()
    fresh = native.ROOT / f".{target.name}.new.{os.getpid()}"
    stale = native.ROOT / f".{target.name}.old.{os.getpid()}"
    shutil.rmtree(fresh, ignore_errors=True)
    (fresh / "patterns").mkdir(parents=True)
    for runtime in work.glob(f"{stamp['runtime']}.*"):
        shutil.copy2(runtime, fresh / runtime.name)
    for name in native.COMPILED:
        built = [p for p in (work / "patterns").glob(f"{name}.*") if p.suffix in (".so", ".pyd")]
        if len(built) != 1:
            shutil.rmtree(fresh, ignore_errors=True)
            raise BuildError(f"mypyc did not compile patterns/{name}.py")
        shutil.copy2(built[0], fresh / "patterns" / built[0].name)
    # The stamp is the last file written: a folder without one is never used.
    (fresh / "stamp.json").write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
    if target.exists():
        target.rename(stale)
    fresh.rename(target)
    shutil.rmtree(stale, ignore_errors=True)


def build(if_needed: bool) -> int:
    with locked():
        if if_needed and up_to_date():
            return 0
        check_tools()
        print("compiling the engine with mypyc (about 30 s)…", flush=True)
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="mscomm-native-") as tmp:
            stamp = compile_into(Path(tmp), LOG)
            install(Path(tmp), stamp)
        print(f"done in {time.monotonic() - started:.0f} s", flush=True)
    return 0


def shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m patterns.native", description="The compiled build of the engine."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("build", help="compile the engine modules with mypyc")
    make.add_argument("--if-needed", action="store_true", help="only if the build is stale")
    make.add_argument("--force", action="store_true", help="compile even if up to date")
    commands.add_parser("status", help="say which engine this Python runs")
    args = parser.parse_args(argv)

    if args.command == "status":
        print(native.status())
        return 0
    try:
        return build(if_needed=args.if_needed and not args.force)
    except BuildError as exc:
        where = f" (log: {shown(LOG)})" if LOG.exists() and "mypyc" in str(exc) else ""
        print(f"cannot compile the engine: {exc}{where}; {fallback()}", file=sys.stderr)
    except KeyboardInterrupt:
        print(f"interrupted; {fallback()}", file=sys.stderr)
        return 130
    except Exception as exc:  # a build is optional: one line, never a traceback
        with contextlib.suppress(OSError):
            native.ROOT.mkdir(parents=True, exist_ok=True)
            with open(LOG, "a", encoding="utf-8") as out:
                traceback.print_exc(file=out)
        print(
            f"cannot compile the engine: {type(exc).__name__}: {exc} (log: {shown(LOG)}); "
            f"{fallback()}",
            file=sys.stderr,
        )
    return 1


if __name__ == "__main__":
    sys.exit(main())
