"""Contributions submitted through the web app by many people at once, on SQLite and PostgreSQL.

What it answers: how many contributions per second the production web server (gunicorn, two
workers, four threads each) keeps, how long a person waits, what fails under load, and whether
every contribution answered "kept" is in the database exactly once with its words unaltered.

How: for each database a fresh data directory (and, for PostgreSQL, a fresh database on
127.0.0.1:5432 that is dropped afterwards), ``heard migrate``, one engagement per scenario in its
listen phase with one participant account per virtual participant, and the real server on a free
loopback port. Each virtual participant signs in, then loops: GET the "Have your say" form (for
the CSRF token and a fresh ``client_key``), POST a contribution, expect a 302 to its thanks page.

Scenarios:

* ``load``: every submission sent once.
* ``double_submit``: the same load, but a fraction of submissions are sent twice with the same
  ``client_key``: half as a double click (two POSTs at the same moment on two connections), half
  as a resend (the second POST after the first answered). Both must lead to the same contribution.

Bounds: at most ``--requests`` submissions and ``--seconds`` of load per scenario, whichever comes
first; every socket has a timeout; traffic goes to 127.0.0.1 only. Results are printed with the
machine and written to ``benchmarks/results/contribution_load-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from benchmarks._app import (
    HOST,
    ROOT,
    VENV_BIN,
    Skipped,
    add_databases_option,
    fresh_app,
    run_each_database,
    run_python,
    start_run,
    text_table,
)

NAME = "contribution_load"
SCENARIOS = ("load", "double_submit")
SOCKET_TIMEOUT = 30.0  # seconds a single request may take before it counts as an error
SERVER_START_TIMEOUT = 60.0


# --------------------------------------------------------------------------------------------
# Words people might send: English, te reo Māori and both, short and long.
# --------------------------------------------------------------------------------------------

WORDS_EN = [
    "The bus from Ōtaki stops running at six, so anyone working late can't get home.",
    "My nan goes to the hui at the marae every month; she wants the clinic open on Saturdays.",
    "Rates keep going up but the footpaths on our street are still broken.",
    "We need more te reo Māori in schools, not less.",
    "Please don't close the library in Whanganui East — the kids do their homework there.",
    "I rent with three tamariki and the house is cold and damp every winter.",
    "Talk with whānau before you decide, not after. “Consultation” that comes late isn't.",
    "Water quality in the Manawatū River should come first, before any new subdivision.",
    "The form asked for my income twice. Why? 🤔",
    "Kei te pai the new crossing by the kura, but the lights change too fast for kaumātua.",
]
WORDS_MI = [
    "Kia ora koutou. Ko te wai te mea nui ki a mātou.",
    "He mea nui te reo Māori ki ō mātou tamariki me ō mātou mokopuna.",
    "Me whakarongo te kaunihera ki ngā whānau o te takiwā.",
    "Kāore he pahi i te pō, nō reira he uaua te hoki ki te kāinga.",
    "Ko te hauora o te whenua, ko te hauora o te tangata.",
    "Ngā mihi nui ki a koutou katoa mō tēnei hui.",
]


def compose_words(rng: random.Random) -> tuple[str, str]:
    """A contribution's text (with ``\\n`` newlines) and its language tag.

    Most are a sentence or three; some are several paragraphs; a few run to thousands of
    characters. Some keep leading spaces or a trailing newline, which must survive untouched.
    """
    in_maori = rng.random() < 0.3
    pool = WORDS_MI if in_maori else WORDS_EN
    shape = rng.random()
    if shape < 0.7:
        text = " ".join(rng.choice(pool) for _ in range(rng.randint(1, 3)))
    elif shape < 0.9:
        paragraphs = [
            " ".join(rng.choice(pool) for _ in range(rng.randint(2, 4)))
            for _ in range(rng.randint(2, 6))
        ]
        text = "\n\n".join(paragraphs)
    else:
        target = rng.randint(3_000, 12_000)
        paragraphs: list[str] = []
        while sum(len(p) + 2 for p in paragraphs) < target:
            sentences = " ".join(rng.choice(pool) for _ in range(rng.randint(3, 8)))
            paragraphs.append(f"{len(paragraphs) + 1}. {sentences}")
        text = "\n\n".join(paragraphs)
    if rng.random() < 0.05:
        text = "  " + text
    if rng.random() < 0.05:
        text += "\n"
    return text, "mi" if in_maori else "en"


# --------------------------------------------------------------------------------------------
# A minimal browser: one keep-alive connection, a cookie jar, form fields read from HTML.
# --------------------------------------------------------------------------------------------


class _InputValues(HTMLParser):
    """The name and value of every ``<input>`` on a page (first one wins for a name)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "input":
            return
        found = dict(attrs)
        name = found.get("name")
        if name and name not in self.values:
            self.values[name] = found.get("value") or ""


