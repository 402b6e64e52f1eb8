"""Celery tasks: thin adapters that take ids and call one service function."""

from __future__ import annotations

from celery import shared_task

from mscomm.runs.executor import run_execute, run_execute_many
from mscomm.runs.services import run_reap


@shared_task(acks_late=True, ignore_result=True)
def run_execute_task(run_id: str) -> None:
    """Run one queued run (task id = run id); a second delivery does nothing."""
    run_execute(run_id=run_id)


@shared_task(acks_late=True, ignore_result=True)
def run_execute_many_task(run_ids: list[str]) -> None:
    """Run queued runs one after another (a chunk of a batch's extra seeds); a second
    delivery runs only those still queued."""
    run_execute_many(run_ids=run_ids)


@shared_task(ignore_result=True)
def run_reap_task() -> list[str]:
    """Fail runs whose worker stopped sending heartbeats."""
    return run_reap()
