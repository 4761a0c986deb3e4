"""Theme runs: start one (queued for the worker), and run it (the task body).

A run reads the engagement's contributions, calls the theme engine with a progress callback
that the run's page shows, checks the result against the stored words (every contribution
placed once, every quote exact and consented) and keeps it whole, or fails with the reason.
Each start and finish is an entry in the record.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from heard.engagements.models import Engagement
from heard.listen.models import Contribution
from heard.listen.vocab import withheld_reason
from heard.record import events
from heard.record.events import EventType
from heard.sense.checks import ResultRejected, check_complete, check_quotes
from heard.sense.models import KeyQuote, Theme, ThemeMembership, ThemeRun
from heard.sense.recording import append
from heard.sense.themes.result import Item, ThemeResult

LABEL_MAX = 200
PROGRESS_EVERY_SECONDS = 0.5

Engine = Callable[..., ThemeResult]


def start_run(
    engagement: Engagement,
    *,
    by,
    k: int | None = None,
    fast: bool = False,
    seed: int = 0,
    enqueue: bool = True,
) -> ThemeRun:
    """Make the next version of the analysis and queue it for the worker.

    The version number is the next free one; two people starting runs at once get two versions
    (the unique constraint decides, and the loser takes the next number).
    """
    if k is not None and not 2 <= k <= 200:
        raise ValidationError(_("Ask for between 2 and 200 themes, or leave it to the engine."))
    for _attempt in range(5):
        try:
            with transaction.atomic():
                latest = engagement.theme_runs.aggregate(v=Max("version"))["v"] or 0
                run = ThemeRun.objects.create(
                    engagement=engagement,
                    version=latest + 1,
                    k=k,
                    fast=fast,
                    seed=seed,
                    started_by=by,
                )
                append(EventType.THEME_RUN_STARTED, run, by=by, k=k, fast=fast)
                if enqueue:
                    from heard.sense.tasks import analyse

                    task_result = analyse.enqueue(run.pk)
                    run.task_id = str(task_result.id)
                    run.save(update_fields=["task_id"])
            return run
        except IntegrityError:
            continue
    raise ValidationError(_("Another analysis was being started at the same moment; try again."))


def analysis_input(engagement: Engagement) -> list[tuple[Contribution, Item]]:
    """What the engine reads: every contribution still holding its words, in a fixed order.

    Withdrawn words are gone and are not analysed. Hidden and not-for-quoting contributions are
    grouped (their voice counts) but never quoted: quotes may reach published findings, and
    the public may not read those words (``Contribution.withheld``).
    """
    rows = (
        Contribution.objects.filter(engagement=engagement, withdrawn_at__isnull=True)
        .only("id", "text", "language", "quote_consent", "is_hidden", "withdrawn_at")
        .order_by("id")
    )
    return [
        (
            c,
            Item(
                id=str(c.pk),
                text=c.text,
                language=c.language or None,
                quotable=c.withheld() is None,
            ),
        )
        for c in rows
    ]


class _Progress:
    """The engine's progress callback: writes stage and fraction to the run's row, at most
    twice a second (and on every change of stage), so a page can show it."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.stage = ""
        self.last = 0.0

    def __call__(self, stage: str, fraction: float) -> None:
        now = time.monotonic()
        if stage == self.stage and now - self.last < PROGRESS_EVERY_SECONDS:
            return
        self.stage, self.last = stage, now
        ThemeRun.objects.filter(pk=self.run_id).update(
            stage=stage[:60], fraction=max(0.0, min(1.0, float(fraction)))
        )


def _engine() -> Engine:
    from heard.sense.themes.engine import find_themes

    return find_themes


def run_analysis(run_id: int, *, engine: Engine | None = None) -> dict[str, Any]:
    """Run a queued analysis: the task body, and what the demo runs in-process.

    Moves the run from queued to running once (a task delivered twice runs once), calls the
    engine with a progress callback, checks the result against the stored words and keeps it,
    all or nothing. A failure is kept on the run with its message and in the record, then
    raised again so the worker reports it too.
    """
    started = timezone.now()
    moved = ThemeRun.objects.filter(pk=run_id, status=ThemeRun.Status.QUEUED).update(
        status=ThemeRun.Status.RUNNING, started_at=started, stage="reading", fraction=0.0
    )
    run = ThemeRun.objects.select_related("engagement", "started_by").get(pk=run_id)
    if not moved:
        return {"status": run.status, "run": run.version}
    try:
        pairs = analysis_input(run.engagement)
        ThemeRun.objects.filter(pk=run_id).update(contribution_count=len(pairs))
        if not pairs:
            raise ResultRejected("There are no contributions to analyse yet.")
        items = [item for _c, item in pairs]
        options = {"cache_dir": settings.DATA_DIR / "theme-cache"} if run.fast else {}
        result = (engine or _engine())(
            items, k=run.k, fast=run.fast, seed=run.seed, progress=_Progress(run_id), **options
        )
        counts = _keep_result(run, pairs, result)
    except Exception as error:
        _fail(run, error)
        raise
    return {"status": ThemeRun.Status.DONE, "run": run.version, **counts}


