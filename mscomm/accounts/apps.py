from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "mscomm.accounts"
    label = "accounts"

    def ready(self) -> None:
        from mscomm.accounts import receivers  # noqa: F401  (connects the login hook)
