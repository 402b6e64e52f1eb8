"""URL routes: the API, accounts, admin and (from mscomm.front) the pages."""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.urls import include, path

from mscomm.api.api import api

urlpatterns = [
    path("api/", api.urls),
    path("accounts/", include("mscomm.accounts.urls")),
    path("admin/", admin.site.urls),
    path("", include("mscomm.sharing.urls")),
    path("", include("mscomm.analysis.urls")),
]
if apps.is_installed("mscomm.front"):
    # The browser front end's pages (its own app).
    urlpatterns.append(path("", include("mscomm.front.urls")))

handler400 = "mscomm.views.bad_request"
handler403 = "mscomm.views.permission_denied"
handler404 = "mscomm.views.page_not_found"
handler500 = "mscomm.views.server_error"
