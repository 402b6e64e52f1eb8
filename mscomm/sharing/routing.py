"""Websocket routes of share links: no session middleware (a link is the same for all)."""

from __future__ import annotations

from django.urls import re_path

from mscomm.sharing.consumers import SharedRunConsumer

websocket_urlpatterns = [
    re_path(r"^ws/shares/(?P<token>[A-Za-z0-9_-]{1,128})/$", SharedRunConsumer.as_asgi()),
]
