"""Sign-up (log-in and log-out are Django's own views, with django-axes' lockout)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from mscomm.errors import LimitExceeded
from mscomm.ratelimit import client_ip, rate_check


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Create an account and log in; the visitor's workspace moves to it (on log-in).

    Sign-up attempts are limited per client address (429 past the limit).
    """
    if request.user.is_authenticated:
        return redirect("/")
    form = UserCreationForm(request.POST or None)
    if request.method == "POST":
        try:
            rate_check(
                action="signup",
                keys=[f"ip:{client_ip(request)}"],
                limit=settings.MSCOMM_SIGNUPS_PER_WINDOW,
                window_s=settings.MSCOMM_SIGNUP_WINDOW_S,
            )
        except LimitExceeded as err:
            context = {"form": UserCreationForm(), "refused": f"Too many sign-ups: {err.detail}"}
            return render(request, "accounts/signup.html", context, status=429)
        if form.is_valid():
            user = form.save()
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("/")
    return render(request, "accounts/signup.html", {"form": form})
