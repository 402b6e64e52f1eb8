"""The compiled build of the engine: used when present and fresh, identical in results.

The test command builds it first (scripts/_common.sh), so its absence is a failure here,
not a skip: a machine that runs the tests has a C compiler.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import patterns
from patterns import native

ROOT = Path(__file__).resolve().parents[2]
PURE = native.forced_pure()


def child_env(pure: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != native.ENV}
    if pure:
        env[native.ENV] = "1"
    return env


def python(code: str, *, pure: bool, path: Path = ROOT) -> str:
    """Run ``code`` in a fresh interpreter with ``path`` first on sys.path; its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(path)!r})\n{code}"],
        cwd=path,
        env=child_env(pure),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def require_build() -> None:
    problem = native.problem()
    if problem is not None and not PURE:
        pytest.fail(
            f"the compiled engine is not usable ({problem}): "
            "run `python -m patterns.native build` (it needs mypy, setuptools and a C compiler)"
        )


def test_the_compiled_engine_is_used_unless_pure_python_is_asked_for() -> None:
    require_build()
    engine_file = patterns.engine.__file__ or ""
    if PURE:
        assert patterns.NATIVE is False
        assert engine_file.endswith(".py")
        assert native.status() == f"pure Python: {native.ENV} is set"
    else:
        assert patterns.NATIVE is True, native.status()
        assert engine_file.endswith((".so", ".pyd")), engine_file
        assert native.status() == "compiled (mypyc)"
        # Every engine module is compiled; the rest of the package is the source.
        for name in native.COMPILED:
            assert sys.modules[f"patterns.{name}"].__file__.endswith((".so", ".pyd")), name
        for name in ("scenario", "cli", "library", "trace"):
            module = __import__(f"patterns.{name}", fromlist=["_"])
            assert Path(module.__file__).parent.name in ("patterns", "library"), name
            assert "_native" not in module.__file__


def test_pure_python_is_used_when_the_environment_asks_for_it() -> None:
    probe = "import patterns, patterns.engine as e; print(patterns.NATIVE, e.__file__)"
    flag, engine_file = python(probe, pure=True).split()
    assert flag == "False"
    assert engine_file.endswith("engine.py")
    # "0", "false" and an empty value leave the choice to the build.
    built = python("import patterns; print(patterns.NATIVE)", pure=False).strip()
    for value in ("0", "false", ""):
        env = {**child_env(pure=False), native.ENV: value}
        out = subprocess.run(
            [sys.executable, "-c", "import patterns; print(patterns.NATIVE)"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout.strip() == built, value


_RUN_LABS = """
import hashlib, json, patterns
from patterns.library import list_labs

out = {"native": patterns.NATIVE, "runs": {}}
for lab in list_labs():
    for seed in (1, 7):
        trace = hashlib.sha256()
        count = 0

        def observe(event):
            global count
            count += 1
            trace.update(json.dumps(event, sort_keys=True, default=repr).encode())
            trace.update(b"\\n")

        result = patterns.simulate(
            patterns.load(lab.doc), seed=seed, observer=observe, detail=True
        )
        result.get("engine", {}).pop("wall_s", None)
        out["runs"][f"{lab.slug}/{seed}"] = {
            "result": result, "trace": trace.hexdigest(), "events": count
        }
print(json.dumps(out, sort_keys=True, default=repr))
"""


def test_compiled_and_pure_python_give_identical_results_and_traces() -> None:
    require_build()
    compiled = json.loads(python(_RUN_LABS, pure=False))
    pure = json.loads(python(_RUN_LABS, pure=True))
    assert compiled["native"] is True, "the compiled engine did not load"
    assert pure["native"] is False
    assert compiled["runs"].keys() == pure["runs"].keys()
    assert len(pure["runs"]) >= 2 * 10
    for key, run in pure["runs"].items():
        assert run["events"] > 0, key
        assert compiled["runs"][key]["result"] == run["result"], key
        assert compiled["runs"][key]["trace"] == run["trace"], key
        assert compiled["runs"][key]["events"] == run["events"], key


# Which engine a fresh interpreter imports, and that it runs a lab.
PROBE = """
import patterns, patterns.engine as e, patterns.native as n
from patterns.library import get_lab
result = patterns.simulate(patterns.load(get_lab("sync-chain").doc))
assert result["requests"]["succeeded"] > 0
print(patterns.NATIVE, e.__file__, n.status(), sep="|")
"""


def copy_package(tmp_path: Path) -> Path:
    """A copy of the package with its build; returns the copy's build folder."""
    shutil.copytree(
        ROOT / "patterns", tmp_path / "patterns", ignore=shutil.ignore_patterns("__pycache__")
    )
    return native.build_dir(tmp_path / "patterns")


def test_an_edited_source_is_never_run_from_an_older_build(tmp_path: Path) -> None:
    require_build()
    # Fresh as it is, stale once a source changes.
    copy_package(tmp_path)
    flag, engine_file, status = python(PROBE, pure=False, path=tmp_path).strip().split("|")
    assert flag == "True", status
    assert engine_file.startswith(str(tmp_path / "patterns" / "_native"))

    with open(tmp_path / "patterns" / "metrics.py", "a", encoding="utf-8") as source:
        source.write("# an edit the build has not seen\n")
    flag, engine_file, status = python(PROBE, pure=False, path=tmp_path).strip().split("|")
    assert flag == "False"
    assert engine_file == str(tmp_path / "patterns" / "engine.py")
    assert status.startswith("pure Python: the source changed")

    # No build at all: pure Python too, saying so.
    shutil.rmtree(tmp_path / "patterns" / "_native")
    flag, _, status = python(PROBE, pure=False, path=tmp_path).strip().split("|")
    assert flag == "False"
    assert status.startswith("pure Python: not compiled")


def test_a_build_that_does_not_load_falls_back_to_the_source(tmp_path: Path) -> None:
    require_build()
    build = copy_package(tmp_path)
    # mypyc's shared library, which holds the code of every compiled module.
    (runtime,) = build.glob("*__mypyc.*")
    runtime.write_bytes(b"not a shared library")
    flag, engine_file, status = python(PROBE, pure=False, path=tmp_path).strip().split("|")
    assert flag == "False"
    assert engine_file == str(tmp_path / "patterns" / "engine.py")
    assert status.startswith("pure Python: the build does not load"), status
