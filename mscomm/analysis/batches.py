"""A batch as the API shows it: each variant's runs over its seeds, their statistics and,
for two variants, the paired differences (docs/http-api.md, "Batches")."""

from __future__ import annotations

from typing import Any

from mscomm.errors import Invalid
from mscomm.runs.models import Batch, Run, RunState
from mscomm.runs.selectors import run_public
from patterns.compare import figure, figure_rows
from patterns.slos import slo_shares
from patterns.stats import figure_stats, paired_diff

KEY_MAX = 200


def _variants(batch: Batch) -> list[list[Run]]:
    """The batch's runs grouped by variant (in the order given), each list by seed index."""
    runs = batch.runs.defer("doc", "frame_log").order_by("created_at", "id")
    groups: list[list[Run]] = []
    for run in runs:
        # Runs are created variant after variant, seed 0 first: a seed 0 starts a group.
        if not (run.variant or {}).get("seed_index") or not groups:
            groups.append([])
        groups[-1].append(run)
    for group in groups:
        group.sort(key=lambda run: (run.variant or {}).get("seed_index", 0))
    return groups


def _label(run: Run) -> Any:
    variant = dict(run.variant or {})
    variant.pop("seed_index", None)
    return variant


def _ok(run: Run) -> dict[str, Any] | None:
    return run.result if run.state == RunState.SUCCEEDED and run.result is not None else None


def batch_public(batch: Batch) -> dict[str, Any]:
    """`{"id", "scenario_id", "param", "created_at", "done", "seeds", "progress",
    "variants": [{"variant", "run", "result", "seeds", "stats", "slos"}], "diff"}`.

    `run` and `result` are the variant's first seed (the batch as it was before seeds);
    `stats` summarise the seeds that succeeded so far, so they tighten while the batch
    runs; `diff` (two variants only, else None) pairs the seeds both variants finished.
    """
    groups = _variants(batch)
    variants = []
    for group in groups:
        results = [r for r in map(_ok, group) if r is not None]
        variants.append(
            {
                "variant": _label(group[0]),
                "run": run_public(group[0]),
                "result": group[0].result,
                "seeds": {
                    "total": len(group),
                    "done": sum(run.finished for run in group),
                    "succeeded": len(results),
                },
                "stats": figure_stats(results),
                # Each SLO of the variant's scenario: met in k of the n seeds so far.
                "slos": slo_shares(group[0].doc.get("slos") or [], results),
            }
        )
    diff = None
    if len(groups) == 2:
        pairs = [
            (a, b)
            for a, b in zip(map(_ok, groups[0]), map(_ok, groups[1]), strict=False)
            if a is not None and b is not None
        ]
        diff = paired_diff([a for a, _ in pairs], [b for _, b in pairs])
    runs = [run for group in groups for run in group]
    return {
        "id": batch.id,
        "scenario_id": batch.scenario_id,
        "param": batch.param,
        "created_at": batch.created_at,
        "done": all(run.finished for run in runs),
        "seeds": max((len(group) for group in groups), default=1),
        "progress": {"done": sum(run.finished for run in runs), "total": len(runs)},
        "variants": variants,
        "diff": diff,
    }


def batch_values(*, batch: Batch, key: str) -> dict[str, Any]:
    """`{"key", "variants": [{"variant", "values": [per seed, None if missing]}]}`: one
    figure seed by seed, for drawing its spread; `Invalid` (loc `key`) if no comparison
    figure has that key."""
    groups = _variants(batch)
    results = [r for group in groups for r in map(_ok, group) if r is not None]
    known = {row[1] for row in figure_rows(*results)}
    if len(key) > KEY_MAX or key not in known:
        raise Invalid([{"loc": "key", "msg": "not a figure of this batch's results"}])
    return {
        "key": key,
        "variants": [
            {
                "variant": _label(group[0]),
                "values": [None if r is None else figure(r, key) for r in map(_ok, group)],
            }
            for group in groups
        ],
    }
