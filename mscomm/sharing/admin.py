from __future__ import annotations

from django.contrib import admin

from mscomm.sharing.models import ShareLink


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    list_display = ("id", "hint", "scenario", "run", "created_at", "expires_at")
    raw_id_fields = ("scenario", "run")
    readonly_fields = ("token_hash", "hint")
