"""A static file server for the browser pages that need no Django (the particle bench).

Serves `static/` at `/static/` and the npm libraries' `dist/` folders at the same
`/static/vendor/<name>/` prefixes that `mscomm/front/staticdirs.py` gives Django.
"""

from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from mscomm.front.staticdirs import BASE_DIR, VENDOR_DIRS


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map: ClassVar[dict[str, str]] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".mjs": "text/javascript",
    }

    def translate_path(self, path: str) -> str:
        path = path.split("?", 1)[0].split("#", 1)[0]
        for prefix, folder in VENDOR_DIRS:
            head = f"/static/{prefix}/"
            if path.startswith(head):
                return str(_inside(Path(folder), path[len(head) :]))
        if path.startswith("/static/"):
            return str(_inside(BASE_DIR / "static", path[len("/static/") :]))
        return str(BASE_DIR / "does-not-exist")

    def log_message(self, format: str, *args: object) -> None:
        pass


def _inside(root: Path, rel: str) -> Path:
    """`root/rel`, refusing paths that climb out of `root`."""
    target = (root / rel).resolve()
    return target if target.is_relative_to(root.resolve()) else root / "does-not-exist"


@contextlib.contextmanager
def static_server() -> Iterator[str]:
    """Serve on a free loopback port for the block's duration; yields the base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
