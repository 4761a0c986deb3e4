"""The policy's pages: the team's drafting pages (start, write, trace, issue, next version, set
themes aside) and the public pages of issued versions (side by side in both languages, the
canonical JSON anyone can hash, the diff between versions, the coverage, and each clause's
provenance back to people's words).

Every write goes through ``heard.policy.services``; a refusal there is shown in the form's error
summary with what was typed kept. Drafts are the team's: to everyone else a version that is not
issued does not exist (404). Quotes are never stored as words: each is read again from the
stored contribution through the report's ``quote_of``, so a page shows exactly what the person
said, or says that the words were withdrawn or may no longer be quoted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from heard.core.access import can, engagement_view
from heard.core.permissions import Action
from heard.engagements.models import Engagement
from heard.listen.models import Contribution
from heard.policy import diffing, services
from heard.policy.document import ClauseContent
from heard.policy.forms import (
    ClauseForm,
    IssueForm,
    NextVersionForm,
    QuoteChoice,
    QuoteGroup,
    RemoveForm,
    SetAsideForm,
    StartForm,
    TakeBackForm,
    TraceForm,
    quote_value,
)
from heard.policy.markdown import render as markdown
from heard.policy.models import Clause, ClauseVersion, Decision, Policy, PolicyVersion
from heard.policy.pages import tried
from heard.report.gather import quote_of
from heard.report.views import FROZEN_HEADERS
from heard.sense import queries as sense_queries
from heard.sense.models import KeyQuote, Theme, ThemeMembership, ThemeRun

KEY_QUOTES_SHOWN = 3
KIND_LABELS = dict(Clause.Kind.choices)

Ref = tuple[int, int, int]


# -- reading ------------------------------------------------------------------------------------


def _policy(engagement: Engagement) -> Policy | None:
    return Policy.objects.filter(engagement=engagement).select_related("theme_run").first()


def _policy_or_404(engagement: Engagement) -> Policy:
    policy = _policy(engagement)
    if policy is None:
        raise Http404(_("This engagement has no policy yet."))
    return policy


def _is_team(request: HttpRequest, engagement: Engagement) -> bool:
    """Whether the person drafts the policy now: they see drafts; everyone else sees only
    issued versions."""
    return can(request, Action.DRAFT_POLICY, engagement)


def _versions(policy: Policy, team: bool) -> QuerySet[PolicyVersion]:
    """The versions this person may read, oldest first, without the canonical text."""
    if not team:
        return services.issued_versions(policy)
    return policy.versions.defer("canonical").order_by("number")


def _version_or_404(policy: Policy, number: int, team: bool) -> PolicyVersion:
    return get_object_or_404(_versions(policy, team), number=number)


def _cited(refs: Iterable[Ref]) -> dict[Ref, QuoteChoice]:
    """Each reference's words, read again from the stored contribution; or, when they may no
    longer be quoted, why not (never the words)."""
    refs = list(dict.fromkeys(tuple(int(x) for x in r) for r in refs))
    stored = Contribution.objects.select_related("participant").in_bulk({r[0] for r in refs})
    found = {}
    for ref in refs:
        contribution = stored.get(ref[0])
        quote = quote_of(contribution, ref[1], ref[2]) if contribution else None
        gone = ""
        if quote is None:
            gone = (
                _("Withdrawn at the participant’s request.")
                if contribution is None or contribution.is_withdrawn
                else _("No longer quoted.")
            )
        found[ref] = QuoteChoice(quote_value(ref), ref, quote, gone)
    return found


@dataclass(frozen=True)
class ThemeRef:
    id: int
    label: str
    size: int


@dataclass
class ClauseView:
    """A clause as a page shows it: its words rendered from Markdown, its trace resolved."""

    key: str
    kind: str
    kind_label: str
    heading_en: str
    heading_mi: str
    html_en: SafeString
    html_mi: SafeString
    text_en: str
    text_mi: str
    themes: list[ThemeRef] = field(default_factory=list)
    quotes: list[QuoteChoice] = field(default_factory=list)
    not_from_engagement: str = ""

    @property
    def has_evidence(self) -> bool:
        return bool(self.themes or self.quotes)


def _theme_refs(run: ThemeRun, ids: Iterable[int]) -> dict[int, ThemeRef]:
    themes = Theme.objects.in_bulk(set(ids))
    sizes = sense_queries.live_sizes(run)
    ordered = sorted(themes.values(), key=lambda t: (t.position, t.pk))
    return {t.pk: ThemeRef(t.pk, t.label, sizes.get(t.pk, 0)) for t in ordered}


def _clause_views(policy: Policy, clauses: Sequence[ClauseContent]) -> list[ClauseView]:
    themes = _theme_refs(policy.theme_run, (t for c in clauses for t in c.themes))
    order = {pk: n for n, pk in enumerate(themes)}
    cited = _cited((q.contribution, q.start, q.length) for clause in clauses for q in clause.quotes)
    return [
        ClauseView(
            key=c.key,
            kind=c.kind,
            kind_label=str(KIND_LABELS.get(c.kind, c.kind)),
            heading_en=c.heading_en,
            heading_mi=c.heading_mi,
            html_en=markdown(c.text_en),
            html_mi=markdown(c.text_mi),
            text_en=c.text_en,
            text_mi=c.text_mi,
            themes=[themes[t] for t in sorted(set(c.themes) & set(themes), key=order.get)],
            quotes=[cited[(q.contribution, q.start, q.length)] for q in c.quotes],
            not_from_engagement=c.not_from_engagement,
        )
        for c in clauses
    ]


def _key_quotes(themes: Iterable[int], limit: int | None = None) -> dict[int, list[QuoteChoice]]:
    """The quotable key quotes of ``themes``, in the analysis's order (``limit`` per theme)."""
    found: dict[int, list[QuoteChoice]] = {}
    rows = (
        KeyQuote.objects.filter(theme_id__in=set(themes))
        .select_related("contribution", "contribution__participant")
        .order_by("theme_id", "position", "id")
    )
    for kq in rows:
        shown = found.setdefault(kq.theme_id, [])
        if limit is not None and len(shown) >= limit:
            continue
        ref = (kq.contribution_id, kq.start, kq.length)
        quote = quote_of(kq.contribution, kq.start, kq.length)
        if quote is not None and all(q.ref != ref for q in shown):
            shown.append(QuoteChoice(quote_value(ref), ref, quote))
    return found


