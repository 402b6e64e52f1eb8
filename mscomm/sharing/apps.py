from __future__ import annotations

from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "mscomm.sharing"
    label = "sharing"
    verbose_name = "mscomm share links"