def input_values(html: str) -> dict[str, str]:
    parser = _InputValues()
    parser.feed(html)
    return parser.values


@dataclass
class Response:
    status: int
    location: str
    body: str


@dataclass
class Posted:
    """One POST as sent: its answer (None when none came), its time, why it failed."""

    response: Response | None
    ms: float
    failure: str | None


class Browser:
    """What the load generator needs of a browser: cookies, CSRF headers, keep-alive."""

    def __init__(self, port: int, cookies: dict[str, str] | None = None) -> None:
        self.port = port
        self.origin = f"http://{HOST}:{port}"
        self.cookies: dict[str, str] = dict(cookies or {})
        self._conn: http.client.HTTPConnection | None = None

    def copy(self) -> Browser:
        """A second tab: same cookies (same session), its own connection."""
        return Browser(self.port, self.cookies)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def get(self, path: str) -> Response:
        try:
            return self._send("GET", path)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The server closed an idle keep-alive connection; a GET is safe to send again.
            self.close()
            return self._send("GET", path)

    def post(self, path: str, form: dict[str, str]) -> Response:
        # Never resent automatically: a resent POST is exactly what the double-submit scenario
        # counts on purpose.
        return self._send("POST", path, urlencode(form).encode())

    def _send(self, method: str, path: str, body: bytes | None = None) -> Response:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(HOST, self.port, timeout=SOCKET_TIMEOUT)
        headers = {"User-Agent": "heard-benchmark", "Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
            headers["Referer"] = self.origin + path
        try:
            self._conn.request(method, path, body=body, headers=headers)
            answer = self._conn.getresponse()
            data = answer.read()
        except Exception:
            self.close()
            raise
        self._keep_cookies(answer.headers.get_all("Set-Cookie") or [])
        if answer.will_close:
            self.close()
        return Response(answer.status, answer.headers.get("Location", ""), data.decode())

    def _keep_cookies(self, headers: list[str]) -> None:
        for header in headers:
            jar = SimpleCookie()
            try:
                jar.load(header)
            except CookieError:
                continue
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.coded_value


# --------------------------------------------------------------------------------------------
# The load: bounded in count and in time, shared by the virtual participants.
# --------------------------------------------------------------------------------------------


class Budget:
    """Hands out submissions until the count or the time runs out, whichever is first."""

    def __init__(self, submissions: int, seconds: float) -> None:
        self._left = submissions
        self._seconds = seconds
        self._deadline = math.inf
        self._lock = threading.Lock()
        self.stopped_by = ""

    def start(self) -> None:
        self._deadline = time.monotonic() + self._seconds

    def stop(self, reason: str) -> None:
        with self._lock:
            self._left = 0
            self.stopped_by = self.stopped_by or reason

    def take(self) -> bool:
        with self._lock:
            if self._left <= 0:
                self.stopped_by = self.stopped_by or "requests"
                return False
            if time.monotonic() >= self._deadline:
                self.stopped_by = self.stopped_by or "time"
                return False
            self._left -= 1
            return True


@dataclass
class Tally:
    """What one virtual participant saw. Merged into the scenario's figures at the end."""

    login_ms: list[float] = field(default_factory=list)
    get_ms: list[float] = field(default_factory=list)
    post_ms: list[float] = field(default_factory=list)
    cycle_ms: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    attempted: int = 0
    succeeded: int = 0
    posts: int = 0
    double_clicks: int = 0
    resends: int = 0
    # client_key -> [contribution id from the redirect, the words as the server must keep them]
    kept: dict[str, list] = field(default_factory=dict)

    def merge(self, other: Tally) -> None:
        for name in ("login_ms", "get_ms", "post_ms", "cycle_ms"):
            getattr(self, name).extend(getattr(other, name))
        self.errors.update(other.errors)
        for name in ("attempted", "succeeded", "posts", "double_clicks", "resends"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.kept.update(other.kept)


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def _error_kind(error: BaseException) -> str:
    if isinstance(error, TimeoutError | socket.timeout):
        return f"timeout after {SOCKET_TIMEOUT:.0f} s"
    return type(error).__name__


class VirtualParticipant(threading.Thread):
    def __init__(
        self,
        *,
        number: int,
        port: int,
        slug: str,
        username: str,
        password: str,
        budget: Budget,
        logged_in: threading.Barrier,
        double_fraction: float,
        seed: int,
    ) -> None:
        super().__init__(name=f"participant-{number}", daemon=True)
        self.browser = Browser(port)
        self.say_path = f"/e/{slug}/say/"
        self.thanks = re.compile(rf"^/e/{re.escape(slug)}/say/thanks/(\d+)/$")
        self.username = username
        self.password = password
        self.budget = budget
        self.logged_in = logged_in
        self.double_fraction = double_fraction
        self.rng = random.Random(seed)
        self.tally = Tally()

    def run(self) -> None:
        signed_in = self._sign_in()
        self.browser.close()  # start the timed phase on a fresh connection
        with contextlib.suppress(threading.BrokenBarrierError):
            self.logged_in.wait()
        if not signed_in:
            return
        while self.budget.take():
            try:
                self._submit_once()
            except Exception as error:  # every failure is a figure, never a crash
                self.tally.errors[f"cycle: {_error_kind(error)}"] += 1
        self.browser.close()

    def _sign_in(self) -> bool:
        start = time.perf_counter()
        try:
            page = self.browser.get("/accounts/login/")
            token = input_values(page.body).get("csrfmiddlewaretoken", "")
            answer = self.browser.post(
                "/accounts/login/",
                {
                    "username": self.username,
                    "password": self.password,
                    "csrfmiddlewaretoken": token,
                    "next": self.say_path,
                },
            )
        except Exception as error:
            self.tally.errors[f"sign in: {_error_kind(error)}"] += 1
            return False
        if answer.status != 302:
            self.tally.errors[f"sign in: HTTP {answer.status}"] += 1
            return False
        self.tally.login_ms.append(_ms_since(start))
        return True

    def _submit_once(self) -> None:
        self.tally.attempted += 1
        cycle_start = time.perf_counter()
        page = self.browser.get(self.say_path)
        self.tally.get_ms.append(_ms_since(cycle_start))
        if page.status != 200:
            self.tally.errors[f"GET: HTTP {page.status}"] += 1
            return
        fields = input_values(page.body)
        token, client_key = fields.get("csrfmiddlewaretoken"), fields.get("client_key")
        if not token or not client_key:
            self.tally.errors["GET: form without CSRF token or client_key"] += 1
            return
        words, language = compose_words(self.rng)
        form = {
            "csrfmiddlewaretoken": token,
            "question": "",
            # A browser sends a textarea's newlines as CRLF; the form turns them back into LF.
            "text": words.replace("\n", "\r\n"),
            "language": language,
            "quote_consent": "quote",
            "client_key": client_key,
        }
        repeat = self.rng.random() < self.double_fraction
        if repeat and self.rng.random() < 0.5:
            self.tally.double_clicks += 1
            posts = self._double_click(form)
        else:
            posts = [self._timed_post(self.browser, form)]
            if repeat:
                self.tally.resends += 1
                posts.append(self._timed_post(self.browser, form))
        ids = set()
        for answer in posts:
            self._count_post(answer)
            if answer.response is not None and (kept_id := self._kept_id(answer.response)):
                ids.add(kept_id)
        if len(ids) > 1:
            self.tally.errors["one client_key answered with two contributions"] += 1
        if ids:
            self.tally.succeeded += 1
            self.tally.cycle_ms.append(_ms_since(cycle_start))
            self.tally.kept[client_key] = [min(ids), words]

    def _double_click(self, form: dict[str, str]) -> list[Posted]:
        """Send the same form twice at the same moment, as a double-clicked button does."""
        second_tab = self.browser.copy()
        together = threading.Barrier(2, timeout=SOCKET_TIMEOUT)
        posts: list[Posted] = [Posted(None, 0.0, "not sent"), Posted(None, 0.0, "not sent")]

        def send(slot: int, browser: Browser) -> None:
            with contextlib.suppress(threading.BrokenBarrierError):
                together.wait()
            posts[slot] = self._timed_post(browser, form)

        other = threading.Thread(target=send, args=(1, second_tab), daemon=True)
        other.start()
        send(0, self.browser)
        other.join(SOCKET_TIMEOUT * 2)
        second_tab.close()
        return posts

    def _timed_post(self, browser: Browser, form: dict[str, str]) -> Posted:
        """One POST and how long it took; records nothing, so two threads may call it."""
        start = time.perf_counter()
        try:
            answer = browser.post(self.say_path, form)
        except Exception as error:
            return Posted(None, _ms_since(start), _error_kind(error))
        return Posted(answer, _ms_since(start), None)

    def _count_post(self, posted: Posted) -> None:
        self.tally.posts += 1
        if posted.response is None:
            self.tally.errors[f"POST: {posted.failure}"] += 1
            return
        self.tally.post_ms.append(posted.ms)
        if self._kept_id(posted.response) is None:
            kind = f"POST: HTTP {posted.response.status}"
            if posted.response.status == 200:
                kind += " (form shown again)"
            self.tally.errors[kind] += 1

    def _kept_id(self, answer: Response) -> int | None:
        if answer.status != 302:
            return None
        match = self.thanks.match(urlsplit(answer.location).path)
        return int(match.group(1)) if match else None


# --------------------------------------------------------------------------------------------
# Databases, the app's own commands, and the server.
# --------------------------------------------------------------------------------------------

SETUP_SCRIPT = r"""
import json, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from heard.core.permissions import Phase
from heard.listen import services
from tests.factories import make_engagement

params = json.loads(sys.argv[1])
User = get_user_model()
hashed = make_password(params["password"])  # hash once: the load is contributions, not hashing
names = [f"bench{n:04d}" for n in range(params["participants"])]
User.objects.bulk_create([User(username=name, password=hashed) for name in names])
users = list(User.objects.filter(username__in=names).order_by("username"))
slugs = {}
for scenario in params["scenarios"]:
    engagement = make_engagement(Phase.LISTEN, slug="bench-" + scenario.replace("_", "-"))
    for user in users:
        services.join_as_participant(engagement, user, pseudonym="Kaikōrero " + user.username[5:])
    slugs[scenario] = engagement.slug
print(json.dumps({"slugs": slugs, "usernames": names}))
"""

VERIFY_SCRIPT = r"""
import json, sys
import django
django.setup()
from heard.listen.models import Contribution

params = json.loads(open(sys.argv[1], encoding="utf-8").read())
kept = params["kept"]
rows = list(
    Contribution.objects.filter(engagement__slug=params["slug"]).values_list(
        "id", "client_key", "text"
    )
)
by_key = {}
for pk, key, text in rows:
    by_key.setdefault(str(key), []).append((pk, text))
missing = [key for key in kept if key not in by_key]
print(json.dumps({
    "rows": len(rows),
    "confirmed": len(kept),
    "missing": len(missing),
    "kept_but_not_confirmed": len([key for key in by_key if key not in kept]),
    "keys_kept_twice": sum(1 for found in by_key.values() if len(found) > 1),
    "id_differs_from_redirect": sum(
        1 for key, (pk, _) in kept.items() if key in by_key and by_key[key][0][0] != pk
    ),
    "words_altered": sum(
        1 for key, (_, words) in kept.items() if key in by_key and by_key[key][0][1] != words
    ),
}))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn as production runs it, on a loopback port, in its own process group."""

    def __init__(self, env: dict[str, str], log_path: Path, workers: int, threads: int) -> None:
        self.env = env
        self.log_path = log_path
        self.workers = workers
        self.threads = threads
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    str(VENV_BIN / "gunicorn"),
                    "heard.wsgi",
                    "--bind",
                    f"{HOST}:{self.port}",
                    "--workers",
                    str(self.workers),
                    "--threads",
                    str(self.threads),
                    "--log-level",
                    "warning",
                ],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_until_it_answers()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _wait_until_it_answers(self) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start:\n{self.log_tail()}")
            try:
                if Browser(self.port).get("/accounts/login/").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {SERVER_START_TIMEOUT:.0f} s")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


# --------------------------------------------------------------------------------------------
# One scenario on one database, and the figures it gives.
# --------------------------------------------------------------------------------------------


def percentiles(values: list[float]) -> dict[str, float | int | None]:
    """Nearest-rank p50/p90/p99 and max, in milliseconds."""
    if not values:
        return {"n": 0, "p50": None, "p90": None, "p99": None, "max": None, "mean": None}
    ordered = sorted(values)

    def rank(p: float) -> float:
        return round(ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)], 1)

    return {
        "n": len(ordered),
        "p50": rank(50),
        "p90": rank(90),
        "p99": rank(99),
        "max": round(ordered[-1], 1),
        "mean": round(sum(ordered) / len(ordered), 1),
    }


