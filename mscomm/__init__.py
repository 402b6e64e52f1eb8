"""mscomm's Django project. The Celery app is loaded with Django so tasks enqueue."""

from __future__ import annotations

from mscomm.celery import app as celery_app

__all__ = ["celery_app"]
