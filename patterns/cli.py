"""``python -m patterns``: run one scenario from a file, stdin or the lab library.

``main()`` is also the body of Django's ``manage.py simulate``. Exit status: 0 with a
result, 2 with one line per problem on stderr for input that cannot be run (unreadable
file, bad JSON, a scenario that does not validate, bad options); never a traceback for
bad input.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from typing import IO, Any

import patterns
from patterns.library import get_lab, list_labs

__all__ = ["format_text", "main"]

# Scenarios are small documents; a limit keeps a stray multi-gigabyte file from being read.
MAX_INPUT_BYTES = 5 * 1024 * 1024
LAB_PREFIX = "lab:"
MAX_SEED = 2**63 - 1


class InputError(Exception):
    """Input that cannot be run; ``lines`` are the messages, one per problem."""

    def __init__(self, lines: Sequence[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = list(lines)


def main(argv: list[str] | None = None, *, prog: str | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``) and return the exit status."""
    parser = _parser(prog)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has already printed the usage and the problem
        return exc.code if isinstance(exc.code, int) else 2
    if args.list_labs:
        sys.stdout.write(_format_labs())
        return 0
    if args.file is None:
        parser.print_usage(sys.stderr)
        print(f"{parser.prog}: error: FILE is required (or --list-labs)", file=sys.stderr)
        return 2
    try:
        scenario = _load(args.file)
    except InputError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        return 2
    try:
        result = run(scenario, seed=args.seed, until=args.until, progress=_progress_stream())
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    if args.format == "json":
        sys.stdout.write(json.dumps(result, indent=2, allow_nan=False) + "\n")
    else:
        sys.stdout.write(format_text(result))
    return 0


def run(
    scenario: patterns.Scenario,
    *,
    seed: int | None = None,
    until: float | None = None,
    progress: IO[str] | None = None,
) -> dict[str, Any]:
    """The result document of one run; with ``progress``, a bar is drawn there meanwhile.

    Without ``progress`` this is ``patterns.simulate``; with it, the same run is stepped
    through ``Simulation.advance`` so that the bar can move (same scenario and seed, same
    result).
    """
    if progress is None:
        return _document(patterns.simulate(scenario, seed=seed, until=until))
    sim = patterns.Simulation(scenario, seed=seed)
    end_s = sim.end_s if until is None else min(until, sim.end_s)
    bar = _ProgressBar(progress, end_s)
    slices = 200
    for i in range(1, slices + 1):
        reached_s = end_s * i / slices
        still_running = sim.advance(reached_s)
        bar.draw(reached_s if still_running else end_s)
        if not still_running:
            break
    if not sim.done:
        sim.stop()  # `until` came before the scenario's end: the rest counts as unfinished
    bar.clear()
    return _document(sim.result())


def _parser(prog: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run an mscomm scenario and print its result.",
        epilog="FILE is a scenario JSON file, - for stdin, or lab:SLUG for a built-in lab.",
    )
    parser.add_argument("file", nargs="?", metavar="FILE", help="scenario to run")
    parser.add_argument("--seed", type=_seed, default=None, help="seed (default: the scenario's)")
    parser.add_argument("--format", choices=("json", "text"), default="text", help="output")
    parser.add_argument(
        "--until", type=_positive_seconds, default=None, help="stop at this simulated second"
    )
    parser.add_argument("--list-labs", action="store_true", help="list the built-in labs")
    return parser


def _checked(
    parse: Callable[[str], Any], kind: str, ok: Callable[[Any], bool], problem: str
) -> Callable[[str], Any]:
    """An argparse ``type``: parse the text, then refuse values that are not ``ok``."""

    def convert(text: str) -> Any:
        try:
            value = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {kind}: {text!r}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(problem)
        return value

    return convert


_seed = _checked(int, "an integer", lambda v: 0 <= v <= MAX_SEED, "must be between 0 and 2^63-1")
_positive_seconds = _checked(
    float, "a number", lambda v: math.isfinite(v) and v > 0, "must be a number of seconds > 0"
)


