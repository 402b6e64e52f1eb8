from __future__ import annotations

from django.contrib import admin

from mscomm.scenarios.models import Scenario


@admin.register(Scenario)
class ScenarioAdmin(admin.ModelAdmin):
    list_display = ("name", "workspace", "version", "updated_at")
    search_fields = ("name", "id")
    raw_id_fields = ("workspace",)