def _diff_html(pieces: Sequence[diffing.Piece]) -> SafeString:
    """Word-level changes as HTML: <ins> and <del>, each saying so in words for screen readers
    (a colour or a strike-through alone says nothing to them)."""
    inserted, deleted = _("inserted:"), _("deleted:")

    def piece(p: diffing.Piece) -> SafeString:
        if p.op == "insert":
            return format_html(
                '<ins><span class="visually-hidden">{} </span>{}</ins>', inserted, p.text
            )
        if p.op == "delete":
            return format_html(
                '<del><span class="visually-hidden">{} </span>{}</del>', deleted, p.text
            )
        return format_html("{}", p.text)

    return mark_safe("".join(piece(p) for p in pieces))  # noqa: S308 (each piece is escaped)


def _changed(pieces: Sequence[diffing.Piece]) -> bool:
    return any(p.op != "equal" for p in pieces)


# -- public pages -------------------------------------------------------------------------------


def _render_version(
    request: HttpRequest, engagement: Engagement, policy: Policy, version: PolicyVersion
) -> HttpResponse:
    team = _is_team(request, engagement)
    versions = list(_versions(policy, team))
    issued = [v for v in versions if v.issued]
    earlier = [v for v in versions if v.number < version.number]
    content = services.content_of(version)
    return render(
        request,
        "policy/version.html",
        {
            "engagement": engagement,
            "policy": policy,
            "version": version,
            "clauses": _clause_views(policy, content.clauses),
            "versions": versions,
            "latest_issued": issued[-1] if issued else None,
            "previous": earlier[-1] if earlier else None,
            "team": team,
        },
    )