def _load(source: str) -> patterns.Scenario:
    """The scenario named by ``source`` (a path, ``-`` or ``lab:SLUG``), validated."""
    if source.startswith(LAB_PREFIX):
        slug = source[len(LAB_PREFIX) :]
        try:
            doc: Any = get_lab(slug).doc
        except KeyError:
            raise InputError([f"{source}: no such lab (--list-labs lists them)"]) from None
    else:
        name = "<stdin>" if source == "-" else source
        doc = _parse_json(name, _read(source))
        if not isinstance(doc, dict):
            # patterns.load would take a JSON string for the text of a document.
            raise InputError([f"{name}: a scenario must be a JSON object"])
    try:
        return patterns.load(doc)
    except patterns.ScenarioError as exc:
        raise InputError([f"{p.loc}: {p.msg}" if p.loc else p.msg for p in exc.problems]) from None


def _read(source: str) -> bytes:
    try:
        if source == "-":
            data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        else:
            with open(source, "rb") as f:
                data = f.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise InputError([f"{source}: {exc.strerror or exc}"]) from None
    if len(data) > MAX_INPUT_BYTES:
        raise InputError([f"{source}: larger than {MAX_INPUT_BYTES // (1024 * 1024)} MB"])
    return data


def _parse_json(name: str, data: bytes) -> Any:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError([f"{name}: not UTF-8 text (byte {exc.start})"]) from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InputError([f"{name}: line {exc.lineno} column {exc.colno}: {exc.msg}"]) from None
    except ValueError as exc:  # NaN or Infinity, which JSON does not have
        raise InputError([f"{name}: {exc}"]) from None
    except RecursionError:
        raise InputError([f"{name}: nested too deeply"]) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _document(result: Any) -> dict[str, Any]:
    # The engine may hand back the document itself or a model that dumps to it.
    if isinstance(result, dict):
        return result
    if hasattr(result, "model_dump"):
        return result.model_dump(mode="json")
    return dict(result)


def _format_labs() -> str:
    labs = list_labs()
    width = max(len(lab.slug) for lab in labs)
    return "".join(f"{LAB_PREFIX}{lab.slug:<{width}}  {lab.summary}\n" for lab in labs)


# --- progress -----------------------------------------------------------------------------


def _progress_stream() -> IO[str] | None:
    """stderr when it is a terminal (a bar in a log file is noise), else None."""
    stream = sys.stderr
    try:
        return stream if stream.isatty() else None
    except (AttributeError, ValueError):
        return None


class _ProgressBar:
    """A one-line bar redrawn in place, at most ten times a wall second."""

    WIDTH = 30

    def __init__(self, stream: IO[str], end_s: float) -> None:
        self.stream = stream
        self.end_s = end_s
        self.last_draw = -math.inf

    def draw(self, now_s: float) -> None:
        wall = time.monotonic()
        if wall - self.last_draw < 0.1 and now_s < self.end_s:
            return
        self.last_draw = wall
        share = min(1.0, now_s / self.end_s) if self.end_s > 0 else 1.0
        filled = round(share * self.WIDTH)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        self.stream.write(f"\r[{bar}] {share:4.0%}  t={now_s:.1f} s of {self.end_s:g} s")
        self.stream.flush()

    def clear(self) -> None:
        self.stream.write("\r\x1b[K")
        self.stream.flush()


# --- text report --------------------------------------------------------------------------


