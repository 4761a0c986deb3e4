"""Run the real task worker in a test, the way production runs it."""

from __future__ import annotations

import signal

from django.core.management import call_command


def run_worker(**options) -> None:
    """Run ``heard db_worker --batch`` until the queue is empty, then put back the signal
    handlers the worker installs (so a later Ctrl-C still stops pytest)."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command(
            "db_worker",
            batch=True,
            interval=0,
            startup_delay=False,
            reload=False,
            verbosity=0,
            **options,
        )
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