@engagement_view(Action.VIEW_ENGAGEMENT)
def latest(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """The latest issued version; a short page (404) while none is issued."""
    policy = _policy(engagement)
    version = services.latest_issued(policy) if policy else None
    if version is None:
        return render(
            request,
            "policy/none.html",
            {"engagement": engagement, "policy": policy, "team": _is_team(request, engagement)},
            status=404,
        )
    return _render_version(request, engagement, policy, version)


@engagement_view(Action.VIEW_ENGAGEMENT)
def version(request: HttpRequest, engagement: Engagement, number: int) -> HttpResponse:
    policy = _policy_or_404(engagement)
    shown = _version_or_404(policy, number, _is_team(request, engagement))
    return _render_version(request, engagement, policy, shown)


@engagement_view(Action.VIEW_ENGAGEMENT)
def canonical(request: HttpRequest, engagement: Engagement, number: int) -> HttpResponse:
    """The issued version's canonical bytes, exactly as hashed: anyone can take their SHA-256
    and compare it with the version's hash and its record entry."""
    policy = _policy_or_404(engagement)
    shown = get_object_or_404(policy.versions, number=number, status=PolicyVersion.Status.ISSUED)
    response = HttpResponse(shown.canonical.encode("utf-8"), content_type="application/json")
    for key, value in FROZEN_HEADERS.items():
        response[key] = value
    return response


@dataclass
class ChangeView:
    key: str
    kind: str
    kind_label: str
    heading_old: str = ""
    heading_new: str = ""
    heading_mi_old: str = ""
    heading_mi_new: str = ""
    words_en: str = ""  # SafeString once set
    words_mi: str = ""
    has_en: bool = False
    has_mi: bool = False
    trace_changed: bool = False
    themes_old: list[ThemeRef] = field(default_factory=list)
    themes_new: list[ThemeRef] = field(default_factory=list)
    reason_old: str = ""
    reason_new: str = ""
    quotes_old: int = 0
    quotes_new: int = 0


@engagement_view(Action.VIEW_ENGAGEMENT)
def diff(request: HttpRequest, engagement: Engagement, a: int, b: int) -> HttpResponse:
    """What changed from version ``a`` to version ``b``: clause by clause (matched by key), and
    word by word in each language; unchanged clauses are only named."""
    policy = _policy_or_404(engagement)
    team = _is_team(request, engagement)
    old, new = _version_or_404(policy, a, team), _version_or_404(policy, b, team)
    changes = diffing.compare(services.content_of(old).clauses, services.content_of(new).clauses)
    themes = _theme_refs(
        policy.theme_run,
        (t for c in changes for side in (c.old, c.new) if side for t in side.themes),
    )
    labels = {
        "added": _("Added"),
        "removed": _("Removed"),
        "changed": _("Changed"),
        "moved": _("Moved"),
    }

    def theme_list(clause: ClauseContent | None) -> list[ThemeRef]:
        return [themes[t] for t in themes if clause and t in clause.themes]

    shown = []
    for change in changes:
        if not change.changed:
            continue
        before, after = change.old, change.new
        shown.append(
            ChangeView(
                key=change.key,
                kind=change.kind,
                kind_label=labels[change.kind],
                heading_old=before.heading_en if before else "",
                heading_new=after.heading_en if after else "",
                heading_mi_old=before.heading_mi if before else "",
                heading_mi_new=after.heading_mi if after else "",
                words_en=_diff_html(change.words_en),
                words_mi=_diff_html(change.words_mi),
                has_en=bool(change.words_en),
                has_mi=bool(change.words_mi),
                trace_changed=change.trace_changed,
                themes_old=theme_list(before),
                themes_new=theme_list(after),
                reason_old=before.not_from_engagement if before else "",
                reason_new=after.not_from_engagement if after else "",
                quotes_old=len(before.quotes) if before else 0,
                quotes_new=len(after.quotes) if after else 0,
            )
        )
    return render(
        request,
        "policy/diff.html",
        {
            "engagement": engagement,
            "policy": policy,
            "old": old,
            "new": new,
            "changes": shown,
            "unchanged": [c.key for c in changes if not c.changed],
            "versions": list(_versions(policy, team)),
        },
    )


@dataclass
class ClauseInVersion:
    version: PolicyVersion
    clause: ClauseView | None  # None: the clause is not in this version
    previous: int | None = None  # the version the diff is from
    words_en: str = ""  # SafeString once set
    words_mi: str = ""
    changed_en: bool = False
    changed_mi: bool = False


@engagement_view(Action.VIEW_ENGAGEMENT)
def clause(request: HttpRequest, engagement: Engagement, key: str) -> HttpResponse:
    """A clause's provenance: the words it answers (those it cites, then its themes' key
    quotes) → its themes → its text in each version, with what changed from the one before."""
    policy = _policy_or_404(engagement)
    team = _is_team(request, engagement)
    identity = get_object_or_404(Clause, policy=policy, key=key)
    versions = list(_versions(policy, team))
    rows = (
        ClauseVersion.objects.filter(clause=identity, version__in=versions)
        .select_related("clause")
        .prefetch_related("themes", "quotes")
    )
    number_of = {v.pk: v.number for v in versions}
    content = {number_of[row.version_id]: services.clause_content(row) for row in rows}
    if not content:
        raise Http404(_("This clause is in no version you may read."))
    first = min(content)
    # Every version's words at once: one read of the themes' sizes and the cited words.
    views = dict(zip(content, _clause_views(policy, list(content.values())), strict=True))
    view = views[max(content)]
    cited_refs = {q.ref for q in view.quotes}
    key_quotes = _key_quotes(t.id for t in view.themes)
    theme_quotes = [
        (theme, q)
        for theme in view.themes
        for q in key_quotes.get(theme.id, [])
        if q.ref not in cited_refs
    ]
    history: list[ClauseInVersion] = []
    before: ClauseContent | None = None
    before_number: int | None = None
    for shown in versions:
        if shown.number < first:
            continue
        here = content.get(shown.number)
        entry = ClauseInVersion(shown, views.get(shown.number))
        if here is not None and before is not None:
            en = diffing.words(before.text_en, here.text_en)
            mi = diffing.words(before.text_mi, here.text_mi)
            entry.previous = before_number
            entry.words_en, entry.words_mi = _diff_html(en), _diff_html(mi)
            entry.changed_en, entry.changed_mi = _changed(en), _changed(mi)
        if here is not None:
            before, before_number = here, shown.number
        history.append(entry)
    # The endorsement section lists the group's decisions with their versions' numbers.
    prefetch_related_objects(
        [engagement],
        Prefetch(
            "working_group__decisions",
            queryset=Decision.objects.select_related("version").defer("version__canonical"),
        ),
    )
    return render(
        request,
        "policy/clause.html",
        {
            "engagement": engagement,
            "policy": policy,
            "key": identity.key,
            "clause": view,
            "theme_quotes": theme_quotes,
            "history": history,
            "latest_number": max(content),
            "team": team,
        },
    )


# -- coverage -----------------------------------------------------------------------------------


@dataclass
class ThemeRow:
    theme: ThemeRef
    quotes: list[QuoteChoice] = field(default_factory=list)
    form: SetAsideForm | TakeBackForm | None = None
    reason: str = ""
    keys: list[str] = field(default_factory=list)


def _aside_form(theme_id: int, data=None) -> SetAsideForm:
    return SetAsideForm(data, auto_id=f"id_aside{theme_id}_%s", initial={"theme": theme_id})


def _render_coverage(
    request: HttpRequest,
    engagement: Engagement,
    bound: SetAsideForm | None = None,
    status: int = 200,
) -> HttpResponse:
    policy = _policy_or_404(engagement)
    team = _is_team(request, engagement)
    version = services.latest_version(policy) if team else services.latest_issued(policy)
    if version is None:
        raise Http404(_("No version of the policy is issued yet."))
    standing = services.themes_of(policy)
    found = services.coverage_of(version, themes=standing)
    sizes = sense_queries.live_sizes(policy.theme_run)
    refs = {t.pk: ThemeRef(t.pk, t.label, sizes.get(t.pk, 0)) for t in standing}
    quotes = _key_quotes(found.unanswered, KEY_QUOTES_SHOWN)
    bound_theme = bound.data.get("theme") if bound is not None else None
    unanswered = []
    for pk in found.unanswered:
        form = None
        if team:
            form = bound if bound_theme == str(pk) else _aside_form(pk)
        unanswered.append(ThemeRow(refs[pk], quotes.get(pk, []), form))
    shown = {str(pk) for pk in found.unanswered}
    return render(
        request,
        "policy/coverage.html",
        {
            "engagement": engagement,
            "policy": policy,
            "version": version,
            "team": team,
            "unanswered": unanswered,
            "without_evidence": found.without_evidence,
            "set_aside": [
                ThemeRow(
                    refs[pk],
                    reason=reason,
                    form=TakeBackForm(auto_id=f"id_back{pk}_%s", initial={"theme": pk})
                    if team
                    else None,
                )
                for pk, reason in found.set_aside.items()
                if pk in refs
            ],
            "not_from_engagement": list(found.not_from_engagement.items()),
            "answered": [
                ThemeRow(refs[pk], keys=keys) for pk, keys in found.answered.items() if pk in refs
            ],
            "complete": found.complete,
            # A refused set-aside of a theme no longer listed as unanswered (set aside or
            # answered meanwhile): its errors still show, at the top.
            "stray": bound if bound is not None and bound_theme not in shown else None,
        },
        status=status,
    )


@engagement_view(Action.VIEW_ENGAGEMENT)
def coverage(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """Which themes the policy answers, sets aside (with the public reason) or leaves
    unanswered, and which clauses stand on nothing. The team reads its latest version, everyone
    else the latest issued one."""
    return _render_coverage(request, engagement)


def _theme_id(request: HttpRequest) -> int:
    try:
        return int(request.POST.get("theme", ""))
    except ValueError:
        raise Http404(_("Unknown theme.")) from None


@require_POST
@engagement_view(Action.DRAFT_POLICY)
def set_aside(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    policy = _policy_or_404(engagement)
    theme_id = _theme_id(request)
    form = _aside_form(theme_id, request.POST)
    if form.is_valid():
        try:
            services.set_aside(
                policy, theme_id, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Set aside. The reason is public on this page."))
            return redirect("policy_coverage", slug=engagement.slug)
    return _render_coverage(request, engagement, bound=form, status=400)


@require_POST
@engagement_view(Action.DRAFT_POLICY)
def take_back(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    policy = _policy_or_404(engagement)
    try:
        services.take_back(policy, _theme_id(request), by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Taken back: the theme counts as unanswered again."))
    return redirect("policy_coverage", slug=engagement.slug)


# -- the team's pages ---------------------------------------------------------------------------


def _moved_on(form, version: PolicyVersion) -> bool:
    """Refuse a form made for another version than the latest (someone issued or made a version
    since the page was loaded): acting on the newer one unseen would be a surprise."""
    if form.cleaned_data["version"] == version.number:
        return False
    form.add_error(
        None,
        _(
            "The policy is at version %(n)s now, not the version this page showed: read it "
            "again and redo this if it is still needed."
        )
        % {"n": version.number},
    )
    return True


def _render_team(
    request: HttpRequest, engagement: Engagement, policy: Policy | None, status: int = 200, **forms
) -> HttpResponse:
    context = {"engagement": engagement, "policy": policy}
    if policy is None:
        context["has_run"] = sense_queries.latest_done_run(engagement) is not None
        context["start_form"] = forms.get("start_form") or StartForm()
        return render(request, "policy/team.html", context, status=status)
    version = services.latest_version(policy)
    n = {"version": version.number}
    content = services.content_of(version)
    found = services.coverage_of(version, content=content)
    context.update(
        {
            "version": version,
            "clauses": _clause_views(policy, content.clauses),
            "versions": list(_versions(policy, True)),
            "add_form": forms.get("add_form") or ClauseForm(with_key=True, prefix="add", initial=n),
            "issue_form": forms.get("issue_form") or IssueForm(prefix="issue", initial=n),
            "next_form": forms.get("next_form") or NextVersionForm(prefix="next", initial=n),
            "unanswered": len(found.unanswered),
            "without_evidence": len(found.without_evidence),
        }
    )
    return render(request, "policy/team.html", context, status=status)


@engagement_view(Action.DRAFT_POLICY)
def team(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """The team's page: start the policy, or its latest version with its clauses, a form to add
    one, and issuing it or making the next version (``do`` says which form was sent)."""
    policy = _policy(engagement)
    if request.method != "POST":
        return _render_team(request, engagement, policy)
    do = request.POST.get("do")
    slug = engagement.slug
    if policy is None:
        if do != "start":
            return HttpResponseBadRequest(_("Start the policy first."))
        form = StartForm(request.POST)
        if form.is_valid() and tried(
            form,
            lambda: services.start_policy(
                engagement,
                by=request.user,
                title=form.cleaned_data["title"],
                title_mi=form.cleaned_data["title_mi"],
            ),
        ):
            messages.success(request, _("The policy is started: version 1 is a draft."))
            return redirect("policy_team", slug=slug)
        return _render_team(request, engagement, None, status=400, start_form=form)
    version = services.latest_version(policy)
    if do == "add":
        form = ClauseForm(request.POST, with_key=True, prefix="add")
        if form.is_valid() and not _moved_on(form, version):
            key = form.cleaned_data["key"].strip()
            if version.clause_versions.filter(clause__key=key).exists():
                form.add_error(
                    "key",
                    _("Clause %(key)s is already in this version: edit it instead.") % {"key": key},
                )
            elif tried(form, lambda: services.write_clause(version, key, **_words(form))):
                messages.success(
                    request,
                    _("Clause %(key)s is added. Now say what it answers.") % {"key": key},
                )
                return redirect("policy_clause_edit", slug=slug, key=key)
        return _render_team(request, engagement, policy, status=400, add_form=form)
    if do == "issue":
        form = IssueForm(request.POST, prefix="issue")
        if (
            form.is_valid()
            and not _moved_on(form, version)
            and tried(
                form,
                lambda: services.issue(version, by=request.user, note=form.cleaned_data["note"]),
            )
        ):
            messages.success(
                request,
                _("Version %(n)s is issued: it is public, and its hash is in the record.")
                % {"n": version.number},
            )
            return redirect("policy_team", slug=slug)
        return _render_team(request, engagement, policy, status=400, issue_form=form)
    if do == "next":
        form = NextVersionForm(request.POST, prefix="next")
        made = None
        if form.is_valid() and not _moved_on(form, version):
            made = tried(form, lambda: services.next_version(policy, by=request.user))
        if made is not None:
            messages.success(
                request,
                _("Version %(n)s is a draft, made from version %(m)s: amend it here.")
                % {"n": made.number, "m": version.number},
            )
            return redirect("policy_team", slug=slug)
        return _render_team(request, engagement, policy, status=400, next_form=form)
    return HttpResponseBadRequest(_("Unknown action."))


def _words(form: ClauseForm) -> dict[str, str]:
    data = form.cleaned_data
    return {name: data[name] for name in ("kind", "heading_en", "heading_mi", "text_en", "text_mi")}


def _quote_groups(policy: Policy, clause_version: ClauseVersion, standing) -> list[QuoteGroup]:
    """The words a clause may cite, grouped by theme: each theme's quotable key quotes, and the
    words the clause already cites (even those no longer quotable, so the team sees them and
    can let them go)."""
    standing_ids = {t.pk for t in standing}
    key_quotes = _key_quotes(standing_ids)
    offered = {q.ref for quotes in key_quotes.values() for q in quotes}
    held = [(q.contribution_id, q.start, q.length) for q in clause_version.quotes.all()]
    extra = [ref for ref in held if ref not in offered]
    other: list[QuoteChoice] = []
    if extra:
        cited = _cited(extra)
        member_of = dict(
            ThemeMembership.objects.filter(
                run=policy.theme_run, contribution_id__in=[r[0] for r in extra]
            ).values_list("contribution_id", "theme_id")
        )
        for ref in extra:
            theme = member_of.get(ref[0])
            if theme in standing_ids:
                key_quotes.setdefault(theme, []).append(cited[ref])
            else:
                other.append(cited[ref])
    groups = [
        QuoteGroup(
            _("Words from the theme “%(label)s”") % {"label": t.label},
            tuple(key_quotes[t.pk]),
        )
        for t in standing
        if key_quotes.get(t.pk)
    ]
    if other:
        groups.append(QuoteGroup(_("Other words the clause cites"), tuple(other)))
    return groups


@engagement_view(Action.DRAFT_POLICY)
def clause_edit(request: HttpRequest, engagement: Engagement, key: str) -> HttpResponse:
    """One clause of the latest version: its words, what it answers, or its removal (``do``).
    On an issued version it is read only: the next version is where it changes."""
    policy = _policy_or_404(engagement)
    version = services.latest_version(policy)
    row = get_object_or_404(
        ClauseVersion.objects.select_related("clause").prefetch_related("themes", "quotes"),
        version=version,
        clause__key=key,
    )
    standing = services.themes_of(policy)
    sizes = sense_queries.live_sizes(policy.theme_run)
    n = {"version": version.number}
    words_form = ClauseForm(
        prefix="words",
        initial={
            **n,
            "kind": row.kind,
            "heading_en": row.heading_en,
            "heading_mi": row.heading_mi,
            "text_en": row.text_en,
            "text_mi": row.text_mi,
        },
    )
    theme_choices = [
        (
            t.pk,
            ngettext(
                "%(label)s (%(n)s contribution)",
                "%(label)s (%(n)s contributions)",
                sizes.get(t.pk, 0),
            )
            % {"label": t.label, "n": sizes.get(t.pk, 0)},
        )
        for t in standing
    ]
    groups = _quote_groups(policy, row, standing)
    trace_initial = {
        **n,
        "themes": [str(t.pk) for t in row.themes.all()],
        "quotes": [quote_value((q.contribution_id, q.start, q.length)) for q in row.quotes.all()],
        "not_from_engagement": row.not_from_engagement,
    }
    trace_form = TraceForm(
        prefix="trace", themes=theme_choices, groups=groups, initial=trace_initial
    )
    remove_form = RemoveForm(prefix="remove", initial=n)
    status = 200
    if request.method == "POST":
        status = 400
        do = request.POST.get("do")
        if do == "write":
            words_form = ClauseForm(request.POST, prefix="words")
            if (
                words_form.is_valid()
                and not _moved_on(words_form, version)
                and tried(
                    words_form,
                    lambda: services.write_clause(version, key, **_words(words_form)),
                )
            ):
                messages.success(request, _("Saved the words of clause %(key)s.") % {"key": key})
                return redirect("policy_clause_edit", slug=engagement.slug, key=key)
        elif do == "trace":
            trace_form = TraceForm(
                request.POST, prefix="trace", themes=theme_choices, groups=groups
            )
            if (
                trace_form.is_valid()
                and not _moved_on(trace_form, version)
                and tried(
                    trace_form,
                    lambda: services.trace_clause(
                        row,
                        themes=[int(t) for t in trace_form.cleaned_data["themes"]],
                        quotes=trace_form.refs(),
                        not_from_engagement=trace_form.cleaned_data["not_from_engagement"],
                    ),
                )
            ):
                messages.success(request, _("Saved what clause %(key)s answers.") % {"key": key})
                return redirect(reverse("policy_team", args=[engagement.slug]) + f"#clause-{key}")
        elif do == "remove":
            remove_form = RemoveForm(request.POST, prefix="remove")
            if (
                remove_form.is_valid()
                and not _moved_on(remove_form, version)
                # The removal returns nothing: it is done unless refused.
                and tried(remove_form, lambda: services.remove_clause(version, key) or True)
            ):
                messages.success(
                    request,
                    _("Clause %(key)s is out of version %(n)s.")
                    % {"key": key, "n": version.number},
                )
                return redirect("policy_team", slug=engagement.slug)
        else:
            return HttpResponseBadRequest(_("Unknown action."))
    standing_ids = {t.pk for t in standing}
    return render(
        request,
        "policy/clause_edit.html",
        {
            "engagement": engagement,
            "policy": policy,
            "version": version,
            "key": key,
            "clause": _clause_views(policy, [services.clause_content(row)])[0],
            "words_form": words_form,
            "trace_form": trace_form,
            "remove_form": remove_form,
            "next_form": NextVersionForm(prefix="next", initial=n),
            "ticked": trace_form.ticked_quotes(),
            "lost_themes": [t for t in row.themes.all() if t.pk not in standing_ids],
        },
        status=status,
    )
