"""One measurement in a fresh child process: its own memory, its own time limit.

The theme-scale and opinion benchmarks run each measurement in a child (``python -m
benchmarks.<module> --child ...``) so that one run's caches and memory do not carry into the
next, a run that takes
too long can be stopped (and reported as timed out, not as a failure), and the peak resident
memory of exactly that run is known (``os.wait4``'s ``ru_maxrss``, the child's whole life). The
child prints its figures as one JSON object on its last line of standard output.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rss_bytes() -> int:
    """The calling process's resident memory now."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def emit(figures: dict) -> None:
    """The child's answer: one JSON line, last on standard output."""
    print(json.dumps(figures, allow_nan=False), flush=True)


def run_child(module: str, args: list[str], timeout: float) -> dict:
    """Run ``python -m module *args``; its JSON figures plus ``status``, ``child_wall_seconds``
    and ``peak_rss_bytes``. ``status`` is "ok", "timed out after N s" or "failed (...)"."""
    command = [sys.executable, "-m", module, *args]
    with tempfile.TemporaryFile(mode="w+") as out:
        started = time.monotonic()
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, start_new_session=True)
        status, usage, timed_out = None, None, False
        try:
            while status is None:
                pid, raw, rusage = os.wait4(process.pid, os.WNOHANG)
                if pid:
                    status, usage = os.waitstatus_to_exitcode(raw), rusage
                elif time.monotonic() - started > timeout:
                    timed_out = True
                    os.killpg(process.pid, signal.SIGKILL)
                else:
                    time.sleep(0.05)
        except BaseException:
            if status is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            raise
        process.returncode = status  # reaped here, so Popen must not wait again
        wall = time.monotonic() - started
        out.seek(0)
        lines = out.read().strip().splitlines()
    figures: dict = {"child_wall_seconds": wall}
    figures["peak_rss_bytes"] = usage.ru_maxrss * 1024 if usage else None
    if timed_out:
        figures["status"] = f"timed out after {timeout:.0f} s"
    elif not lines or not lines[-1].startswith("{"):
        figures["status"] = f"failed (exit {status}; its error is printed above)"
    else:
        figures.update(json.loads(lines[-1]))
        figures["status"] = "ok" if status == 0 else f"exit {status}"
    return figures
