"""scripts/start as a user runs it: it serves, refuses to start twice, and Ctrl-C stops all."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from mscomm.devtools import free_port
from tests.web.conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except OSError:
        return 0


def started_by(marker: bytes) -> list[int]:
    """Processes whose environment holds `marker` (what one scripts/start launched)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def end_groups(pids: list[int]) -> None:
    """SIGTERM the process group of each pid, then SIGKILL what is left after a while."""
    groups = set()
    for pid in pids:
        try:
            groups.add(os.getpgid(pid))
        except ProcessLookupError:
            continue
    groups.discard(os.getpgrp())  # never this test's own group
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for group in groups:
            try:
                os.killpg(group, sig)
            except ProcessLookupError:
                continue
        deadline = time.monotonic() + 10
        while sig == signal.SIGTERM and time.monotonic() < deadline:
            if not any(_group_alive(group) for group in groups):
                return
            time.sleep(0.2)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
        return True
    except ProcessLookupError:
        return False


def _as_if_in_a_terminal() -> None:
    # A parent shell that ran us in the background left SIGINT ignored, and bash cannot
    # trap a signal ignored at its start: give the script Ctrl-C as a terminal would.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_start_serves_and_ctrl_c_stops_everything_it_started(tmp_path):
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE", "DATABASE_TEST_NAME", "DEBUG"}
        and not key.startswith(("PYTEST", "DJANGO_ALLOW"))
    }
    env.update(
        PORT=str(port),
        VENV=sys.prefix,  # this interpreter's environment: nothing to create
        DATABASE_URL=f"sqlite:///{tmp_path / 'start.sqlite3'}",
        LOG_LEVEL="WARNING",
        WEB_PROCESSES="2",
    )
    log = tmp_path / "start.log"
    with log.open("wb") as out:
        # Its own process group, as a terminal's foreground job: Ctrl-C goes to the group.
        script = subprocess.Popen(
            ["bash", "scripts/start"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_as_if_in_a_terminal,
        )
        marker = f"DATABASE_URL={env['DATABASE_URL']}".encode()
        try:
            wait_for(
                lambda: get(f"http://127.0.0.1:{port}/api/library") == 200 or script.poll(),
                timeout=180,
                what="scripts/start to serve",
            )
            assert script.poll() is None, log.read_text()
            assert get(f"http://127.0.0.1:{port}/static/ninja/swagger-ui.css") == 200
            redis_port = int(
                re.search(r"started Redis at redis://127\.0\.0\.1:(\d+)", log.read_text())[1]
            )
            assert answers(redis_port)
            # The web launcher and its two daphnes, two workers (and the batch pool's
            # children), beat.
            assert len(started_by(marker)) >= 7
            daphnes = [pid for pid in started_by(marker) if b"daphne" in cmdline(pid)]
            assert len(daphnes) == 2

            again = subprocess.run(
                ["bash", "scripts/start"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert again.returncode == 0 and "already" in again.stderr
            assert script.poll() is None  # the first one carries on

            os.killpg(script.pid, signal.SIGINT)  # what Ctrl-C sends
            script.wait(timeout=60)
            # Checked before the clean-up below, which would hide what Ctrl-C left.
            deadline = time.monotonic() + 30
            while (answers(port) or answers(redis_port)) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert not answers(port), "daphne is still running"
            assert not answers(redis_port), "Redis is still running"
            assert "stopping" in log.read_text()
            wait_for(lambda: not started_by(marker), timeout=30, what="the workers to stop")
        finally:
            # Pass or fail, nothing it started outlives the test: the script's own group
            # and each group it spawned (daphne, the workers, beat, Redis).
            end_groups([script.pid, *started_by(marker)])
            script.wait(timeout=30)
