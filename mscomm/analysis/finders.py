"""A static files finder for single files of npm packages.

Some libraries ship one self-contained build beside many megabytes of others (mermaid's
`dist/` holds 84 MB; its `mermaid.min.js` is 3.5 MB and all we need), so serving the
whole folder through `STATICFILES_DIRS` would make `collectstatic` copy and compress it
all. `VENDOR_FILES` maps a static path to one file under `node_modules`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

VENDOR_FILES = {
    "vendor/mermaid/mermaid.min.js": "mermaid/dist/mermaid.min.js",
}


def _node_modules() -> Path:
    return Path(settings.BASE_DIR) / "node_modules"


class VendorFileFinder(BaseFinder):
    """Finds the files of `VENDOR_FILES` that are installed."""

    def check(self, **kwargs: Any) -> list[Any]:
        return []

    def _installed(self) -> list[tuple[str, Path]]:
        files = [(path, _node_modules() / source) for path, source in VENDOR_FILES.items()]
        return [(path, file) for path, file in files if file.is_file()]

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:
        matches = [str(file) for static, file in self._installed() if static == path]
        if find_all or kwargs.get("all"):
            return matches
        return matches[0] if matches else []

    def list(self, ignore_patterns: Any) -> Any:
        for static, file in self._installed():
            storage = FileSystemStorage(location=str(file.parent))
            storage.prefix = str(Path(static).parent)  # type: ignore[attr-defined]
            yield file.name, storage
