"""The Bulk Upload wizard: Upload → Match columns → Review → Import (thin views over
transfer.services)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from leadbook.accounts.models import User
from leadbook.accounts.permissions import member_required
from leadbook.leads.models import Lead, LeadType, Source, Status

from . import services, template
from .export import csv_response
from .mapping import IMPORT_FIELDS
from .models import DuplicateAction, ImportJob, ImportState, RowDuplicate, RowError
from .reading import FileReadError
from .rows import LEAVE_EMPTY

PER_PAGE = 50
STEPS = ("Upload", "Match columns", "Review", "Import")
CHOICE_LISTS = {"status": Status, "source": Source, "lead_types": LeadType}


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Your file",
        help_text="CSV (comma, semicolon or tab separated, any common encoding) or Excel "
                  ".xlsx, with a header row.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.tsv,.txt,.xlsx,.xlsm"}))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_UPLOAD_BYTES:
            limit = settings.MAX_UPLOAD_BYTES // (1024 * 1024)
            raise ValidationError(f"This file is larger than {limit} MB. Split it into smaller "
                                  "files, or save it as CSV, which is smaller than Excel.")
        return upload


def _job(request: HttpRequest, pk: int) -> ImportJob:
    return get_object_or_404(ImportJob.objects.select_related("created_by"), pk=pk)


def _context(job: ImportJob | None, step: int, **extra) -> dict:
    return {"job": job, "steps": STEPS, "step": step, **extra}


# --- Upload ---------------------------------------------------------------------------------


@member_required
def start(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.create_import(actor=request.user, data=upload, filename=upload.name)
        except FileReadError as e:
            form.add_error("file", e.message)
        else:
            return redirect("transfer:mapping", job.pk)
    recent = ImportJob.objects.select_related("created_by")[:10]
    return render(request, "transfer/start.html", _context(None, 1, form=form, recent=recent))


@member_required
def template_csv(request: HttpRequest) -> HttpResponse:
    response = csv_response(template.template_rows(request.user),
                            filename_stem="leadbook-import-template")
    response["Content-Disposition"] = 'attachment; filename="leadbook-import-template.csv"'
    return response


@member_required
def template_xlsx(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        template.template_xlsx(request.user),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="leadbook-import-template.xlsx"'
    return response


@member_required
def instructions(request: HttpRequest) -> HttpResponse:
    return render(request, "transfer/instructions.html", {
        "columns": template.instructions(request.user), "notes": template.NOTES,
        "example": template.template_rows(request.user),
    })


# --- Match columns --------------------------------------------------------------------------


@member_required
def mapping(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if job.started_at is not None or job.busy:
        return redirect(job)
    problems: list[str] = []
    current = dict(job.mapping)
    if request.method == "POST":
        chosen = {header: request.POST.get(f"column-{i}") or None
                  for i, header in enumerate(job.headers)}
        try:
            services.set_mapping(job=job, mapping=chosen)
            services.check_import(job=job)
        except ValidationError as e:
            problems = e.messages
            current = chosen
        except FileReadError as e:
            problems = [e.message]
        else:
            return redirect(job)
    samples = services.column_samples(job)
    rows = [{"index": i, "header": header, "samples": samples.get(header, []),
             "field": current.get(header) or ""} for i, header in enumerate(job.headers)]
    return render(request, "transfer/mapping.html", _context(
        job, 2, rows=rows, fields=IMPORT_FIELDS, problems=problems,
        mapped=sum(1 for r in rows if r["field"])))


# --- Review ---------------------------------------------------------------------------------


@member_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if job.state != ImportState.REVIEW:
        return redirect(job)
    counts = services.planned_counts(job)
    similar_count = len(job.similar_values)
    tabs = [("errors", "Errors", job.invalid_rows), ("similar", "Similar values",
                                                      similar_count + len(job.unknown_values)),
            ("duplicates", "Duplicates", counts["duplicates"])]
    tab = request.GET.get("tab")
    if tab not in {key for key, _, _ in tabs}:
        tab = next((key for key, _, n in tabs if n), "errors")
    context = _context(job, 3, counts=counts, tabs=tabs, tab=tab, leave_empty=LEAVE_EMPTY)
    if tab == "errors":
        page = Paginator(RowError.objects.filter(job=job), PER_PAGE).get_page(
            request.GET.get("page"))
        context.update(page=page, fixes=_fixes(job))
    elif tab == "similar":
        context.update(groups=_groups(job), fixes=_fixes(job))
    else:
        page = Paginator(RowDuplicate.objects.filter(job=job), PER_PAGE).get_page(
            request.GET.get("page"))
        context.update(page=page, duplicates=_duplicate_rows(job, page.object_list),
                       actions=DuplicateAction.choices)
    return render(request, "transfer/review.html", context)


def _groups(job: ImportJob) -> list[dict]:
    """Similar-value groups with what is being used for them now."""
    groups = []
    for index, group in enumerate(job.similar_values):
        used = job.replacements.get(group["field"], {})
        applied = [used[v] for v in group["values"] if v in used]
        groups.append({**group, "index": index, "applied": bool(applied),
                       "spelling": applied[0] if applied else group["suggested"],
                       "counts_list": [(v, *group["counts"][v]) for v in group["values"]]})
    return groups


def _fixes(job: ImportJob) -> list[dict]:
    """Unknown names, each with the names it may be replaced by."""
    names = {field: list(model.objects.values_list("name", flat=True))
             for field, model in CHOICE_LISTS.items()}
    names["owner"] = list(User.objects.filter(is_active=True).values_list("username", flat=True))
    fixes = []
    for index, unknown in enumerate(job.unknown_values):
        fixes.append({**unknown, "index": index, "choices": names[unknown["field"]],
                      "chosen": job.replacements.get(unknown["field"], {}).get(
                          unknown["value"], unknown["suggestion"])})
    return fixes


def _duplicate_rows(job: ImportJob, duplicates) -> list[dict]:
    lead_ids = [d.lead_id for d in duplicates if d.lead_id]
    leads = {lead.pk: lead for lead in Lead.all_objects.filter(pk__in=lead_ids)
             .select_related("status")}
    labels = dict(DuplicateAction.choices)
    rows = []
    for d in duplicates:
        default = DuplicateAction.UPDATE if d.reason == "id" else job.on_duplicate
        rows.append({"duplicate": d, "lead": leads.get(d.lead_id),
                     "effective": d.action or default, "default_label": labels[default].lower()})
    return rows


@require_POST
@member_required
def fix_values(request: HttpRequest, pk: int) -> HttpResponse:
    """Use the chosen spellings and names, then check the file again."""
    job = _job(request, pk)
    changes: dict[str, dict[str, str | None]] = {}
    for group in _groups(job):
        use = request.POST.get(f"use-{group['index']}") == "on"
        spelling = request.POST.get(f"spelling-{group['index']}", "").strip()
        if f"spelling-{group['index']}" not in request.POST:
            continue
        for value in group["values"]:
            changes.setdefault(group["field"], {})[value] = spelling if use and spelling else None
    for fix in _fixes(job):
        key = f"fix-{fix['index']}"
        if key in request.POST:
            changes.setdefault(fix["field"], {})[fix["value"]] = request.POST[key] or None
    try:
        for field, replacements in changes.items():
            services.set_replacements(job=job, field=field, replacements=replacements)
        services.check_import(job=job)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    except FileReadError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, "Checked the file again with your changes.")
    return _to_review(job, tab=request.POST.get("tab", "similar"))


def _to_review(job: ImportJob, **params: Any) -> HttpResponse:
    """Back to the Review step, on a tab (and page) of it."""
    return redirect(f"{reverse('transfer:review', args=[job.pk])}?{urlencode(params)}")


@require_POST
@member_required
def default_action(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    try:
        services.set_default_action(job=job, action=request.POST.get("action", ""))
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    return _to_review(job, tab="duplicates")


@require_POST
@member_required
def row_action(request: HttpRequest, pk: int, row: int) -> HttpResponse:
    job = _job(request, pk)
    try:
        duplicate = services.set_duplicate_action(job=job, row=row,
                                                  action=request.POST.get("action", ""))
    except RowDuplicate.DoesNotExist:
        return HttpResponse(status=404)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return redirect(job)
    if request.htmx:
        return render(request, "transfer/_row_action_saved.html", {
            "job": job, "counts": services.planned_counts(job),
            "item": _duplicate_rows(job, [duplicate])[0], "actions": DuplicateAction.choices})
    return _to_review(job, tab="duplicates", page=request.POST.get("page", 1))


@require_POST
@member_required
def start_import(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    try:
        services.start_import(job=job, actor=request.user,
                              on_duplicate=request.POST.get("on_duplicate") or None)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    return redirect(job)


@require_POST
@member_required
def discard(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    try:
        services.delete_draft(job=job)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return redirect(job)
    messages.success(request, f"Threw away {job.filename}; nothing was imported.")
    return redirect("transfer:import")


# --- Import: progress and report ------------------------------------------------------------


@member_required
def job_page(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if job.state == ImportState.MAPPING:
        return redirect("transfer:mapping", job.pk)
    if job.state == ImportState.REVIEW:
        return redirect("transfer:review", job.pk)
    step = 3 if job.state == ImportState.CHECKING or not job.started_at else 4
    return render(request, "transfer/job.html", _job_context(request, job, step))


def _job_context(request: HttpRequest, job: ImportJob, step: int) -> dict:
    errors = RowError.objects.filter(job=job)[:PER_PAGE]
    return _context(job, step, status=services.import_status(job), errors=errors,
                    can_undo=services.can_undo(job, request.user),
                    can_resume=bool(services.importer.is_stalled(job) or (
                        job.state == ImportState.FAILED and job.started_at)))


@member_required
def progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar, polled while the job is busy; reloads the page when it is not."""
    job = _job(request, pk)
    if not job.busy and request.htmx:
        response = HttpResponse(status=204)
        if job.state == ImportState.REVIEW:
            response["HX-Redirect"] = reverse("transfer:review", args=[job.pk])
        else:
            response["HX-Refresh"] = "true"
        return response
    return render(request, "transfer/_progress.html", {"job": job,
                                                       "status": services.import_status(job)})


@require_POST
@member_required
def resume(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    try:
        services.resume_import(job=job, actor=request.user)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    return redirect(job)


@member_required
def undo(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if not services.can_undo(job, request.user):
        if job.state == ImportState.DONE:
            raise PermissionDenied
        return redirect(job)
    if request.method == "POST":
        summary = services.undo_import(job=job, actor=request.user)
        text = f"Undid the import of {job.filename}: removed {summary['removed']:,} leads"
        if summary["restored"]:
            text += f", restored {summary['restored']:,}"
        if summary["kept"]:
            text += f"; kept {summary['kept']:,} changed since"
        messages.success(request, text + ".")
        return redirect(job)
    return render(request, "transfer/undo.html", _context(job, 4))


@member_required
def failed_rows(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    stem = job.filename.rsplit(".", 1)[0][:60] or "leads"
    response = csv_response(services.failed_rows(job), filename_stem=f"{stem}-not-imported")
    response["Content-Disposition"] = (
        f'attachment; filename="{_ascii(stem)}-not-imported-{timezone.localdate():%Y-%m-%d}.csv"')
    return response


def _ascii(text: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_ ") else "-" for c in text)
