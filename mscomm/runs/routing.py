"""Websocket routes of runs: the owner's socket needs the session (AuthMiddlewareStack)."""

from __future__ import annotations

from channels.auth import AuthMiddlewareStack
from django.urls import path

from mscomm.runs.consumers import RunConsumer

websocket_urlpatterns = [
    path("ws/runs/<uuid:run_id>/", AuthMiddlewareStack(RunConsumer.as_asgi())),
]
