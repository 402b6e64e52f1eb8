"""Several daphne processes on one port (mscomm.webserve, as scripts/start serves mscomm):
a class's sockets spread over them, each follows the run and closes on a revoke; the
launcher stops them all, and stops when one of them dies. Real processes throughout."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest
import websockets

from mscomm.sharing.watch import REVOKED
from tests.web.conftest import ROOT, wait_for
from tests.web.processes import (  # noqa: F401 (fixtures)
    Processes,
    chain_doc,
    create_scenario,
    gaps,
    processes,
    start_run,
)

pytestmark = [
    pytest.mark.any_database,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(300),
]

CLASS = 16


def daphnes(launcher: subprocess.Popen) -> list[psutil.Process]:
    return psutil.Process(launcher.pid).children()


def sockets_held(process: psutil.Process, port: int) -> int:
    """Established connections on the server's port that this process holds."""
    return sum(
        1
        for conn in process.net_connections(kind="tcp")
        if conn.status == psutil.CONN_ESTABLISHED and conn.laddr.port == port
    )


async def class_member(url: str, origin: str, seen: list[int], opened: asyncio.Event) -> int:
    """Watch a share link until the server closes the socket; its close code."""
    async with websockets.connect(url, additional_headers={"Origin": origin}) as socket:
        opened.set()
        try:
            async for text in socket:
                if text.startswith('{"type":"frame"'):
                    seen.extend(frame["seq"] for frame in _frames(text))
        except websockets.ConnectionClosed:
            pass
        return socket.close_code


def _frames(text: str) -> list[dict]:
    message = json.loads(text)
    return message.get("frames") or [message["frame"]]


def test_a_class_spreads_over_the_processes_and_a_revoke_closes_it_on_every_one(
    processes: Processes,  # noqa: F811
    user_client,
):
    base, launcher = processes.webserve(2)
    port = int(base.rsplit(":", 1)[1])
    processes.worker("live", queues="live", concurrency=2)
    scenario_id = create_scenario(user_client, chain_doc())
    run_id = start_run(user_client, scenario_id, speed=4)  # about 20 s: live throughout
    link = user_client.post(
        "/api/shares", {"run_id": run_id}, content_type="application/json"
    ).json()
    url = base.replace("http://", "ws://") + f"/ws/shares/{link['token']}/?since=0"
    seen: list[list[int]] = [[] for _ in range(CLASS)]

    async def lesson() -> tuple[list[int], list[int], float]:
        opened = [asyncio.Event() for _ in range(CLASS)]
        members = [
            asyncio.ensure_future(class_member(url, base, seen[i], opened[i])) for i in range(CLASS)
        ]
        await asyncio.wait_for(asyncio.gather(*(event.wait() for event in opened)), 30)
        # Every member is following the run before the link goes.
        deadline = time.monotonic() + 30
        while min(len(s) for s in seen) < 5 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        held = [sockets_held(process, port) for process in daphnes(launcher)]
        revoked_at = time.monotonic()
        response = await asyncio.to_thread(user_client.delete, f"/api/shares/{link['id']}")
        assert response.status_code == 204
        codes = await asyncio.wait_for(asyncio.gather(*members), 10)
        return held, codes, time.monotonic() - revoked_at

    held, codes, closed_s = asyncio.run(lesson())
    # Not left for the worker to play out: its warm shutdown would wait for the run.
    assert user_client.post(f"/api/runs/{run_id}/cancel").status_code == 200
    # SO_REUSEPORT spreads connections by their addresses: 16 all on one of two
    # processes would happen once in 30,000 tries.
    assert len(held) == 2 and all(held) and sum(held) == CLASS, held
    assert all(len(s) >= 5 for s in seen)
    assert all(gaps(s) == (0, 0, 0) and s[0] == 1 for s in seen)
    assert codes == [REVOKED] * CLASS
    assert closed_s < 3


def test_the_launcher_stops_every_daphne_on_sigterm(processes: Processes):  # noqa: F811
    _, launcher = processes.webserve(2)
    children = daphnes(launcher)
    assert len(children) == 2
    launcher.send_signal(signal.SIGTERM)
    assert launcher.wait(timeout=30) == 0
    _, alive = psutil.wait_procs(children, timeout=5)
    assert not alive


def test_when_one_daphne_dies_the_launcher_stops_the_others_and_fails(
    processes: Processes,  # noqa: F811
):
    _, launcher = processes.webserve(2)
    first, second = daphnes(launcher)
    first.kill()
    assert launcher.wait(timeout=30) != 0
    assert wait_for(lambda: not second.is_running(), timeout=10, what="the other daphne")
    assert "exited" in processes.log_tail("webserve")


@pytest.mark.parametrize("value", ["two", "0", "1000"])
def test_a_bad_process_count_is_one_clear_line(value):
    result = subprocess.run(
        [sys.executable, "-m", "mscomm.webserve", "--port", "0"],
        cwd=ROOT,
        env=dict(os.environ, WEB_PROCESSES=value),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"WEB_PROCESSES: {value!r} is not a whole number from 1 to 64"
    ]