def run_scenario(
    *,
    server: Server,
    env: dict[str, str],
    work_dir: Path,
    slug: str,
    usernames: list[str],
    password: str,
    args: argparse.Namespace,
    double_fraction: float,
) -> dict:
    log_before = server.log_path.stat().st_size
    budget = Budget(args.requests, args.seconds)
    logged_in = threading.Barrier(args.concurrency + 1, timeout=SOCKET_TIMEOUT * 4)
    participants = [
        VirtualParticipant(
            number=n,
            port=server.port,
            slug=slug,
            username=usernames[n % len(usernames)],
            password=password,
            budget=budget,
            logged_in=logged_in,
            double_fraction=double_fraction,
            seed=args.seed * 1000 + n,
        )
        for n in range(args.concurrency)
    ]
    for participant in participants:
        participant.start()
    try:
        logged_in.wait()
    except threading.BrokenBarrierError:
        budget.stop("sign-in did not finish")
    budget.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        hard_stop = time.monotonic() + args.seconds + SOCKET_TIMEOUT * 3
        for participant in participants:
            while participant.is_alive() and time.monotonic() < hard_stop:
                participant.join(0.5)
    except KeyboardInterrupt:
        budget.stop("interrupted")
        raise
    wall = time.perf_counter() - started
    client_cpu = time.process_time() - cpu_started
    if any(participant.is_alive() for participant in participants):
        budget.stop("hard stop")

    tally = Tally()
    for participant in participants:
        tally.merge(participant.tally)
    check_file = work_dir / f"kept-{slug}.json"
    check_file.write_text(json.dumps({"slug": slug, "kept": tally.kept}), encoding="utf-8")
    check = run_python(VERIFY_SCRIPT, env, str(check_file))
    check["ok"] = (
        check["missing"] == 0
        and check["keys_kept_twice"] == 0
        and check["id_differs_from_redirect"] == 0
        and check["words_altered"] == 0
        and check["rows"] == check["confirmed"] + check["kept_but_not_confirmed"]
    )
    with server.log_path.open("rb") as log:
        log.seek(log_before)
        server_log = log.read().decode(errors="replace")
    return {
        "stopped_by": budget.stopped_by or "all participants finished",
        "wall_seconds": round(wall, 2),
        "load_generator_cpu_seconds": round(client_cpu, 2),
        "submissions_attempted": tally.attempted,
        "submissions_kept": tally.succeeded,
        "posts_sent": tally.posts,
        "double_clicks": tally.double_clicks,
        "resends": tally.resends,
        "throughput_per_second": round(tally.succeeded / wall, 1) if wall > 0 else None,
        "post_ms": percentiles(tally.post_ms),
        "cycle_ms": percentiles(tally.cycle_ms),
        "get_ms": percentiles(tally.get_ms),
        "sign_in_ms": percentiles(tally.login_ms),
        "errors": dict(tally.errors.most_common()),
        "database_check": check,
        "server_log": {
            "database_is_locked": server_log.count("database is locked"),
            "tracebacks": server_log.count("Traceback (most recent call last)"),
            "tail": server_log.splitlines()[-15:],
        },
    }


