"""Page shells: the ES module of each page fetches its data from the API (ids reach it
as `data-*` attributes; the strict CSP allows no inline script)."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie


@ensure_csrf_cookie
def compare(request: HttpRequest, run_a: UUID, run_b: UUID) -> HttpResponse:
    """Two runs side by side with one playback clock, differences and overlaid charts."""
    return render(request, "analysis/compare.html", {"run_a": str(run_a), "run_b": str(run_b)})


@ensure_csrf_cookie
def sweep(request: HttpRequest) -> HttpResponse:
    """A parameter sweep of one of the visitor's scenarios (`?scenario=<id>`)."""
    scenario_id = request.GET.get("scenario", "")
    try:
        scenario_id = str(UUID(scenario_id)) if scenario_id else ""
    except ValueError:
        scenario_id = ""
    return render(request, "analysis/sweep.html", {"scenario_id": scenario_id})


@ensure_csrf_cookie
def requests(request: HttpRequest, run_id: UUID) -> HttpResponse:
    """A run's requests: pick one to see its path as a waterfall; exports."""
    return render(request, "analysis/requests.html", {"run_id": str(run_id)})
