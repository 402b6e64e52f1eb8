"""Starting, controlling, finishing and reaping runs."""

from __future__ import annotations

import copy
import logging
from datetime import timedelta
from typing import Any

from celery import group
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

import patterns
import patterns.variants
from mscomm.accounts.models import Workspace
from mscomm.errors import Conflict, Invalid, LimitExceeded
from mscomm.runs import stream
from mscomm.runs.control import SPEED_MAX, SPEED_MIN, Action, Control
from mscomm.runs.models import ACTIVE_STATES, Batch, Run, RunMode, RunState
from mscomm.runs.selectors import run_public
from mscomm.scenarios.models import Scenario
from mscomm.scenarios.services import scenario_validate
from patterns.stats import seeds_derive

log = logging.getLogger(__name__)

SEED_MAX = 2**63 - 1


DEFAULT_SPEED = 0.05  # simulated seconds per wall second when neither asker nor scenario says


def start_speed(doc: dict, speed: float | None) -> float:
    """The speed a run starts at: the one asked for, else the scenario's `watch` speed."""
    if speed is not None:
        return speed
    watch = doc.get("watch")
    if not isinstance(watch, dict):
        return DEFAULT_SPEED
    return float(watch.get("speed", 1.0))


def _check_speed(speed: float) -> float:
    if not SPEED_MIN <= speed <= SPEED_MAX:
        raise Invalid([{"loc": "speed", "msg": f"must be in {SPEED_MIN}..{SPEED_MAX}"}])
    return float(speed)


def _check_wall_time(
    doc: dict, speed: float, mode: str, *, done_sim_s: float = 0.0, elapsed_s: float = 0.0
) -> None:
    """A live run must end within the limit (and so within the broker's visibility timeout).

    For a run under way (a speed change), the wall time it has taken counts, and only the
    simulated time still ahead of it goes at the new speed.
    """
    if mode != RunMode.LIVE:
        return
    model = patterns.load(doc)
    ahead_s = max(0.0, model.duration_s + model.drain_s - done_sim_s)
    wall_s = elapsed_s + ahead_s / speed
    limit = settings.MSCOMM_MAX_LIVE_WALL_S
    if wall_s > limit:
        raise Invalid(
            [
                {
                    "loc": "speed",
                    "msg": f"at this speed the run would take {wall_s / 3600:.1f} h; "
                    f"the most is {limit / 3600:g} h",
                }
            ]
        )


def _check_seed(seed: int | None, doc: dict) -> int:
    value = doc.get("seed", 1) if seed is None else seed
    if not isinstance(value, int) or not 0 <= value <= SEED_MAX:
        raise Invalid([{"loc": "seed", "msg": f"must be an integer in 0..{SEED_MAX}"}])
    return value


def _check_capacity(workspace: Workspace, adding: int, mode: str = RunMode.LIVE) -> None:
    """Raise `LimitExceeded` past the concurrent-run cap or the start rate (in a transaction).

    The workspace row is locked first, so that starts racing each other count in turn.
    """
    Workspace.objects.select_for_update().filter(id=workspace.id).first()
    # Live and batch runs have separate limits: one sweep is many short batch runs.
    active_runs = Run.objects.filter(workspace=workspace, state__in=ACTIVE_STATES, mode=mode)
    # A batch's extra seeds (seed_index >= 1) ride on their variant's place: they are many
    # short runs, bounded per batch by MSCOMM_MAX_BATCH_RUNS instead.
    # (A count of the extras, not an exclude: SQL's NULL would exclude runs without one.)
    active = active_runs.count() - active_runs.filter(variant__seed_index__gte=1).count()
    limit = (
        settings.MSCOMM_MAX_CONCURRENT_BATCH_RUNS
        if mode == RunMode.BATCH
        else settings.MSCOMM_MAX_CONCURRENT_RUNS
    )
    if active + adding > limit:
        raise LimitExceeded(f"{active} runs are queued or running; at most {limit} may be at once")
    # Starting and cancelling in a loop stays under the cap above: limit the rate too.
    # A batch counts as one start, however many runs it has.
    since = timezone.now() - timedelta(seconds=60)
    recent = (
        Run.objects.filter(workspace=workspace, created_at__gte=since, batch=None).count()
        + Batch.objects.filter(workspace=workspace, created_at__gte=since).count()
    )
    rate = settings.MSCOMM_MAX_RUN_STARTS_PER_MINUTE
    if recent + 1 > rate:
        raise LimitExceeded(f"{recent} runs were started in the last minute; at most {rate} may be")


