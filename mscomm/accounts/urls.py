from __future__ import annotations

from django.urls import include, path

from mscomm.accounts import views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("", include("django.contrib.auth.urls")),
]
