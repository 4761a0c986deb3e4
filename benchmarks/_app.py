"""What the benchmarks share: a fresh app to measure, and the frame every run prints and writes.

A benchmark that runs the app needs the same setup each time (a temporary data directory, for
PostgreSQL a throwaway database, an environment that cannot reach a developer's real data, the
migrations), and every benchmark prints its machine and parameters, its figures as text tables,
and writes a JSON file. Kept here once, so the benchmarks differ only in what they measure.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from benchmarks._machine import POSTGRES_ADMIN, format_machine, machine

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
HOST = "127.0.0.1"  # loopback only, always
DATABASES = ("sqlite", "postgresql")  # what fresh_app can make
# pymerkle is a peer to compare with, not a dependency: the "bench" extra, which `make setup`
# does not install.
PYMERKLE_MISSING = "pymerkle is not installed (.venv/bin/pip install -e '.[bench]')"


# --------------------------------------------------------------------------------------------
# The app under test.
# --------------------------------------------------------------------------------------------


class Skipped(Exception):
    """A part of a benchmark cannot run on this machine; the message says why."""


@dataclass(frozen=True)
class App:
    """A migrated app on a fresh database: its scratch directory and its environment."""

    work_dir: Path
    env: dict[str, str]


def app_environment(data_dir: Path, database_url: str | None) -> dict[str, str]:
    """The server's environment: ours only, so a developer's HEARD_* can never point it at
    real data."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEARD_", "DJANGO_"))}
    env.update(
        HEARD_DATA_DIR=str(data_dir),
        HEARD_ALLOWED_HOSTS=HOST,
        HEARD_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="heard.settings",
        PYTHONPATH=str(ROOT),
    )
    if database_url:
        env["HEARD_DATABASE_URL"] = database_url
    return env


