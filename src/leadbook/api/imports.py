"""/api/v2/imports: bulk upload of a CSV or Excel file, through the same pipeline as the
wizard and `leadbook import_leads` (transfer.services.submit_import): the file is checked,
then, unless it is a dry run, imported by the background worker. The job resource carries
the progress and, once the file is checked, the report whose shape DESIGN.md fixes."""

import datetime
from typing import Annotated, Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import File, Form, Query, Router, Status, UploadedFile
from pydantic import BaseModel, Field

from leadbook.transfer import services
from leadbook.transfer.export import csv_response
from leadbook.transfer.models import DuplicateAction, ImportJob, ImportState
from leadbook.transfer.reading import FileReadError

from .errors import ApiError, Unprocessable, field_error
from .openapi import AUTH, ONE, QUERY, header, responses, with_headers
from .schemas import PageQuery, actor, id_path, page

router = Router(tags=["Imports"])

JobId = Annotated[int, id_path("The import job's id.")]
OnDuplicate = Literal[tuple(DuplicateAction.values)]  # type: ignore[valid-type]
MAX_MAPS = 200
JOB_LOCATION = header("Where the import job can be followed.", "/api/v2/imports/12")


# --- What a job looks like ----------------------------------------------------------------------


class ImportProgress(BaseModel):
    busy: bool = Field(description="The worker is (or should be) busy with it: poll again.")
    stalled: bool = Field(description="Busy, but the worker has not reported for a while.")
    rows_done: int
    total_rows: int = Field(description="Estimated for a CSV until it has been checked.")
    percent: int
    rows_per_second: int | None
    seconds_left: int | None


class ImportRowError(BaseModel):
    row: int = Field(description="As a spreadsheet numbers it: the header is row 1.")
    column: str = Field(description="The file's column header (empty: the whole row).")
    message: str


class DuplicateOfLead(BaseModel):
    row: int
    lead_id: int = Field(description="The lead already in the book this row repeats.")
    reason: str


class DuplicateOfRow(BaseModel):
    row: int
    duplicate_of_row: int = Field(description="The earlier row of the file it repeats.")
    reason: str


class SimilarValues(BaseModel):
    column: str
    values: list[str]
    suggested: str


class ImportReport(BaseModel):
    rows: int
    valid: int
    invalid: int
    created: int = Field(description="Before the import has run: how many it would create.")
    updated: int
    skipped: int
    mapping: dict[str, str | None] = Field(description="{file header: field, or null when "
                                                       "the column is ignored}")
    errors: list[ImportRowError]
    duplicates: list[DuplicateOfLead | DuplicateOfRow]
    similar_values: list[SimilarValues]


class ImportJobOut(BaseModel):
    id: int
    filename: str
    state: Literal[tuple(ImportState.values)] = Field(  # type: ignore[valid-type]
        description="checking → queued → importing → done; a dry run stops at review (checked, "
                    "nothing written); failed says why in `message`.")
    state_label: str
    dry_run: bool
    on_duplicate: OnDuplicate  # type: ignore[valid-type]
    message: str = Field(description="Why the job failed, for people.")
    created_by: str | None = Field(description="Who uploaded it (username).")
    created_at: datetime.datetime
    finished_at: datetime.datetime | None
    progress: ImportProgress
    report: ImportReport | None = Field(
        description="Null until the file has been checked; counts grow while it imports.")


class ImportJobPage(BaseModel):
    items: list[ImportJobOut]
    count: int


FINISHED_CHECKING = (ImportState.REVIEW, ImportState.QUEUED, ImportState.IMPORTING,
                     ImportState.DONE, ImportState.UNDONE)


def job_json(job: ImportJob) -> dict[str, Any]:
    status = services.import_status(job)
    checked = job.checked_at is not None and (
        job.state in FINISHED_CHECKING or (job.state == ImportState.FAILED and job.started_at))
    return {
        "id": job.pk, "filename": job.filename, "state": job.state,
        "state_label": status["state_label"], "dry_run": bool(job.options.get("dry_run")),
        "on_duplicate": job.on_duplicate, "message": job.message,
        "created_by": job.created_by.username if job.created_by else None,
        "created_at": job.created_at, "finished_at": job.finished_at,
        "progress": {key: status[key] for key in ImportProgress.model_fields},
        "report": services.import_report(job) if checked else None,
    }


def visible_jobs(request: HttpRequest):
    """Admins see every import; others their own."""
    jobs = ImportJob.objects.select_related("created_by")
    user = actor(request)
    return jobs if user.is_admin else jobs.filter(created_by=user)


def get_job(request: HttpRequest, job_id: int) -> ImportJob:
    return visible_jobs(request).get(pk=job_id)


# --- Operations -------------------------------------------------------------------------------


class TooLarge(ApiError):
    status = 413


