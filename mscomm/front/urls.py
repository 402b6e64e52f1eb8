"""Routes of the front end's pages (included at the site root by mscomm/urls.py)."""

from __future__ import annotations

from django.urls import path

from mscomm.front import views

urlpatterns = [
    path("", views.home, name="home"),
    path("scenarios/new", views.editor, name="scenario-new"),
    path("scenarios/<uuid:scenario_id>/", views.editor, name="scenario-edit"),
    path("runs/<uuid:run_id>/", views.run, name="run"),
    path("batches/<uuid:batch_id>/", views.batch, name="batch"),
]
