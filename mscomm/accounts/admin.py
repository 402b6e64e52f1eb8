from __future__ import annotations

from django.contrib import admin

from mscomm.accounts.models import Workspace


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "created_at")
    search_fields = ("user__username", "id")
    raw_id_fields = ("user",)