def run_database(database: str, args: argparse.Namespace) -> dict:
    """Every scenario on one database, in a fresh data directory and (PostgreSQL) database."""
    with contextlib.ExitStack() as cleanup:
        try:
            app = cleanup.enter_context(fresh_app(database, prefix="heard-bench"))
        except Skipped as reason:
            return {"status": "skipped", "reason": str(reason)}
        work_dir, env = app.work_dir, app.env
        password = secrets.token_urlsafe(16)
        made = run_python(
            SETUP_SCRIPT,
            env,
            json.dumps(
                {"password": password, "participants": args.concurrency, "scenarios": SCENARIOS}
            ),
        )
        server = cleanup.enter_context(
            Server(env, work_dir / "gunicorn.log", args.workers, args.threads)
        )
        print(f"[{database}] gunicorn answering on {HOST}:{server.port}", flush=True)
        scenarios = {}
        for scenario in SCENARIOS:
            print(f"[{database}] scenario {scenario} ...", flush=True)
            scenarios[scenario] = run_scenario(
                server=server,
                env=env,
                work_dir=work_dir,
                slug=made["slugs"][scenario],
                usernames=made["usernames"],
                password=password,
                args=args,
                double_fraction=args.double_fraction if scenario == "double_submit" else 0.0,
            )
        return {"status": "ran", "scenarios": scenarios}


