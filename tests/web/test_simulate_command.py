"""`manage.py simulate`: the core's CLI through Django, with its output and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def simulate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "simulate", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_it_prints_one_result_document(tmp_path):
    import patterns.library

    lab = patterns.library.list_labs()[0]
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(lab.doc))
    done = simulate(str(path), "--seed", "3", "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["format"] == "mscomm.result/1" and result["seed"] == 3


def test_an_invalid_scenario_exits_2_with_field_paths_and_no_traceback(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"format": "mscomm.scenario/1", "name": "", "nodes": 3}))
    done = simulate(str(path))
    assert done.returncode == 2
    assert "name:" in done.stderr and "nodes:" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
