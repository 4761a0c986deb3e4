"""The policy's services: clauses written and traced in a draft, a version issued with its hash
in the record and never edited again, the next version made from it, themes set aside with a
public reason, and coverage read from the database."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core.exceptions import ValidationError

from heard.core.permissions import Phase
from heard.listen import services as listen
from heard.policy import document, services
from heard.policy.models import ClauseVersion, PolicyVersion
from heard.record import events
from heard.record.models import LogEntry
from heard.sense import services as sense
from heard.sense.models import KeyQuote
from tests.sense.conftest import hand_built, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    world = make_world(Phase.DRAFT)
    run = sense.start_run(world.engagement, by=world.team, enqueue=False)
    sense.run_analysis(run.pk, engine=hand_built())
    return world


def _themes(policy):
    return {t.label: t for t in services.themes_of(policy)}


def _entry(index: int) -> dict:
    return events.decode(bytes(LogEntry.objects.get(index=index).leaf))


def test_a_policy_needs_a_finished_analysis_and_a_title():
    bare = make_world(Phase.DRAFT)
    with pytest.raises(ValidationError, match="theme analysis first"):
        services.start_policy(bare.engagement, by=bare.team, title="Data policy")


def test_write_trace_issue_and_the_record_holds_the_hash(world):
    policy = services.start_policy(world.engagement, by=world.team, title="Data policy")
    with pytest.raises(ValidationError, match="already has a policy"):
        services.start_policy(world.engagement, by=world.team, title="Again")
    draft = services.latest_version(policy)
    themes = _themes(policy)
    quote = KeyQuote.objects.filter(theme=themes["data"]).first()
    p1 = services.write_clause(
        draft, "P1", kind="principle", text_en="Ask people first.", text_mi="Me pātai tuatahi."
    )
    services.trace_clause(
        p1, themes=[themes["data"].pk], quotes=[(quote.contribution_id, quote.start, quote.length)]
    )
    g1 = services.write_clause(draft, "G1", kind="guideline", text_en="Buses on time.")
    services.trace_clause(g1, themes=[themes["bus"].pk])
    l1 = services.write_clause(draft, "L1", text_en="Follow the Privacy Act 2020.")
    services.trace_clause(l1, not_from_engagement="The law requires it of every agency.")

    issued = services.issue(draft, by=world.team, note="For check-back.")
    assert issued.issued and issued.content_hash.startswith("sha256:")
    body = json.loads(issued.canonical)
    assert [c["key"] for c in body["clauses"]] == ["P1", "G1", "L1"]
    assert body["clauses"][0]["text_mi"] == "Me pātai tuatahi."
    assert "text_mi" not in body["clauses"][1]  # missing, not machine-filled
    recomputed = "sha256:" + hashlib.sha256(issued.canonical.encode("utf-8")).hexdigest()
    assert recomputed == issued.content_hash
    assert issued.content_hash == document.content_hash(services.content_of(issued))
    entry = _entry(issued.log_index)
    assert entry["type"] == "policy.version_issued" and entry["hash"] == issued.content_hash
    assert entry["clauses"] == 3 and "For check-back." not in json.dumps(entry)

    # Issued means frozen.
    for attempt in (
        lambda: services.write_clause(issued, "P1", text_en="Changed."),
        lambda: services.remove_clause(issued, "P1"),
        lambda: services.trace_clause(p1, themes=[]),
        lambda: services.issue(issued, by=world.team),
    ):
        with pytest.raises(ValidationError, match="issued and never changes"):
            attempt()

    # The next version starts as a copy, keeps the clauses' identity, and hashes differently.
    second = services.next_version(policy, by=world.team)
    assert second.number == 2 and second.based_on == issued
    assert [cv.clause_id for cv in second.clause_versions.order_by("position")] == [
        cv.clause_id for cv in issued.clause_versions.order_by("position")
    ]
    copy = second.clause_versions.get(clause__key="P1")
    assert list(copy.themes.all()) == [themes["data"]] and copy.quotes.count() == 1
    with pytest.raises(ValidationError, match="still a draft"):
        services.next_version(policy, by=world.team)
    services.write_clause(second, "P1", kind="principle", text_en="Always ask people first.")
    services.remove_clause(second, "L1")
    assert services.issue(second, by=world.team).content_hash != issued.content_hash


def test_traces_refuse_what_may_not_be_cited(world):
    policy = services.start_policy(world.engagement, by=world.team, title="Data policy")
    clause = services.write_clause(services.latest_version(policy), "C1", text_en="Be fair.")
    themes = _themes(policy)
    with pytest.raises(ValidationError, match="not both"):
        services.trace_clause(clause, themes=[themes["bus"].pk], not_from_engagement="Law.")
    private = world.not_for_quoting
    with pytest.raises(ValidationError, match="may not be quoted"):
        services.trace_clause(clause, quotes=[(private.pk, 0, 5)])
    quote = KeyQuote.objects.filter(theme=themes["rent"]).first()
    with pytest.raises(ValidationError, match="not inside"):
        services.trace_clause(clause, quotes=[(quote.contribution_id, 0, 10_000)])
    with pytest.raises(ValidationError, match="themes of the policy"):
        services.trace_clause(clause, themes=[999_999])
    assert not ClauseVersion.objects.get(pk=clause.pk).themes.exists()  # nothing half-kept


def test_issue_refuses_a_version_with_problems_and_says_which(world):
    policy = services.start_policy(world.engagement, by=world.team, title="Data policy")
    draft = services.latest_version(policy)
    with pytest.raises(ValidationError, match="at least one clause"):
        services.issue(draft, by=world.team)
    with pytest.raises(ValidationError, match="in English, te reo Māori or both"):
        services.write_clause(draft, "C1", text_en="   ")
    with pytest.raises(ValidationError, match="clause key"):
        services.write_clause(draft, "1 bad", text_en="x")


def test_coverage_and_set_aside_with_a_public_reason(world):
    policy = services.start_policy(world.engagement, by=world.team, title="Data policy")
    draft = services.latest_version(policy)
    themes = _themes(policy)
    clause = services.write_clause(draft, "C1", text_en="Buses on time.")
    services.trace_clause(clause, themes=[themes["bus"].pk])
    services.write_clause(draft, "C2", text_en="Something else.")
    found = services.coverage_of(draft)
    assert found.answered == {themes["bus"].pk: ["C1"]}
    assert set(found.unanswered) == {themes["rent"].pk, themes["data"].pk}
    assert found.without_evidence == ["C2"]

    with pytest.raises(ValidationError, match="Say why"):
        services.set_aside(policy, themes["rent"].pk, by=world.team, reason=" ")
    aside = services.set_aside(
        policy, themes["rent"].pk, by=world.team, reason="Housing is another agency's policy."
    )
    entry = _entry(aside.log_index)
    assert entry["type"] == "policy.theme_set_aside" and entry["theme"] == themes["rent"].pk
    found = services.coverage_of(draft)
    assert found.set_aside == {themes["rent"].pk: "Housing is another agency's policy."}
    assert found.unanswered == [themes["data"].pk]
    services.take_back(policy, themes["rent"].pk, by=world.team)
    assert themes["rent"].pk in services.coverage_of(draft).unanswered
    with pytest.raises(ValidationError, match="not set aside"):
        services.take_back(policy, themes["rent"].pk, by=world.team)


def test_a_withdrawal_after_issue_leaves_the_issued_hash_verifiable(world):
    """The canonical content holds references, not words: a withdrawn quote does not change
    what was issued (the provenance page stops showing the words)."""
    policy = services.start_policy(world.engagement, by=world.team, title="Data policy")
    draft = services.latest_version(policy)
    themes = _themes(policy)
    quote = KeyQuote.objects.filter(theme=themes["bus"]).first()
    clause = services.write_clause(draft, "C1", text_en="Buses on time.")
    services.trace_clause(clause, quotes=[(quote.contribution_id, quote.start, quote.length)])
    issued = services.issue(draft, by=world.team)
    listen.withdraw_contribution(quote.contribution, via="team")
    assert document.content_hash(services.content_of(issued)) == issued.content_hash
    assert PolicyVersion.objects.get(pk=issued.pk).canonical == issued.canonical