def _keep_result(
    run: ThemeRun, pairs: Sequence[tuple[Contribution, Item]], result: ThemeResult
) -> dict[str, int]:
    ids = [item.id for _c, item in pairs]
    check_complete(ids, result)
    with transaction.atomic():
        # Check the quotes against the words as stored now, under the lock the save holds: a
        # contribution withdrawn while the engine ran has no words left to quote.
        stored = {
            str(c["id"]): c
            for c in Contribution.objects.filter(pk__in=[c.pk for c, _i in pairs])
            .select_for_update()
            .values("id", "text", "quote_consent", "is_hidden", "withdrawn_at")
        }
        texts = {i: c["text"] for i, c in stored.items() if c["withdrawn_at"] is None}
        quotable = {
            i: withheld_reason(
                withdrawn=c["withdrawn_at"] is not None,
                hidden=c["is_hidden"],
                quote_consent=c["quote_consent"],
            )
            is None
            for i, c in stored.items()
        }
        check_quotes(result, texts, quotable)
        themes = Theme.objects.bulk_create(
            [
                Theme(
                    run=run,
                    engine_id=t.id,
                    position=n,
                    label=t.label[:LABEL_MAX],
                    machine_label=t.label[:LABEL_MAX],
                    keywords=list(t.keywords),
                    origin=Theme.Origin.MACHINE,
                )
                for n, t in enumerate(result.themes)
            ]
        )
        memberships = [
            ThemeMembership(
                run=run,
                contribution_id=int(member),
                theme=theme,
                machine_theme=theme,
                score=t.scores.get(member),
            )
            for theme, t in zip(themes, result.themes, strict=True)
            for member in t.members
        ]
        memberships += [ThemeMembership(run=run, contribution_id=int(i)) for i in result.unassigned]
        ThemeMembership.objects.bulk_create(memberships, batch_size=2000)
        KeyQuote.objects.bulk_create(
            [
                KeyQuote(
                    theme=theme,
                    contribution_id=int(q.id),
                    start=q.start,
                    length=len(q.text),
                    position=n,
                )
                for theme, t in zip(themes, result.themes, strict=True)
                for n, q in enumerate(t.quotes)
            ]
        )
        run.status = ThemeRun.Status.DONE
        run.stage, run.fraction = "done", 1.0
        run.provenance = result.provenance
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "stage", "fraction", "provenance", "finished_at"])
        counts = {
            "themes": len(themes),
            "contributions": len(ids),
            "unassigned": len(result.unassigned),
        }
        append(
            EventType.THEME_RUN_FINISHED,
            run,
            by=run.started_by,
            outcome="done",
            provenance=_provenance_digest(result.provenance),
            input_hash=_text_or_none(result.provenance.get("input_hash")),
            model=_text_or_none((result.provenance.get("embedding") or {}).get("model")),
            **counts,
        )
    return counts


def _provenance_digest(provenance: dict[str, Any]) -> str:
    """SHA-256 of the provenance stamp's canonical JSON: the record commits to the stamp (its
    engine, model, parameters and input hash) without depending on its shape."""
    return hashlib.sha256(events.canonical(_jsonable(provenance))).hexdigest()


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _jsonable(value: Any) -> Any:
    """Provenance as plain JSON values (floats kept only when finite, as RFC 8785 needs)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _fail(run: ThemeRun, error: Exception) -> None:
    message = str(error) or error.__class__.__name__
    if not isinstance(error, ValueError):
        message = f"{error.__class__.__name__}: {message}"
    with transaction.atomic():
        ThemeRun.objects.filter(pk=run.pk).update(
            status=ThemeRun.Status.FAILED, error=message[:5000], finished_at=timezone.now()
        )
        append(EventType.THEME_RUN_FINISHED, run, by=run.started_by, outcome="failed")
