"""What every router of the API shares: error answers and their OpenAPI declarations,
paging, the caller's run, bodies read as JSON, empty answers."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from uuid import UUID

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from mscomm.accounts.services import workspace_get
from mscomm.api.schemas import ErrorOut
from mscomm.errors import ServiceError
from mscomm.runs import selectors as run_selectors
from mscomm.runs.models import Run

log = logging.getLogger(__name__)

FRAMES_PAGE = 500


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """The error answers an operation declares (every one is `{"detail": ...}`)."""
    return {status: ErrorOut for status in statuses}


ERRORS = errors(400, 404, 409, 413, 422, 429)


class CsrfFailed(Exception):
    pass


def own_run(request: HttpRequest, run_id: UUID) -> Run:
    """The caller's run `run_id`, or NotFound (also when it is someone else's)."""
    workspace = workspace_get(request=request, create=False)
    return run_selectors.run_get(workspace=workspace, run_id=run_id)


def json_body(request: HttpRequest) -> object:
    """The request's body parsed as JSON, or a 400."""
    try:
        return json.loads(request.body)
    except (ValueError, RecursionError):  # RecursionError: nested too deeply to parse
        raise HttpError(400, "the body is not JSON") from None


def no_content() -> HttpResponse:
    """An empty 204: no body, so no content type either (RFC 9110, 15.3.5)."""
    response = HttpResponse(status=204)
    del response["Content-Type"]
    return response


def error(status: int, detail: object) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def _malformed(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    problems = [
        {
            "loc": ".".join(str(part) for part in err.get("loc", ())),
            "msg": err.get("msg", ""),
        }
        for err in exc.errors
    ]
    return error(400, problems)


def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.exception("API error on %s %s", request.method, request.path)
    return error(500, "internal error")


HANDLERS: dict[type[Exception], Callable[[HttpRequest, Exception], HttpResponse]] = {
    ServiceError: lambda request, exc: error(exc.status, exc.detail),
    CsrfFailed: lambda request, exc: error(
        403, "CSRF check failed: send the csrftoken cookie's value in X-CSRFToken"
    ),
    ValidationError: _malformed,
    RequestDataTooBig: lambda request, exc: error(413, "request body too large"),
    Http404: lambda request, exc: error(404, "not found"),
    HttpError: lambda request, exc: error(exc.status_code, str(exc)),
    AuthenticationError: lambda request, exc: error(401, "not signed in"),
    Exception: _unexpected,
}


def handle_errors(api: NinjaAPI) -> None:
    """Every error the API's views raise becomes `{"detail": ...}` with its status."""
    for exc_class, handler in HANDLERS.items():
        api.add_exception_handler(exc_class, handler)
