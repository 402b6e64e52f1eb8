"""Running the core inside a worker: paced and streamed (live) or unpaced (batch)."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.db import connection

import patterns
from mscomm.runs import stream
from mscomm.runs.control import Action, control_decode
from mscomm.runs.frames import FrameBuilder, state_key
from mscomm.runs.models import Run, RunMode, RunState
from mscomm.runs.services import (
    run_claim,
    run_claim_extras,
    run_finish,
    run_heartbeat,
    run_heartbeat_waiting,
    run_record_fault,
    run_set_speed,
    runs_finish_quiet,
)

log = logging.getLogger(__name__)

FRAME_INTERVAL_S = 0.05  # at most one frame per 50 ms of wall time
IDLE_FRAME_S = 1.0  # when nothing changes, still one frame a second (the clock moves)
HEARTBEAT_S = 1.0
BATCH_STEPS = 200  # an unpaced run that keeps frames records this many
# One that keeps none steps only to read its controls now and then: its progress goes out
# from the pulse thread, whatever the step.
QUIET_STEPS = 20
# An unpaced run reads its controls at most this often: a short run's 200 steps would
# otherwise spend more time asking Redis than simulating.
CONTROL_POLL_S = 0.1
# Runs that succeed and publish no frames (a batch's extra seeds, sweep points) are
# recorded in groups: one transaction and one Redis round trip per this much wall time,
# not one per run.
FINISH_GROUP_S = 0.1
SKIP_FRAME_S = 1.0  # while skipping ahead to the `watch` moment, a frame per simulated second


class _Lost(Exception):
    """The run is no longer ours (the reaper failed it): stop without recording."""


class _Session:
    """One run's loop state: the simulation, its frames and the owner's commands."""

    def __init__(self, run: Run, model: Any = None) -> None:
        """`model`: the run's scenario already loaded (`patterns.load(run.doc)`), if at hand."""
        self.run = run
        self.frames = FrameBuilder()
        live = run.mode == RunMode.LIVE
        # Batch runs keep frames too (one per progress step) so that a comparison can
        # play them back; sweep points and a batch's extra seeds do not, as nobody
        # watches them.
        variant = run.variant or {}
        self.record = live or not (variant.get("param") or variant.get("seed_index"))
        self.sim = patterns.Simulation(
            patterns.load(run.doc) if model is None else model,
            seed=run.seed,
            observer=self.frames.observe if self.record else None,
            max_events=settings.MSCOMM_MAX_EVENTS,
        )
        self.speed = run.speed
        self.paused = False
        self.paused_at = 0.0
        self.started_at = time.monotonic()
        # Why a limit ended the run early ("" when it ran its course or its owner ended it).
        self.limit_reason = ""
        self.cancelled = False
        self.lost = False
        self.last_frame = 0.0
        self.last_state: dict | None = None
        # An unpaced run sends its frames in groups (`flush_frames`) and keeps their text
        # for its frame log; a live run sends each at once.
        self.outbox: list[dict] | None = None if live else []
        self.lines: list[str] = []

    # -- control -----------------------------------------------------------------------

    def apply_controls(self) -> None:
        for message in stream.control_pop_all(self.run.id):
            control = control_decode(message)
            if control is None:
                log.warning("run %s: control message ignored: %.200r", self.run.id, message)
                continue
            action = control.action
            if action is Action.PAUSE:
                if not self.paused:
                    self.paused_at = time.monotonic()
                self.paused = True
            elif action is Action.RESUME:
                self.paused = False
            elif action is Action.SPEED:
                self.speed = control.speed
                run_set_speed(run_id=self.run.id, speed=self.speed)
            elif action is Action.INJECT:
                self._inject(control.fault)
            elif action in (Action.STOP, Action.CANCEL):
                self.cancelled = action is Action.CANCEL
                self.sim.stop()

    def check_limits(self, now: float) -> None:
        """End a live run paused too long, or going on past the wall-time limit.

        The limits hold a run however it is steered: pausing, or pausing and resuming
        over and over, cannot keep a worker thread (and the run's heartbeat) forever.
        """
        pause_limit = settings.MSCOMM_MAX_PAUSE_S
        wall_limit = settings.MSCOMM_MAX_LIVE_WALL_S
        if self.paused and now - self.paused_at > pause_limit:
            self.limit_reason = f"paused for longer than the limit of {pause_limit:g} s"
        elif now - self.started_at > wall_limit:
            self.limit_reason = f"ran longer than the limit of {wall_limit:g} s of wall time"
        if self.limit_reason:
            self.limit_reason += f"; ended at t={self.sim.now:g} s"
            self.sim.stop()

    def _inject(self, fault: Any) -> None:
        try:
            self.sim.inject(fault)
        except (patterns.ScenarioError, ValueError, TypeError) as err:
            # A bad fault from the browser must not end the run.
            log.info("run %s: fault refused: %s", self.run.id, err)
            return
        recorded = dict(fault)
        recorded.setdefault("from_s", self.sim.now)
        run_record_fault(run_id=self.run.id, fault=recorded)

    # -- reporting ---------------------------------------------------------------------

    def heartbeat(self) -> None:
        """Stop if the run was ended elsewhere (the pulse thread found out)."""
        if self.lost:
            raise _Lost()

    def emit_frame(self, *, force: bool = False) -> None:
        state = self.sim.state()
        key = state_key(state)
        now = time.monotonic()
        if (
            not force
            and not self.frames.pending
            and key == self.last_state
            and now - self.last_frame < IDLE_FRAME_S
        ):
            return
        self.last_state = key
        self.last_frame = now
        frame = self.frames.build(t=self.sim.now, state=state, incidents=self.sim.narrator.found)
        if self.outbox is None:
            stream.frame_publish(self.run.id, frame)
        else:
            self.outbox.append(frame)

    def flush_frames(self) -> None:
        """Send the frames an unpaced run has built since the last flush."""
        if self.outbox:
            self.lines += stream.frames_publish(self.run.id, self.outbox)
            self.outbox = []

    # -- loops -------------------------------------------------------------------------

    def skip_to(self) -> float:
        """Where a live run starts playing: the scenario's `watch.from_s` when the run is
        at the `watch` speed (the speed was not asked for, or asked for as that), else 0."""
        watch = self.run.doc.get("watch")
        if not isinstance(watch, dict) or self.speed != float(watch.get("speed", 1.0)):
            return 0.0
        return min(float(watch.get("from_s", 0.0)), self.sim.end_s)

    def skip_ahead(self, to_s: float) -> None:
        """Run to `to_s` without sleeping, a frame per simulated second (the player jumps
        ahead to the newest, and a replay still has the whole run)."""
        sim = self.sim
        while not sim.done and sim.now < to_s:
            self.apply_controls()
            sim.advance(min(sim.now + SKIP_FRAME_S, to_s))
            self.emit_frame(force=True)
            self.heartbeat()

    def run_live(self) -> None:
        """Advance simulated time at `speed` per wall second, one frame per tick (after
        skipping ahead to the scenario's `watch` moment)."""
        sim = self.sim
        self.emit_frame(force=True)
        self.skip_ahead(self.skip_to())
        sim_target = sim.now
        wall_prev = time.monotonic()
        while not sim.done:
            tick_start = time.monotonic()
            self.apply_controls()
            self.check_limits(tick_start)
            if sim.done:
                break
            if not self.paused:
                sim_target = min(sim_target + (tick_start - wall_prev) * self.speed, sim.end_s)
                sim.advance(sim_target)
                if sim_target >= sim.end_s and not sim.done:
                    sim.advance(sim.end_s)
                    if not sim.done:  # defensive: the core says done at end_s
                        break
            wall_prev = tick_start
            self.emit_frame()
            self.heartbeat()
            time.sleep(max(0.0, FRAME_INTERVAL_S - (time.monotonic() - tick_start)))
        self.emit_frame(force=True)

    def run_batch(self) -> None:
        """Run to the end as fast as possible, reporting progress in steps."""
        sim = self.sim
        step = sim.end_s / (BATCH_STEPS if self.record else QUIET_STEPS)
        if self.record:
            self.emit_frame(force=True)
        polled = -CONTROL_POLL_S
        while not sim.done:
            if time.monotonic() - polled >= CONTROL_POLL_S:
                polled = time.monotonic()
                self.flush_frames()
                self.apply_controls()
            sim.advance(min(sim.now + step, sim.end_s))
            if self.record:
                self.emit_frame(force=True)
            if sim.now >= sim.end_s and not sim.done:
                break
            self.heartbeat()
        self.flush_frames()


