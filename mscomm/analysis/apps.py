"""Compare runs, variants, parameter sweeps, request traces and exports."""

from __future__ import annotations

from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "mscomm.analysis"
    label = "analysis"
    verbose_name = "mscomm analysis"
