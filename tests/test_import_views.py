"""The web import: upload, preview with a per-line report, explicit choice, the real worker."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from heard.core.permissions import Phase, Role
from heard.listen import import_service
from heard.listen.models import Contribution, ImportBatch
from tests import factories
from tests.worker import run_worker

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script> & Tēnā koe 👩🏽‍⚕️ مرحبا'


def csv_file(rows: list[list[str]], name: str = "notes.csv") -> SimpleUploadedFile:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode("utf-8"), content_type="text/csv")


def three_bad_rows() -> list[list[str]]:
    return [
        ["text", "hui", "speaker", "quote_consent"],
        ["Good one: " + HOSTILE, "whanganui-1", "A", "quote"],  # line 2
        ["", "whanganui-1", "B", "quote"],  # line 3: empty text
        ["Good two, on paper", "", "", "none"],  # line 4
        ["Bad hui", "atlantis", "A", "quote"],  # line 5: unknown hui
        ["Good three\nover two lines", "whanganui-1", "kuia", "anon"],  # lines 6-7
        ["No consent given", "whanganui-1", "A", ""],  # line 8: consent missing
    ]


def clean_rows() -> list[list[str]]:
    return [
        ["text", "hui", "speaker", "language", "quote_consent", "said_at"],
        ["Kia ora, this matters.", "whanganui-1", "A", "en", "quote", "2025-03-14 18:30"],
        ["He kōrero anō", "whanganui-1", "B", "mi", "anonymous", ""],
    ]


@pytest.fixture
def hui(engagement):
    return factories.make_hui(engagement, key="whanganui-1")


def upload(client, engagement, file) -> ImportBatch:
    response = client.post(reverse("import_upload", args=[engagement.slug]), {"file": file})
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportBatch.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))


def batch_url(batch: ImportBatch) -> str:
    return reverse("import_batch", args=[batch.engagement.slug, batch.pk])


@pytest.mark.django_db(transaction=True)
def test_three_bad_rows_are_reported_by_line_and_nothing_is_imported_until_chosen(
    team_client, engagement, hui
):
    batch = upload(team_client, engagement, csv_file(three_bad_rows()))
    assert (batch.status, batch.total_rows, batch.error_rows) == ("previewed", 6, 3)

    page = team_client.get(batch_url(batch)).content.decode()
    assert "Nothing has been imported" in page
    assert "Lines: 3, 5, 8" in page
    for line in ("3", "5", "8"):
        assert f'<tr class="row-error"><th scope="row">{line}</th>' in page
    assert "Import the 3 good rows only" in page
    assert "Discard and upload a corrected file" in page
    assert "Import all" not in page
    # Hostile text is shown as text, never run as markup.
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert '<script>alert("x")' not in page
    assert Contribution.objects.count() == 0

    # Importing everything is refused; so is "good rows only" without the explicit tick.
    assert team_client.post(batch_url(batch), {"action": "import_all"}).status_code == 400
    refused = team_client.post(batch_url(batch), {"action": "import_good"})
    assert refused.status_code == 400
    assert "Tick this box" in refused.content.decode()
    batch.refresh_from_db()
    assert batch.status == "previewed"
    assert DBTaskResult.objects.count() == 0

    # The explicit choice queues it once, however many times it is sent.
    for _ in range(3):
        response = team_client.post(
            batch_url(batch), {"action": "import_good", "confirm_good_only": "on"}
        )
        assert response.status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.mode) == ("queued", "good_only")
    assert DBTaskResult.objects.count() == 1
    assert batch.task_id == str(DBTaskResult.objects.get().id)
    assert Contribution.objects.count() == 0  # nothing until the worker runs
    queued_page = team_client.get(batch_url(batch)).content.decode()
    assert 'role="status"' in queued_page and "0 of 3 rows imported" in queued_page

    run_worker()

    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    batch.refresh_from_db()
    assert (batch.status, batch.imported_rows) == ("done", 3)
    kept = list(Contribution.objects.order_by("source_line"))
    assert [c.source_line for c in kept] == [2, 4, 6]
    assert [c.text for c in kept] == [
        "Good one: " + HOSTILE,
        "Good two, on paper",
        "Good three\nover two lines",
    ]
    assert [c.channel for c in kept] == ["hui", "paper", "hui"]
    assert [c.quote_consent for c in kept] == ["quote", "none", "anonymous"]
    assert all(c.import_batch_id == batch.pk for c in kept)
    assert all(c.recorded_by == team_client.user for c in kept)
    assert kept[0].hui == hui and kept[0].participant.speaker_tag == "A"
    assert kept[2].participant.speaker_tag == "kuia"
    assert kept[1].hui is None

    done_page = team_client.get(batch_url(batch)).content.decode()
    assert "3 rows were imported" in done_page
    assert "lines 3, 5, 8" in done_page

    # A task run twice (a retried worker) keeps nothing twice.
    ImportBatch.objects.filter(pk=batch.pk).update(status="queued")
    import_service.run_import(batch.pk)
    assert Contribution.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_clean_xlsx_imports_every_row_on_the_worker(team_client, engagement, hui):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "contributions"
    for row in clean_rows():
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    file = SimpleUploadedFile("notes.xlsx", out.getvalue())
    batch = upload(team_client, engagement, file)
    page = team_client.get(batch_url(batch)).content.decode()
    assert "Import all 2 rows" in page
    assert "Nothing has been imported" not in page

    assert team_client.post(batch_url(batch), {"action": "import_all"}).status_code == 302
    run_worker()
    batch.refresh_from_db()
    assert (batch.status, batch.mode, batch.imported_rows) == ("done", "all", 2)
    texts = list(Contribution.objects.order_by("source_line").values_list("text", "language"))
    assert texts == [("Kia ora, this matters.", "en"), ("He kōrero anō", "mi")]
    said = Contribution.objects.get(source_line=2).said_at
    assert said is not None and said.isoformat().startswith("2025-03-14T05:30")  # NZDT in UTC


def test_the_same_file_twice_warns_and_needs_explicit_confirmation(team_client, engagement, hui):
    first = upload(team_client, engagement, csv_file(clean_rows()))
    team_client.post(batch_url(first), {"action": "import_all"})
    import_service.run_import(first.pk)  # what the worker runs
    first.refresh_from_db()
    assert first.status == "done"

    second = upload(team_client, engagement, csv_file(clean_rows(), name="again.csv"))
    page = team_client.get(batch_url(second)).content.decode()
    assert "An identical file (the same content) was already imported" in page
    refused = team_client.post(batch_url(second), {"action": "import_all"})
    assert refused.status_code == 400
    assert "imported before" in refused.content.decode()
    second.refresh_from_db()
    assert second.status == "previewed"

    team_client.post(batch_url(second), {"action": "import_all", "confirm_same_file": "on"})
    second.refresh_from_db()
    assert second.status == "queued"


def test_a_different_file_gives_no_same_file_warning(team_client, engagement, hui):
    first = upload(team_client, engagement, csv_file(clean_rows()))
    team_client.post(batch_url(first), {"action": "import_all"})
    other = [*clean_rows(), ["One more", "", "", "en", "none", ""]]
    second = upload(team_client, engagement, csv_file(other))
    assert "An identical file" not in team_client.get(batch_url(second)).content.decode()


def test_discarding_imports_nothing_and_cannot_be_confirmed_after(team_client, engagement, hui):
    batch = upload(team_client, engagement, csv_file(three_bad_rows()))
    response = team_client.post(batch_url(batch), {"action": "discard"})
    assert response["Location"] == reverse("import_upload", args=[engagement.slug])
    team_client.post(batch_url(batch), {"action": "import_good", "confirm_good_only": "on"})
    batch.refresh_from_db()
    assert batch.status == "discarded"
    assert DBTaskResult.objects.count() == 0
    assert Contribution.objects.count() == 0


def test_a_file_with_no_good_rows_offers_no_import(team_client, engagement, hui):
    rows = [["text", "quote_consent"], ["", "quote"], ["words", "maybe"]]
    batch = upload(team_client, engagement, csv_file(rows))
    page = team_client.get(batch_url(batch)).content.decode()
    assert "No row in this file can be imported" in page
    assert team_client.post(batch_url(batch), {"action": "import_good"}).status_code == 400
    assert DBTaskResult.objects.count() == 0


def test_if_the_engagement_changes_before_the_import_nothing_is_imported(
    team_client, engagement, hui
):
    batch = upload(team_client, engagement, csv_file(clean_rows()))
    team_client.post(batch_url(batch), {"action": "import_all"})
    hui.key = "renamed"
    hui.save()
    import_service.run_import(batch.pk)
    batch.refresh_from_db()
    assert batch.status == "failed"
    assert Contribution.objects.count() == 0
    page = team_client.get(batch_url(batch)).content.decode()
    assert "Nothing was imported" in page and "Try again" in page


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("text,quote_consent\ncafé,quote\n".encode("cp1252"), "CSV UTF-8"),
        (b"PK\x03\x04broken", "Excel workbook"),
        (b'text,quote_consent\n"open,quote\n', "never closed"),
        (b"words,consent\nhi,quote\n", "Headings found"),
    ],
)
def test_malformed_files_get_a_clear_message_and_store_nothing(
    team_client, engagement, content, expected
):
    file = SimpleUploadedFile("notes.csv", content)
    response = team_client.post(reverse("import_upload", args=[engagement.slug]), {"file": file})
    assert response.status_code == 400
    page = response.content.decode()
    assert expected in page and "Nothing was imported" in page
    assert ImportBatch.objects.count() == 0


def test_an_upload_without_a_file_or_with_an_empty_one_is_refused(team_client, engagement):
    url = reverse("import_upload", args=[engagement.slug])
    assert team_client.post(url, {}).status_code == 400
    empty = team_client.post(url, {"file": SimpleUploadedFile("notes.csv", b"")})
    assert empty.status_code == 400
    assert "empty" in empty.content.decode()
    assert ImportBatch.objects.count() == 0


def test_a_file_over_the_size_limit_is_refused(team_client, engagement, settings):
    settings.HEARD_IMPORT_MAX_BYTES = 50
    file = csv_file([["text", "quote_consent"]] + [["x" * 20, "quote"]] * 5)
    response = team_client.post(reverse("import_upload", args=[engagement.slug]), {"file": file})
    assert response.status_code == 400
    assert "the limit is 50 bytes" in response.content.decode()
    assert ImportBatch.objects.count() == 0


def test_the_upload_page_lists_past_imports_and_the_columns(team_client, engagement, hui):
    upload(team_client, engagement, csv_file(clean_rows(), name="whanganui-notes.csv"))
    page = team_client.get(reverse("import_upload", args=[engagement.slug])).content.decode()
    assert "whanganui-notes.csv" in page
    assert "<code>quote_consent</code>" in page
    example = team_client.get(reverse("import_example", args=[engagement.slug]))
    assert example["Content-Type"].startswith("text/csv")
    assert "whanganui-1" in example.content.decode("utf-8-sig")


def test_progress_is_served_as_json_for_the_poller(team_client, engagement, hui):
    batch = upload(team_client, engagement, csv_file(clean_rows()))
    team_client.post(batch_url(batch), {"action": "import_all"})
    data = team_client.get(batch_url(batch), {"format": "json"}).json()
    assert data["status"] == "queued" and data["to_import"] == 2 and data["imported_rows"] == 0


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.PARTICIPANT, Role.WORKING_GROUP])
def test_only_the_team_may_import(client, engagement, hui, role):
    client.force_login(factories.make_member(engagement, role))
    url = reverse("import_upload", args=[engagement.slug])
    assert client.get(url).status_code == 403
    assert client.post(url, {"file": csv_file(clean_rows())}).status_code == 403
    assert ImportBatch.objects.count() == 0


def test_others_cannot_see_or_confirm_a_batch(client, team_client, engagement, hui):
    batch = upload(team_client, engagement, csv_file(clean_rows()))
    client.force_login(factories.make_member(engagement, Role.FACILITATOR))
    assert client.get(batch_url(batch)).status_code == 403
    assert client.post(batch_url(batch), {"action": "import_all"}).status_code == 403
    client.logout()
    assert client.get(batch_url(batch)).status_code == 302  # to sign in
    batch.refresh_from_db()
    assert batch.status == "previewed"


def test_a_batch_belongs_to_its_engagement(team_client, engagement, hui):
    batch = upload(team_client, engagement, csv_file(clean_rows()))
    other = factories.make_engagement(Phase.LISTEN)
    factories.make_member(other, Role.TEAM)
    team_client.force_login(factories.make_member(other, Role.TEAM))
    assert team_client.get(reverse("import_batch", args=[other.slug, batch.pk])).status_code == 404


def test_import_is_closed_once_the_engagement_reports(client):
    engagement = factories.make_engagement(Phase.REPORT)
    client.force_login(factories.make_member(engagement, Role.TEAM))
    assert client.get(reverse("import_upload", args=[engagement.slug])).status_code == 403


def test_long_text_is_previewed_shortened_and_imported_whole(team_client, engagement, hui):
    long_text = "Tēnā koutou. " + "ā" * 19_987  # exactly 20,000 characters
    too_long = "x" * 20_001
    rows = [["text", "quote_consent"], [long_text, "quote"], [too_long, "none"]]
    batch = upload(team_client, engagement, csv_file(rows))
    page = team_client.get(batch_url(batch)).content.decode()
    assert "and 19,400 more characters" in page
    assert "20,001" in page
    team_client.post(batch_url(batch), {"action": "import_good", "confirm_good_only": "on"})
    import_service.run_import(batch.pk)
    assert list(Contribution.objects.values_list("text", flat=True)) == [long_text]


def test_a_hostile_file_name_is_shown_as_text(team_client, engagement, hui):
    name = '<img src=x onerror="alert(1)">.csv'
    upload(team_client, engagement, csv_file(clean_rows(), name=name))
    page = team_client.get(reverse("import_upload", args=[engagement.slug])).content.decode()
    assert "<img src=x" not in page
    assert "&lt;img src=x" in page
