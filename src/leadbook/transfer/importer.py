"""The import pipeline: check a file (nothing written), then write it in atomic batches.

**Check** (`run_check`): every row is mapped, looked up, normalised and validated
(rows.py), in two worker processes for big files; the valid rows are kept, ready to write,
in a *prepared file* beside the upload, and matched against the book and each other
(`leads.matching`). Problems, likely duplicates, similar spellings and unknown names are
stored on the job for the Review step and the report.

**Import** (`run_import`): the prepared rows are written batch by batch. A batch is one
transaction holding its leads, their lead types, their history, the record of what the import
did (for undo) and the job's progress, so a failure or a killed worker never leaves half a
batch, and resuming starts after the last committed batch. When the mapping, the chosen
spellings or the lists (statuses, lead types, sources, users) have changed since the check,
the import checks the file again first.

Writes go through `core.bulk` (one executemany per table and batch) with the values the
lead services' own rules produced. Per-lead events (webhooks) are not sent for imports: a
file of 100,000 leads would send 100,000 of them; the audit log gets one entry per import.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import pickle
import secrets
import shutil
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from operator import itemgetter
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from rapidfuzz import fuzz

from leadbook.accounts.models import User
from leadbook.audit.services import audit_record
from leadbook.core import bulk
from leadbook.core.forking import forked_pool
from leadbook.core.models import WorkspaceSettings
from leadbook.leads import matching, search, tally
from leadbook.leads.models import Lead, LeadType, Source, Status
from leadbook.leads.services import default_status

from .models import DuplicateAction, ImportedLead, ImportJob, ImportState, RowDuplicate, RowError
from .reading import FileReadError, Row, Table, read_table
from .rows import (
    DERIVED_FIELDS,
    UPDATED_BY,
    VALUE_FIELDS,
    VALUE_INDEX,
    ChunkResult,
    ImportContext,
    RowPreparer,
    fold,
    suggest,
)
from .similar import SIMILAR_FIELDS, group_similar, stored_spellings

# Files with at least this many rows are checked in worker processes (both cores).
PARALLEL_MIN_ROWS = 5000
WORKERS = min(2, os.cpu_count() or 1)
CHUNK_ROWS = 2000  # rows per piece of work for a worker, and per progress update
BATCH_ROWS = 10_000  # rows per transaction when writing: bigger batches rewrite fewer
# index pages, smaller ones hold the write lock for less time (about a second here)
IN_CHUNK = 900  # ids per `IN (...)` query
# A job whose worker has not reported for this long is taken to have died.
STALE_SECONDS = 120

Progress = Callable[[str, int, int], None]  # (phase, rows done, rows in all)
Through = Lead.lead_types.through
History = Lead.history.model


class ImportAborted(Exception):
    """Another run took the job over (or it was undone) while this one was writing."""


# --- Context --------------------------------------------------------------------------------


def build_context(job: ImportJob) -> ImportContext:
    """Read the lists the rows are looked up in, and the workspace's rules."""
    statuses = list(Status.objects.values_list("id", "name"))
    lead_types = list(LeadType.objects.values_list("id", "name", "position"))
    sources = list(Source.objects.values_list("id", "name"))
    owners: dict[str, int | None] = {}
    owner_names = []
    for user in User.objects.filter(is_active=True):
        owner_names.append(user.username)
        for key in {fold(user.username), fold(user.email), fold(user.get_full_name())} - {""}:
            owners[key] = user.pk if owners.get(key, user.pk) == user.pk else None
    import_source = next((i for i, name in sources if fold(name) == "import"), None)
    return ImportContext(
        headers=job.headers, mapping=job.mapping,
        statuses={fold(name): i for i, name in statuses}, status_names=dict(statuses),
        lead_types={fold(name): i for i, name, _ in lead_types},
        lead_type_order={i: (position, i, name) for i, name, position in lead_types},
        sources={fold(name): i for i, name in sources}, source_names=dict(sources),
        owners=owners, owner_names=owner_names,
        default_status_id=default_status().pk, default_source_id=import_source,
        contact_requirement=WorkspaceSettings.load().contact_requirement,
        replacements=job.replacements,
    )


