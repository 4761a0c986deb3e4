"""The write door for themes: runs are versioned and kept whole or not at all; every quote is
checked; every analyst edit is an entry in the record with who, what and why."""

from __future__ import annotations

from collections import Counter

import orjson
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from heard.listen import services as listen
from heard.record import keys
from heard.record.models import LogEntry
from heard.sense import services
from heard.sense.checks import ResultRejected
from heard.sense.models import AssignedBy, KeyQuote, StaffPseudonym, Theme, ThemeEdit, ThemeRun
from heard.sense.themes.result import Quote
from tests.sense.conftest import hand_built

pytestmark = pytest.mark.django_db


def finished_run(world, **options) -> ThemeRun:
    run = services.start_run(world.engagement, by=world.team, enqueue=False)
    services.run_analysis(run.pk, engine=hand_built(**options))
    run.refresh_from_db()
    return run


def entries(kind: str) -> list[dict]:
    return [orjson.loads(bytes(e.leaf)) for e in LogEntry.objects.filter(kind=kind)]


def placements(run: ThemeRun) -> Counter:
    return Counter(run.memberships.values_list("contribution_id", flat=True))


def assert_nothing_dropped(world, run: ThemeRun) -> None:
    analysed = {c.pk for c in world.contributions if c.pk != world.withdrawn.pk}
    counts = placements(run)
    assert set(counts) == analysed
    assert set(counts.values()) == {1}


def theme(run: ThemeRun, engine_id: str) -> Theme:
    return run.themes.get(engine_id=engine_id)


def test_a_run_keeps_every_contribution_once_and_its_quotes_exact(world):
    run = finished_run(world)
    assert run.status == ThemeRun.Status.DONE and run.version == 1
    assert (run.stage, run.fraction) == ("done", 1.0)
    assert run.contribution_count == len(world.contributions) - 1  # the withdrawn one is gone
    assert_nothing_dropped(world, run)
    assert run.memberships.filter(theme__isnull=True).exists()  # the "fits no theme" bucket
    assert set(run.memberships.values_list("assigned_by", flat=True)) == {AssignedBy.MACHINE}
    quotes = list(KeyQuote.objects.filter(theme__run=run).select_related("contribution"))
    assert quotes
    for quote in quotes:
        text = quote.contribution.text
        assert quote.text and quote.text == text[quote.start : quote.start + quote.length]
        assert quote.contribution.quote_consent != "none" and not quote.contribution.is_hidden
    [started] = entries("theme.run_started")
    [finished] = entries("theme.run_finished")
    alias = StaffPseudonym.objects.get(engagement=world.engagement, user=world.team).public_id
    assert started["by"] == finished["by"] == alias
    assert (finished["outcome"], finished["run"], finished["themes"]) == ("done", 1, 3)
    assert finished["contributions"] == run.contribution_count
    assert finished["unassigned"] == run.memberships.filter(theme__isnull=True).count()


def test_runs_are_versioned_and_a_new_run_leaves_the_old_one_alone(world):
    first = finished_run(world)
    rename = theme(first, "theme-bus")
    services.rename_theme(rename, label="Getting around", by=world.team, reason="Plainer words")
    before = list(first.memberships.values_list("contribution_id", "theme_id"))
    second = finished_run(world)
    assert (first.version, second.version) == (1, 2)
    assert list(first.memberships.values_list("contribution_id", "theme_id")) == before
    assert theme(first, "theme-bus").label == "Getting around"
    assert theme(second, "theme-bus").label == "bus"  # edits apply to one run only
    assert_nothing_dropped(world, second)


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda item: Quote(id=item.id, text=item.text[:12] + "!", start=0), "letter for letter"),
        (lambda item: Quote(id=item.id, text=item.text[2:14], start=0), "letter for letter"),
        (lambda item: Quote(id=item.id, text="", start=0), "empty"),
        (lambda item: Quote(id=item.id, text=item.text, start=5), "outside"),
    ],
)
def test_a_quote_that_is_not_exact_fails_the_run_and_keeps_nothing(world, breakage, message):
    run = services.start_run(world.engagement, by=world.team, enqueue=False)
    with pytest.raises(ResultRejected, match=message):
        services.run_analysis(run.pk, engine=hand_built(quote=breakage))
    run.refresh_from_db()
    assert run.status == ThemeRun.Status.FAILED and message in run.error
    assert not run.themes.exists() and not run.memberships.exists()
    assert [e["outcome"] for e in entries("theme.run_finished")] == ["failed"]


