"""Bulk upload, as service functions: the wizard, the `import_leads` command and the API all
call these, so a file is checked and imported the same way whichever door it came in by.

The life of a job:

    job = create_import(actor=..., data=upload, filename="leads.csv")   # Match columns
    set_mapping(job=job, mapping={...})                                  # (optional)
    check_import(job=job)            # Review: errors, duplicates, similar values, nothing written
    set_duplicate_action(...), set_replacements(...)                     # (optional)
    start_import(job=job, actor=...)                                     # background job
    import_status(job), import_report(job)                               # progress, report
    undo_import(job=job, actor=...)

`submit_import` does all of it in one call (the API's POST /api/v2/imports): it queues a job
that checks the file and, unless it is a dry run, imports it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db.models import Count
from django.utils import timezone

from leadbook.accounts.models import User

from . import importer
from .csvsafe import neutralise
from .mapping import FIELDS_BY_NAME, IMPORT_FIELDS, apply_overrides, auto_map
from .models import (
    DuplicateAction,
    ImportJob,
    ImportState,
    RowDuplicate,
    RowError,
)
from .reading import NO_ROWS, FileReadError, Table, read_table
from .rows import CHOICE_FIELDS, LEAVE_EMPTY, SIMILAR_FIELDS

logger = logging.getLogger(__name__)

# Files up to this size are checked while the user waits; bigger ones by the worker.
INLINE_CHECK_BYTES = 512 * 1024
# Fields that can name a lead: at least one must be mapped.
NAMING_FIELDS = ("name", "contact_name", "first_name", "last_name", "company")
SAMPLE_ROWS = 200
# Values of each column the automatic mapping looks at (see mapping.VALUE_SHAPES).
MAPPING_SAMPLES = 20


# --- Upload and columns ---------------------------------------------------------------------


def create_import(*, actor: User | None, data: bytes | IO[bytes] | str | os.PathLike,
                  filename: str | None = None) -> ImportJob:
    """Keep an uploaded file as a new job, its columns mapped automatically.

    Raises FileReadError (with a message for the user) when the file cannot be imported.
    """
    if isinstance(data, str | os.PathLike):
        filename = filename or Path(data).name
        handle: Any = open(data, "rb")  # noqa: SIM115 (closed below)
    elif isinstance(data, bytes):
        handle = ContentFile(data)
    else:
        handle = data
    filename = Path(filename or getattr(data, "name", "") or "leads.csv").name
    try:
        table = read_table(handle, filename=filename)
        if not table.has_rows:
            raise FileReadError(NO_ROWS)
        mapping = auto_map(table.headers, table_samples(table, MAPPING_SAMPLES))
        handle.seek(0)
        job = ImportJob(created_by=actor, filename=filename[:255], headers=table.headers,
                        mapping=mapping, file_info={
                            "format": table.format, "encoding": table.encoding,
                            "delimiter": table.delimiter, "sheet": table.sheet_name,
                            "header_row": table.header_row})
        job.file.save(_stored_name(filename), File(handle), save=False)
        job.save()
    finally:
        if isinstance(data, str | os.PathLike):
            handle.close()
    return job


def _stored_name(filename: str) -> str:
    stem, suffix = os.path.splitext(filename)
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in stem)[:60] or "leads"
    return f"{safe}{suffix.lower()[:6]}"


def column_samples(job: ImportJob, per_column: int = 3) -> dict[str, list[str]]:
    """A few different values of each column, from the first rows of the file."""
    try:
        return table_samples(importer.open_table(job), per_column)
    except FileReadError:
        return {header: [] for header in job.headers}  # the check will say what is wrong


def table_samples(table: Table, per_column: int) -> dict[str, list[str]]:
    """Up to `per_column` different values of each column, from the table's first rows."""
    samples: dict[str, list[str]] = {header: [] for header in table.headers}
    rows = table.rows()
    try:
        for count, row in enumerate(rows):
            if count >= SAMPLE_ROWS:
                break
            for header, cell in zip(table.headers, row.cells, strict=False):
                values = samples[header]
                if cell and cell not in values and len(values) < per_column:
                    values.append(cell[:80])
    finally:
        getattr(rows, "close", lambda: None)()
    return samples