class _Pulse:
    """Sends heartbeats from a thread of its own while a worker holds claimed runs.

    One engine step can outlast the reaper's timeout (a run racing to its event limit),
    so the heartbeat cannot wait for the loop. The engine's event limit bounds every step,
    and a worker that dies takes this thread with it, so the reaper still sees it.
    `session` is the run under way (its progress goes with its heartbeat); `waiting`, the
    claimed runs after it, which are kept alive too.
    """

    def __init__(self, name: str) -> None:
        self.session: _Session | None = None
        self.waiting: list[Any] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"pulse-{name}")

    def __enter__(self) -> _Pulse:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join()

    def _beat(self) -> None:
        try:
            while not self.stopped.wait(HEARTBEAT_S):
                session, waiting = self.session, self.waiting
                if waiting:
                    run_heartbeat_waiting(run_ids=waiting)
                if session is None:
                    continue
                sim = session.sim
                progress = min(sim.now / sim.end_s, 1.0) if sim.end_s else 1.0
                if not run_heartbeat(run_id=session.run.id, progress=progress, sim_time_s=sim.now):
                    session.lost = True
        except Exception:  # a missed heartbeat is the reaper's business, not a crash
            log.exception("heartbeat failed (%s)", self.thread.name)
        finally:
            connection.close()


