"""Serve mscomm from several daphne processes on one port.

    python -m mscomm.webserve [--host 127.0.0.1] [--port 8000] [--processes N]

One daphne is one event loop on one core. A class of 500 on one share link is 10,000
websocket messages a second, and on loopback each costs the sender the receiver's TCP
work too (a third of daphne's time goes to `send`): one process makes the last viewer of
each frame wait for the 499 before it (docs/hardening.md, "A class on one share link").
N processes, each with its own listening socket on the same port (SO_REUSEPORT), split
the connections between them, the kernel spreading new ones evenly; each process reads a
run's stream once for its own viewers (mscomm.runs.hub) and checks its own share links
(mscomm.sharing.watch), so nothing else changes. Without SO_REUSEPORT the processes share
one socket.

This process binds the sockets, starts the daphnes with one each, and keeps none itself
(a socket nobody accepts on would still be given connections). It stops them all on
SIGTERM or SIGINT, and when one of them exits: what started it (scripts/start, a
container) sees the exit and decides what comes next.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time

PING_ARGS = ("--ping-interval", "10", "--ping-timeout", "10")
MAX_PROCESSES = 64


def default_processes() -> int:
    """WEB_PROCESSES from the environment, else one per core this process may use."""
    value = os.environ.get("WEB_PROCESSES", "").strip()
    if not value:
        if hasattr(os, "sched_getaffinity"):
            return len(os.sched_getaffinity(0))  # as nproc counts them
        return os.cpu_count() or 1
    try:
        count = int(value)
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_PROCESSES:
        raise SystemExit(
            f"WEB_PROCESSES: {value!r} is not a whole number from 1 to {MAX_PROCESSES}"
        )
    return count


def listening_sockets(host: str, port: int, count: int, backlog: int = 1024) -> list[socket.socket]:
    """`count` sockets listening on host:port, each of which the kernel gives a share of
    the connections (SO_REUSEPORT); one socket when the system lacks it.

    Port 0 takes a free port, the same for all of them.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    reuse_port = getattr(socket, "SO_REUSEPORT", None)
    sockets: list[socket.socket] = []
    try:
        for _ in range(count if reuse_port is not None else 1):
            sock = socket.socket(family, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if reuse_port is not None:
                sock.setsockopt(socket.SOL_SOCKET, reuse_port, 1)
            sock.bind((host, port))
            port = sock.getsockname()[1]
            sock.listen(backlog)
            sock.set_inheritable(True)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def daphne_command(fd: int, extra: list[str]) -> list[str]:
    return [
        sys.executable, "-m", "daphne", "--fd", str(fd), *PING_ARGS, *extra,
        "mscomm.asgi:application",
    ]  # fmt: skip


def serve(host: str, port: int, count: int, extra: list[str]) -> int:
    """Run `count` daphnes on host:port until a signal or one of them exits; its code."""
    try:
        sockets = listening_sockets(host, port, count)
    except OSError as err:
        print(f"mscomm.webserve: cannot listen on {host}:{port}: {err.strerror}", file=sys.stderr)
        return 1
    bound = f"{host}:{sockets[0].getsockname()[1]}"
    children: list[subprocess.Popen] = []
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        for i in range(count):
            sock = sockets[min(i, len(sockets) - 1)]
            children.append(
                subprocess.Popen(daphne_command(sock.fileno(), extra), pass_fds=(sock.fileno(),))
            )
    finally:
        for sock in sockets:
            sock.close()
    print(f"mscomm.webserve: {count} daphne processes on {bound}", file=sys.stderr, flush=True)
    code = 0
    while not stopping:
        ended = [child for child in children if child.poll() is not None]
        if ended:
            code = ended[0].returncode or 1
            print(
                f"mscomm.webserve: daphne {ended[0].pid} exited ({ended[0].returncode}); "
                "stopping the others",
                file=sys.stderr,
                flush=True,
            )
            break
        time.sleep(0.2)
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + 10
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    return code  # 0 when stopped by a signal


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mscomm.webserve", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--processes",
        type=int,
        default=None,
        help="daphne processes (default: WEB_PROCESSES, else one per core)",
    )
    args, extra = parser.parse_known_args(argv)
    count = args.processes if args.processes is not None else default_processes()
    if not 1 <= count <= MAX_PROCESSES:
        parser.error(f"--processes: {count} is not from 1 to {MAX_PROCESSES}")
    return serve(args.host, args.port, count, extra)


if __name__ == "__main__":
    sys.exit(main())
