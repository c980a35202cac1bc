"""CSV export of leads: every field, streamed, spreadsheet-safe.

Rows are read in chunks and written as they go, so memory stays flat at any size. The file
starts with a UTF-8 byte order mark so spreadsheet programs show accents correctly, and cells
that a spreadsheet would run as a formula are neutralised (OWASP's advice for CSV injection).

Speed: a million leads in about 50 s on the shared 2-core test machine, five times faster
than Django's way (a model value per cell, each datetime parsed, made aware, converted and
formatted again through `cell`), which cost most of the time; bench/table.py measures it.
The export runs the queryset's own SQL, so its filters, visibility and order stay the source
of truth, but selects plain column values and turns them into cells a column of a chunk at a
time, mostly inside C (`map` over dicts, slices and str methods) rather than with a Python
call per value. Status, source and owner come as ids, named from small dicts; dates and
datetimes come as text, and datetimes go to local time by the hour (`LocalTimes`). The cells
are exactly those `cell` gives for the model's values (tests/transfer/test_export.py).
"""

import contextlib
import csv
import datetime
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain, islice
from operator import itemgetter
from typing import IO, Any

from django.db import NotSupportedError, connections
from django.db.models import (
    AutoField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKey,
    Func,
    PositiveIntegerField,
    QuerySet,
    TextField,
)
from django.db.models.sql.constants import MULTI
from django.http import StreamingHttpResponse
from django.utils import timezone

from leadbook.leads.models import Lead

from .csvsafe import FORMULA_STARTS, neutralise

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
CHUNK_ROWS = 2000  # rows per fetch from the database, and per batch of work after it
FLUSH_CHARS = 256 * 1024  # CSV text gathered before it is written or streamed
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


# --- A column of plain values to a column of cells -------------------------------------------
# Each function takes one column of a chunk (a tuple of values) and gives what `cell` makes of
# the model's values, in a form csv.writer writes alike: it writes str(value) for numbers and
# text, and None as an empty cell.


def _as_is(values: Sequence) -> Sequence:
    return values


# What a cell that `neutralise` changes starts with: a formula start, or quotes before one.
_NEUTRALISED_STARTS = ("'", *FORMULA_STARTS)


def _texts(values: Sequence[str]) -> Sequence[str]:
    # Few columns of a chunk have a cell to neutralise: searching the joined text for a line
    # break followed by a risky character finds out in C. A hit inside a cell's text (notes
    # over several lines) only means the column is neutralised cell by cell, as it may be.
    joined = "\n" + "\n".join(values)
    if any("\n" + start in joined for start in _NEUTRALISED_STARTS):
        return list(map(neutralise, values))
    return values


def _cells(values: Sequence) -> list[str]:
    """Any other kind of value: a call to `cell` each, slower but right."""
    return [cell(value) for value in values]


def _lookup(table: dict) -> Callable[[Sequence], list]:
    return lambda values: list(map(table.__getitem__, values))


_YES_NO = {True: "yes", False: "no", None: None}


class _Names(dict):
    """id → cell for a small table's name (statuses, sources, users), read once. An id
    added since (a status created during a long export) is looked up when first met."""

    def __init__(self, model, field: str):
        self.model, self.field = model, field
        super().__init__({None: None})
        for pk, name in model._base_manager.values_list("pk", field):
            self[pk] = neutralise(name)

    def __missing__(self, pk):
        names = self.model._base_manager.filter(pk=pk).values_list(self.field, flat=True)
        name = next(iter(names), None)
        self[pk] = value = None if name is None else neutralise(name)
        return value


class _Shifted(Exception):
    """Local time does not move by whole steps here (see LocalTimes)."""