FILE = File(..., description="A .csv (any common encoding and delimiter) or .xlsx file with "
                             "a header row.")
DRY_RUN = Form(False, description="Only check the file: the report says what importing would "
                                  "do; nothing is written.")
ON_DUPLICATE = Form("skip", description="What to do with rows that repeat a lead you have: "
                                        "skip them, update the existing lead, or create a new "
                                        "one anyway.")
MAP = Form([], max_length=MAX_MAPS,
           description="Corrections to the automatic column mapping, `Header=field` (the "
                       "field's name or label); `Header=` ignores the column. Repeat for "
                       "several.")
ACCEPT_SIMILAR = Form(False, description="Import similar spellings in City, State and the "
                                         "like as the suggested one.")
LEAVE_UNKNOWN = Form(False, description="Import rows whose status, source, lead type or owner "
                                        "names nothing in Leadbook without that name (new "
                                        "leads get the default status), instead of reporting "
                                        "them as errors.")


@router.post("/imports", response=responses(
    {202: ImportJobOut}, *AUTH, 400, 403, 413, 422),
    openapi_extra=with_headers(_202={"Location": JOB_LOCATION}), summary="Import a file")
def create_import(
    request: HttpRequest, response: HttpResponse, file: UploadedFile = FILE,
    dry_run: bool = DRY_RUN, on_duplicate: OnDuplicate = ON_DUPLICATE,  # type: ignore[valid-type]
    map: list[Annotated[str, Field(max_length=500)]] = MAP, accept_similar: bool = ACCEPT_SIMILAR,
    leave_unknown: bool = LEAVE_UNKNOWN,
):
    """Upload a file to import, as Leads → Import does: the columns are mapped
    automatically (corrected with `map`), the file is checked, and, unless `dry_run`, the
    worker imports it. Answers 202 with the job; follow it at the `Location` until
    `progress.busy` is false, then read `report`. The options go as form fields beside
    `file`. A file that cannot be read, or a mapping that will not do, is a 422; a file
    over the upload limit a 413."""
    if file.size is not None and file.size > settings.MAX_UPLOAD_BYTES:
        limit = settings.MAX_UPLOAD_BYTES // (1024 * 1024)
        raise TooLarge(f"This file is larger than {limit} MB. Split it into smaller files, "
                       "or save it as CSV, which is smaller than Excel.")
    try:
        job = services.submit_import(
            actor=actor(request), data=file, filename=file.name or "leads.csv",
            mapping_overrides=[m for m in map if m.strip()], on_duplicate=on_duplicate,
            dry_run=dry_run, accept_similar=accept_similar, leave_unknown=leave_unknown)
    except FileReadError as e:
        raise Unprocessable.field("file", e.message) from None
    except ValueError as e:
        raise Unprocessable.field("map", str(e)) from None
    except ValidationError as e:
        raise Unprocessable([field_error("map", message) for message in e.messages]) from None
    job = ImportJob.objects.select_related("created_by").get(pk=job.pk)
    response["Location"] = f"{request.path.rstrip('/')}/{job.pk}"
    return Status(202, job_json(job))


@router.get("/imports", response=responses({200: ImportJobPage}, *QUERY),
            summary="List imports")
def list_imports(request: HttpRequest, query: Query[PageQuery]):
    """Newest first: your own imports (an admin's token sees everyone's)."""
    return page(visible_jobs(request), query, job_json)


@router.get("/imports/{job_id}", response=responses({200: ImportJobOut}, *ONE),
            summary="Follow an import")
def get_import(request: HttpRequest, job_id: JobId):
    """The job's state, progress and, once the file is checked, its report. Someone
    else's import is a 404 unless the token is an admin's."""
    return job_json(get_job(request, job_id))


FAILED_ROWS_CSV = {"responses": {200: {
    "description": "The rows that were not imported, as they were in the file, with what "
                   "was wrong in a first column.",
    "content": {"text/csv": {"schema": {"type": "string"}}}}}}


@router.get("/imports/{job_id}/failed-rows", response=responses({}, *ONE),
            openapi_extra=FAILED_ROWS_CSV, summary="Download the rows that failed")
def failed_rows(request: HttpRequest, job_id: JobId) -> StreamingHttpResponse:
    """A CSV of the rows with errors, each with its problem in the first column (header
    first): fix them and upload the file again. Only the header when every row was good;
    a 422 until the file has been checked."""
    job = get_job(request, job_id)
    if job.checked_at is None:
        raise Unprocessable.field(None, "This file has not been checked yet: try again when "
                                        "progress.busy is false.", location="path")
    try:
        rows = list(services.failed_rows(job))
    except FileReadError as e:
        raise Unprocessable.field(None, e.message, location="path") from None
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in
                   job.filename.rsplit(".", 1)[0])[:60] or "leads"
    return csv_response(iter(rows), filename_stem=f"{stem}-failed-rows")