def mapping_problems(mapping: dict[str, str | None]) -> list[str]:
    """What is wrong with a mapping, in words for the user (empty when it will do)."""
    problems = []
    fields = [f for f in mapping.values() if f]
    unknown = sorted({f for f in fields if f not in FIELDS_BY_NAME})
    if unknown:
        problems.append(f"Unknown field: {', '.join(unknown)}.")
    for name in sorted({f for f in fields if fields.count(f) > 1}):
        headers = [h for h, f in mapping.items() if f == name]
        problems.append(f"{' and '.join(headers)} both go to {FIELDS_BY_NAME[name].label}; "
                        "a field takes one column.")
    if not any(f in NAMING_FIELDS for f in fields):
        problems.append("No column goes to Name: choose the column holding each lead's name "
                        "(or First Name, Last Name, Contact Name or Company).")
    return problems


def set_mapping(*, job: ImportJob, mapping: dict[str, str | None]) -> ImportJob:
    """Use this column mapping ({file header: field or None}) from now on."""
    _require_editable(job)
    mapping = {header: mapping.get(header) or None for header in job.headers}
    problems = mapping_problems(mapping)
    if problems:
        raise ValidationError(problems)
    job.mapping = mapping
    job.state = ImportState.MAPPING
    job.save(update_fields=["mapping", "state", "updated_at"])
    return job


def override_mapping(*, job: ImportJob, overrides: Iterable[str]) -> ImportJob:
    """Apply "Header=field" corrections (the command line's --map); ValueError if unknown."""
    return set_mapping(job=job, mapping=apply_overrides(job.mapping, list(overrides)))


def _require_editable(job: ImportJob) -> None:
    if job.state not in (ImportState.MAPPING, ImportState.REVIEW, ImportState.FAILED) or \
            job.started_at is not None:
        raise ValidationError("This import has started; its settings can no longer change.")


# --- Check and review -----------------------------------------------------------------------


def check_import(*, job: ImportJob, background: bool | None = None) -> ImportJob:
    """Check the file (nothing is written): inline for small files, else by the worker
    (`background` forces one or the other). FileReadError when it cannot be read."""
    _require_editable(job)
    problems = mapping_problems(job.mapping)
    if problems:
        raise ValidationError(problems)
    if background is None:
        background = job.file.size > INLINE_CHECK_BYTES
    if background:
        now = timezone.now()
        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportState.CHECKING, rows_done=0, phase_started_at=now, heartbeat_at=now)
        from .tasks import check_import_task

        check_import_task.enqueue(job.pk)
        job.refresh_from_db()
        return job
    importer.run_check(job)
    return job


def perform_check(job_id: int) -> None:
    """The worker's side of check_import."""
    job = ImportJob.objects.get(pk=job_id)
    try:
        importer.run_check(job)
    except FileReadError:
        pass  # run_check has put the message on the job
    except Exception:
        logger.exception("Checking import %s failed", job_id)
        ImportJob.objects.filter(pk=job_id).update(
            state=ImportState.FAILED,
            message="Leadbook could not check this file because of an error on its side. "
                    "Try again; if it keeps happening, tell your administrator.")


def set_default_action(*, job: ImportJob, action: str) -> None:
    """What to do with duplicates nobody chose for: skip, update existing or create anyway."""
    _require_editable(job)
    if action not in DuplicateAction.values:
        raise ValidationError(f"Choose one of: {', '.join(DuplicateAction.values)}.")
    job.options = {**job.options, "on_duplicate": action}
    job.save(update_fields=["options", "updated_at"])


def set_duplicate_action(*, job: ImportJob, row: int, action: str) -> RowDuplicate:
    """Override the default for one duplicate row ("" goes back to the default)."""
    _require_editable(job)
    if action and action not in DuplicateAction.values:
        raise ValidationError(f"Choose one of: {', '.join(DuplicateAction.values)}.")
    duplicate = RowDuplicate.objects.get(job=job, row=row)
    duplicate.action = action
    duplicate.save(update_fields=["action"])
    return duplicate


