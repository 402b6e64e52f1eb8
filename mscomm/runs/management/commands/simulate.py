"""`manage.py simulate FILE [--seed N] [--format json|text]`: the core's CLI, unchanged."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run a scenario file (or lab:<slug>) and print its result (see patterns.cli)."

    def run_from_argv(self, argv: list[str]) -> None:
        # The core's parser owns the options and the exit codes (2: does not validate).
        from patterns.cli import main

        sys.exit(main(argv[2:], prog=f"{argv[0]} {argv[1]}"))

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument("--format", choices=["json", "text"], default="json")

    def handle(self, *args, file: str, seed: int | None, format: str, **options) -> None:
        """For call_command(): the same run with the same options."""
        from patterns.cli import main

        argv = [file, "--format", format] + ([] if seed is None else ["--seed", str(seed)])
        code = main(argv)
        if code:
            sys.exit(code)