# A batch's extra seeds (short runs nobody watches) are not a task each: a task's dispatch
# and acknowledgement, and a run's claim, would cost a good share of each run. Tasks pull
# them from the batch instead (`run_claim_extras`), a few at a time, until none are left.
SEED_CLAIM_MOST = 10  # the most extra seeds a worker claims at once
SEED_CLAIM_PARTS = 4  # ... and at most this share of those left, so the workers end together
SEED_PULLERS_MAX = 32  # the most tasks sent to pull one batch's extra seeds


def seed_claim_size(left: int) -> int:
    """How many of a batch's `left` queued extra seeds a worker claims next: at most
    SEED_CLAIM_MOST, and fewer towards the end (a SEED_CLAIM_PARTS-th of what is left), so
    that the workers finish together instead of one running a last long group while the
    others wait."""
    return min(SEED_CLAIM_MOST, max(1, -(-left // SEED_CLAIM_PARTS)))


def seed_pullers(count: int) -> int:
    """How many tasks go out to pull a batch's `count` extra seeds. Each pulls until none
    are left, so one per batch worker would do, but the web does not know how many there
    are: one per SEED_CLAIM_MOST seeds (at most SEED_PULLERS_MAX) reaches every worker of
    a large deployment, and on a small one the tasks that come late find nothing to do."""
    return min(SEED_PULLERS_MAX, -(-count // SEED_CLAIM_MOST))


def _enqueue(runs: list[Run]) -> None:
    """Send the runs' tasks once the transaction that created them has committed: one per
    run, but for a batch's extra seeds, which `seed_pullers` tasks pull from the batch."""
    from mscomm.runs.tasks import run_execute_extras_task, run_execute_task

    alone = [run for run in runs if not (run.variant or {}).get("seed_index")]
    extra = [run for run in runs if (run.variant or {}).get("seed_index")]
    signatures = [
        run_execute_task.signature(
            (str(run.id),), task_id=str(run.id), queue=run.mode, immutable=True
        )
        for run in alone
    ]
    if extra:
        puller = run_execute_extras_task.signature(
            (str(extra[0].batch_id),), queue=RunMode.BATCH, immutable=True
        )
        signatures += [puller.clone() for _ in range(seed_pullers(len(extra)))]
    if len(signatures) == 1:
        transaction.on_commit(signatures[0].apply_async)
    else:
        transaction.on_commit(group(signatures).apply_async)


def run_start(
    *,
    scenario: Scenario | None,
    seed: int | None,
    speed: float | None,
    mode: str,
    workspace: Workspace,
    doc: dict | None = None,
) -> Run:
    """Queue a run of a snapshot of `scenario` (task id = run id, on commit).

    With `doc` (a valid scenario document, e.g. one shared with the caller) the run is of
    that document instead, and `scenario` may be None. `speed` None: the scenario's
    `watch` speed (a live run then skips ahead to its moment), else 0.05.
    """
    if mode not in RunMode.values:
        raise Invalid([{"loc": "mode", "msg": "must be live or batch"}])
    doc = copy.deepcopy(scenario.doc if doc is None else doc)
    speed = start_speed(doc, speed)
    _check_wall_time(doc, _check_speed(speed), mode)
    with transaction.atomic():
        _check_capacity(workspace, 1, mode)
        run = Run.objects.create(
            workspace=workspace,
            scenario=scenario,
            scenario_name=doc["name"],
            doc=doc,
            seed=_check_seed(seed, doc),
            speed=_check_speed(speed),
            mode=mode,
        )
        _enqueue([run])
    return run


def _problems(err: patterns.ScenarioError, prefix: str) -> list[dict]:
    # "param" problems are about the path itself; others are about the changed scenario.
    return [
        {"loc": p.loc if p.loc == "param" else f"{prefix}.{p.loc}", "msg": p.msg}
        for p in err.problems
    ]


def batch_start(
    *,
    scenario: Scenario,
    workspace: Workspace,
    seed: int | None,
    param: str | None = None,
    values: list[Any] | None = None,
    variants: list[dict] | None = None,
    seeds: int = 1,
) -> Batch:
    """Queue `seeds` unpaced runs per variant (a scenario doc each, or a sweep of one field).

    Variant i runs on `patterns.stats.seeds_derive(seed_i, seeds)`, where seed_i is `seed`
    or else the variant's own: with one `seed` (or a sweep) every variant runs on the same
    seeds. Past the first, a run's `variant` records its `seed_index`. All the runs go out
    as one Celery group, so they spread over the batch workers.
    """
    seed_max = settings.MSCOMM_MAX_SEEDS
    if isinstance(seeds, bool) or not isinstance(seeds, int) or not 1 <= seeds <= seed_max:
        raise Invalid([{"loc": "seeds", "msg": f"must be an integer in 1..{seed_max}"}])
    docs: list[tuple[Any, dict]] = []
    if param is not None:
        if not values:
            raise Invalid([{"loc": "values", "msg": "give at least one value"}])
        docs = []
        for index, value in enumerate(values):
            try:
                docs.append((value, patterns.variants.set_param(scenario.doc, param, value)))
            except patterns.ScenarioError as err:
                raise Invalid(_problems(err, f"values[{index}]")) from None
    elif variants:
        docs = [(index, variant) for index, variant in enumerate(variants)]
    else:
        raise Invalid([{"loc": "param", "msg": "give either param and values, or variants"}])
    limit = settings.MSCOMM_MAX_BATCH_VARIANTS
    if len(docs) > limit:
        raise Invalid([{"loc": "values", "msg": f"at most {limit} variants per batch"}])
    problems = []
    for index, (_label, doc) in enumerate(docs):
        try:
            scenario_validate(doc=doc)
        except Invalid as err:
            problems += [
                {"loc": f"variants[{index}].{p['loc']}".rstrip("."), "msg": p["msg"]}
                for p in err.detail
            ]
    if problems:
        raise Invalid(problems)
    run_limit = settings.MSCOMM_MAX_BATCH_RUNS
    if len(docs) * seeds > run_limit:
        raise Invalid(
            [{"loc": "seeds", "msg": f"at most {run_limit} runs per batch (variants x seeds)"}]
        )
    with transaction.atomic():
        _check_capacity(workspace, len(docs), RunMode.BATCH)
        batch = Batch.objects.create(workspace=workspace, scenario=scenario, param=param or "")
        runs = []
        made = timezone.now()
        for label, doc in docs:
            variant = {"param": param, "value": label} if param else {"index": label}
            for index, run_seed in enumerate(seeds_derive(_check_seed(seed, doc), seeds)):
                runs.append(
                    Run(
                        workspace=workspace,
                        scenario=scenario,
                        scenario_name=doc["name"],
                        doc=doc,
                        seed=run_seed,
                        speed=1.0,
                        mode=RunMode.BATCH,
                        batch=batch,
                        variant={**variant, "seed_index": index} if index else variant,
                        # Variant after variant, seed 0 first: the order batch_public reads.
                        created_at=made + timedelta(microseconds=len(runs)),
                    )
                )
        # One statement per few hundred rows rather than one per run.
        Run.objects.bulk_create(runs, batch_size=500)
        _enqueue(runs)
    return batch


def run_claim(*, run_ids: list[Any]) -> list[Run]:
    """Move the queued runs among `run_ids` to running, in one transaction; the runs
    claimed, in the order given (a second delivery claims only those still queued).

    They are loaded without their heavy columns (result, frame log), and each viewer is
    told that its run is running.
    """
    now = timezone.now()
    with transaction.atomic():
        # Row locks where the database has them (skip the rows another worker is claiming);
        # SQLite's write transaction holds the whole file instead.
        queued = (
            Run.objects.select_for_update(skip_locked=True)
            .defer("result", "frame_log")
            .filter(id__in=run_ids, state=RunState.QUEUED)
        )
        runs = {str(run.id): run for run in queued}
        if runs:
            Run.objects.filter(id__in=list(runs)).update(
                state=RunState.RUNNING, started_at=now, heartbeat_at=now
            )
    claimed = [runs[key] for key in map(str, run_ids) if key in runs]
    _claimed_publish(claimed, now)
    return claimed


def run_claim_extras(*, batch_id: Any) -> list[Run]:
    """Move the next few of a batch's queued extra seeds (`seed_claim_size`, oldest first)
    to running, in one transaction; the runs claimed, none when none are left.

    Workers pulling from the same batch at once claim different runs (row locks skipped
    where the database has them, the whole file in turn with SQLite).
    """
    now = timezone.now()
    with transaction.atomic():
        queued = Run.objects.filter(
            batch_id=batch_id, state=RunState.QUEUED, variant__seed_index__gte=1
        )
        left = queued.count()
        if not left:
            return []
        runs = list(
            queued.select_for_update(skip_locked=True)
            .defer("result", "frame_log")
            .order_by("created_at")[: seed_claim_size(left)]
        )
        if runs:
            Run.objects.filter(id__in=[run.id for run in runs]).update(
                state=RunState.RUNNING, started_at=now, heartbeat_at=now
            )
    _claimed_publish(runs, now)
    return runs


def _claimed_publish(runs: list[Run], now: Any) -> None:
    """Tell each claimed run's viewers that it is running."""
    for run in runs:
        run.state, run.started_at, run.heartbeat_at = RunState.RUNNING, now, now
    _runs_publish(runs)


def _runs_publish(runs: list[Run], *, final: bool = False) -> None:
    """Tell each run's viewers its state (`stream.run_publish`), in one round trip."""
    if not runs:
        return
    with stream.redis_client().pipeline(transaction=False) as pipe:
        for run in runs:
            stream.run_publish(run.id, run_public(run), final=final, pipe=pipe)
        pipe.execute()


def run_heartbeat(*, run_id: Any, progress: float, sim_time_s: float) -> bool:
    """Record the worker's progress; False when the run is no longer running here."""
    return bool(
        Run.objects.filter(id=run_id, state=RunState.RUNNING).update(
            heartbeat_at=timezone.now(), progress=progress, sim_time_s=sim_time_s
        )
    )


def run_heartbeat_waiting(*, run_ids: list[Any]) -> None:
    """Keep the reaper from runs a worker has claimed and will run next."""
    Run.objects.filter(id__in=run_ids, state=RunState.RUNNING).update(heartbeat_at=timezone.now())


def run_set_speed(*, run_id: Any, speed: float) -> None:
    """Record the speed the owner changed a live run to, and tell its viewers (the owner's
    other tabs and a shared link's viewers show the run's own speed)."""
    Run.objects.filter(id=run_id).update(speed=speed)
    run = Run.objects.defer("result", "frame_log").filter(id=run_id).first()
    if run is not None:
        stream.run_publish(run_id, run_public(run))


def run_record_fault(*, run_id: Any, fault: dict) -> None:
    """Remember a fault injected into a live run (shown before the result exists)."""
    with transaction.atomic():
        run = Run.objects.select_for_update().get(id=run_id)
        run.faults_injected = [*run.faults_injected, fault]
        run.save(update_fields=["faults_injected"])


def run_finish(
    *,
    run_id: Any,
    state: str,
    result: dict | None = None,
    error: str = "",
    from_states: tuple[str, ...] = ACTIVE_STATES,
    stale_before: Any = None,
    frames: bool = True,
    run: Run | None = None,
    lines: list[str] | None = None,
) -> bool:
    """End a run: keep its frame log, record the outcome, tell the viewers.

    Conditional on the run still being in `from_states`: False if someone else ended it.
    `frames=False` says the run published none (a batch's extra seed): nothing to read.
    `run`: the run as its worker holds it (claimed, speed kept up to date), so that the
    viewers can be told without reading it back. `lines`: every frame the run published,
    as JSON text, if its worker kept them (else they are read back from its stream).
    """
    if lines is None:
        lines = list(stream.frames_all_raw(run_id)) if frames else []
    fields = _finish_fields(state=state, result=result, error=error, lines=lines)
    rows = Run.objects.filter(id=run_id, state__in=from_states)
    if stale_before is not None:
        # The reaper's condition: a heartbeat that arrived meanwhile keeps the run alive.
        rows = rows.filter(heartbeat_at__lt=stale_before)
    updated = rows.update(**fields)
    if not updated:
        return False
    if run is None:
        run = Run.objects.defer("result", "frame_log").get(id=run_id)
    else:
        for name, value in fields.items():
            setattr(run, name, value)
    stream.run_publish(run_id, run_public(run), final=True)
    return True


def _finish_fields(
    *, state: str, result: dict | None, error: str, lines: list[str], now: Any = None
) -> dict[str, Any]:
    """The columns a run's end writes (`run_finish`, `runs_finish_quiet`)."""
    fields: dict[str, Any] = {
        "state": state,
        "finished_at": now or timezone.now(),
        "error": error,
        "frame_log": stream.frame_log_pack(lines) if lines else None,
        "frame_count": len(lines),
    }
    if result is not None:
        fields["result"] = result
        fields["faults_injected"] = result.get("faults_injected", [])
        fields["sim_time_s"] = result.get("sim_time_s", 0.0)
        if state == RunState.SUCCEEDED:
            fields["progress"] = 1.0
    return fields


def runs_finish_quiet(*, finished: list[tuple[Run, dict]]) -> list[Run]:
    """End several runs that succeeded and published no frames (a batch's extra seeds) at
    once: one transaction and one round trip to Redis instead of one each per run.

    `finished`: (run as its worker holds it, its result). Each is conditional on its run
    still being active, as in `run_finish`; returns the runs ended here.
    """
    now = timezone.now()
    by_id = {str(run.id): (run, result) for run, result in finished}
    ended, names = [], []
    with transaction.atomic():
        # Row locks where the database has them (the reaper may be failing some of these
        # runs); SQLite's write transaction holds the whole file instead.
        active = Run.objects.select_for_update().filter(id__in=list(by_id), state__in=ACTIVE_STATES)
        for run_id in map(str, active.values_list("id", flat=True)):
            run, result = by_id[run_id]
            fields = _finish_fields(
                state=RunState.SUCCEEDED, result=result, error="", lines=[], now=now
            )
            for name, value in fields.items():
                setattr(run, name, value)
            ended.append(run)
            names = list(fields)  # the same for every run: all succeeded, with a result
        if ended:
            _rows_update(ended, names)
    _runs_publish(ended, final=True)
    return ended


def _rows_update(runs: list[Run], names: list[str]) -> None:
    """Write `names` of each run in one statement run for every row (executemany).

    `bulk_update` builds a CASE expression per field through the ORM, which costs more
    than the runs' own UPDATEs; values are prepared here exactly as the fields save them.
    """
    fields = [Run._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    pk = Run._meta.pk
    sql = f"UPDATE {quote(Run._meta.db_table)} SET {sets} WHERE {quote(pk.column)} = %s"
    rows = [
        [field.get_db_prep_save(getattr(run, field.attname), connection) for field in fields]
        + [pk.get_db_prep_value(run.pk, connection)]
        for run in runs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def run_cancel(*, run: Run) -> Run:
    """Cancel a queued run at once; ask the worker of a running one to stop."""
    if run.state == RunState.QUEUED:
        run_finish(run_id=run.id, state=RunState.CANCELLED, from_states=(RunState.QUEUED,))
    if Run.objects.filter(id=run.id, state=RunState.RUNNING).exists():
        stream.control_push(run.id, Control(Action.CANCEL).message())
    run.refresh_from_db()
    return run


def run_control(*, run_id: Any, control: Control) -> None:
    """Pass an owner's control (parsed by `control.control_parse`) to the run's worker.

    `Conflict` when the run is over; `Invalid` for a speed that would take the run
    past the wall-time limit; `LimitExceeded` when too many messages already wait.
    """
    run = Run.objects.defer("result", "frame_log").filter(id=run_id).first()
    if run is None or run.state not in ACTIVE_STATES:
        state = run.state if run is not None else "gone"
        raise Conflict(f"run {run_id} is {state}: only a queued or running run takes controls")
    if control.action is Action.SPEED:
        elapsed = (timezone.now() - run.started_at).total_seconds() if run.started_at else 0.0
        _check_wall_time(
            run.doc, control.speed, run.mode, done_sim_s=run.sim_time_s, elapsed_s=elapsed
        )
    message = control.message()
    if not stream.control_push(run.id, message, limit=settings.MSCOMM_CONTROL_QUEUE_MAX):
        raise LimitExceeded(
            "too many control messages are waiting for the run's worker; try again in a moment"
        )


def run_reap(*, timeout_s: float | None = None) -> list[str]:
    """Fail running runs whose worker stopped reporting, and queued runs no worker took.

    Returns the ids of the runs it failed.
    """
    timeout = settings.MSCOMM_HEARTBEAT_TIMEOUT_S if timeout_s is None else timeout_s
    cutoff = timezone.now() - timedelta(seconds=timeout)
    stale = Run.objects.filter(state=RunState.RUNNING, heartbeat_at__lt=cutoff)
    reaped = []
    for run_id in stale.values_list("id", flat=True):
        error = f"the worker stopped reporting (no heartbeat for {timeout:g} s)"
        if run_finish(
            run_id=run_id,
            state=RunState.FAILED,
            error=error,
            from_states=(RunState.RUNNING,),
            stale_before=cutoff,
        ):
            log.warning("reaped run %s: %s", run_id, error)
            reaped.append(str(run_id))
    lost_cutoff = timezone.now() - timedelta(seconds=settings.MSCOMM_QUEUED_TIMEOUT_S)
    lost = Run.objects.filter(state=RunState.QUEUED, created_at__lt=lost_cutoff)
    for run_id in lost.values_list("id", flat=True):
        error = "no worker started the run (its task was lost); start it again"
        if run_finish(
            run_id=run_id, state=RunState.FAILED, error=error, from_states=(RunState.QUEUED,)
        ):
            log.warning("reaped run %s: %s", run_id, error)
            reaped.append(str(run_id))
    return reaped