def set_replacements(*, job: ImportJob, field: str, replacements: dict[str, str | None]
                     ) -> ImportJob:
    """Import these spellings as others ({value in the file: value to import}); None (or
    the value itself) stops replacing it. The file must be checked again afterwards."""
    _require_editable(job)
    if field not in (*SIMILAR_FIELDS, *CHOICE_FIELDS):
        raise ValidationError(f"Values of {field} cannot be replaced.")
    current = dict(job.replacements.get(field, {}))
    for value, replacement in replacements.items():
        if replacement != LEAVE_EMPTY:
            replacement = " ".join((replacement or "").split())
        if replacement and replacement != value:
            current[value] = replacement
        else:
            current.pop(value, None)
    job.options = {**job.options, "replacements": {**job.replacements, field: current}}
    job.save(update_fields=["options", "updated_at"])
    return job


def accept_similar_values(*, job: ImportJob) -> ImportJob:
    """Use every suggested spelling of the similar-value groups."""
    for field in SIMILAR_FIELDS:
        groups = [g for g in job.similar_values if g["field"] == field]
        if groups:
            set_replacements(job=job, field=field, replacements={
                value: group["suggested"] for group in groups for value in group["values"]})
    return job


def leave_unknown_names_empty(*, job: ImportJob) -> ImportJob:
    """Import the rows whose Status, Source, Owner or Lead Type names nothing in Leadbook
    without that name: a new lead gets the default status and no source, owner or such
    type; an updated lead keeps its own."""
    for field in CHOICE_FIELDS:
        unknown = [u["value"] for u in job.unknown_values if u["field"] == field]
        if unknown:
            set_replacements(job=job, field=field,
                             replacements=dict.fromkeys(unknown, LEAVE_EMPTY))
    return job


def names_left_empty(job: ImportJob) -> list[str]:
    """The unknown names the job imports without ("Status “Open Deal”"), for its report."""
    return [f"{FIELDS_BY_NAME[field].label} “{value}”" for field in CHOICE_FIELDS
            for value, replacement in sorted(job.replacements.get(field, {}).items())
            if replacement == LEAVE_EMPTY]


def planned_counts(job: ImportJob) -> dict[str, int]:
    """What importing would do now: rows created, updated and skipped (duplicates by the
    choices made), and rows with errors."""
    actions = {action: 0 for action in DuplicateAction.values}
    rows = RowDuplicate.objects.filter(job=job).values("action", "reason").annotate(n=Count("id"))
    for row in rows:
        action = row["action"] or (DuplicateAction.UPDATE if row["reason"] == "id"
                                   else job.on_duplicate)
        actions[action] += row["n"]
    duplicates = sum(actions.values())
    return {
        "create": job.valid_rows - duplicates + actions[DuplicateAction.CREATE],
        "update": actions[DuplicateAction.UPDATE], "skip": actions[DuplicateAction.SKIP],
        "errors": job.invalid_rows, "duplicates": duplicates,
    }


# --- Import, progress, report ---------------------------------------------------------------


def start_import(*, job: ImportJob, actor: User | None = None,
                 on_duplicate: str | None = None) -> ImportJob:
    """Queue the import of a checked job; the worker writes it (see `perform_import`)."""
    if on_duplicate:
        set_default_action(job=job, action=on_duplicate)
    if job.state not in (ImportState.REVIEW, ImportState.MAPPING):
        raise ValidationError("This import has already been started.")
    problems = mapping_problems(job.mapping)
    if problems:
        raise ValidationError(problems)
    _queue(job)
    return job


def resume_import(*, job: ImportJob, actor: User | None = None) -> ImportJob:
    """Start a failed or stalled import again from its last committed batch."""
    if not (job.state == ImportState.FAILED and job.started_at) and not importer.is_stalled(job):
        raise ValidationError("This import is not stopped; there is nothing to resume.")
    if job.state == ImportState.CHECKING:
        ImportJob.objects.filter(pk=job.pk).update(state=ImportState.MAPPING)
        job.refresh_from_db()
        return check_import(job=job, background=True)
    _queue(job)
    return job


def _queue(job: ImportJob) -> None:
    ImportJob.objects.filter(pk=job.pk).update(state=ImportState.QUEUED, message="",
                                               heartbeat_at=timezone.now())
    from .tasks import import_task

    import_task.enqueue(job.pk)
    job.refresh_from_db()


