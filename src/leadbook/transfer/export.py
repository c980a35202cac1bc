"""CSV export of leads: every field, streamed, spreadsheet-safe.

Rows are read in chunks and written as they go, so memory stays flat at any size. The file
starts with a UTF-8 byte order mark so spreadsheet programs show accents correctly, and cells
that a spreadsheet would run as a formula are neutralised (OWASP's advice for CSV injection).
"""

import csv
from collections.abc import Iterable, Iterator
from typing import IO

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from leadbook.leads.models import Lead

from .csvsafe import neutralise

# (CSV header, value path). Headers are the importer's field names in words, so an exported
# file imports again without mapping.
COLUMNS: list[tuple[str, str]] = [
    ("ID", "id"), ("Name", "name"), ("First Name", "first_name"), ("Last Name", "last_name"),
    ("Company", "company"), ("Position", "position"), ("Email", "email"), ("Phone", "phone"),
    ("Instagram", "instagram"), ("Website", "website"), ("Address", "address"),
    ("City", "city"), ("State", "state"), ("Postal Code", "postal_code"),
    ("Country", "country"), ("Source", "source__name"), ("Status", "status__name"),
    ("Temperature", "temperature"), ("Lead Type", "lead_types_label"),
    ("Collab Type", "collab_type"), ("Followers", "followers"), ("Notes", "notes"),
    ("Owner", "owner__username"), ("Active", "is_active"), ("Converted At", "converted_at"),
    ("Last Outreach", "last_outreach_at"), ("Next Follow-up", "next_follow_up_on"),
    ("Created At", "created_at"), ("Updated At", "updated_at"),
]
CHUNK_ROWS = 2000
BOM = "\ufeff"


def cell(value) -> str:
    """A value as a spreadsheet-safe CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "isoformat"):
        if hasattr(value, "tzinfo") and value.tzinfo is not None:
            value = timezone.localtime(value)
        return value.isoformat(sep=" ", timespec="seconds") if hasattr(value, "hour") \
            else value.isoformat()
    return neutralise(str(value))


def iter_rows(queryset: QuerySet[Lead]) -> Iterator[list[str]]:
    """The header, then one row of strings per lead, fetched CHUNK_ROWS at a time."""
    yield [header for header, _ in COLUMNS]
    paths = [path for _, path in COLUMNS]
    for values in queryset.values_list(*paths).iterator(chunk_size=CHUNK_ROWS):
        yield [cell(v) for v in values]


class _Echo:
    """A file-like object whose write() hands the line back, for csv.writer streaming."""

    def write(self, value: str) -> str:
        return value


def iter_csv(rows: Iterable[list[str]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield BOM
    for row in rows:
        yield writer.writerow(row)


def write_csv(queryset: QuerySet[Lead], out: IO[str]) -> int:
    """Write the export to an open text file; returns the number of leads written."""
    lines = 0
    for line in iter_csv(iter_rows(queryset)):
        out.write(line)
        lines += 1
    return lines - 2  # the byte order mark and the header are not leads


def csv_response(rows: Iterable[list[str]], *, filename_stem: str) -> StreamingHttpResponse:
    """Stream rows (the header first) as a dated CSV download."""
    filename = f"{filename_stem}-{timezone.localdate():%Y-%m-%d}.csv"
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in iter_csv(rows)), content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_response(queryset: QuerySet[Lead], *, filename_stem: str) -> StreamingHttpResponse:
    return csv_response(iter_rows(queryset), filename_stem=filename_stem)
