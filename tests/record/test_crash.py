"""A process killed at any moment leaves no entry without its row and no row without its entry.

Real processes on a real database file: a writer appends in batches (one transaction each) and
is killed with SIGKILL at random moments; then the audit must find the log and the rows whole.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "HEARD_DATABASE_URL"}
    env.update(
        HEARD_DATA_DIR=str(data_dir),
        HEARD_RECORD_ORIGIN="heard.test/crash",
        DJANGO_SETTINGS_MODULE="heard.settings",
        PYTHONPATH=str(ROOT),
    )
    return env


def _heard(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "heard", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_killed_mid_batch_leaves_nothing_half_written(tmp_path):
    env = _env(tmp_path)
    assert _heard(env, "migrate", "-v0").returncode == 0
    rng = random.Random(2026)
    for run in range(4):
        writer = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "tests" / "record" / "crash_writer.py"),
                str(rng.choice([1, 7, 25])),
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert writer.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.3, 1.2))
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
        assert writer.returncode == -signal.SIGKILL, f"run {run}: the writer ended by itself"
    vkey = _heard(env, "record", "vkey").stdout.strip()
    assert _heard(env, "record", "checkpoint").returncode == 0
    audit = _heard(env, "record", "verify", "--vkey", vkey)
    assert audit.returncode == 0, audit.stderr
    counts = _heard(
        env,
        "shell",
        "-c",
        (
            "from heard.listen.models import Contribution as C; "
            "from heard.record.models import LogEntry as E; "
            "print(C.objects.count(), E.objects.count())"
        ),
    )
    contributions, entries = map(int, counts.stdout.strip().splitlines()[-1].split())
    assert contributions > 0 and contributions == entries
