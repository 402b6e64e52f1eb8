"""The Celery app: configured from Django settings (CELERY_*), tasks from the apps."""

from __future__ import annotations

import gc
import os

from celery import Celery
from celery.signals import worker_process_init, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mscomm.settings")

app = Celery("mscomm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
@worker_process_init.connect
def _gc_freeze(**_: object) -> None:
    """Keep what the worker has loaded by now (Django, Celery, the engine's modules: some
    120,000 objects) out of the garbage collector's full passes.

    A run allocates fast, so those passes come often, and each one would walk every
    object the process holds: about 2.5 % of a batch run's time. `worker_ready` covers a
    worker that runs tasks in its own process (threads), `worker_process_init` each child
    of a prefork pool.
    """
    gc.freeze()
