"""The machine a benchmark ran on.

A figure without its machine means nothing (two cores and a laptop disk are not eight cores and
an NVMe array), so every benchmark prints this block first and stores it beside its results.
Run on its own: ``.venv/bin/python -m benchmarks._machine``.
"""

from __future__ import annotations

import os
import platform
import sqlite3
from pathlib import Path

# Loopback only: benchmarks never talk to another host.
POSTGRES_ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                kib = int(line.split()[1])
                return f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return "unknown"


def _os() -> str:
    try:
        release = platform.freedesktop_os_release().get("PRETTY_NAME", "")
    except OSError:
        release = ""
    kernel = f"{platform.system()} {platform.release()} {platform.machine()}"
    return f"{release} ({kernel})" if release else kernel


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 0


def _django() -> str:
    try:
        import django
    except ImportError:
        return "not installed"
    return django.get_version()


def postgres_version() -> str | None:
    """The server's version, or None when no PostgreSQL answers on 127.0.0.1:5432."""
    try:
        import psycopg
    except ImportError:
        return None
    try:
        with psycopg.connect(**POSTGRES_ADMIN, connect_timeout=3) as conn:
            row = conn.execute("SHOW server_version").fetchone()
    except psycopg.Error:
        return None
    return str(row[0]) if row else None


def _load_average() -> str:
    """How busy the machine already was: figures taken beside other work are not comparable."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min)"


def machine() -> dict[str, object]:
    """Everything that moves a figure: CPU, cores, memory, OS, the versions under test, and how
    busy the machine was when the benchmark started."""
    return {
        "cpu": _cpu_model(),
        "cores_online": os.cpu_count() or 0,
        "cores_usable": _usable_cores(),
        "memory": _memory(),
        "os": _os(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "django": _django(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version()
        or f"unreachable on {POSTGRES_ADMIN['host']}:{POSTGRES_ADMIN['port']}",
        "load_average": _load_average(),
    }


def format_machine(info: dict[str, object]) -> str:
    width = max(len(key) for key in info)
    return "\n".join(f"  {key.ljust(width)}  {value}" for key, value in info.items())


def main(argv: list[str] | None = None) -> int:
    print("Machine")
    print(format_machine(machine()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
