"""Import of hui notes from CSV or XLSX: upload, preview with a per-line report, confirm.

Nothing is imported when a file is uploaded. The preview shows every bad row by line number;
a file with bad rows imports nothing until the person explicitly chooses "good rows only".
The import itself runs on the task worker; its page refreshes itself until it is done.
"""

from __future__ import annotations

import csv
import io

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from heard.core.access import engagement_view
from heard.core.permissions import Action
from heard.engagements.models import Engagement
from heard.listen import import_service
from heard.listen.importing import COLUMNS, CONSENT_SYNONYMS, Problem
from heard.listen.models import ImportBatch
from heard.listen.vocab import Channel

RECENT_IMPORTS = 50
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ACCEPT = f".csv,.tsv,.txt,.xlsx,text/csv,{XLSX_TYPE}"


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File of hui notes (CSV or Excel .xlsx)"),
        help_text=gettext_lazy(
            "Nothing is imported yet: you will see a preview and a report of any problems first."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.HEARD_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _(
                    "The file is %(size)s bytes; the limit is %(limit)s bytes. "
                    "Split it into smaller files and import each."
                )
                % {"size": f"{upload.size:,}", "limit": f"{limit:,}"}
            )
        return upload


def _render_problems(items: list[dict]) -> list[dict]:
    """Stored problems (English templates) in the reader's language, with their column."""
    rendered = []
    for item in items:
        problem = Problem.from_json(item)
        rendered.append({"column": problem.column, "message": problem.render(_)})
    return rendered


@engagement_view(Action.IMPORT_CONTRIBUTIONS)
def import_upload(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    file_problems: list[dict] = []
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            content = upload.read()
            result = import_service.read_file(engagement, content, upload.name)
            if result.readable:
                batch = import_service.create_batch(
                    engagement,
                    filename=upload.name,
                    content=content,
                    uploaded_by=request.user,
                    result=result,
                )
                return redirect("import_batch", slug=engagement.slug, pk=batch.pk)
            file_problems = _render_problems([p.as_json() for p in result.file_problems])
        status = 400
    batches = engagement.imports.select_related("uploaded_by").defer("content", "report")
    return render(
        request,
        "listen/import_upload.html",
        {
            "engagement": engagement,
            "form": form,
            "file_problems": file_problems,
            "batches": batches[:RECENT_IMPORTS],
            "channels": [c.value for c in Channel],
            "consent_synonyms": _consent_synonyms(),
        },
        status=status,
    )


def _consent_synonyms() -> list[tuple[str, str]]:
    by_value: dict[str, list[str]] = {}
    for word, consent in CONSENT_SYNONYMS.items():
        by_value.setdefault(consent.value, []).append(word)
    return [(value, ", ".join(words)) for value, words in by_value.items()]


@engagement_view(Action.IMPORT_CONTRIBUTIONS)
def import_example(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """A small CSV to start from, with this engagement's own hui and question keys."""
    hui_key = engagement.hui.values_list("key", flat=True).first() or ""
    question_key = engagement.questions.values_list("key", flat=True).first() or ""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerow(
        [
            "We want to know who sees our data, and why.",
            hui_key,
            "A",
            "en",
            question_key,
            "hui" if hui_key else "paper",
            "quote",
            "2025-03-14 18:30",
        ]
    )
    writer.writerow(
        ["Me whai wāhi te iwi ki ngā whakatau.", hui_key, "B", "mi", "", "", "anonymous", ""]
    )
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{engagement.slug}-import-example.csv"'
    return response


class DecisionForm(forms.Form):
    """What to do with a previewed (or failed) batch. Checked against the batch in the view."""

    ACTIONS = ("import_all", "import_good", "discard", "retry")

    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS])
    confirm_good_only = forms.BooleanField(
        required=False,
        label=gettext_lazy(
            "I understand that the rows with problems will not be imported from this file."
        ),
    )
    confirm_same_file = forms.BooleanField(
        required=False,
        label=gettext_lazy(
            "Import it again anyway: I know every row will be kept twice if it was imported before."
        ),
    )


