"""``python -m patterns FILE``: run a scenario (see ``patterns.cli``)."""

from __future__ import annotations

from patterns.cli import main

raise SystemExit(main(prog="python -m patterns"))
