"""ASGI entry point: HTTP through Django (static files by whitenoise), websockets by Channels."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mscomm.settings")

from django.core.asgi import get_asgi_application

# Set Django up before anything imports models (the consumers do).
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from mscomm.asgi_guards import BodyLimit, site_origin_validator  # noqa: E402
from mscomm.runs.routing import websocket_urlpatterns  # noqa: E402
from mscomm.serving import tune_server  # noqa: E402
from mscomm.sharing.routing import websocket_urlpatterns as share_websockets  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": BodyLimit(django_asgi_app),
        # Each route adds the session middleware if it needs it: a share link's socket does
        # not, which spares a class of hundreds a database call each.
        "websocket": site_origin_validator(URLRouter(websocket_urlpatterns + share_websockets)),
    }
)

# Last, once everything the server needs is loaded: that is what gets frozen.
tune_server()