def _decide(request: HttpRequest, batch: ImportBatch, form: DecisionForm, same_file) -> bool:
    """Act on a decision. Returns False (with errors on the form) when it cannot be taken."""
    action = form.cleaned_data["action"]
    good_rows = batch.total_rows - batch.error_rows
    if action == "discard":
        if import_service.discard(batch):
            messages.info(request, _("Discarded. Nothing from that file was imported."))
        return True
    if action == "retry":
        if import_service.retry(batch):
            messages.info(request, _("Queued again. Rows already imported will not be repeated."))
        return True
    if batch.status != ImportBatch.Status.PREVIEWED:
        messages.info(request, _("This file was already sent for import; it is imported once."))
        return True
    if action == "import_all" and batch.error_rows:
        form.add_error(None, _("Some rows have problems, so the whole file cannot be imported."))
        return False
    if action == "import_good":
        if not batch.error_rows:
            form.add_error(None, _("Every row is good: import them all."))
            return False
        if not form.cleaned_data["confirm_good_only"]:
            form.add_error(
                "confirm_good_only",
                _("Tick this box to confirm that the rows with problems will be left out."),
            )
            return False
    if good_rows == 0:
        form.add_error(None, _("No row in this file can be imported. Correct it and upload again."))
        return False
    if same_file and not form.cleaned_data["confirm_same_file"]:
        form.add_error(
            "confirm_same_file",
            _("This file was imported before. Tick this box to import it again."),
        )
        return False
    mode = ImportBatch.Mode.ALL if action == "import_all" else ImportBatch.Mode.GOOD_ONLY
    if import_service.confirm(batch, mode):
        messages.success(request, _("Queued for import. This page shows its progress."))
    else:
        messages.info(request, _("This file was already sent for import; it is imported once."))
    return True


@engagement_view(Action.IMPORT_CONTRIBUTIONS)
def import_batch(request: HttpRequest, engagement: Engagement, pk: int) -> HttpResponse:
    batch = get_object_or_404(
        ImportBatch.objects.select_related("uploaded_by").defer("content"),
        engagement=engagement,
        pk=pk,
    )
    if request.GET.get("format") == "json":
        return JsonResponse(_progress(batch))
    same_file = import_service.earlier_imports_of_same_file(batch).first()
    form = DecisionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid() and _decide(request, batch, form, same_file):
            if form.cleaned_data["action"] == "discard":
                return redirect("import_upload", slug=engagement.slug)
            return redirect("import_batch", slug=engagement.slug, pk=batch.pk)
        status = 400
    report = batch.report or {}
    preview = [
        {
            **row,
            "problems": _render_problems(row.get("problems", [])),
            "warnings": _render_problems(row.get("warnings", [])),
        }
        for row in report.get("preview", [])
    ]
    result = report.get("result") or {}
    return render(
        request,
        "listen/import_batch.html",
        {
            "engagement": engagement,
            "batch": batch,
            "form": form,
            "report": report,
            "preview": preview,
            "problems": [
                {"line": item["line"], "problems": _render_problems(item["problems"])}
                for item in report.get("problems", [])
            ],
            "row_warnings": [
                {"line": item["line"], "warnings": _render_problems(item["warnings"])}
                for item in report.get("row_warnings", [])
            ],
            "file_warnings": _render_problems(report.get("warnings", [])),
            "failure": _render_problems(result.get("failure", [])),
            "skipped_lines": result.get("skipped_lines", []),
            "bad_lines": report.get("bad_lines", []),
            "good_rows": batch.total_rows - batch.error_rows,
            "same_file": same_file,
            "in_progress": batch.status
            in (ImportBatch.Status.QUEUED, ImportBatch.Status.IMPORTING),
            "progress": _progress(batch),
            "Status": ImportBatch.Status,
        },
        status=status,
    )


def _progress(batch: ImportBatch) -> dict:
    """How far the import has got, for the page's status region and its small poller."""
    to_import = (
        batch.total_rows - batch.error_rows
        if batch.mode == ImportBatch.Mode.GOOD_ONLY
        else batch.total_rows
    )
    return {
        "status": batch.status,
        "status_label": str(batch.get_status_display()),
        "imported_rows": batch.imported_rows,
        "to_import": to_import,
        "message": _("%(done)s of %(total)s rows imported.")
        % {"done": f"{batch.imported_rows:,}", "total": f"{to_import:,}"},
    }
