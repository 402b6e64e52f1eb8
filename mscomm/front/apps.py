"""The browser front end's pages (gallery, editor, run view)."""

from __future__ import annotations

from django.apps import AppConfig


class FrontConfig(AppConfig):
    name = "mscomm.front"
    label = "front"
    verbose_name = "mscomm front end"
