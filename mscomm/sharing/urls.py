"""Routes of the sharing pages (included at the site root by mscomm/urls.py)."""

from __future__ import annotations

from django.urls import path, re_path

from mscomm.sharing import views

urlpatterns = [
    re_path(r"^s/(?P<token>[A-Za-z0-9_-]{1,128})/?$", views.shared, name="shared"),
    path("shares/", views.shares, name="shares"),
]