def perform_import(job_id: int, *, progress=None, workers: int | None = None) -> None:
    """The worker's side of start_import: claim the job, then check (if needed) and write."""
    job = ImportJob.objects.get(pk=job_id)
    token = importer.claim(job)
    if token is None:
        return  # another run has it, or it is no longer queued
    try:
        importer.run_import(job, token, progress=progress, workers=workers)
    except FileReadError as e:
        _fail(job, token, e.message)
    except importer.ImportAborted as e:
        _fail(job, token, str(e))
    except Exception:
        logger.exception("Import %s failed", job_id)
        _fail(job, token, "The import stopped because of an error on Leadbook's side. The rows "
                          "imported so far are kept; resume it to go on from there.")


def _fail(job: ImportJob, token: str, message: str) -> None:
    ImportJob.objects.filter(pk=job.pk, run_token=token).update(
        state=ImportState.FAILED, message=message, finished_at=timezone.now())
    job.refresh_from_db()


def submit_import(*, actor: User | None, data, filename: str | None = None,
                  mapping_overrides: Iterable[str] = (), on_duplicate: str = "skip",
                  dry_run: bool = False, accept_similar: bool = False,
                  leave_unknown: bool = False) -> ImportJob:
    """Upload, map, check and (unless `dry_run`) import a file in one call, in the
    background. FileReadError for an unreadable file; ValueError or ValidationError for a
    bad mapping or option. Poll `import_status` / `import_report` for the outcome."""
    job = _submitted_job(actor=actor, data=data, filename=filename,
                         mapping_overrides=mapping_overrides, on_duplicate=on_duplicate,
                         dry_run=dry_run, accept_similar=accept_similar,
                         leave_unknown=leave_unknown)
    from .tasks import submitted_import_task

    submitted_import_task.enqueue(job.pk)
    job.refresh_from_db()
    return job


def import_file(*, actor: User | None, data, filename: str | None = None,
                mapping_overrides: Iterable[str] = (), on_duplicate: str = "skip",
                dry_run: bool = False, accept_similar: bool = False,
                leave_unknown: bool = False, progress=None,
                workers: int | None = None) -> ImportJob:
    """`submit_import`, run here and now (the `import_leads` command); `progress` is called
    with (phase, rows done, rows in all) as it goes."""
    job = _submitted_job(actor=actor, data=data, filename=filename,
                         mapping_overrides=mapping_overrides, on_duplicate=on_duplicate,
                         dry_run=dry_run, accept_similar=accept_similar,
                         leave_unknown=leave_unknown)
    perform_submitted(job.pk, progress=progress, workers=workers)
    job.refresh_from_db()
    return job


def _submitted_job(*, actor, data, filename, mapping_overrides, on_duplicate, dry_run,
                   accept_similar, leave_unknown) -> ImportJob:
    job = create_import(actor=actor, data=data, filename=filename)
    try:
        override_mapping(job=job, overrides=mapping_overrides)
        set_default_action(job=job, action=on_duplicate)
    except (ValueError, ValidationError):
        delete_draft(job=job)
        raise
    job.options = {**job.options, "dry_run": dry_run, "accept_similar": accept_similar,
                   "leave_unknown": leave_unknown}
    job.state = ImportState.CHECKING
    job.save(update_fields=["options", "state", "updated_at"])
    return job


def perform_submitted(job_id: int, *, progress=None, workers: int | None = None) -> None:
    """Check a submitted job, take the suggested spellings and leave unknown names out if
    asked (checking it again), and import it."""
    job = ImportJob.objects.get(pk=job_id)
    try:
        importer.run_check(job, progress=progress, workers=workers)
        changed = False
        if job.options.get("accept_similar") and job.similar_values:
            accept_similar_values(job=job)
            changed = True
        if job.options.get("leave_unknown") and job.unknown_values:
            leave_unknown_names_empty(job=job)
            changed = True
        if changed:
            importer.run_check(job, progress=progress, workers=workers)
    except FileReadError:
        return
    if not job.options.get("dry_run"):
        ImportJob.objects.filter(pk=job.pk).update(state=ImportState.QUEUED)
        perform_import(job.pk, progress=progress, workers=workers)


