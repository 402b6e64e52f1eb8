"""Celery tasks: thin adapters that take ids and call one service function."""

from __future__ import annotations

from celery import shared_task

from mscomm.runs.executor import run_execute, run_execute_extras, run_execute_many
from mscomm.runs.services import run_reap


@shared_task(acks_late=True, ignore_result=True)
def run_execute_task(run_id: str) -> None:
    """Run one queued run (task id = run id); a second delivery does nothing."""
    run_execute(run_id=run_id)


@shared_task(acks_late=True, ignore_result=True)
def run_execute_many_task(run_ids: list[str]) -> None:
    """Run queued runs one after another; a second delivery runs only those still queued.
    (Batches queued by mscomm before run_execute_extras_task sent their seeds this way.)"""
    run_execute_many(run_ids=run_ids)


@shared_task(acks_late=True, ignore_result=True)
def run_execute_extras_task(batch_id: str) -> None:
    """Run a batch's queued extra seeds, claiming a few at a time, until none are left
    (several of these pull from one batch at once); a second delivery runs what is left."""
    run_execute_extras(batch_id=batch_id)


@shared_task(ignore_result=True)
def run_reap_task() -> list[str]:
    """Fail runs whose worker stopped sending heartbeats."""
    return run_reap()