def test_quotes_from_people_who_said_no_are_refused_even_if_the_engine_offers_them(world):
    def engine(items, **kwargs):
        result = hand_built()(items, **kwargs)
        refused = next(i for i in items if not i.quotable and "bus" in i.text)
        bus = result.themes[0]
        wrong = Quote(id=refused.id, text=refused.text[:10], start=0)
        themes = (type(bus)(**{**bus.__dict__, "quotes": (wrong,)}), *result.themes[1:])
        return type(result)(result.provenance, themes, result.unassigned)

    run = services.start_run(world.engagement, by=world.team, enqueue=False)
    with pytest.raises(ResultRejected, match="did not allow quoting"):
        services.run_analysis(run.pk, engine=engine)


def test_a_result_that_drops_or_repeats_a_contribution_is_refused(world):
    def dropping(items, **kwargs):
        result = hand_built()(items, **kwargs)
        return type(result)(result.provenance, result.themes, result.unassigned[1:])

    def repeating(items, **kwargs):
        result = hand_built()(items, **kwargs)
        again = result.themes[0].members[0]
        return type(result)(result.provenance, result.themes, (*result.unassigned, again))

    for engine, message in ((dropping, "left out"), (repeating, "placed twice")):
        run = services.start_run(world.engagement, by=world.team, enqueue=False)
        with pytest.raises(ResultRejected, match=message):
            services.run_analysis(run.pk, engine=engine)
        assert not run.memberships.exists()


def test_a_run_is_run_once_even_if_the_task_comes_twice(world):
    run = finished_run(world)
    again = services.run_analysis(run.pk, engine=hand_built())
    assert again["status"] == "done"
    assert len(entries("theme.run_finished")) == 1
    assert run.memberships.count() == len(world.contributions) - 1


def test_every_edit_is_in_the_record_with_who_what_and_why(world):
    run = finished_run(world)
    bus, rent, data = (theme(run, f"theme-{w}") for w in ("bus", "rent", "data"))
    alias = StaffPseudonym.objects.get(engagement=world.engagement, user=world.team).public_id
    by = world.team

    services.rename_theme(bus, label="Getting around", by=by, reason="Clearer for readers")
    [renamed] = entries("theme.renamed")
    assert (renamed["theme"], renamed["label"], renamed["by"]) == (bus.pk, "Getting around", alias)
    assert renamed["reason"] == "Clearer for readers" and renamed["theme_engine_id"] == "theme-bus"

    members = list(rent.memberships.values_list("contribution_id", flat=True))
    new = services.split_theme(
        rent, contribution_ids=members[:2], label="Cold homes", by=by, reason="A distinct worry"
    )
    [split] = entries("theme.split")
    assert (split["theme"], split["new_theme"], split["contributions"]) == (
        rent.pk,
        new.pk,
        sorted(members[:2]),
    )
    assert new.origin == Theme.Origin.ANALYST and new.split_from == rent
    assert set(new.memberships.values_list("assigned_by", flat=True)) == {AssignedBy.PERSON}
    assert set(new.memberships.values_list("machine_theme", flat=True)) == {rent.pk}

    services.merge_themes([new], into=rent, by=by, reason="Not distinct after all")
    [merged] = entries("theme.merged")
    assert (merged["into"], merged["merged"], merged["contributions_moved"]) == (
        rent.pk,
        [new.pk],
        2,
    )
    new.refresh_from_db()
    assert new.merged_into == rent and not new.memberships.exists()

    stray = run.memberships.filter(theme__isnull=True).first().contribution_id
    assert services.move_contributions(run, [stray], to=data, by=by, reason="About data") == 1
    moved_out = data.memberships.exclude(contribution_id=stray).first().contribution_id
    services.move_contributions(run, [moved_out], to=None, by=by, reason="Off topic")
    first_move, second_move = entries("theme.members_moved")
    assert (first_move["contributions"], first_move["sources"], first_move["to"]) == (
        [stray],
        [None],
        data.pk,
    )
    assert second_move["to_no_theme"] is True and "to" not in second_move

    quotable = data.memberships.filter(contribution__quote_consent="quote").first().contribution
    excerpt = quotable.text[5:25]
    quote = services.mark_key_quote(data, quotable, excerpt=excerpt, by=by, reason="Says it best")
    [marked] = entries("theme.key_quote_marked")
    assert (marked["contribution"], marked["start"], marked["length"]) == (quotable.pk, 5, 20)
    services.unmark_key_quote(quote, by=by, reason="Too short")
    [unmarked] = entries("theme.key_quote_unmarked")
    assert (unmarked["contribution"], unmarked["marked_by"]) == (quotable.pk, "person")

    services.write_summary(data, text="People want a say in their data.", by=by, reason="Draft")
    [summary] = entries("theme.summary_written")
    assert summary["characters"] == len("People want a say in their data.")
    assert "summary" not in summary and len(summary["summary_sha256"]) == 64

    for kind in ("renamed", "split", "merged", "members_moved", "key_quote_marked"):
        for entry in entries(f"theme.{kind}"):
            assert entry["by"] == alias and entry["reason"] and entry["run"] == 1
    # The pages' history mirrors the record, entry for entry.
    theme_kinds = Counter(LogEntry.objects.filter(kind__startswith="theme.").values_list("kind"))
    assert sum(theme_kinds.values()) == ThemeEdit.objects.count()
    assert_nothing_dropped(world, run)
    # and the record, with these entries, still verifies end to end
    call_command("record", "verify", "--vkey", keys.vkey())