def import_status(job: ImportJob) -> dict[str, Any]:
    """Where the job is: for the progress bar (and the API's job resource)."""
    done = job.rows_done
    total = max(job.total_rows, done)  # a CSV's row count is estimated until it is checked
    elapsed = (timezone.now() - job.phase_started_at).total_seconds() \
        if job.phase_started_at else 0
    rate = done / elapsed if elapsed > 0.5 and done else None
    left = (total - done) / rate if rate and job.busy else None
    return {
        "id": job.pk, "state": job.state, "state_label": job.get_state_display(),
        "filename": job.filename, "busy": job.busy, "stalled": importer.is_stalled(job),
        "rows_done": done, "total_rows": total,
        "percent": round(100 * done / total) if total else (100 if not job.busy else 0),
        "rows_per_second": round(rate) if rate else None,
        "seconds_left": round(left) if left is not None else None,
        "message": job.message,
    }


def import_report(job: ImportJob) -> dict[str, Any]:
    """The report, in DESIGN.md's shape. Before the import has run, created, updated and
    skipped say what importing would do."""
    if job.started_at is None:
        planned = planned_counts(job)
        created, updated, skipped = planned["create"], planned["update"], planned["skip"]
    else:
        created, updated, skipped = job.created, job.updated, job.skipped
    duplicates = []
    for row, lead_id, of_row, reason in RowDuplicate.objects.filter(job=job).values_list(
            "row", "lead_id", "duplicate_of_row", "reason"):
        entry: dict[str, Any] = {"row": row}
        if lead_id is not None:
            entry["lead_id"] = lead_id
        else:
            entry["duplicate_of_row"] = of_row
        entry["reason"] = reason
        duplicates.append(entry)
    return {
        "rows": job.valid_rows + job.invalid_rows,
        "valid": job.valid_rows,
        "invalid": job.invalid_rows,
        "created": created,
        "updated": updated,
        "skipped": skipped,
        "mapping": dict(job.mapping),
        "errors": [{"row": r, "column": c, "message": m} for r, c, m in
                   RowError.objects.filter(job=job).values_list("row", "column", "message")],
        "duplicates": duplicates,
        "similar_values": [{"column": g["column"], "values": g["values"],
                            "suggested": g["suggested"]} for g in job.similar_values],
    }


# --- Afterwards -----------------------------------------------------------------------------


def can_undo(job: ImportJob, user: User) -> bool:
    return job.state == ImportState.DONE and (user.is_admin or job.created_by_id == user.pk)


def undo_import(*, job: ImportJob, actor: User) -> dict[str, int]:
    """Take a finished import back (see importer.undo): {"removed", "restored", "kept"}."""
    if not can_undo(job, actor):
        if job.state != ImportState.DONE:
            raise ValidationError("Only a finished import can be undone.")
        raise PermissionDenied("Only the person who ran this import, or an admin, can undo it.")
    return importer.undo(job, actor)


FAILED_COLUMN = "Import error"


def failed_rows(job: ImportJob) -> Iterator[list[str]]:
    """The rows that were not imported, as they were in the file, each with what was wrong
    in a first column (the header first). Fixed and uploaded again, they import."""
    problems: dict[int, list[str]] = {}
    for row, column, message in RowError.objects.filter(job=job).values_list(
            "row", "column", "message"):
        problems.setdefault(row, []).append(f"{column}: {message}" if column else message)
    yield [FAILED_COLUMN, *job.headers]
    if not problems:
        return
    for row in importer.open_table(job).rows():
        if row.number in problems:
            yield [" ".join(problems[row.number]), *(neutralise(c) for c in row.cells)]


def delete_draft(*, job: ImportJob) -> None:
    """Throw away a job that never started importing, with its file."""
    if job.started_at is not None or job.busy:
        raise ValidationError("Only an import that has not started can be thrown away.")
    importer.remove_prepared_rows(job)
    job.file.delete(save=False)
    job.delete()


def field_choices() -> list[tuple[str, str]]:
    """(field, label) for the column mapping's select."""
    return [(f.name, f.label) for f in IMPORT_FIELDS]
