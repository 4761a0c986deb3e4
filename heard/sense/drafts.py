"""Theme summaries drafted by the operator's language model: ask, keep, adopt.

Off unless the operator configured an endpoint (``heard.sense.llm_settings``; ADR 0018). An
analyst asks for a draft on a theme's page; the worker sends the theme's name and its quotable
key quotes to the endpoint (``heard.sense.themes.summaries`` does the asking and checks that
every citation names a quote it was given); the draft is kept with its sentences, their
citations, the sentences refused by the check and the provenance. A failure is kept as a
failed draft with its reason, never a crash. A draft becomes the theme's summary only when an
analyst adopts it, through ``services.write_summary``, which puts who, what and why in the
record. Drafts themselves are not in the record: nothing is decided by asking.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from heard.sense import services
from heard.sense.llm_settings import endpoint_from_settings
from heard.sense.models import AssignedBy, SummaryDraft, Theme, ThemeMembership
from heard.sense.themes.result import Quote
from heard.sense.themes.summaries import (
    PROMPT_VERSION,
    Failure,
    LLMEndpoint,
    RejectedSentence,
    SummaryUnavailable,
    ThemeSummary,
    input_hash,
    summarise_theme,
)

#: At most this many quotes are sent: enough to summarise, and a bounded request.
MAX_QUOTES = 20

#: Our own reasons for failing a draft, beside the summaries module's ``Failure``.
CITATION_REFUSED = "citation_refused"
TURNED_OFF = "turned_off"
ERROR = "error"

# What the page says for each reason a draft failed (the detail is shown to the team beside it).
FAILURE_MESSAGES = {
    Failure.NOT_CONFIGURED: gettext_lazy(
        "The language model is not set up correctly on this site. Ask the operator to check "
        "its settings."
    ),
    Failure.NO_QUOTES: gettext_lazy(
        "This theme has no key quote that may be quoted, so a summary could cite nothing. "
        "Mark a key quote first."
    ),
    Failure.NETWORK: gettext_lazy(
        "The language model’s server could not be reached. Try again later."
    ),
    Failure.TIMEOUT: gettext_lazy(
        "The language model’s server did not answer in time. Try again later."
    ),
    Failure.HTTP: gettext_lazy("The language model’s server refused the request."),
    Failure.BAD_RESPONSE: gettext_lazy(
        "The language model’s server gave an answer that could not be read."
    ),
    Failure.UNPARSEABLE: gettext_lazy("The language model did not answer in the form asked for."),
    Failure.NO_CITED_SENTENCES: gettext_lazy(
        "Every sentence the language model wrote failed the citation check, so none is shown."
    ),
    CITATION_REFUSED: gettext_lazy(
        "The draft cites a contribution that is not in this theme or may not be quoted, so it "
        "was not kept."
    ),
    TURNED_OFF: gettext_lazy("Summaries by a language model were turned off on this site."),
    ERROR: gettext_lazy("Something went wrong while drafting the summary."),
}


def failure_message(code: str) -> str:
    return str(FAILURE_MESSAGES.get(code, FAILURE_MESSAGES[ERROR]))


def summaries_enabled() -> bool:
    """Whether the operator turned summaries on. A named key file that cannot be read still
    counts as on: the draft then fails and says so, instead of the button silently vanishing."""
    try:
        return endpoint_from_settings() is not None
    except SummaryUnavailable:
        return True


def summary_quotes(theme: Theme) -> list[Quote]:
    """What a draft is made from: the theme's key quotes, those marked by people first, then
    the engine's representative ones, keeping only words that may be quoted (the rule of
    ``Contribution.withheld``: not withdrawn, not hidden, the person allowed quoting)."""
    quotes = sorted(
        theme.key_quotes.select_related("contribution"),
        key=lambda q: (q.marked_by != AssignedBy.PERSON, q.position, q.pk),
    )
    return [
        Quote(id=str(q.contribution_id), text=q.text, start=q.start)
        for q in quotes
        if q.contribution.withheld() is None and q.text
    ][:MAX_QUOTES]


def request_draft(theme: Theme, *, by, enqueue: bool = True) -> SummaryDraft:
    """Queue a draft of ``theme``'s summary for the worker. Refused when summaries are off, when
    the theme cannot be edited, when a draft of it is on its way, or when it has nothing to
    quote (so no request would be sent)."""
    if not summaries_enabled():
        raise ValidationError(_("Summaries by a language model are not turned on on this site."))
    with transaction.atomic():
        _run, theme = services.locked_theme(theme)
        in_progress = (SummaryDraft.Status.QUEUED, SummaryDraft.Status.RUNNING)
        if theme.summary_drafts.filter(status__in=in_progress).exists():
            raise ValidationError(_("A draft of this summary is already being written."))
        if not summary_quotes(theme):
            raise ValidationError(failure_message(Failure.NO_QUOTES))
        draft = SummaryDraft.objects.create(theme=theme, requested_by=by)
        if enqueue:
            from heard.sense.tasks import draft_summary

            draft.task_id = str(draft_summary.enqueue(draft.pk).id)
            draft.save(update_fields=["task_id"])
    return draft


def write_draft(draft_id: int) -> dict[str, Any]:
    """Ask the endpoint and keep the draft: the task body.

    Moves the draft from queued to running once (a task delivered twice asks once). Every way
    the model or the endpoint can fail ends as a failed draft with its reason; anything else
    is kept the same way, then raised again so the worker reports it.
    """
    moved = SummaryDraft.objects.filter(pk=draft_id, status=SummaryDraft.Status.QUEUED).update(
        status=SummaryDraft.Status.RUNNING, started_at=timezone.now()
    )
    draft = SummaryDraft.objects.select_related("theme").get(pk=draft_id)
    if not moved:
        return {"status": draft.status, "draft": draft.pk}
    theme = draft.theme
    try:
        endpoint = endpoint_from_settings()
        if endpoint is None:
            _fail(draft, TURNED_OFF, "HEARD_LLM_BASE_URL or HEARD_LLM_MODEL is not set")
            return {"status": SummaryDraft.Status.FAILED, "draft": draft.pk}
        quotes = summary_quotes(theme)
        draft.provenance = _provenance(endpoint, theme.label, quotes)
        summary = summarise_theme(theme.label, quotes, endpoint=endpoint)
        _keep(draft, summary)
    except SummaryUnavailable as error:
        _fail(draft, error.reason, error.detail, rejected=_rejected(error.rejected))
    except Exception as error:
        _fail(draft, ERROR, f"{error.__class__.__name__}: {error}")
        raise
    return {"status": draft.status, "draft": draft.pk}


def _provenance(endpoint: LLMEndpoint, label: str, quotes: list[Quote]) -> dict[str, Any]:
    """What a draft is asked from, known before asking (kept on a failed draft too)."""
    return {
        "endpoint_host": endpoint.host,
        "model": endpoint.model,
        "prompt_version": PROMPT_VERSION,
        "input_hash": input_hash(label, quotes, None),
        "quotes_sent": len(quotes),
    }


def _keep(draft: SummaryDraft, summary: ThemeSummary) -> None:
    """Save the draft after checking, against the theme as it is now, that every contribution it
    cites is a member of the theme whose words may be quoted (else it fails, saying which)."""
    sentences = [
        {"text": s.text, "contributions": [int(i) for i in s.quote_ids]} for s in summary.sentences
    ]
    cited = {c for s in sentences for c in s["contributions"]}
    if refused := not_citable(draft.theme_id, cited):
        detail = f"cites contributions that may not be quoted in this theme: {refused}"
        _fail(draft, CITATION_REFUSED, detail, rejected=_rejected(summary.rejected))
        return
    data = summary.to_json()
    draft.sentences, draft.rejected = sentences, data["rejected"]
    draft.provenance = {**draft.provenance, **data["provenance"]}
    draft.status, draft.failure, draft.error = SummaryDraft.Status.DONE, "", ""
    draft.finished_at = timezone.now()
    draft.save()


def not_citable(theme_id: int, cited: set[int]) -> list[int]:
    """Which of ``cited`` are not members of the theme whose words may be quoted."""
    members = ThemeMembership.objects.filter(theme_id=theme_id, contribution_id__in=cited)
    citable = {
        m.contribution_id
        for m in members.select_related("contribution")
        if m.contribution.withheld() is None
    }
    return sorted(cited - citable)


def _rejected(rejected: tuple[RejectedSentence, ...]) -> list[dict[str, Any]]:
    return [{"text": r.text, "reason": str(r.reason), "cited": list(r.cited)} for r in rejected]


def _fail(draft: SummaryDraft, reason: str, detail: str, *, rejected=None) -> None:
    draft.status, draft.failure = SummaryDraft.Status.FAILED, str(reason)
    draft.error = detail[:5000]
    draft.rejected = rejected or []
    draft.finished_at = timezone.now()
    draft.save()


def adopt_draft(draft: SummaryDraft, *, by, reason: str) -> Theme:
    """Make a finished draft the theme's summary, through ``services.write_summary`` (one record
    entry, with who and why). Its citations are checked again first: since the draft was made
    a cited contribution may have left the theme, been hidden or been withdrawn."""
    reason = services.clean_reason(reason)
    with transaction.atomic():
        draft = SummaryDraft.objects.select_for_update().select_related("theme").get(pk=draft.pk)
        if draft.status != SummaryDraft.Status.DONE or not draft.sentences:
            raise ValidationError(_("Only a finished draft can be used as the summary."))
        _run, theme = services.locked_theme(draft.theme)
        if not_citable(theme.pk, set(draft.cited())):
            raise ValidationError(
                _(
                    "Since this draft was written, a contribution it cites left the theme or may "
                    "no longer be quoted. Ask for a new draft."
                )
            )
        return services.write_summary(theme, text=draft.text, by=by, reason=reason, draft=draft)
