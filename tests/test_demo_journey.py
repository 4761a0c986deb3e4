"""``heard demo`` carries the demo along the journey, checked in one run (the demo's theme
analysis is the slow part): it publishes the findings, where every quote in the published page
is exactly a stored contribution's words (all of them are checked), the printed checkpoint
verifies and the record still extends it, the record holds the page's and the PDF's hashes,
and a correction makes version 2 with its note; and it drafts a policy whose clauses trace to
its themes, with version 1 issued and its hash in the record."""

from __future__ import annotations

import hashlib
import html as html_lib
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from heard.core import demo_loader
from heard.engagements.models import Engagement
from heard.listen.models import Contribution
from heard.listen.vocab import QuoteConsent
from heard.policy import checkback, document
from heard.policy import services as policy_services
from heard.policy.models import Policy
from heard.record import events, merkle, notes
from heard.record import services as record
from heard.record.models import LogEntry
from heard.report import services
from heard.report.models import ReportVersion
from tests.report.test_report import quotes_in

pytestmark = pytest.mark.django_db


def _printed(html: str) -> tuple[str, str]:
    """The checkpoint and the verifier key as printed in the page."""
    checkpoint, vkey = re.findall(r'<pre class="signed-note">(.*?)</pre>', html, re.S)[:2]
    return html_lib.unescape(checkpoint), html_lib.unescape(vkey).strip()


def test_the_demo_publishes_findings_and_issues_a_traced_policy():
    call_command("demo")
    call_command("demo")  # a second run publishes nothing more
    engagement = Engagement.objects.get(slug=demo_loader.DEMO_SLUG)
    (version,) = ReportVersion.objects.filter(engagement=engagement)
    assert version.interim and version.pages > 5 and bytes(version.pdf).startswith(b"%PDF-")

    # Every quote, byte for byte.
    found = [
        (attrs["data-contribution"], words)
        for attrs, words in quotes_in(version.html)
        if "data-contribution" in attrs
    ]
    assert len(found) >= 20
    stored = Contribution.objects.in_bulk([int(cid) for cid, _words in found])
    for cid, words in found:
        contribution = stored[int(cid)]
        assert words and words in contribution.text, f"contribution {cid} is not quoted exactly"
        assert contribution.withdrawn_at is None and not contribution.is_hidden
        assert contribution.quote_consent != QuoteConsent.NONE

    # The printed checkpoint verifies with the printed key, and today's record extends it.
    checkpoint_text, vkey = _printed(version.html)
    verifier = notes.Verifier.from_vkey(vkey)
    printed, _names = notes.open_checkpoint(checkpoint_text, [verifier])
    now = record.issue_checkpoint()
    latest, _names = notes.open_checkpoint(now.note, [verifier])
    merkle.verify_consistency(
        printed.size,
        latest.size,
        printed.root,
        latest.root,
        record.consistency(printed.size, latest.size),
    )
    # The record commits to exactly what is served.
    entry = LogEntry.objects.get(index=version.log_index)
    published = events.decode(bytes(entry.leaf))
    assert published["html_sha256"] == hashlib.sha256(version.html.encode()).hexdigest()
    assert published["pdf_sha256"] == hashlib.sha256(bytes(version.pdf)).hexdigest()
    assert published["interim"] is True and printed.size <= version.log_index

    # The population comparison flags groups, in the text; the headings are bilingual.
    assert "Groups we heard less than their share of the population" in version.html
    assert 'lang="mi">I pēhea tā mātou whakarongo</span>' in version.html

    # A correction is version 2, with its note, and version 1 stays readable.
    team = Client()
    username = next(u for u, what in demo_loader.demo_logins() if "team" in u)
    assert team.login(username=username, password=demo_loader.DEMO_PASSWORD)
    second = services.publish(engagement, by=None, change_note="Corrected a theme's name.")
    assert second.number == 2 and "Corrected a theme&#x27;s name." in second.html
    first = team.get(reverse("report_version_html", args=["demo", 1]))
    assert first.content == version.html.encode("utf-8")

    # The policy: about twenty clauses, each traced to themes or saying why not (but one, which
    # the coverage view shows), version 1 issued with its hash in the record.
    policy = Policy.objects.get(engagement=engagement)
    issued = policy_services.latest_issued(policy)
    content = policy_services.content_of(issued)
    assert len(content.clauses) >= 18 and issued.number == 1
    assert document.content_hash(content) == issued.content_hash
    entry = events.decode(bytes(LogEntry.objects.get(index=issued.log_index).leaf))
    assert entry["type"] == "policy.version_issued" and entry["hash"] == issued.content_hash
    # The engine finds the themes, so how many clauses match them may vary a little by machine.
    traced = [c for c in content.clauses if c.themes]
    assert len(traced) >= 12
    principles = [c for c in content.clauses if c.kind == "principle"]
    assert len(principles) == 5 and sum(bool(c.quotes) for c in principles) >= 3
    for clause in principles:
        for ref in clause.quotes:
            words = Contribution.objects.get(pk=ref.contribution).text
            assert words[ref.start : ref.start + ref.length]
    found = policy_services.coverage_of(issued)
    assert "A1" in found.without_evidence and found.not_from_engagement.keys() == {"L1"}

    # The working group endorsed version 1 with changes, bound to its hash; one member dissents.
    (decision,) = issued.decisions.all()
    assert decision.version_hash == issued.content_hash
    entry = events.decode(bytes(LogEntry.objects.get(index=decision.log_index).leaf))
    assert entry["version_hash"] == issued.content_hash and entry["n_oppose"] == 1
    assert decision.positions.count() == 5
    assert decision.positions.get(member__name="Rāwiri Ngata").member.user.username == "rawiri.wg"

    # The check-back round on version 1: answers online and by hands, closed before the decision.
    feedback_round = issued.feedback_round
    assert not feedback_round.open and feedback_round.closed_at <= decision.recorded_at
    assert feedback_round.feedback.filter(current=True).count() >= 200
    assert feedback_round.tallies.count() == 4
    found = checkback.summary(feedback_round)
    assert found[0].wrong_share >= found[-1].wrong_share and found[0].wrong_share > 0
    assert any(item.comments for item in found)
