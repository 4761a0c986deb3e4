"""``heard policy export``: the JSON contract the issue names."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from heard.core.permissions import Phase
from heard.listen import services as listen
from heard.policy import checkback, endorsement, services
from heard.sense import services as sense
from heard.sense.models import KeyQuote
from tests.sense.conftest import hand_built, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy():
    world = make_world(Phase.DRAFT)
    run = sense.start_run(world.engagement, by=world.team, enqueue=False)
    sense.run_analysis(run.pk, engine=hand_built())
    policy = services.start_policy(world.engagement, by=world.team, title="Data policy")
    themes = {t.label: t for t in services.themes_of(policy)}
    draft = services.latest_version(policy)
    quote = KeyQuote.objects.filter(theme=themes["data"]).first()
    c1 = services.write_clause(draft, "P1", text_en="Ask first.", text_mi="Me pātai tuatahi.")
    services.trace_clause(
        c1, themes=[themes["data"].pk], quotes=[(quote.contribution_id, quote.start, quote.length)]
    )
    c2 = services.write_clause(draft, "L1", text_en="Follow the law.")
    services.trace_clause(c2, not_from_engagement="Required by law.")
    services.set_aside(policy, themes["rent"].pk, by=world.team, reason="Another agency's work.")
    issued = services.issue(draft, by=world.team)
    feedback_round = checkback.open_round(issued, by=world.team)
    person = listen.voice_without_account(world.engagement, source="online", tag="x")
    checkback.give_feedback(
        feedback_round, person, clause_key="P1", heard="no", comment="Not us.", quote_consent="none"
    )
    checkback.give_feedback(feedback_round, person, clause_key="L1", heard="yes", comment="Fine.")
    checkback.close_round(feedback_round, by=world.team)
    group = endorsement.form_group(world.engagement, name="Working group", mandate="Appointed.")
    member = endorsement.add_member(group, name="Hana", term_start=dt.date(2026, 1, 1))
    endorsement.record_decision(
        group,
        issued,
        outcome="endorse",
        minutes="Endorsed.",
        positions={member.pk: ("support", "")},
        decided_on=dt.date(2026, 11, 1),
    )
    second = services.next_version(policy, by=world.team)
    services.write_clause(second, "P1", text_en="Always ask first.")
    return policy


def _export(slug: str, *extra: str) -> dict:
    out = io.StringIO()
    call_command("policy", "export", "--engagement", slug, "--out", "-", *extra, stdout=out)
    return json.loads(out.getvalue())


def test_export_holds_the_contracts_keys_with_hashes_and_traces(policy):
    data = _export(policy.engagement.slug)
    assert {"versions", "clauses", "coverage", "feedback", "amendments", "decisions"} <= set(data)
    (v1,) = data["versions"]  # the draft is not exported by default
    assert v1["hash"] == policy.versions.get(number=1).content_hash
    p1 = next(c for c in data["clauses"] if c["id"] == "P1")
    assert p1["text"] == {"en": "Ask first.", "mi": "Me pātai tuatahi."}
    assert [t["label"] for t in p1["trace"]["themes"]] == ["data"]
    assert len(p1["trace"]["quotes"]) == 1 and "text" not in p1["trace"]["quotes"][0]
    l1 = next(c for c in data["clauses"] if c["id"] == "L1")
    assert l1["text"] == {"en": "Follow the law."}  # no te reo Māori: absent, not filled
    assert l1["trace"]["not_from_engagement"] == "Required by law."
    coverage = data["coverage"]
    assert [a["label"] for a in coverage["answered"]] == ["data"]
    assert coverage["set_aside"][0]["reason"] == "Another agency's work."
    assert [u["label"] for u in coverage["unanswered"]] == ["bus"]

    (round_,) = data["feedback"]
    by_clause = {c["clause"]: c for c in round_["clauses"]}
    assert by_clause["P1"]["questions"]["heard"]["online"]["no"] == 1
    assert by_clause["P1"]["comments"] == [] and by_clause["P1"]["comments_withheld"] == 1
    assert by_clause["L1"]["comments"][0]["text"] == "Fine."
    assert "Not us." not in json.dumps(data)
    (decision,) = data["decisions"]
    assert decision["version_hash"] == v1["hash"] and decision["outcome"] == "endorse"
    assert decision["positions"][0]["stance"] == "support"

    with_drafts = _export(policy.engagement.slug, "--include-drafts")
    assert [v["hash"] is None for v in with_drafts["versions"]] == [False, True]
    p1 = next(c for c in with_drafts["clauses"] if c["id"] == "P1")
    assert p1["text"]["en"] == "Always ask first." and p1["versions"]["1"]["text"]["en"] == (
        "Ask first."
    )


def test_export_to_a_file_and_clear_errors(policy, tmp_path):
    out = tmp_path / "policy.json"
    call_command(
        "policy", "export", "--engagement", policy.engagement.slug, "--out", str(out),
        stderr=io.StringIO(),
    )  # fmt: skip
    assert json.loads(out.read_text(encoding="utf-8"))["engagement"] == policy.engagement.slug
    with pytest.raises(CommandError, match="No engagement"):
        _export("nope")
    with pytest.raises(CommandError, match="is a directory"):
        call_command(
            "policy", "export", "--engagement", policy.engagement.slug, "--out", str(tmp_path)
        )
    with pytest.raises(CommandError, match="Cannot write"):
        call_command(
            "policy", "export", "--engagement", policy.engagement.slug,
            "--out", str(tmp_path / "missing" / "p.json"),
        )  # fmt: skip