# --------------------------------------------------------------------------------------------
# Output.
# --------------------------------------------------------------------------------------------


def _cell(value: object) -> str:
    return "-" if value is None else str(value)


def results_table(databases: dict[str, dict]) -> str:
    columns: list[tuple[str, dict]] = [
        (f"{database}/{scenario}", figures)
        for database, result in databases.items()
        if result.get("status") == "ran"
        for scenario, figures in result["scenarios"].items()
    ]
    if not columns:
        return "  (no database ran)"
    rows: list[tuple[str, list[str]]] = [
        ("stopped by", [f["stopped_by"] for _, f in columns]),
        ("load seconds", [f"{f['wall_seconds']:.1f}" for _, f in columns]),
        (
            "submissions kept/tried",
            [f"{f['submissions_kept']}/{f['submissions_attempted']}" for _, f in columns],
        ),
        ("POSTs sent", [str(f["posts_sent"]) for _, f in columns]),
        ("  of them double clicks", [str(f["double_clicks"]) for _, f in columns]),
        ("  of them resends", [str(f["resends"]) for _, f in columns]),
        ("throughput kept/s", [_cell(f["throughput_per_second"]) for _, f in columns]),
    ]
    for label, key in (("POST", "post_ms"), ("GET+POST", "cycle_ms"), ("GET", "get_ms")):
        for p in ("p50", "p90", "p99", "max"):
            rows.append((f"{label} {p} ms", [_cell(f[key][p]) for _, f in columns]))
    rows += [
        ("sign-in p50 ms", [_cell(f["sign_in_ms"]["p50"]) for _, f in columns]),
        ("errors", [str(sum(f["errors"].values())) for _, f in columns]),
        ("DB rows", [str(f["database_check"]["rows"]) for _, f in columns]),
        ("  missing (lost)", [str(f["database_check"]["missing"]) for _, f in columns]),
        ("  keys kept twice", [str(f["database_check"]["keys_kept_twice"]) for _, f in columns]),
        (
            "  kept, unconfirmed",
            [str(f["database_check"]["kept_but_not_confirmed"]) for _, f in columns],
        ),
        ("  words altered", [str(f["database_check"]["words_altered"]) for _, f in columns]),
        ("  check", ["ok" if f["database_check"]["ok"] else "FAILED" for _, f in columns]),
        ('"database is locked"', [str(f["server_log"]["database_is_locked"]) for _, f in columns]),
        ("server tracebacks", [str(f["server_log"]["tracebacks"]) for _, f in columns]),
        ("load generator CPU s", [f"{f['load_generator_cpu_seconds']:.1f}" for _, f in columns]),
    ]
    return "\n".join(text_table([name for name, _ in columns], rows))