def format_text(result: dict[str, Any]) -> str:
    """A readable report of a result document, in fixed-width tables."""
    req = result["requests"]
    lines = [
        f"scenario   {result['scenario']}",
        f"seed       {result['seed']}    simulated {result['sim_time_s']:g} s"
        + _stop_note(result.get("stop")),
        "",
    ]
    lines += _table(
        ["requests", "started", "succeeded", "failed", "unfinished", "per_s"],
        [["all", req["started"], req["succeeded"], req["failed"], req["unfinished"],
          _fixed(req["throughput_per_s"], 2)]],
    )  # fmt: skip
    lines.append(f"failures   {_counts(req.get('failures', {}))}")
    lines.append(f"met fault  {_counts(req.get('met_fault', {}))}")
    lat = req["latency_ms"]
    lines.append("")
    lines += _table(
        ["latency_ms", "mean", "p50", "p90", "p95", "p99", "max"],
        [["requests", *(_ms(lat.get(k)) for k in ("mean", "p50", "p90", "p95", "p99", "max"))]],
    )
    lines += _section(
        result.get("services"),
        ["service", "received", "completed", "failed", "rejected", "util", "blocked",
         "queue", "wait_p50", "wait_p99", "resp_p50", "resp_p99"],
        lambda s: [s["received"], s["completed"], s["failed"], s["rejected"],
                   _fixed(s["utilization"], 2), _fixed(s["blocked_fraction"], 2),
                   _fixed(s["queue_length_mean"], 1), *_pcts(s["queue_wait_ms"]),
                   *_pcts(s["response_ms"])],
    )  # fmt: skip
    lines += _section(
        result.get("links"),
        ["link", "calls", "succeeded", "failed", "timeouts", "retries", "lat_p50",
         "lat_p99", "open_s"],
        lambda k: [k["calls"], k["succeeded"], k["failed"], k["timeouts"], k["retries"],
                   *_pcts(k["latency_ms"]), _fixed(k["circuit_open_s"], 1)],
    )  # fmt: skip
    lines += _section(
        result.get("topics"),
        ["topic", "published", "delivered", "redelivered", "dead_lettered", "lost",
         "lag_p50", "lag_p99"],
        lambda t: [t["published"], t["delivered"], t["redelivered"], t["dead_lettered"],
                   t["lost"], *_pcts(t["delivery_lag_ms"])],
    )  # fmt: skip
    lines += _section(
        result.get("datastores"),
        ["datastore", "writes", "reads", "stale_mean", "stale_p50", "stale_p99", "stale_max"],
        lambda d: [d["writes"], d["reads"],
                   *(_ms(d["staleness_ms"].get(k)) for k in ("mean", "p50", "p99", "max"))],
    )  # fmt: skip
    injected = result.get("faults_injected") or []
    if injected:
        lines += ["", f"faults injected during the run: {len(injected)}"]
    engine = result.get("engine")
    if engine:
        lines += ["", f"engine     {engine['events']} events in {engine['wall_s']:.2f} s wall"]
    return "\n".join(lines) + "\n"


def _section(
    items: dict[str, dict[str, Any]] | None,
    headers: list[str],
    row: Callable[[dict[str, Any]], list[Any]],
) -> list[str]:
    if not items:
        return []
    return ["", *_table(headers, [[name, *row(figures)] for name, figures in items.items()])]


def _table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    """Fixed-width columns: the first (a name) left-aligned, the figures right-aligned."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]

    def line(values: list[str]) -> str:
        first = values[0].ljust(widths[0])
        rest = (v.rjust(w) for v, w in zip(values[1:], widths[1:], strict=True))
        return "  ".join([first, *rest]).rstrip()

    return [line(headers), *(line(r) for r in cells)]


def _counts(counts: dict[str, int]) -> str:
    nonzero = [f"{name} {n}" for name, n in counts.items() if n]
    return ", ".join(nonzero) if nonzero else "none"


def _pcts(figures: dict[str, float | None]) -> list[str]:
    return [_ms(figures.get("p50")), _ms(figures.get("p99"))]


def _ms(value: float | None) -> str:
    return _fixed(value, 1)


def _fixed(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _stop_note(stop: dict[str, Any] | None) -> str:
    if not stop:
        return ""
    reason = stop.get("reason")
    return f"    stopped at {stop.get('t_s'):g} s" + ("" if reason == "stopped" else f" ({reason})")
