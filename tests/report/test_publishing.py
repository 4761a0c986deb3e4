"""Publishing the findings: frozen versions whose hashes are in the record, corrections with a
change note, the team's own words (never a quote) and theme order, and who may do what."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from heard.core.permissions import Phase, Role
from heard.listen import services as listen
from heard.listen.models import Contribution
from heard.record import events, keys, notes
from heard.record import services as record
from heard.record.models import LogEntry
from heard.report import gather, rendering, services
from heard.report.models import ImmutableError, ReportVersion
from heard.sense import queries as sense_queries
from heard.sense import services as sense
from tests import factories
from tests.report.test_report import _conversation, quotes_in
from tests.sense.conftest import hand_built, make_world
from tests.worker import run_worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """The first slice's engagement (every kind of consent, a hidden and a withdrawn
    contribution, themes and an opinion map), in its report phase."""
    world = make_world(Phase.REPORT)
    run = sense.start_run(world.engagement, by=world.team, enqueue=False)
    sense.run_analysis(run.pk, engine=hand_built())
    _conversation(world)
    return world


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _published_entries(engagement) -> list[dict]:
    leaves = LogEntry.objects.filter(kind="report.published").order_by("index")
    found = [events.decode(bytes(e.leaf)) | {"index": e.index} for e in leaves]
    return [e for e in found if e["engagement"] == engagement.slug]


def test_publish_twice_freezes_each_version_and_records_its_hashes(world):
    engagement = world.engagement
    first = services.publish(engagement, by=world.team)
    assert first.number == 1 and first.change_note == ""

    with pytest.raises(ValidationError, match="Say what changed since version 1"):
        services.publish(engagement, by=world.team, change_note="  ")
    assert ReportVersion.objects.filter(engagement=engagement).count() == 1

    # The data changes after v1: a quoted contribution is hidden and the introduction written.
    attrs, words = next((a, t) for a, t in quotes_in(first.html) if "data-contribution" in a)
    quoted = Contribution.objects.get(pk=int(attrs["data-contribution"]))
    listen.hide_contribution(quoted, reason="Names a private person.", by=world.team)
    services.save_draft(engagement, by=world.team, introduction="Kia ora koutou.")
    second = services.publish(
        engagement, by=world.team, change_note="Removed a quote that named someone."
    )
    assert second.number == 2

    frozen = ReportVersion.objects.get(pk=first.pk)
    assert frozen.html == first.html and bytes(frozen.pdf) == bytes(first.pdf)
    assert words in frozen.html  # v1 stays as published
    assert words not in second.html and "Kia ora koutou." in second.html
    assert "Removed a quote that named someone." in second.html  # the note is printed
    assert bytes(frozen.pdf).startswith(b"%PDF") and frozen.pages > 1

    entries = _published_entries(engagement)
    assert [e["version"] for e in entries] == [1, 2]
    for entry, version in zip(entries, [frozen, second], strict=True):
        assert entry["html_sha256"] == _sha(version.html.encode("utf-8")) == version.html_sha256
        assert entry["pdf_sha256"] == _sha(bytes(version.pdf)) == version.pdf_sha256
        assert entry["index"] == version.log_index
        assert entry["by"].startswith("s-")  # a staff pseudonym, never a name
        assert world.team.username not in str(entry)
    assert entries[0]["change_note"] is False and "change_note_sha256" not in entries[0]
    assert entries[1]["change_note"] is True
    assert "Removed a quote" not in str(entries[1])  # a digest, not the words

    # The printed checkpoint verifies, and the next checkpoint covers the publication entry.
    verifier = notes.Verifier.from_vkey(keys.vkey())
    checkpoint, _names = notes.open_checkpoint(second.checkpoint_text, [verifier])
    assert checkpoint.size <= second.log_index
    assert second.checkpoint_text in second.html
    assert record.issue_checkpoint().size > second.log_index

    with pytest.raises(ImmutableError):
        frozen.save()
    with pytest.raises(ImmutableError):
        frozen.delete()


def test_every_quote_in_the_published_page_is_the_stored_words(world):
    version = services.publish(world.engagement, by=world.team)
    quoted = [(a, t) for a, t in quotes_in(version.html) if "data-contribution" in a]
    assert quoted
    stored = Contribution.objects.in_bulk([int(a["data-contribution"]) for a, _t in quoted])
    for attrs, text in quoted:
        contribution = stored[int(attrs["data-contribution"])]
        assert contribution.withheld() is None
        assert text and text in contribution.text
    assert world.hidden.text not in version.html
    assert world.not_for_quoting.text not in version.html


def test_the_team_writes_its_own_words_and_orders_themes_but_cannot_touch_a_quote(world):
    engagement = world.engagement
    run = sense_queries.latest_done_run(engagement)
    themes = list(sense_queries.active_themes(run))
    before = quotes_in(rendering.render_html(gather.gather(engagement)))
    chosen = [themes[-1].pk]  # only the last one listed: it goes first, the rest keep order
    services.save_draft(
        engagement,
        by=world.team,
        introduction="Tēnā koutou.\n\n<script>alert(1)</script>",
        next_steps="The draft policy follows in March.",
        left_out="Two submissions named people; we left them out.",
        theme_order=chosen,
    )
    report = gather.gather(engagement)
    assert [t.label for t in report.themes.themes] == [themes[-1].label] + [
        t.label for t in themes[:-1]
    ]
    html = rendering.render_html(report)
    assert "<p>Tēnā koutou.</p>" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "The draft policy follows in March." in html and 'id="left-out"' in html
    # Same quotes, same words: only their order moved with the themes.
    assert sorted(map(repr, quotes_in(html))) == sorted(map(repr, before))

    with pytest.raises(ValidationError):
        services.save_draft(engagement, by=world.team, theme_order=[10**9])


def _team_client(world) -> Client:
    client = Client()
    client.force_login(world.team)
    return client


# The worker closes the database connection after its tasks, as in production.
@pytest.mark.django_db(transaction=True)
def test_pages_publish_refuse_and_serve_the_frozen_versions(world):
    slug = world.engagement.slug
    public = Client()
    assert public.get(reverse("report", args=[slug])).status_code == 404  # none yet

    team = _team_client(world)
    page = team.get(reverse("report_team", args=[slug]))
    assert page.status_code == 200 and b"Theme order" in page.content
    preview = team.get(reverse("report_preview", args=[slug]))
    assert preview.status_code == 200 and b"data-contribution" in preview.content
    assert not ReportVersion.objects.exists()  # the preview saves nothing

    response = team.post(reverse("report_publish", args=[slug]), {"change_note": ""})
    assert response.status_code == 302  # queued for the worker
    run_worker()
    refused = team.post(reverse("report_publish", args=[slug]), {"change_note": ""})
    assert refused.status_code == 400 and "Say what changed" in refused.content.decode()
    response = team.post(reverse("report_publish", args=[slug]), {"change_note": "Fixed a count."})
    assert response["Location"] == reverse("report_team", args=[slug])
    run_worker()
    status = team.get(reverse("report_team", args=[slug]) + "?format=json").json()
    assert status["version_url"] == reverse("report_version", args=[slug, 2])
    v1, v2 = ReportVersion.objects.filter(engagement=world.engagement).order_by("number")

    latest = public.get(reverse("report", args=[slug]))
    assert latest.status_code == 200 and latest.content == v2.html.encode("utf-8")
    old = public.get(reverse("report_version_html", args=[slug, 1]))
    assert _sha(old.content) == v1.html_sha256
    pdf = public.get(reverse("report_version_pdf", args=[slug, 1]))
    assert pdf["Content-Type"] == "application/pdf" and _sha(pdf.content) == v1.pdf_sha256
    about = public.get(reverse("report_version", args=[slug, 2])).content.decode()
    assert "Fixed a count." in about and v2.html_sha256 in about
    assert reverse("report_version", args=[slug, 1]) in about  # older versions are linked

    outsider = Client()
    outsider.force_login(factories.make_member(world.engagement, Role.WORKING_GROUP))
    denied = outsider.post(reverse("report_publish", args=[slug]), {"change_note": "Mine."})
    assert denied.status_code == 403
    assert outsider.get(reverse("report_team", args=[slug])).status_code == 403
    assert ReportVersion.objects.filter(engagement=world.engagement).count() == 2


def test_a_withdrawal_after_publishing_takes_the_words_out_of_every_version(world, client):
    engagement = world.engagement
    first = services.publish(engagement, by=world.team)
    attrs, words = next((a, t) for a, t in quotes_in(first.html) if "data-contribution" in a)
    quoted = Contribution.objects.get(pk=int(attrs["data-contribution"]))

    listen.withdraw_contribution(quoted, via="team")

    version = ReportVersion.objects.get(pk=first.pk)
    assert words not in version.html
    assert services.WITHDRAWN_NOTE.replace("'", "&#x27;") in version.html
    assert bytes(version.pdf) == b"" and version.redacted == [quoted.pk]
    assert version.html_sha256 == first.html_sha256  # what was published stays in the record
    leaves = LogEntry.objects.filter(kind="report.redacted")
    (entry,) = [events.decode(bytes(e.leaf)) for e in leaves]
    assert entry["contribution"] == quoted.pk and entry["version"] == 1
    assert entry["html_sha256"] == _sha(version.html.encode("utf-8"))
    pdf = client.get(reverse("report_version_pdf", args=[engagement.slug, 1]))
    assert pdf.status_code == 410