def run_execute(*, run_id: Any) -> None:
    """The worker's whole job for one run; safe to call twice for the same id."""
    run_execute_many(run_ids=[run_id])


def run_execute_many(*, run_ids: list[Any]) -> None:
    """Run queued runs one after another.

    They are claimed together, one pulse thread keeps them all alive, and runs of the
    same scenario share its loaded model. A second delivery runs only those still queued.
    """
    runs = run_claim(run_ids=run_ids)
    if not runs:
        log.info("runs %s were not queued; nothing to do", ", ".join(map(str, run_ids)))
        return
    with _Pulse(str(runs[0].id)) as pulse:
        ending = _Ending(pulse)
        _run_claimed(runs, pulse, {}, ending)
        ending.flush(force=True)


def run_execute_extras(*, batch_id: Any) -> None:
    """Run a batch's queued extra seeds, claiming a few at a time (`run_claim_extras`)
    until none are left. Several workers pull from one batch at once; each group's model
    is loaded once per scenario, and the runs' ends are recorded in groups."""
    loaded: dict[str, Any] = {}
    with _Pulse(f"batch-{batch_id}") as pulse:
        ending = _Ending(pulse)
        while runs := run_claim_extras(batch_id=batch_id):
            _run_claimed(runs, pulse, loaded, ending)
        ending.flush(force=True)


class _Ending:
    """Runs that succeeded and published no frames, recorded together
    (`runs_finish_quiet`) once FINISH_GROUP_S has passed since the last group. The pulse
    keeps them alive meanwhile, with the claimed runs still `later` in line."""

    def __init__(self, pulse: _Pulse) -> None:
        self.pulse = pulse
        self.runs: list[tuple[Run, dict]] = []
        self.later: list[Any] = []
        self.flushed = time.monotonic()

    def wait_for(self, later: list[Any]) -> None:
        """The claimed runs that will run after the current one."""
        self.later = later
        self._keep_alive()

    def add(self, outcome: tuple[Run, dict] | None) -> None:
        """How a run ended (`_run_one`); recorded now if the group is due."""
        if outcome is not None:
            self.runs.append(outcome)
        self.flush()

    def flush(self, *, force: bool = False) -> None:
        if self.runs and (force or time.monotonic() - self.flushed >= FINISH_GROUP_S):
            runs_finish_quiet(finished=self.runs)
            self.runs = []
            self.flushed = time.monotonic()
        self._keep_alive()

    def _keep_alive(self) -> None:
        self.pulse.waiting = [run.id for run, _result in self.runs] + self.later


def _run_claimed(runs: list[Run], pulse: _Pulse, loaded: dict[str, Any], ending: _Ending) -> None:
    """Run claimed runs one after another; `loaded`: the last scenario loaded
    ({"doc": ..., "model": ...}), shared by runs of the same one."""
    for index, run in enumerate(runs):
        ending.wait_for([waiting.id for waiting in runs[index + 1 :]])
        ending.add(_run_one(run, pulse, loaded))


def _run_one(run: Run, pulse: _Pulse, loaded: dict[str, Any]) -> tuple[Run, dict] | None:
    """Run one claimed run to its end and record how it ended; for a run that succeeded
    and published no frames, return (run, result) instead, for `runs_finish_quiet`."""
    run_id = run.id
    try:
        if loaded.get("doc") != run.doc:
            loaded.clear()
            loaded.update(doc=run.doc, model=patterns.load(run.doc))
        session = _Session(run, loaded["model"])
        pulse.session = session
        if run.mode == RunMode.LIVE:
            session.run_live()
        else:
            session.run_batch()
        pulse.session = None
        if session.lost:
            raise _Lost()
        result = session.sim.result()
    except _Lost:
        log.warning("run %s was ended elsewhere while it ran", run_id)
        return None
    except Exception as err:  # the run fails, the worker lives on
        pulse.session = None
        log.exception("run %s failed", run_id)
        run_finish(run_id=run_id, state=RunState.FAILED, error=f"engine error: {err}")
        return None
    stop = result.get("stop") or {}
    if session.cancelled:
        state, error = RunState.CANCELLED, "cancelled by its owner"
    elif session.limit_reason:
        state, error = RunState.FAILED, session.limit_reason
    elif stop.get("reason") == "event_limit":
        limit = settings.MSCOMM_MAX_EVENTS
        state = RunState.FAILED
        error = f"stopped at the limit of {limit} engine events at t={stop.get('t_s')} s"
    else:
        state, error = RunState.SUCCEEDED, ""
    run.speed = session.speed
    if not session.record and state == RunState.SUCCEEDED:
        return run, result
    run_finish(
        run_id=run_id,
        state=state,
        result=result,
        error=error,
        frames=session.record,
        run=run,
        lines=None if session.outbox is None else session.lines,
    )
    return None