def _run_in_app(command: list[str], env: dict[str, str], failure: str) -> str:
    """Run one of the venv's programs in the app's environment; its output, or RuntimeError
    with ``failure`` and the end of what it said."""
    done = subprocess.run(
        command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{failure}:\n{done.stderr[-2000:]}")
    return done.stdout


def run_python(script: str, env: dict[str, str], *args: str) -> dict:
    """Run a snippet inside the app (in the project's venv) and read the JSON it prints last."""
    output = _run_in_app([str(VENV_BIN / "python"), "-c", script, *args], env, "app snippet failed")
    return json.loads(output.strip().splitlines()[-1])


def migrate(env: dict[str, str]) -> None:
    command = [str(VENV_BIN / "heard"), "migrate", "--no-input", "-v", "0"]
    _run_in_app(command, env, "heard migrate failed")


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, empty database on the local PostgreSQL; dropped afterwards whatever happens.
    Raises ``LookupError`` (the reason) when PostgreSQL cannot be used."""
    try:
        import psycopg
    except ImportError as error:
        raise LookupError("psycopg is not installed in .venv") from error
    name = f"heard_bench_{os.getpid()}"
    try:
        with psycopg.connect(**POSTGRES_ADMIN, connect_timeout=3, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name}")
    except psycopg.Error as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        where = f"{POSTGRES_ADMIN['host']}:{POSTGRES_ADMIN['port']}"
        raise LookupError(f"PostgreSQL on {where} is not usable: {reason}") from error
    try:
        user, port = POSTGRES_ADMIN["user"], POSTGRES_ADMIN["port"]
        yield f"postgres://{user}@{HOST}:{port}/{name}"
    finally:
        with (
            contextlib.suppress(psycopg.Error),
            psycopg.connect(**POSTGRES_ADMIN, connect_timeout=3, autocommit=True) as conn,
        ):
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextlib.contextmanager
def fresh_app(database: str, prefix: str) -> Iterator[App]:
    """The app migrated on a fresh ``database`` ("sqlite" or "postgresql") in a new temporary
    directory named ``<prefix>-<database>-...``; the directory is removed and the PostgreSQL
    database dropped afterwards, whatever happens.

    Raises ``Skipped`` (after printing ``[<database>] skipped: <reason>``) when PostgreSQL
    cannot be used, so a machine without it still runs the rest. Enter it on the caller's
    ``ExitStack`` to tell that apart from what the body raises."""
    with contextlib.ExitStack() as cleanup:
        work_dir = Path(tempfile.mkdtemp(prefix=f"{prefix}-{database}-"))
        cleanup.callback(shutil.rmtree, work_dir, ignore_errors=True)
        database_url = None
        if database == "postgresql":
            try:
                database_url = cleanup.enter_context(postgres_database())
            except LookupError as reason:
                print(f"[{database}] skipped: {reason}", flush=True)
                raise Skipped(str(reason)) from reason
        env = app_environment(work_dir / "data", database_url)
        print(f"[{database}] migrating a fresh database ...", flush=True)
        migrate(env)
        yield App(work_dir, env)


# --------------------------------------------------------------------------------------------
# The frame of a run: stopping, the header, tables, the results file.
# --------------------------------------------------------------------------------------------


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@dataclass(frozen=True)
class Run:
    """One run of a benchmark: when it started, on what machine, with which parameters; its
    results file opens with the same."""

    name: str
    started_at: dt.datetime
    machine: dict[str, object]
    parameters: dict[str, object]

    def write_results(self, figures: dict) -> Path:
        """Write the run and its ``figures`` to ``benchmarks/results/<name>-<UTC time>.json``;
        the file's path relative to the project, for printing."""
        document = {
            "benchmark": self.name,
            "started_at": self.started_at.isoformat(),
            "machine": self.machine,
            "parameters": self.parameters,
            **figures,
        }
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        out = RESULTS_DIR / f"{self.name}-{self.started_at.strftime('%Y%m%dT%H%M%SZ')}.json"
        out.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return out.relative_to(ROOT)


def start_run(name: str, parameters: dict[str, object]) -> Run:
    """Begin a run: let ``kill`` stop it as Ctrl-C does (so its cleanup of servers, databases
    and directories runs either way; only the main thread may set a handler), note the machine,
    and print what every benchmark prints first: its name, the machine, its parameters."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    run = Run(name, dt.datetime.now(dt.UTC), machine(), parameters)
    print(f"Benchmark: {name}")
    print("Machine")
    print(format_machine(run.machine))
    print("Parameters")
    print(format_machine(parameters))
    print(flush=True)
    return run


def run_each_database(
    names: list[str], run_database: Callable[[str], dict]
) -> tuple[dict[str, dict], bool]:
    """``run_database`` on each database named, in turn: its figures by name, and whether any
    failed. A failure is printed and recorded (``{"status": "failed", ...}``) and the next
    database still runs."""
    databases: dict[str, dict] = {}
    failed = False
    for database in names:
        try:
            databases[database] = run_database(database)
        except (RuntimeError, OSError, subprocess.SubprocessError, ValueError) as error:
            failed = True
            databases[database] = {"status": "failed", "reason": str(error)}
            print(f"[{database}] failed: {error}", flush=True)
    return databases, failed


def _database_list(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = set(names) - set(DATABASES)
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown database(s): {', '.join(sorted(unknown))}")
    return names


def add_databases_option(parser: argparse.ArgumentParser) -> None:
    """``--databases sqlite,postgresql``: the databases to run on (a list once parsed)."""
    parser.add_argument(
        "--databases",
        type=_database_list,
        default=",".join(DATABASES),
        help="comma-separated: sqlite,postgresql",
    )


def text_table(
    columns: list[str], rows: list[tuple[str, list[str]]], indent: str = "  "
) -> list[str]:
    """A table as lines of text: a header of column names over the value columns, then one
    line a row: its label left-aligned, its values right-aligned under their names, two spaces
    between columns, no trailing spaces."""
    label_width = max((len(label) for label, _ in rows), default=0)
    widths = [
        max([len(name), *(len(cells[position]) for _, cells in rows)])
        for position, name in enumerate(columns)
    ]

    def line(label: str, cells: list[str]) -> str:
        values = (cell.rjust(width) for cell, width in zip(cells, widths, strict=True))
        return (indent + "  ".join([label.ljust(label_width), *values])).rstrip()

    return [line("", columns), *(line(label, cells) for label, cells in rows)]
