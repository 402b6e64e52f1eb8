"""`manage.py simulate FILE [--seed N] [--format json|text]`: the core's CLI, unchanged."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run a scenario file and print its result (see patterns.cli)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument("--format", choices=["json", "text"], default="json")

    def handle(self, *args, file: str, seed: int | None, format: str, **options) -> None:
        from patterns.cli import main

        argv = [file, "--format", format]
        if seed is not None:
            argv += ["--seed", str(seed)]
        code = main(argv)
        if code:
            # Exit codes are the CLI's contract (2: the scenario does not validate).
            sys.exit(code)
