#!/usr/bin/env python
"""Django's command-line utility for mscomm."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mscomm.settings")
    # Commands on a developer's checkout work without a secret; servers (daphne, celery)
    # do not come through here and keep the safe default, DEBUG off.
    os.environ.setdefault("DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
