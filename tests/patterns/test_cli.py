"""patterns/cli.py: ``python -m patterns`` run as a real process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

import patterns
from patterns.cli import main
from patterns.library import get_lab, list_labs

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "patterns", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )


def small_doc() -> dict[str, Any]:
    """A quick two-service scenario with every section of the result filled in."""
    return {
        "format": "mscomm.scenario/1",
        "name": "Small <checkout>",
        "seed": 3,
        "duration_s": 5,
        "drain_s": 2,
        "nodes": [
            {"id": "order", "kind": "service", "work_ms": 2},
            {"id": "payment", "kind": "service", "work_ms": {"dist": "exponential", "mean": 5}},
            {"id": "placed", "kind": "topic"},
            {"id": "loyalty", "kind": "service"},
            {"id": "lake", "kind": "datastore"},
            {"id": "reporting", "kind": "service"},
        ],
        "links": [
            {"id": "pay", "from": "order", "to": "payment", "style": "sync", "timeout_ms": 50},
            {"id": "emit", "from": "order", "to": "placed", "style": "publish"},
            {"id": "to-loyalty", "from": "placed", "to": "loyalty", "style": "subscribe"},
            {"id": "record", "from": "order", "to": "lake", "style": "write"},
            {"id": "poll", "from": "lake", "to": "reporting", "style": "poll", "interval_ms": 500},
        ],
        "workload": [{"entry": "order", "arrival": {"process": "poisson", "rate_per_s": 40}}],
    }


def assert_clean_failure(proc: subprocess.CompletedProcess[str]) -> list[str]:
    """Exit 2, nothing on stdout, no traceback; returns the stderr lines."""
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    return proc.stderr.splitlines()


# --- bad input --------------------------------------------------------------------------


def test_it_reports_bad_json_with_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "format": "mscomm.scenario/1",\n  "name": "x"\n  "nodes": []\n}\n')
    lines = assert_clean_failure(run_cli(str(path)))
    assert lines == [f"{path}: line 4 column 3: Expecting ',' delimiter"]


def test_it_reports_an_unreadable_file() -> None:
    lines = assert_clean_failure(run_cli("no/such/scenario.json"))
    assert lines == ["no/such/scenario.json: No such file or directory"]


def test_it_reports_a_directory_given_as_file(tmp_path: Path) -> None:
    lines = assert_clean_failure(run_cli(str(tmp_path)))
    assert lines == [f"{tmp_path}: Is a directory"]


def test_it_lists_every_problem_of_an_invalid_scenario_one_per_line(tmp_path: Path) -> None:
    doc = small_doc()
    doc["links"][0]["timeout_ms"] = -5
    doc["nodes"][1]["workers"] = 0
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    lines = assert_clean_failure(run_cli(str(path)))
    assert "links[0].timeout_ms: must be > 0" in lines
    assert any(line.startswith("nodes[1].workers: ") for line in lines)
    assert len(lines) == 2


def test_it_reads_stdin_and_names_it_in_errors() -> None:
    lines = assert_clean_failure(run_cli("-", stdin="[1, 2,, 3]"))
    assert lines == ["<stdin>: line 1 column 7: Expecting value"]


@pytest.mark.parametrize("text", ['"a string"', "[1, 2]", "42", "null"])
def test_it_refuses_json_that_is_not_an_object(text: str) -> None:
    lines = assert_clean_failure(run_cli("-", stdin=text))
    assert lines == ["<stdin>: a scenario must be a JSON object"]


def test_it_refuses_input_over_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    path.write_text('{"description": "' + "x" * (5 * 1024 * 1024) + '"}')
    lines = assert_clean_failure(run_cli(str(path)))
    assert lines == [f"{path}: larger than 5 MB"]


def test_it_refuses_json_nested_too_deeply() -> None:
    lines = assert_clean_failure(run_cli("-", stdin="[" * 100_000))
    assert lines == ["<stdin>: nested too deeply"]


def test_it_refuses_nan_which_json_does_not_have() -> None:
    lines = assert_clean_failure(run_cli("-", stdin='{"seed": NaN}'))
    assert lines == ["<stdin>: NaN is not a JSON number"]


def test_it_refuses_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"name": "caf\xe9"}')
    lines = assert_clean_failure(run_cli(str(path)))
    assert lines == [f"{path}: not UTF-8 text (byte 13)"]


def test_it_refuses_an_unknown_lab() -> None:
    lines = assert_clean_failure(run_cli("lab:no-such-lab"))
    assert lines == ["lab:no-such-lab: no such lab (--list-labs lists them)"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["lab:sync-chain", "--seed", "-1"], "argument --seed: must be between 0 and 2^63-1"),
        (["lab:sync-chain", "--seed", "abc"], "argument --seed: not an integer: 'abc'"),
        (["lab:sync-chain", "--until", "0"], "argument --until: must be a number of seconds > 0"),
        (["lab:sync-chain", "--format", "xml"], "argument --format: invalid choice: 'xml'"),
        ([], "FILE is required (or --list-labs)"),
    ],
)
def test_it_refuses_bad_options(args: list[str], message: str) -> None:
    proc = run_cli(*args)
    assert_clean_failure(proc)
    assert message in proc.stderr


def test_it_lists_the_labs() -> None:
    proc = run_cli("--list-labs")
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [f"lab:{lab.slug}" for lab in list_labs()]
    assert get_lab("sync-chain").summary in proc.stdout


# --- runs -------------------------------------------------------------------------------


def simulate_doc(doc: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """What ``patterns.simulate`` gives for ``doc``, without the wall-clock ``engine`` part."""
    result = patterns.simulate(patterns.load(doc), **kwargs)
    if not isinstance(result, dict):
        result = result.model_dump(mode="json")
    result.pop("engine")
    return result


def without_engine(stdout: str) -> dict[str, Any]:
    result = json.loads(stdout)  # one document and nothing else
    assert set(result["engine"]) >= {"events", "wall_s"}
    result.pop("engine")
    return result


def test_json_output_is_exactly_the_simulated_result(tmp_path: Path) -> None:
    path = tmp_path / "small.json"
    path.write_text(json.dumps(small_doc()))
    proc = run_cli(str(path), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert without_engine(proc.stdout) == simulate_doc(small_doc())


def test_seed_and_until_reach_the_engine() -> None:
    proc = run_cli(
        "-", "--format", "json", "--seed", "11", "--until", "3.5", stdin=json.dumps(small_doc())
    )
    assert proc.returncode == 0, proc.stderr
    result = without_engine(proc.stdout)
    assert result["seed"] == 11
    assert result == simulate_doc(small_doc(), seed=11, until=3.5)


def test_it_runs_a_lab_by_slug() -> None:
    proc = run_cli("lab:sync-chain", "--format", "json", "--until", "5")
    assert proc.returncode == 0, proc.stderr
    assert without_engine(proc.stdout) == simulate_doc(get_lab("sync-chain").doc, until=5)


def test_text_output_is_a_fixed_width_report() -> None:
    proc = run_cli("-", stdin=json.dumps(small_doc()))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Small <checkout>" in out
    lines = out.splitlines()
    for header, name in [
        ("requests", "all"),
        ("latency_ms", "requests"),
        ("service", "order"),
        ("link", "pay"),
        ("topic", "placed"),
        ("datastore", "lake"),
    ]:
        at = next(i for i, line in enumerate(lines) if line.split()[:1] == [header])
        row = next(line for line in lines[at + 1 :] if line.split()[:1] == [name])
        # Columns line up: every figure ends where its header ends.
        head = lines[at]
        for cell_end in (m.end() for m in re.finditer(r"\S+", head)):
            if cell_end > len(head.split()[0]):
                assert row[cell_end - 1] != " ", (head, row)
    assert re.search(r"^failures\s+", out, re.M)
    assert "Traceback" not in proc.stderr


def test_progress_bar_is_drawn_only_when_stderr_is_a_terminal() -> None:
    import pty

    primary, secondary = pty.openpty()
    drawn = bytearray()

    def read_terminal() -> None:
        # Read while the process runs so that a full terminal buffer never blocks it.
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the terminal closes once the process has exited
                return
            if not chunk:
                return
            drawn.extend(chunk)

    reader = threading.Thread(target=read_terminal)
    reader.start()
    proc = subprocess.Popen(
        [sys.executable, "-m", "patterns", "lab:sync-chain", "--format", "json", "--until", "20"],
        stdout=subprocess.PIPE,
        stderr=secondary,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    os.close(secondary)
    stdout, _ = proc.communicate(timeout=300)
    reader.join(timeout=60)
    os.close(primary)
    assert proc.returncode == 0
    assert b"100%" in drawn and b"[" in drawn
    # The stepped run gives the same result as one call of simulate.
    assert without_engine(stdout.decode()) == simulate_doc(get_lab("sync-chain").doc, until=20)
    # And without a terminal, no bar.
    assert run_cli("lab:sync-chain", "--until", "2").stderr == ""


# --- main() in-process, as manage.py simulate calls it ------------------------------------


def test_main_returns_exit_codes_instead_of_exiting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--list-labs"], prog="manage.py simulate") == 0
    assert "lab:sync-chain" in capsys.readouterr().out
    assert main(["--format", "xml", "lab:sync-chain"], prog="manage.py simulate") == 2
    assert "manage.py simulate: error: argument --format" in capsys.readouterr().err
    assert main(["--help"], prog="manage.py simulate") == 0
    assert capsys.readouterr().out.startswith("usage: manage.py simulate")
    missing = tmp_path / "missing.json"
    assert main([str(missing)]) == 2
    assert capsys.readouterr().err == f"{missing}: No such file or directory\n"


def test_text_report_names_failure_causes_and_faults_met(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["lab:fault-response", "--until", "30"]) == 0
    out = capsys.readouterr().out
    failures = re.search(r"^failures\s+(.*)$", out, re.M)
    met = re.search(r"^met fault\s+(.*)$", out, re.M)
    assert failures and re.fullmatch(r"bad_response \d+", failures.group(1))
    assert met and re.fullmatch(r"response \d+", met.group(1))
