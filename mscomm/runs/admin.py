from __future__ import annotations

from django.contrib import admin

from mscomm.runs.models import Batch, Run


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ("id", "scenario_name", "mode", "state", "progress", "created_at")
    list_filter = ("state", "mode")
    search_fields = ("id", "scenario_name")
    raw_id_fields = ("workspace", "scenario", "batch")
    exclude = ("frame_log",)


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ("id", "param", "created_at")
    raw_id_fields = ("workspace", "scenario")