def test_the_record_holds_no_participant_words_and_no_staff_names(world):
    run = finished_run(world)
    data = theme(run, "theme-data")
    quotable = data.memberships.filter(contribution__quote_consent="quote").first().contribution
    services.mark_key_quote(
        data, quotable, excerpt=quotable.text[:30], by=world.team, reason="Typical"
    )
    services.write_summary(data, text=quotable.text, by=world.team, reason="Quoting in full")
    leaves = [bytes(e.leaf).decode() for e in LogEntry.objects.filter(kind__startswith="theme.")]
    assert leaves
    for leaf in leaves:
        assert world.team.username not in leaf
        for contribution in world.contributions:
            if contribution.text:
                assert contribution.text[:30] not in leaf


@pytest.mark.parametrize(
    "edit",
    [
        lambda run, t, by, why: services.rename_theme(t, label="New", by=by, reason=why),
        lambda run, t, by, why: services.write_summary(t, text="Sum", by=by, reason=why),
        lambda run, t, by, why: services.move_contributions(
            run, [t.memberships.first().contribution_id], to=None, by=by, reason=why
        ),
    ],
)
def test_an_edit_without_a_reason_is_refused_and_changes_nothing(world, edit):
    run = finished_run(world)
    bus = theme(run, "theme-bus")
    size = LogEntry.objects.count()
    before = list(run.memberships.values_list("contribution_id", "theme_id", "assigned_by"))
    for why in ("", "   \n"):
        with pytest.raises(ValidationError, match="Say why"):
            edit(run, bus, world.team, why)
    assert LogEntry.objects.count() == size
    assert list(run.memberships.values_list("contribution_id", "theme_id", "assigned_by")) == before
    bus.refresh_from_db()
    assert (bus.label, bus.summary) == ("bus", "")