class LocalTimes(dict):
    """Datetime cells as `cell` writes them ('YYYY-MM-DD HH:MM:SS+HH:MM', in the current
    time zone) from a column of `DateText` values ('YYYY-MM-DD HH:MM:SS' in the source time
    zone, the connection's, or '' for none).

    A time zone's offset changes a few times a year at most, so the local time is worked out
    once per hour of the source clock, as a format string that only lacks the minutes and
    seconds ('2024-05-01 08{}+02:00'); every value of that hour is then that string formatted
    with its own, all in C. Where local time is off by half hours (India, Newfoundland, South
    Australia) the steps are 10 minutes instead ('2024-05-01 13:4{}+05:30' takes '7:05').
    Where even that fails (Nepal's +05:45, old offsets in seconds) the column of the chunk
    goes the slow way, a datetime per value.
    """

    MAX_STEPS = 100_000  # format strings kept (a few MB; 11 years of hours): then afresh

    def __init__(self, source: datetime.tzinfo, target: datetime.tzinfo):
        super().__init__()
        self.source, self.target = source, target
        self.step = 60  # minutes of the source clock one format string covers: 60 or 10
        self._start_afresh()

    def _start_afresh(self) -> None:
        self.clear()
        self[""] = ""  # no datetime: an empty cell
        cut = 13 if self.step == 60 else 15  # 'YYYY-MM-DD HH' or 'YYYY-MM-DD HH:M'
        self._key, self._rest = itemgetter(slice(0, cut)), itemgetter(slice(cut, 19))

    def __call__(self, values: Sequence[str]) -> Sequence[str]:
        if len(self) > self.MAX_STEPS:
            self._start_afresh()
        with contextlib.suppress(_Shifted):
            return self._formatted(values)
        if self.step == 60:
            self.step = 10
            self._start_afresh()
            with contextlib.suppress(_Shifted):
                return self._formatted(values)
        return [self.convert(text) for text in values]

    def _formatted(self, values: Sequence[str]) -> list[str]:
        return list(map(str.format, map(self.__getitem__, map(self._key, values)),
                        map(self._rest, values)))

    def __missing__(self, key: str) -> str:
        """The format string for the step starting at `key`."""
        start = datetime.datetime.fromisoformat(key + (":00" if self.step == 60 else "0"))
        start = start.replace(tzinfo=self.source)
        first = start.astimezone(self.target)
        last = (start + datetime.timedelta(minutes=self.step, seconds=-1)).astimezone(
            self.target)
        if first.minute % self.step or first.second or first.utcoffset() != last.utcoffset():
            raise _Shifted
        text = first.isoformat(sep=" ", timespec="seconds")
        self[key] = template = text[:len(key)] + "{}" + text[19:]
        return template

    def convert(self, text: str) -> str:
        """One value, the slow way."""
        if not text:
            return text
        moment = datetime.datetime.fromisoformat(text).replace(tzinfo=self.source)
        return moment.astimezone(self.target).isoformat(sep=" ", timespec="seconds")


class DateText(Func):
    """A date or datetime column as text: 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS' (datetimes
    in the connection's time zone), '' for none. SQLite stores that text (datetimes with
    microseconds after it); PostgreSQL formats it. Either way the database does the work
    instead of a driver making an object of each value."""

    output_field = TextField()

    def __init__(self, expression, *, with_time: bool):
        super().__init__(expression)
        self.with_time = with_time

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"COALESCE(SUBSTR({sql}, 1, {19 if self.with_time else 10}), '')", params

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        if not self.with_time:
            return f"COALESCE(TO_CHAR({sql}, 'YYYY-MM-DD'), '')", params
        return (f"COALESCE(TO_CHAR({sql} AT TIME ZONE %s, 'YYYY-MM-DD HH24:MI:SS'), '')",
                (*params, connection.timezone_name))

    def as_sql(self, compiler, connection, function=None, template=None, arg_joiner=None,
               **extra_context):
        raise NotSupportedError(f"DateText is written for SQLite and PostgreSQL, not "
                                f"{connection.vendor}.")


