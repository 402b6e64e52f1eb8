"""Analysis of finished runs: request traces, exports, comparisons and variant batches.

Traces are never stored: the engine is deterministic, so a request's path is rebuilt by
re-running the run's scenario snapshot with its seed, injected faults and stop time.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

import patterns
import patterns.variants
from mscomm.accounts.models import Workspace
from mscomm.errors import Invalid, LimitExceeded, NotFound
from mscomm.runs.models import Batch, Run
from mscomm.runs.selectors import run_public
from mscomm.runs.services import batch_start
from mscomm.scenarios.models import Scenario
from patterns import incidents, tracing
from patterns.compare import result_diff
from patterns.export import result_csv, timeline_csv
from patterns.trace_export import trace_mermaid, trace_otlp

CORR = re.compile(r"^r[1-9][0-9]{0,11}$")
SAMPLE_MAX = 200


def _finished_result(run: Run) -> dict[str, Any]:
    if run.result is None:
        raise NotFound(f"run {run.id} has no result yet (it is {run.state})")
    return run.result


def _rerun_args(run: Run) -> dict[str, Any]:
    result = _finished_result(run)
    events = (result.get("engine") or {}).get("events") or 0
    limit = settings.MSCOMM_TRACE_MAX_EVENTS
    if events > limit:
        # A trace re-runs the whole run inside the request: keep that bounded.
        raise LimitExceeded(
            f"run {run.id} processed {events} engine events; requests can be traced in runs "
            f"of at most {limit}"
        )
    stop = result.get("stop") or {}
    return {
        "seed": run.seed,
        "faults_injected": result.get("faults_injected") or [],
        "max_engine_events": settings.MSCOMM_MAX_EVENTS,
        "stop_s": stop.get("t_s") if stop.get("reason") == "stopped" else None,
    }


def run_requests(*, run: Run, size: int = tracing.SAMPLE_SIZE) -> dict[str, Any]:
    """A sample of the run's requests (failed first, then the slowest) and the totals."""
    size = max(1, min(int(size), SAMPLE_MAX))
    args = _rerun_args(run)
    outcomes = tracing.request_outcomes(patterns.load(run.doc), **args)
    counts = {"total": len(outcomes), "succeeded": 0, "failed": 0, "unfinished": 0}
    for item in outcomes:
        counts[item["outcome"]] += 1
    return {**counts, "sample": tracing.request_sample(outcomes, size)}


def _request_events(run: Run, corr: str) -> tuple[Any, list[dict[str, Any]], bool]:
    """The run's scenario, request `corr`'s trace events and whether they were cut short."""
    if not CORR.match(corr):
        raise NotFound(f"no request {corr[:20]!r} in run {run.id}")
    scenario = patterns.load(run.doc)
    events, cut = tracing.request_events(scenario, corr, **_rerun_args(run))
    if not events:
        raise NotFound(f"no request {corr} in run {run.id}")
    return scenario, events, cut


def run_trace(*, run: Run, corr: str) -> dict[str, Any]:
    """The trace of request `corr` of the run (see patterns.tracing.build_trace)."""
    scenario, events, cut = _request_events(run, corr)
    return tracing.build_trace(events, tracing.link_styles(scenario), truncated=cut)


def run_request_events(*, run: Run, corr: str) -> dict[str, Any]:
    """Every trace event of request `corr`, hop by hop and instance by instance.

    `{"corr", "truncated", "events"}`: the events a live frame would carry for it, never
    sampled, plus the worker `start`/`end` events (docs/core-api.md).
    """
    _, events, cut = _request_events(run, corr)
    return {"corr": corr, "truncated": cut, "events": events}


def run_trace_otlp(*, run: Run, corr: str) -> dict[str, Any]:
    """The request's trace as OTLP JSON, timed from the moment the run started."""
    trace = run_trace(run=run, corr=corr)
    began = run.started_at or run.created_at
    return trace_otlp(trace, trace_key=f"{run.id}/{corr}", epoch_ns=unix_nanos(began))


def unix_nanos(moment: datetime) -> int:
    """`moment` in nanoseconds since the Unix epoch, exact to its microsecond."""
    since = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (since.days * 86_400 + since.seconds) * 1_000_000_000 + since.microseconds * 1000


def run_trace_mermaid(*, run: Run, corr: str) -> str:
    """The request's trace as Mermaid sequence-diagram text."""
    return trace_mermaid(run_trace(run=run, corr=corr))


def run_export(*, run: Run, what: str) -> tuple[str, str, str]:
    """(body, content type, file name) of one export of the run."""
    stem = f"run-{run.id}"
    if what == "scenario.json":
        return _json(run.doc), "application/json", f"scenario-{run.id}.json"
    result = _finished_result(run)
    if what == "result.json":
        return _json(result), "application/json", f"{stem}-result.json"
    if what == "result.csv":
        return result_csv(result), "text/csv", f"{stem}-result.csv"
    if what == "timeline.csv":
        return timeline_csv(result), "text/csv", f"{stem}-timeline.csv"
    raise NotFound(f"no export {what[:40]!r}")


def _json(doc: Any) -> str:
    return json.dumps(doc, indent=2)


def runs_compare(*, run_a: Run, run_b: Run) -> dict[str, Any]:
    """Both runs, their metric differences (when both have results), timelines, incidents
    and where their stories first part ways (`divergence`, None when told alike or
    when a result is missing)."""
    rows = divergence = None
    told_a = (run_a.result or {}).get("incidents") or []
    told_b = (run_b.result or {}).get("incidents") or []
    if run_a.result is not None and run_b.result is not None:
        rows = result_diff(run_a.result, run_b.result)
        divergence = incidents.first_divergence(told_a, told_b)
    return {
        "a": run_public(run_a),
        "b": run_public(run_b),
        "rows": rows,
        "timelines": {
            "a": (run_a.result or {}).get("timeline"),
            "b": (run_b.result or {}).get("timeline"),
        },
        "incidents": {"a": told_a, "b": told_b},
        "divergence": divergence,
    }


def variant_doc(*, doc: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """The scenario with one change: `{"kind": "flip", "link", "to"}` or
    `{"kind": "toggle", "target", "setting"}`; `Invalid` (loc `change.*`) if it does not apply."""
    kind = change.get("kind")
    try:
        if kind == "flip":
            return patterns.variants.flip_link(doc, str(change.get("link")), str(change.get("to")))
        if kind == "toggle":
            return patterns.variants.toggle(
                doc, str(change.get("target")), str(change.get("setting"))
            )
    except patterns.ScenarioError as err:
        raise Invalid([{"loc": f"change.{p.loc}", "msg": p.msg} for p in err.problems]) from None
    raise Invalid([{"loc": "change.kind", "msg": "must be 'flip' or 'toggle'"}])


def variant_start(
    *,
    workspace: Workspace,
    scenario: Scenario | None,
    doc: dict[str, Any],
    change: dict[str, Any],
    seed: int | None,
    seeds: int = 1,
) -> Batch:
    """Run `doc` (a scenario's, or a run's snapshot) and its changed variant as one
    batch, on the same `seeds` seeds and workload: variant 0 is as it was, 1 is changed."""
    if scenario is None:
        raise Invalid([{"loc": "run_id", "msg": "the run's scenario was deleted"}])
    changed = variant_doc(doc=doc, change=change)
    if seed is None:
        # Both variants on the same seeds, even when the change touched the doc's seed.
        seed = doc.get("seed", 1)
    return batch_start(
        scenario=scenario, workspace=workspace, seed=seed, variants=[doc, changed], seeds=seeds
    )
