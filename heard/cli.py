"""The ``heard`` command line: Django's management commands under the product's name.

``heard demo``, ``heard export polis ...``, ``heard import contributions ...`` and every built-in
command (``heard migrate``, ``heard db_worker``) run through here, so operators learn one tool.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "heard.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["heard", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