def check_key(job: ImportJob, ctx: ImportContext) -> str:
    """Fingerprint of everything the prepared rows depend on."""
    data = {
        "file": [job.file.name, job.file.size],
        "mapping": ctx.mapping, "replacements": ctx.replacements,
        "lists": [ctx.statuses, ctx.lead_types, sorted(ctx.lead_type_order.values()),
                  ctx.sources, sorted(ctx.owners.items()), ctx.default_status_id,
                  ctx.default_source_id, ctx.contact_requirement],
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def open_table(job: ImportJob) -> Table:
    return read_table(job.file.path, filename=job.filename)


# --- Preparing rows, in worker processes for big files --------------------------------------


def _chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _ReadFailed:
    """Carries a FileReadError from the thread that feeds the worker pool."""

    def __init__(self, error: FileReadError):
        self.error = error


def _guarded_chunks(table: Table) -> Iterator[list[Row] | _ReadFailed]:
    try:
        yield from _chunks(table.rows(), CHUNK_ROWS)
    except FileReadError as e:
        yield _ReadFailed(e)


_worker: tuple[RowPreparer, Path] | None = None


def _start_worker(ctx: ImportContext, folder: Path) -> None:
    global _worker
    _worker = (RowPreparer(ctx), folder)


def _prepare_in_worker(item: tuple[int, list[Row]] | _ReadFailed) -> ChunkResult | _ReadFailed:
    if isinstance(item, _ReadFailed):
        return item
    assert _worker is not None
    preparer, folder = _worker
    return _prepare_and_keep(preparer, folder, *item)


def _prepare_and_keep(preparer: RowPreparer, folder: Path, index: int,
                      chunk: list[Row]) -> ChunkResult:
    """Prepare a chunk and write its records to the prepared folder, where the import reads
    them; only what the check needs goes back (records never cross between processes)."""
    result = preparer.prepare_chunk(chunk)
    with (folder / f"{index:07d}.pickle").open("wb") as out:
        pickle.dump(result.records, out, protocol=pickle.HIGHEST_PROTOCOL)
    # What the Review shows of a row, should it be a duplicate, in a file of its own: the
    # check reads these back in a tenth of the time the whole records would take.
    with (folder / f"{index:07d}.previews").open("wb") as out:
        pickle.dump([(record[0], *_preview_values(record[1])) for record in result.records],
                    out, protocol=pickle.HIGHEST_PROTOCOL)
    result.numbers = [record[0] for record in result.records]
    result.file_ids = [(i, record[4]) for i, record in enumerate(result.records)
                       if record[4] is not None]
    result.records = []
    return result


def prepared_chunks(ctx: ImportContext, table: Table, workers: int,
                    folder: Path) -> Iterator[ChunkResult]:
    """The file's rows prepared chunk by chunk, in order, their records written to `folder`.
    With `workers` > 1 the chunks are prepared by that many forked processes; they use no
    database connection (everything is in `ctx`), so forking a process that has one is safe."""
    if workers <= 1:
        preparer = RowPreparer(ctx)
        for index, chunk in enumerate(_chunks(table.rows(), CHUNK_ROWS)):
            yield _prepare_and_keep(preparer, folder, index, chunk)
        return
    pool = forked_pool(workers, initializer=_start_worker, initargs=(ctx, folder))
    try:
        for result in pool.imap(_prepare_in_worker, _numbered(_guarded_chunks(table))):
            if isinstance(result, _ReadFailed):
                raise result.error
            yield result
    finally:
        pool.terminate()
        pool.join()


def _numbered(chunks: Iterator[list[Row] | _ReadFailed]
              ) -> Iterator[tuple[int, list[Row]] | _ReadFailed]:
    for index, chunk in enumerate(chunks):
        yield chunk if isinstance(chunk, _ReadFailed) else (index, chunk)


# --- The prepared rows ----------------------------------------------------------------------


def spool_path(job: ImportJob, key: str) -> Path:
    """The folder of a job's prepared rows (one file per chunk), for one check key."""
    return Path(settings.MEDIA_ROOT) / "imports" / "prepared" / f"job-{job.pk}-{key[:16]}"


def remove_prepared_rows(job: ImportJob, *, keep: Path | None = None) -> None:
    """Remove the job's prepared rows (all of them but `keep`)."""
    folder = Path(settings.MEDIA_ROOT) / "imports" / "prepared"
    for path in folder.glob(f"job-{job.pk}-*"):
        if path != keep:
            shutil.rmtree(path, ignore_errors=True)


def read_spool(path: Path) -> Iterator[tuple]:
    """The prepared records, in row order."""
    for part in sorted(path.glob("*.pickle")):
        with part.open("rb") as stream:
            yield from pickle.load(stream)  # noqa: S301 (our own file)


# --- Check ----------------------------------------------------------------------------------


def _save_job(job: ImportJob, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(job, name, value)
    job.save(update_fields=[*fields, "updated_at"])


def run_check(job: ImportJob, *, progress: Progress | None = None,
              workers: int | None = None) -> None:
    """Check every row of the job's file and store what was found; nothing is imported.

    Raises FileReadError when the file cannot be read to the end (the job is then FAILED).
    """
    ctx = build_context(job)
    key = check_key(job, ctx)
    try:
        table = open_table(job)
        total = _row_estimate(job, table)
    except FileReadError as e:
        _save_job(job, state=ImportState.FAILED, message=e.message)
        raise
    now = timezone.now()
    previous_state = job.state
    _save_job(job, state=ImportState.CHECKING, total_rows=total, rows_done=0,
              phase_started_at=now, heartbeat_at=now, message="")
    if workers is None:
        workers = WORKERS if total >= PARALLEL_MIN_ROWS else 1

    path = spool_path(job, key)
    partial = path.with_name(path.name + "-partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    numbers: list[int] = []
    profiles: list[matching.Profile] = []
    file_ids: dict[int, int] = {}  # index in numbers -> the ID column's lead id
    errors: list[tuple] = []
    spellings = {name: Counter() for name in SIMILAR_FIELDS}
    unknown: Counter = Counter()
    done = invalid = 0
    try:
        for result in prepared_chunks(ctx, table, workers, partial):
            file_ids.update((len(numbers) + i, lead_id) for i, lead_id in result.file_ids)
            numbers.extend(result.numbers)
            profiles.extend(map(matching.Profile._make, result.profiles))
            errors.extend(result.errors)
            for name in SIMILAR_FIELDS:
                spellings[name].update(result.spellings.get(name, ()))
            unknown.update(result.unknown)
            done += result.rows
            invalid += result.invalid
            _report_progress(job, progress, "checking", done, total)
    except BaseException as e:
        shutil.rmtree(partial, ignore_errors=True)
        if isinstance(e, FileReadError):
            _save_job(job, state=ImportState.FAILED, message=e.message)
        raise
    remove_prepared_rows(job, keep=partial)
    os.replace(partial, path)

    rejected = _check_ids(ctx, numbers, profiles, file_ids, errors)
    kept = [i for i in range(len(numbers)) if i not in rejected]
    matches = matching.match_profiles([profiles[i] for i in kept], parallel=workers > 1)
    del profiles
    duplicates = []
    for match in matches:
        index = kept[match.row]
        duplicates.append({
            "row": numbers[index], "lead_id": match.lead_id,
            "duplicate_of_row": numbers[kept[match.duplicate_of_row]]
            if match.duplicate_of_row is not None else None,
            "reason": match.reason, "score": match.score, "detail": match.detail[:300],
        })
    duplicates.extend(
        {"row": numbers[i], "lead_id": lead_id, "duplicate_of_row": None, "reason": "id",
         "score": 100.0, "detail": f"The file gives this lead's ID, {lead_id}"}
        for i, lead_id in file_ids.items() if i not in rejected)
    by_row = {d["row"]: d for d in duplicates}  # an ID beats any other match of its row
    _add_previews(path, by_row)

    with transaction.atomic():
        _store_problems(job, errors, list(by_row.values()))
        _save_job(
            job, state=ImportState.REVIEW if previous_state != ImportState.IMPORTING
            else previous_state,
            rows_done=done, total_rows=done, checked_at=timezone.now(), check_key=key,
            valid_rows=len(numbers) - len(rejected), invalid_rows=invalid + len(rejected),
            similar_values=_similar_groups(ctx, spellings),
            unknown_values=_unknown_values(ctx, unknown),
        )


def _row_estimate(job: ImportJob, table: Table) -> int:
    """How many rows the file has, for the progress bar: exact for a workbook (its first
    pass is kept for the next ones), the number of lines for a CSV file (a pass of the CSV
    parser costs a second per 100,000 rows; the check ends with the exact count)."""
    if table.format != "csv":
        return table.count_rows()
    lines = 0
    with open(job.file.path, "rb") as stream:
        while chunk := stream.read(1024 * 1024):
            lines += chunk.count(b"\n") or chunk.count(b"\r")
    return max(1, lines - table.header_row + 1)


def _report_progress(job: ImportJob, progress: Progress | None, phase: str, done: int,
                     total: int) -> None:
    ImportJob.objects.filter(pk=job.pk).update(rows_done=done, heartbeat_at=timezone.now())
    job.rows_done = done
    if progress:
        progress(phase, done, total)


def _check_ids(ctx: ImportContext, numbers: list[int], profiles: list[matching.Profile],
               file_ids: dict[int, int], errors: list[tuple]) -> set[int]:
    """Rows whose ID names no lead, or a lead they do not look like: reported, not imported."""
    column = ctx.column_of("id")
    wanted = sorted(set(file_ids.values()))
    found: dict[int, dict] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        for lead in Lead.objects.filter(pk__in=wanted[start:start + IN_CHUNK]).values(
                "id", "name", "company", "first_name", "last_name", *matching.KEY_FIELDS):
            found[lead["id"]] = lead
    rejected = set()
    for index, lead_id in file_ids.items():
        lead = found.get(lead_id)
        if lead is None:
            message = (f"No lead has ID {lead_id} (it may have been deleted). Clear the ID to add "
                       "this row as a new lead, or set the ID column to “Don't import”.")
        elif not _plausibly_same(profiles[index], lead):
            message = (f"ID {lead_id} belongs to “{lead['name']}”, which does not look like this "
                       "row (no name, email, phone, Instagram or website in common). Check the "
                       "ID, or clear it to add the row as a new lead.")
        else:
            continue
        rejected.add(index)
        errors.append((numbers[index], column, "id", message, str(lead_id)))
    return rejected


def _plausibly_same(profile: matching.Profile, lead: dict) -> bool:
    for key in matching.KEY_FIELDS:
        if getattr(profile, key) and getattr(profile, key) == lead[key]:
            return True
    person = " ".join(p for p in (lead["first_name"], lead["last_name"]) if p)
    theirs = [fold(t) for t in (lead["name"], lead["company"], person) if t]
    ours = [fold(t) for t in (profile.label_text, profile.person) if t]
    return any(fuzz.token_set_ratio(a, b) >= 80 for a in ours for b in theirs)


# The prepared values the Review shows of a duplicate row (see _add_previews).
PREVIEW_FIELDS = ("name", "first_name", "last_name", "company", "email", "phone", "instagram",
                  "city", "state")
_preview_values = itemgetter(*(VALUE_INDEX[name] for name in PREVIEW_FIELDS))


def _add_previews(path: Path, duplicates: dict[int, dict]) -> None:
    """What the Review shows of each duplicate row, read back from the prepared folder."""
    if not duplicates:
        return
    for part in sorted(path.glob("*.previews")):
        with part.open("rb") as stream:
            previews = pickle.load(stream)  # noqa: S301 (our own file)
        for number, name, first, last, company, email, phone, instagram, city, state in previews:
            duplicate = duplicates.get(number)
            if duplicate is not None:
                duplicate["preview"] = {
                    "name": name, "contact": " ".join(p for p in (first, last) if p),
                    "company": company, "email": email, "phone": phone,
                    "instagram": instagram, "city": city, "state": state,
                }


def _store_problems(job: ImportJob, errors: list[tuple], duplicates: list[dict]) -> None:
    """Replace the job's errors and duplicates; a user's choice for a row survives a re-check."""
    chosen = dict(RowDuplicate.objects.filter(job=job).exclude(action="")
                  .values_list("row", "action"))
    RowError.objects.filter(job=job).delete()
    RowDuplicate.objects.filter(job=job).delete()
    errors.sort(key=lambda e: e[0])
    bulk.insert_rows(RowError, ["job_id", "row", "column", "field", "message", "value"],
                     ([job.pk, *error] for error in errors))
    duplicates.sort(key=lambda d: d["row"])
    bulk.insert_rows(
        RowDuplicate,
        ["job_id", "row", "lead_id", "duplicate_of_row", "reason", "score", "detail", "action",
         "preview"],
        ([job.pk, d["row"], d["lead_id"], d["duplicate_of_row"], d["reason"], d["score"],
          d["detail"], chosen.get(d["row"], ""), json.dumps(d.get("preview", {}))]
         for d in duplicates),
    )


def _similar_groups(ctx: ImportContext, spellings: dict[str, Counter]) -> list[dict]:
    groups = []
    for name in SIMILAR_FIELDS:
        if name in ctx.header_of and spellings[name]:
            for group in group_similar(name, spellings[name], stored_spellings(name)):
                group["column"] = ctx.header_of[name]
                groups.append(group)
    return groups


def _unknown_values(ctx: ImportContext, unknown: Counter) -> list[dict]:
    names = {
        "status": list(ctx.status_names.values()),
        "source": list(ctx.source_names.values()),
        "lead_types": [name for _, _, name in ctx.lead_type_order.values()],
        "owner": ctx.owner_names,
    }
    return [
        {"field": name, "column": ctx.column_of(name), "value": value, "rows": rows,
         "suggestion": suggest(value, names[name]) or ""}
        for (name, value), rows in unknown.most_common()
    ]


# --- Import ---------------------------------------------------------------------------------


def claim(job: ImportJob) -> str | None:
    """Take a queued (or stalled) job for this run; None when another run has it."""
    token = secrets.token_hex(16)
    now = timezone.now()
    stale = now - datetime.timedelta(seconds=STALE_SECONDS)
    claimable = ImportJob.objects.filter(pk=job.pk, state=ImportState.QUEUED) | \
        ImportJob.objects.filter(pk=job.pk, state=ImportState.IMPORTING, heartbeat_at__lt=stale)
    if not claimable.update(state=ImportState.IMPORTING, run_token=token, heartbeat_at=now,
                            message=""):
        return None
    job.refresh_from_db()
    return token


def run_import(job: ImportJob, token: str, *, progress: Progress | None = None,
               workers: int | None = None) -> None:
    """Write the job's rows (checking them again first if anything changed since the check),
    batch by batch from where an earlier run stopped."""
    ctx = build_context(job)
    key = check_key(job, ctx)
    path = spool_path(job, key)
    if job.check_key != key or not path.exists():
        if job.last_row:
            # Half imported with another mapping or other lists: the rest would not match.
            raise ImportAborted("The file's mapping or Leadbook's lists changed during the "
                                "import; the rows imported so far stay.")
        run_check(job, progress=progress, workers=workers)
        _save_job(job, state=ImportState.IMPORTING)
    now = timezone.now()
    # Progress now counts the rows to write; a resumed run goes on from the rows written.
    _save_job(job, phase_started_at=now, started_at=job.started_at or now, heartbeat_at=now,
              total_rows=job.valid_rows, rows_done=job.rows_done if job.last_row else 0)
    writer = _BatchWriter(job, token, ctx)
    batch: list[tuple] = []
    error_rows = set(RowError.objects.filter(job=job).values_list("row", flat=True))
    with bulk.sqlite_bulk_writes(connection):
        for record in read_spool(path):
            if record[0] in error_rows:
                continue
            if record[0] <= job.last_row:
                writer.remember(record)
                continue
            batch.append(record)
            if len(batch) == BATCH_ROWS:
                writer.write(batch)
                _after_batch(job, progress)
                batch = []
        if batch:
            writer.write(batch)
    finished = timezone.now()
    updated = ImportJob.objects.filter(pk=job.pk, run_token=token).update(
        state=ImportState.DONE, finished_at=finished, heartbeat_at=finished,
        rows_done=job.valid_rows, failed=F("failed") + job.invalid_rows)
    if not updated:
        raise ImportAborted("Another run took over this import.")
    job.refresh_from_db()
    shutil.rmtree(path, ignore_errors=True)
    if progress:
        progress("importing", job.total_rows, job.total_rows)
    audit_record(action="import.finished", actor=job.created_by, target=job.filename,
                 job=job.pk, created=job.created, updated=job.updated, skipped=job.skipped,
                 failed=job.failed)


def _after_batch(job: ImportJob, progress: Progress | None) -> None:
    job.refresh_from_db(fields=["rows_done", "last_row", "state"])
    if progress:
        progress("importing", job.rows_done, job.total_rows)


class _Plan:
    """What each duplicate row does: the user's choice, else the job's default (a row
    naming its lead by ID updates it)."""

    def __init__(self, job: ImportJob):
        self.rows: dict[int, tuple[int | None, int | None, str]] = {}
        for row, lead_id, of_row, reason, action in RowDuplicate.objects.filter(job=job) \
                .values_list("row", "lead_id", "duplicate_of_row", "reason", "action"):
            if not action:
                action = DuplicateAction.UPDATE if reason == "id" else job.on_duplicate
            self.rows[row] = (lead_id, of_row, action)


class _BatchWriter:
    """Writes batches of prepared rows; remembers which lead each row ended up as, so that a
    later row "updating" an earlier row's lead finds it."""

    def __init__(self, job: ImportJob, token: str, ctx: ImportContext):
        self.job = job
        self.token = token
        self.ctx = ctx
        self.plan = _Plan(job)
        self.actor_id = job.created_by_id
        self.row_lead: dict[int, int] = dict(
            ImportedLead.objects.filter(job=job).values_list("row", "lead_id"))
        # A new lead's row: its id, its prepared values, its owner's name, then every other
        # column at its default (created_at and updated_at are set per batch).
        self.rest = [f for f in Lead._meta.concrete_fields
                     if not f.primary_key and f.attname not in (*VALUE_INDEX, "owner_name")]
        self.columns = ["id", *VALUE_FIELDS, "owner_name", *(f.attname for f in self.rest)]
        # Every user's username by id (Lead.owner_name), read again for each batch.
        self.usernames: dict[int | None, str] = {}
        self.history_columns = [f.attname for f in History.tracked_fields]
        self.reason = f"Imported from {job.filename}"[:100]

    def _merge(self, create: dict, values: tuple, given: tuple, type_ids) -> None:
        """A later row updating a lead made earlier in the same batch: its given values win,
        and the derived fields (keys, search text) follow."""
        target = create["values"]
        for name in given:
            for attname in UPDATED_BY.get(name, ()):
                target[VALUE_INDEX[attname]] = values[VALUE_INDEX[attname]]
        lead = Lead(**{name: target[VALUE_INDEX[name]] for name in VALUE_FIELDS})
        names = None
        if type_ids is not None:
            create["types"] = type_ids
            order = self.ctx.lead_type_order
            names = [n for _, _, n in sorted(order[i] for i in type_ids if i in order)]
        lead.refresh_derived_fields(names)
        for name in DERIVED_FIELDS:
            target[VALUE_INDEX[name]] = getattr(lead, name)

    def remember(self, record: tuple) -> None:
        """A row a previous run already handled: only which lead it ended up as."""
        row = record[0]
        if row in self.row_lead:
            return
        planned = self.plan.rows.get(row)
        if planned and planned[2] == DuplicateAction.SKIP:
            lead_id, of_row, _ = planned
            target = lead_id or self.row_lead.get(of_row or 0)
            if target:
                self.row_lead[row] = target

    def write(self, batch: list[tuple]) -> None:
        now = timezone.now()
        with transaction.atomic():
            # Inside the batch's transaction (on SQLite, under its write lock), so a user
            # renamed meanwhile is written with the new name.
            self.usernames = owner_usernames()
            ids = iter(bulk.reserve_ids(Lead, len(batch)))
            creates: dict[int, dict] = {}  # lead id -> {"row", "values", "types"}
            updates: list[tuple[int, int, tuple]] = []  # (row, lead id, record)
            merged: list[tuple[int, int]] = []  # (row, lead id made in this batch)
            skipped = 0
            for record in batch:
                row, values, given, type_ids, _ = record
                lead_id, of_row, action = self.plan.rows.get(row, (None, None, "create"))
                target = lead_id or (self.row_lead.get(of_row) if of_row else None)
                if action == DuplicateAction.SKIP:
                    skipped += 1
                    if target:
                        self.row_lead[row] = target
                    continue
                if action == DuplicateAction.UPDATE and target:
                    self.row_lead[row] = target
                    if target in creates:
                        self._merge(creates[target], values, given, type_ids)
                        merged.append((row, target))
                    else:
                        updates.append((row, target, record))
                    continue
                new_id = next(ids)
                creates[new_id] = {"row": row, "values": list(values), "types": type_ids}
                self.row_lead[row] = new_id
            self._insert(creates, now)
            updated, failed = self._update(updates, now)
            bulk.insert_rows(
                ImportedLead, ["job_id", "lead_id", "row", "action", "before", "version_after"],
                [*([self.job.pk, lead_id, c["row"], "created", None, 1]
                   for lead_id, c in creates.items()),
                 *([self.job.pk, lead_id, row, "updated", None, 1] for row, lead_id in merged),
                 *updated],
            )
            bulk.insert_rows(RowError, ["job_id", "row", "column", "field", "message", "value"],
                             ([self.job.pk, row, "", "", message, ""] for row, message in failed))
            saved = ImportJob.objects.filter(pk=self.job.pk, run_token=self.token).update(
                last_row=batch[-1][0], rows_done=F("rows_done") + len(batch),
                created=F("created") + len(creates),
                updated=F("updated") + len(updated) + len(merged),
                skipped=F("skipped") + skipped, failed=F("failed") + len(failed),
                heartbeat_at=now)
            if not saved:
                raise ImportAborted("Another run took over this import.")

    # --- new leads ---------------------------------------------------------------------------

    def _insert(self, creates: dict[int, dict], now) -> None:
        if not creates:
            return
        stamp = bulk.db_value(Lead, "created_at", now)
        rest = tuple(stamp if f.attname in ("created_at", "updated_at")
                     else bulk.db_value(Lead, f.attname, f.get_default()) for f in self.rest)
        owner = VALUE_INDEX["owner_id"]
        first, last = min(creates), max(creates)
        with search.indexed_in_bulk(connection, first, last), \
                tally.tallied_in_bulk(connection, first, last):
            bulk.insert_rows(Lead, self.columns, [
                (lead_id, *c["values"], self.usernames.get(c["values"][owner]), *rest)
                for lead_id, c in creates.items()])
            bulk.insert_rows(Through, ["lead_id", "leadtype_id"],
                             [(lead_id, type_id) for lead_id, c in creates.items()
                              for type_id in c["types"] or ()])
        # No history record per new lead: it would add a fifth to the writing time. The
        # lead's timeline tells of the import instead (transfer/timeline.py), and the
        # ImportedLead rows say which import made it.

    def _history(self, rows: list[list], kind: str, now) -> None:
        """History records, as simple-history would write them, in one statement."""
        stamp = bulk.db_value(History, "history_date", now)
        bulk.insert_rows(
            History, [*self.history_columns, "history_date", "history_type", "history_user_id",
                      "history_change_reason"],
            ([*row, stamp, kind, self.actor_id, self.reason] for row in rows))

    # --- existing leads ----------------------------------------------------------------------

    def _update(self, updates: list[tuple[int, int, tuple]], now):
        """Apply update rows to their leads (several rows may update one lead, in order).
        Returns (ImportedLead rows, [(row, message)] for rows whose lead has gone)."""
        if not updates:
            return [], []
        targets = sorted({lead_id for _, lead_id, _ in updates})
        leads = {lead.pk: lead for lead in _locked(Lead.objects.filter(pk__in=targets))}
        types = _type_ids(leads)
        done, failed, changed_types = [], [], set()
        order = self.ctx.lead_type_order
        for row, lead_id, (_, values, given, type_ids, _) in updates:
            lead = leads.get(lead_id)
            if lead is None:
                failed.append((row, f"The lead this row updates (ID {lead_id}) was deleted or "
                                    "merged after the check."))
                continue
            before = snapshot(lead, types[lead_id])
            for name in given:
                for attname in UPDATED_BY.get(name, ()):
                    setattr(lead, attname, values[VALUE_INDEX[attname]])
            names = None
            if type_ids is not None:
                types[lead_id] = list(type_ids)
                changed_types.add(lead_id)
                names = [n for _, _, n in sorted(order[i] for i in type_ids if i in order)]
            lead.refresh_derived_fields(names)
            lead.owner_name = self.usernames.get(lead.owner_id)
            lead.version += 1
            done.append([self.job.pk, lead_id, row, "updated", json.dumps(before), lead.version])
        write_leads([leads[i] for i in {r[1] for r in done}], {i: types[i] for i in changed_types},
                    now)
        self._history([[getattr(leads[i], name) for name in self.history_columns]
                       for i in sorted({r[1] for r in done})], "~", now)
        return done, failed


def _locked(queryset):
    """Rows read to be changed in this transaction: locked on PostgreSQL; SQLite's write lock
    (BEGIN IMMEDIATE) already covers them."""
    return queryset.select_for_update() if connection.vendor == "postgresql" else queryset


def _type_ids(leads: dict[int, Lead]) -> dict[int, list[int]]:
    types: dict[int, list[int]] = defaultdict(list)
    ids = sorted(leads)
    for start in range(0, len(ids), IN_CHUNK):
        for lead_id, type_id in Through.objects.filter(
                lead_id__in=ids[start:start + IN_CHUNK]).order_by("id").values_list(
                "lead_id", "leadtype_id"):
            types[lead_id].append(type_id)
    return types


# The fields an update may change and undo writes back (the owner's name follows the owner).
SNAPSHOT_FIELDS = (*VALUE_FIELDS, "version")


def owner_usernames() -> dict[int | None, str]:
    """Every user's username by id: what Lead.owner_name holds for a lead they own (`.get`
    of an owner id gives None for no owner)."""
    return dict(User.objects.values_list("pk", "username"))


def snapshot(lead: Lead, type_ids: list[int]) -> dict:
    return {"fields": {name: getattr(lead, name) for name in SNAPSHOT_FIELDS},
            "lead_types": list(type_ids)}


def write_leads(leads: list[Lead], new_types: dict[int, list[int]], now) -> None:
    """Write changed leads' values (VALUE_FIELDS, owner_name, version) and replace the lead
    types given."""
    if not leads:
        return
    stamp = bulk.db_value(Lead, "updated_at", now)
    names = [*VALUE_FIELDS, "owner_name", "version", "updated_at"]
    bulk.update_rows(Lead, names, ([*(getattr(lead, n) for n in names[:-1]), stamp, lead.pk]
                                   for lead in leads))
    ids = sorted(new_types)
    bulk.delete_where_in(Through, "lead_id", ids)
    bulk.insert_rows(Through, ["lead_id", "leadtype_id"],
                     [(lead_id, t) for lead_id in ids for t in new_types[lead_id]])


# --- Undo -----------------------------------------------------------------------------------


def undo(job: ImportJob, actor: User | None) -> dict[str, int]:
    """Take the import back: the leads it created go to the trash, the leads it updated get
    their earlier values back. Leads someone has changed since (edited, converted, contacted)
    are left as they are and counted in "kept"."""
    now = timezone.now()
    summary = Counter(removed=0, restored=0, kept=0)
    with transaction.atomic():
        records: dict[int, list[tuple]] = defaultdict(list)
        for lead_id, action, before, version_after in ImportedLead.objects.filter(
                job=job).order_by("row").values_list("lead_id", "action", "before",
                                                     "version_after"):
            records[lead_id].append((action, before, version_after))
        ids = sorted(records)
        for start in range(0, len(ids), IN_CHUNK):
            chunk = ids[start:start + IN_CHUNK]
            leads = {lead.pk: lead for lead in _locked(Lead.all_objects.filter(pk__in=chunk))}
            trash, restore = [], []
            for lead_id in chunk:
                lead = leads.get(lead_id)
                history = records[lead_id]
                if lead is None or lead.deleted_at is not None:
                    continue
                untouched = lead.version == max(v for _, _, v in history)
                if history[0][0] == "created":
                    if untouched and lead.converted_at is None and lead.last_outreach_at is None \
                            and lead.merged_into_id is None:
                        trash.append(lead_id)
                    else:
                        summary["kept"] += 1
                elif untouched:
                    restore.append((lead, history[0][1]))
                else:
                    summary["kept"] += 1
            Lead.all_objects.filter(pk__in=trash).update(deleted_at=now,
                                                         version=F("version") + 1)
            summary["removed"] += len(trash)
            _restore(restore, job, actor, now)
            summary["restored"] += len(restore)
        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportState.UNDONE, undone_at=now, undone_by=actor, undo_summary=summary)
        audit_record(action="import.undone", actor=actor, target=job.filename, job=job.pk,
                     **summary)
    job.refresh_from_db()
    return dict(summary)


def _restore(items: list[tuple[Lead, dict]], job: ImportJob, actor: User | None, now) -> None:
    if not items:
        return
    leads, types = [], {}
    usernames = owner_usernames()
    for lead, before in items:
        version = lead.version
        for name, value in before["fields"].items():
            setattr(lead, name, value)
        lead.owner_name = usernames.get(lead.owner_id)
        lead.version = version + 1
        types[lead.pk] = before["lead_types"]
        leads.append(lead)
    write_leads(leads, types, now)
    columns = [f.attname for f in History.tracked_fields]
    stamp = bulk.db_value(History, "history_date", now)
    bulk.insert_rows(
        History, [*columns, "history_date", "history_type", "history_user_id",
                  "history_change_reason"],
        ([*(getattr(lead, c) for c in columns), stamp, "~", actor.pk if actor else None,
          f"Undid the import of {job.filename}"[:100]] for lead in leads))


def is_stalled(job: ImportJob) -> bool:
    """Busy by its state, but its worker has not reported for a while (it died)."""
    if not job.busy or job.state == ImportState.QUEUED:
        return False
    beat = job.heartbeat_at or job.updated_at
    return (timezone.now() - beat).total_seconds() > STALE_SECONDS