def error_lines(databases: dict[str, dict]) -> list[str]:
    lines = []
    for database, result in databases.items():
        for scenario, figures in result.get("scenarios", {}).items():
            for kind, count in figures["errors"].items():
                lines.append(f"  {database}/{scenario}: {count} x {kind}")
    return lines


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=f"benchmarks/run {NAME} --", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--concurrency", type=int, default=16, help="virtual participants")
    parser.add_argument(
        "--requests", type=int, default=2000, help="submissions per scenario, at most"
    )
    parser.add_argument("--seconds", type=float, default=60, help="load per scenario, at most")
    parser.add_argument(
        "--double-fraction",
        type=float,
        default=0.05,
        help="share of submissions sent twice in the double_submit scenario",
    )
    add_databases_option(parser)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--seed", type=int, default=1, help="seed for the words sent")
    args = parser.parse_args(argv)
    for name in ("concurrency", "requests", "workers", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if not 0 < args.seconds <= 3600:
        parser.error("--seconds must be between 0 and 3600")
    if not 0 <= args.double_fraction <= 1:
        parser.error("--double-fraction must be between 0 and 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    parameters = {
        "concurrency": args.concurrency,
        "requests_per_scenario": args.requests,
        "seconds_per_scenario": args.seconds,
        "double_fraction": args.double_fraction,
        "databases": args.databases,
        "server": f"gunicorn heard.wsgi --workers {args.workers} --threads {args.threads}",
        "seed": args.seed,
    }
    run = start_run(NAME, parameters)

    try:
        databases, failed = run_each_database(
            args.databases, lambda database: run_database(database, args)
        )
    except KeyboardInterrupt:
        print("\nInterrupted: server stopped, temporary data removed.", file=sys.stderr)
        return 130

    print()
    for database, result in databases.items():
        if result["status"] == "skipped":
            print(f"{database}: skipped: {result['reason']}")
    print("Results (latencies over every answered request, in milliseconds)")
    print(results_table(databases))
    if errors := error_lines(databases):
        print("Errors by kind")
        print("\n".join(errors))

    out = run.write_results(
        {
            "databases": databases,
        }
    )
    print(f"\nWritten: {out}")
    checks_ok = all(
        figures["database_check"]["ok"]
        for result in databases.values()
        for figures in result.get("scenarios", {}).values()
    )
    if not checks_ok:
        print("DATABASE CHECK FAILED: contributions lost, doubled or altered (see above).")
    nothing_kept = [
        f"{database}/{scenario}"
        for database, result in databases.items()
        for scenario, figures in result.get("scenarios", {}).items()
        if figures["submissions_kept"] == 0
    ]
    if nothing_kept:
        print(f"FAILED: no submission was kept in {', '.join(nothing_kept)} (see the errors).")
    return 0 if checks_ok and not failed and not nothing_kept else 1


if __name__ == "__main__":
    raise SystemExit(main())