def _columns(queryset: QuerySet[Lead]) -> tuple[list, list[Callable[[Sequence], Sequence]]]:
    """What to select for each of COLUMNS, and the function making its values cells."""
    connection = connections[queryset.db]
    assert connection.timezone is not None  # USE_TZ: the database's datetimes are in it
    # One for every datetime column: they share the hours worked out.
    local_times = LocalTimes(connection.timezone, timezone.get_current_timezone())
    selects: list = []
    converters: list[Callable[[Sequence], Sequence]] = []
    for _, path in COLUMNS:
        name, _, related_field = path.partition("__")
        field = Lead._meta.get_field(name)
        select: Any = name
        convert: Callable[[Sequence], Sequence]
        if isinstance(field, ForeignKey):
            # The id, named from a dict: no join per row (and no planner steered away
            # from the sort indexes by one).
            select = field.attname
            convert = _lookup(_Names(field.related_model, related_field))
        elif isinstance(field, DateTimeField):
            select, convert = DateText(name, with_time=True), local_times
        elif isinstance(field, DateField):
            select, convert = DateText(name, with_time=False), _as_is
        elif isinstance(field, BooleanField):
            convert = _lookup(_YES_NO)
        elif isinstance(field, CharField | TextField) and not field.null:
            convert = _texts
        elif isinstance(field, AutoField | PositiveIntegerField):
            convert = _as_is  # never negative, so never "-1" to neutralise
        else:
            convert = _cells
        selects.append(select)
        converters.append(convert)
    return selects, converters


def iter_row_chunks(queryset: QuerySet[Lead]) -> Iterator[Sequence[Sequence]]:
    """The header (as a chunk of one row), then the leads' rows, CHUNK_ROWS at a time."""
    yield [[header for header, _ in COLUMNS]]
    selects, converters = _columns(queryset)
    connection = connections[queryset.db]
    # What QuerySet.iterator() runs, less Django's converters (a call per value): chunks of
    # plain rows from a server-side cursor on PostgreSQL (unless disabled, when Django reads
    # the whole result too) and from fetchmany() on SQLite.
    compiler = queryset.values_list(*selects).query.get_compiler(connection=connection)
    chunked = not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
    chunks = compiler.execute_sql(MULTI, chunked_fetch=chunked, chunk_size=CHUNK_ROWS)
    for chunk in chunks:
        # Column by column (see "A column of plain values to a column of cells" above).
        columns = zip(*chunk, strict=True)
        cells = [convert(values) for convert, values in zip(converters, columns, strict=True)]
        yield list(zip(*cells, strict=True))


def iter_rows(queryset: QuerySet[Lead]) -> Iterator[Sequence]:
    """The header, then one row per lead."""
    return chain.from_iterable(iter_row_chunks(queryset))


def _csv_text(chunks: Iterable[Sequence[Sequence]]) -> Iterator[str]:
    """CSV text, the byte order mark first, in pieces of about FLUSH_CHARS or more."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer)
    for chunk in chunks:
        writer.writerows(chunk)
        if buffer.tell() >= FLUSH_CHARS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _chunked(rows: Iterable[Sequence]) -> Iterator[list[Sequence]]:
    rows = iter(rows)
    while chunk := list(islice(rows, CHUNK_ROWS)):
        yield chunk


def iter_csv(rows: Iterable[Sequence]) -> Iterator[str]:
    """CSV text for rows (the header first), the byte order mark first, in pieces."""
    return _csv_text(_chunked(rows))


def write_csv(queryset: QuerySet[Lead], out: IO[str]) -> int:
    """Write the export to an open text file; returns the number of leads written."""
    rows = 0

    def counted(chunks: Iterable[Sequence]) -> Iterator[Sequence]:
        nonlocal rows
        for chunk in chunks:
            rows += len(chunk)
            yield chunk

    for text in _csv_text(counted(iter_row_chunks(queryset))):
        out.write(text)
    return rows - 1  # the header is not a lead


def csv_response(rows: Iterable[Sequence], *, filename_stem: str) -> StreamingHttpResponse:
    """Stream rows (the header first) as a dated CSV download."""
    return _response(_chunked(rows), filename_stem=filename_stem)


def export_response(queryset: QuerySet[Lead], *, filename_stem: str) -> StreamingHttpResponse:
    return _response(iter_row_chunks(queryset), filename_stem=filename_stem)


def _response(chunks: Iterable[Sequence[Sequence]], *, filename_stem: str
              ) -> StreamingHttpResponse:
    filename = f"{filename_stem}-{timezone.localdate():%Y-%m-%d}.csv"
    response = StreamingHttpResponse(
        (text.encode("utf-8") for text in _csv_text(chunks)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
