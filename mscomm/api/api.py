"""The JSON API under /api/ (docs/http-api.md): the composition root.

It makes the API (session auth with the CSRF check, the error handlers of
mscomm.api.common, the OpenAPI additions of mscomm.api.openapi) and mounts each app's
router; the views live with their apps.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.middleware.csrf import get_token
from ninja import NinjaAPI
from ninja.utils import check_csrf

from mscomm.analysis.api import router as analysis_router
from mscomm.api import openapi
from mscomm.api.common import CsrfFailed, handle_errors
from mscomm.api.library import library_router
from mscomm.runs.api import runs_router
from mscomm.scenarios.api import scenarios_router, schema_router
from mscomm.sharing.api import shares_router

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# Operation ids are part of the published document (generated clients name their
# methods after them): the views that moved out of this module keep the ids they had.
_FIRST_HOME = "mscomm_api_api_"
_MOVED = ("mscomm.api.library", "mscomm.scenarios.api", "mscomm.runs.api")


def session_csrf(request: HttpRequest) -> bool:
    """Session callers (users and visitors): unsafe methods must carry the CSRF token."""
    if request.method in UNSAFE:
        if check_csrf(request) is not None:
            raise CsrfFailed()
    else:
        # Any read hands out the csrftoken cookie, so API-only clients can get one.
        get_token(request)
    return True


class MscommAPI(NinjaAPI):
    """The API: ninja's, with the OpenAPI additions of mscomm.api.openapi."""

    def get_openapi_schema(self, **kwargs):
        return openapi.describe(super().get_openapi_schema(**kwargs))

    def get_openapi_operation_id(self, operation) -> str:
        if operation.view_func.__module__ in _MOVED:
            return _FIRST_HOME + operation.view_func.__name__
        return super().get_openapi_operation_id(operation)


api = MscommAPI(
    title="mscomm",
    version="1",
    description="Scenarios, runs and the built-in labs of mscomm.",
    auth=session_csrf,
    urls_namespace="api",
)
handle_errors(api)

api.add_router("/schema", schema_router)
api.add_router("/library", library_router)
api.add_router("/scenarios", scenarios_router)
api.add_router("/runs", runs_router)
api.add_router("/shares", shares_router)
# Compare, variants, request traces and exports.
api.add_router("", analysis_router)
