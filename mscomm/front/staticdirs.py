"""Where the front end's static files live, for `STATICFILES_DIRS` in settings.

The browser libraries come from npm (`package.json`) and are served from their `dist/`
folders under `/static/vendor/<name>/`, never from all of `node_modules`.
"""

from __future__ import annotations

from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# (URL prefix under STATIC_URL, folder): the ES module builds the pages import.
VENDOR_DIRS: list[tuple[str, str]] = [
    ("vendor/cytoscape", str(BASE_DIR / "node_modules" / "cytoscape" / "dist")),
    ("vendor/uplot", str(BASE_DIR / "node_modules" / "uplot" / "dist")),
    # elkjs has no dist/: lib/ holds its browser builds (UMD) and its web worker.
    ("vendor/elkjs", str(BASE_DIR / "node_modules" / "elkjs" / "lib")),
]

# Use as `STATICFILES_DIRS = STATICFILES_DIRS` (or extend your own list with it).
STATICFILES_DIRS: list[str | tuple[str, str]] = [str(BASE_DIR / "static"), *VENDOR_DIRS]