def test_key_quotes_must_be_exact_consented_and_from_the_theme(world):
    run = finished_run(world)
    bus, data = theme(run, "theme-bus"), theme(run, "theme-data")
    mine = bus.memberships.filter(contribution__quote_consent="quote").first().contribution
    by, why = world.team, "Typical"

    def refused(contribution, excerpt, match, on=bus):
        with pytest.raises(ValidationError, match=match):
            services.mark_key_quote(on, contribution, excerpt=excerpt, by=by, reason=why)

    refused(mine, mine.text[:20].upper(), "letter for letter")  # not exact
    refused(mine, mine.text[:20] + "  ", "letter for letter")  # a space too many
    refused(mine, mine.text[:20], "in this theme", on=data)  # not a member of that theme
    refused(world.not_for_quoting, world.not_for_quoting.text[:15], "not to be quoted")
    rent = theme(run, "theme-rent")
    with pytest.raises(ValidationError, match="hidden"):
        services.mark_key_quote(
            rent, world.hidden, excerpt=world.hidden.text[:10], by=by, reason=why
        )
    with pytest.raises(ValidationError, match="letter for letter"):
        services.mark_key_quote(bus, mine, excerpt=mine.text[:20], start=3, by=by, reason=why)
    quote = services.mark_key_quote(bus, mine, excerpt=mine.text[4:30], by=by, reason=why)
    assert (quote.start, quote.text, quote.marked_by) == (4, mine.text[4:30], "person")
    with pytest.raises(ValidationError, match="already"):
        services.mark_key_quote(bus, mine, excerpt=mine.text[4:30], by=by, reason=why)


def test_a_quote_keeps_no_copy_of_words_that_are_later_withdrawn(world):
    run = finished_run(world)
    quote = KeyQuote.objects.filter(theme__run=run).select_related("contribution").first()
    assert quote.text
    listen.withdraw_contribution(quote.contribution, via="team")
    quote.refresh_from_db()
    quote.contribution.refresh_from_db()
    assert quote.text == ""  # the words are gone everywhere, the span stays


def test_merge_split_and_move_refuse_what_would_lose_or_confuse(world):
    run = finished_run(world)
    bus, rent = theme(run, "theme-bus"), theme(run, "theme-rent")
    by, why = world.team, "Tidy"
    everyone = list(bus.memberships.values_list("contribution_id", flat=True))
    with pytest.raises(ValidationError, match="at least one"):
        services.split_theme(bus, contribution_ids=everyone, label="All", by=by, reason=why)
    outsider = rent.memberships.first().contribution_id
    with pytest.raises(ValidationError, match="Only members"):
        services.split_theme(bus, contribution_ids=[outsider], label="X", by=by, reason=why)
    with pytest.raises(ValidationError, match="other theme"):
        services.merge_themes([bus], into=bus, by=by, reason=why)
    services.merge_themes([bus], into=rent, by=by, reason=why)
    with pytest.raises(ValidationError, match="merged"):
        services.rename_theme(bus, label="Back", by=by, reason=why)
    with pytest.raises(ValidationError, match="already there"):
        services.move_contributions(run, [outsider], to=rent, by=by, reason=why)
    other = finished_run(world)
    with pytest.raises(ValidationError, match="another analysis"):
        services.move_contributions(
            run, [outsider], to=theme(other, "theme-data"), by=by, reason=why
        )
    assert_nothing_dropped(world, run)


def test_only_a_finished_run_can_be_edited(world):
    run = services.start_run(world.engagement, by=world.team, enqueue=False)
    with pytest.raises(ValidationError, match="finished"):
        services.move_contributions(
            run, [world.contributions[0].pk], to=None, by=world.team, reason="Early"
        )


def test_the_analysis_reads_consent_and_withdrawal_from_the_contributions(world):
    pairs = services.analysis_input(world.engagement)
    by_id = {c.pk: item for c, item in pairs}
    assert world.withdrawn.pk not in by_id
    assert by_id[world.not_for_quoting.pk].quotable is False
    assert by_id[world.hidden.pk].quotable is False
    assert by_id[world.contributions[5].pk].language == "mi"
    assert sum(item.quotable for item in by_id.values()) == len(by_id) - 2


def test_a_theme_with_members_cannot_be_deleted_but_a_whole_run_can(world):
    from django.db.models import RestrictedError

    run = finished_run(world)
    bus = theme(run, "theme-bus")
    new = services.split_theme(
        bus,
        contribution_ids=[bus.memberships.first().contribution_id],
        label="Fares",
        by=world.team,
        reason="Distinct",
    )
    services.merge_themes([theme(run, "theme-rent")], into=bus, by=world.team, reason="Same")
    with pytest.raises(RestrictedError):
        new.delete()
    assert_nothing_dropped(world, run)
    run.delete()
    assert not Theme.objects.filter(run_id=run.pk).exists()
    assert world.engagement.contributions.count() == len(world.contributions)  # words stay
