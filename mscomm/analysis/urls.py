"""Pages: compare two runs, a parameter sweep, a run's request traces."""

from __future__ import annotations

from django.urls import path

from mscomm.analysis import views

urlpatterns = [
    path("compare/<uuid:run_a>/<uuid:run_b>/", views.compare, name="compare"),
    path("sweeps/new", views.sweep, name="sweep-new"),
    path("runs/<uuid:run_id>/requests/", views.requests, name="run-requests"),
]
