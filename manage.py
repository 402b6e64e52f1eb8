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
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as err:
        # A bad setting is the operator's to fix: say which in one line, no traceback.
        sys.exit(f"mscomm: {err}")


if __name__ == "__main__":
    main()
