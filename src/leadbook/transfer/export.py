"""CSV export of leads: every field, streamed, spreadsheet-safe.

Rows are read in chunks and written as they go, so memory stays flat at any size. The file
starts with a UTF-8 byte order mark so spreadsheet programs show accents correctly, and cells
that a spreadsheet would run as a formula are neutralised (OWASP's advice for CSV injection).

Speed: the database writes each lead's CSV line (`CsvLine`, one SQL expression), so Python
handles one string per lead instead of 29 values. A million leads took ~50 s when Python
made the cells a column at a time, and more than 250 s with a model value per cell; see
docs/performance.md for today's figures. The export runs the queryset's own SQL, so its
filters, visibility and order stay the source of truth. On PostgreSQL the lines come by
COPY. The lines are exactly those `cell` and csv.writer make of the model's values
(tests/transfer/test_export.py).
"""

import csv
import datetime
import functools
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, islice
from typing import IO, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import DataError, NotSupportedError, connections, transaction
from django.db.models import (
    AutoField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    F,
    ForeignKey,
    Func,
    PositiveIntegerField,
    QuerySet,
    TextField,
)
from django.http import StreamingHttpResponse
from django.utils import timezone

from leadbook.core.ahead import in_order
from leadbook.core.beside import Threads
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
T = TypeVar("T")


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


# --- The database writes the lines ---------------------------------------------------------
# Each lead's line is one SQL expression (`CsvLine`): the database neutralises and quotes the
# text (PostgreSQL: COPY's CSV format quotes), names the status, source and owner, formats
# dates and puts datetimes in local time, so Python only passes lines along. The lines are
# exactly what `cell` and csv.writer make of the model's values (tests/transfer/
# test_export.py compares the two byte for byte).

# The first characters `neutralise` guards ('-' last in a character class: not a range).
_RISKY = "".join(sorted(FORMULA_STARTS, key=lambda c: c == "-"))
_RISKY_GLOB = f"[{_RISKY}]*"  # SQLite: a text that starts with one
_RISKY_OR_APOSTROPHE_GLOB = f"[''{_RISKY}]*"  # ('' is an apostrophe in SQL text)
_RISKY_REGEX = f"^''*[{_RISKY}]"  # PostgreSQL: one after any apostrophes
_NAMED_AT_MOST = 500  # names written into the query; past that, a subquery per lead


def _quoted(text: str) -> str:
    """csv.writer's minimal quoting, for a name written into the query."""
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


class _Dialect:
    """SQL for each kind of cell, given a column's SQL `x`. A '%' is written '%%': the SQL
    goes through the driver's parameter formatting."""

    def joined(self, cells: list[str]) -> str:
        """The cells as one line of CSV (SQLite), or as the columns of one (PostgreSQL)."""
        raise NotImplementedError

    def text(self, x: str) -> str:
        """A text cell: neutralised as `neutralise` does, then quoted as csv.writer does
        (SQLite), or left for COPY to quote (PostgreSQL)."""
        raise NotImplementedError

    def named_text(self, name: str) -> str:
        """`text` of a name written into the query as a parameter."""
        raise NotImplementedError

    def or_empty(self, x: str) -> str:
        """A cell that is empty where `x` is NULL."""
        raise NotImplementedError

    def number(self, x: str) -> str:
        raise NotImplementedError

    def date(self, x: str) -> str:
        raise NotImplementedError

    def before(self, x: str, moment: datetime.datetime) -> str:
        raise NotImplementedError

    def shifted(self, x: str, seconds: int) -> str:
        """'YYYY-MM-DD HH:MM:SS' of the datetime `seconds` later, in UTC."""
        raise NotImplementedError

    def local(self, x: str, zone: datetime.tzinfo) -> str:
        """A datetime cell in local time: a search tree over the zone's offset changes."""
        spans = _offset_spans(zone)

        def tree(first: int, last: int) -> str:
            if first == last:
                offset = spans[first][1]
                return f"{self.shifted(x, offset)} || '{_offset_text(offset)}'"
            middle = (first + last + 1) // 2
            return (f"CASE WHEN {self.before(x, spans[middle][0])} "
                    f"THEN {tree(first, middle - 1)} ELSE {tree(middle, last)} END")

        return self.or_empty(tree(0, len(spans) - 1))


class _SQLite(_Dialect):
    # Datetimes are stored as UTC text, 'YYYY-MM-DD HH:MM:SS[.ffffff]'.

    def joined(self, cells):
        # printf builds the line in one buffer; each || copied the line so far (a third of
        # the export's time at a million leads).
        return f"printf('{','.join(['%%s'] * len(cells))}', {', '.join(cells)})"

    def text(self, x):
        guarded = self.quoted("'''' || " + x)
        return f"CASE WHEN {self.starts_risky(x)} THEN {guarded} ELSE {self.quoted(x)} END"

    def named_text(self, name):
        return _quoted(neutralise(name))

    def or_empty(self, x):
        return f"COALESCE({x}, '')"

    # GLOB with a character class tests a cell in one call: about 0.2 s less per text column
    # at a million leads than instr() for each character and unicode() of the first one.

    def quoted(self, x):
        return (f"CASE WHEN {x} GLOB '*[,\"\n\r]*' "
                f"THEN '\"' || replace({x}, '\"', '\"\"') || '\"' ELSE {x} END")

    def starts_risky(self, x):
        # The first GLOB rules out nearly every cell, in one call (three before: ~20% of a
        # text cell's cost); only a text starting with a formula start or an apostrophe is
        # trimmed and looked at again.
        return (f"({x} GLOB '{_RISKY_OR_APOSTROPHE_GLOB}' "
                f"AND ltrim({x}, '''') GLOB '{_RISKY_GLOB}')")

    def number(self, x):
        return f"COALESCE({x}, '')"

    def date(self, x):
        return f"COALESCE({x}, '')"

    def before(self, x, moment):
        return f"{x} < '{moment:%Y-%m-%d %H:%M:%S}'"

    def shifted(self, x, seconds):
        # Cut to whole seconds first: SQLite rounds a time to the millisecond, Python cuts.
        if not seconds:
            return f"substr({x}, 1, 19)"
        # datetime() writes the same text as strftime('%Y-%m-%d %H:%M:%S'), a third faster.
        return f"datetime(substr({x}, 1, 19), '{seconds:+d} seconds')"


class _PostgreSQL(_Dialect):
    # The lines come by COPY in CSV format, which joins the cells and quotes each one as
    # csv.writer does, in C (quoting them in the query was a third of a line's cost). COPY
    # writes an empty text as "" and NULL as nothing, so an empty cell is NULL here.

    def joined(self, cells):
        return ", ".join(cells)

    def text(self, x):
        return (f"CASE WHEN {x} = '' THEN NULL WHEN {x} ~ '{_RISKY_REGEX}' "
                f"THEN '''' || {x} ELSE {x} END")

    def named_text(self, name):
        return neutralise(name)

    def or_empty(self, x):
        return x

    def number(self, x):
        return f"{x}::text"

    def date(self, x):
        return f"to_char({x}, 'YYYY-MM-DD')"

    def before(self, x, moment):
        return f"{x} < TIMESTAMPTZ '{moment:%Y-%m-%d %H:%M:%S}+00'"

    def shifted(self, x, seconds):
        moment = f"({x} AT TIME ZONE 'UTC')"
        if seconds:
            moment = f"({moment} + INTERVAL '{seconds} seconds')"
        return f"to_char({moment}, 'YYYY-MM-DD HH24:MI:SS')"


DIALECTS = {"sqlite": _SQLite(), "postgresql": _PostgreSQL()}

# Local times are exact from 1900 to 2100; a datetime outside gets the nearer edge's offset.
SPANS_FROM = datetime.datetime(1900, 1, 1, tzinfo=datetime.UTC)
SPANS_TO = datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC)


@functools.cache
def _offset_spans(zone: datetime.tzinfo) -> list[tuple[datetime.datetime, int]]:
    """[(UTC start, offset in seconds)]: the zone's offset from each start to the next (the
    first from the beginning of time). Changes are looked for a week at a time, then found
    to the second."""
    def offset(moment: datetime.datetime) -> int:
        return int(moment.astimezone(zone).utcoffset().total_seconds())  # type: ignore[union-attr]

    week, second = datetime.timedelta(weeks=1), datetime.timedelta(seconds=1)
    beginning = datetime.datetime.min.replace(tzinfo=datetime.UTC)  # never compared with
    spans = [(beginning, offset(SPANS_FROM))]
    moment = SPANS_FROM
    while moment < SPANS_TO:
        later = moment + week
        if offset(later) != spans[-1][1]:
            low, high = moment, later  # the offset is the old one at low, a new one at high
            while high - low > second:
                middle = low + (high - low) // 2
                low, high = (middle, high) if offset(middle) == spans[-1][1] else (low, middle)
            spans.append((high, offset(high)))
        moment = later
    return spans


def _offset_text(seconds: int) -> str:
    """'+01:00', as isoformat writes the offset ('+05:53:28' with seconds)."""
    zone = datetime.timezone(datetime.timedelta(seconds=seconds))
    return datetime.datetime(2000, 1, 1, tzinfo=zone).isoformat()[19:]


class CsvLine(Func):
    """A lead's export row as one line of CSV text (no line break), made by the database
    (PostgreSQL: its cells, as the columns of a query for COPY's CSV format to join)."""

    output_field = TextField()

    def __init__(self, *, names_joined: bool):
        # Status, source and owner names come from joins (PostgreSQL: the query stays
        # parallel), or are named from their ids (SQLite: a join could steer its planner
        # away from the sort's index).
        self.names_joined = names_joined
        super().__init__(*(F(path if names_joined else path.partition("__")[0])
                           for _, path in COLUMNS))

    def as_sql(self, compiler, connection, function=None, template=None, arg_joiner=None,
               **extra_context):
        dialect = _dialect(connection)
        zone = timezone.get_current_timezone()
        cells, params = [], []
        for (_, path), expression in zip(COLUMNS, self.source_expressions, strict=True):
            x, _ = compiler.compile(expression)  # a column: no parameters
            name, _, name_field = path.partition("__")
            field = Lead._meta.get_field(name)
            if isinstance(field, ForeignKey) and self.names_joined:
                cells.append(dialect.or_empty(dialect.text(x)))
            elif isinstance(field, ForeignKey):
                sql, names = _named(dialect, connection, x, field.related_model, name_field)
                cells.append(sql)
                params.extend(names)
            elif isinstance(field, DateTimeField):
                cells.append(dialect.local(x, zone))
            elif isinstance(field, DateField):
                cells.append(dialect.date(x))
            elif isinstance(field, BooleanField):
                cells.append(f"CASE WHEN {x} THEN 'yes' ELSE 'no' END")
            elif isinstance(field, CharField | TextField) and not field.null:
                cells.append(dialect.text(x))
            elif isinstance(field, AutoField | PositiveIntegerField):
                cells.append(dialect.number(x))  # never negative: nothing to neutralise
            else:
                raise NotSupportedError(f"No export cell for {field!r}.")
        return dialect.joined(cells), params


def _dialect(connection) -> _Dialect:
    dialect = DIALECTS.get(connection.vendor)
    if dialect is None:
        raise NotSupportedError(f"The export is written for SQLite and PostgreSQL, not "
                                f"{connection.vendor}.")
    return dialect


def _named(dialect: _Dialect, connection, x: str, model, name_field: str
           ) -> tuple[str, list[str]]:
    """A status, source or owner cell from its id: its name, by a CASE over the names read
    now. A name added since (before the export's query began) is looked up by a subquery."""
    table, pk, column = map(connection.ops.quote_name, (
        model._meta.db_table, model._meta.pk.column, model._meta.get_field(name_field).column))
    looked_up = f"(SELECT {column} FROM {table} WHERE {pk} = {x})"  # noqa: S608 (model names)
    fallback = dialect.or_empty(dialect.text(looked_up))
    names = list(model._base_manager.values_list("pk", name_field)[:_NAMED_AT_MOST + 1])
    if not names or len(names) > _NAMED_AT_MOST:
        return fallback, []
    whens = " ".join(f"WHEN {int(pk)} THEN %s" for pk, _ in names)
    empty = dialect.or_empty("NULL")
    return (f"CASE WHEN {x} IS NULL THEN {empty} ELSE CASE {x} {whens} ELSE {fallback} END END",
            [dialect.named_text(name) for _, name in names])


# A chunk of the export: how many leads, and their lines, each ending in a line break.
Chunk = tuple[int, str]


def _lines(queryset: QuerySet[Lead]) -> Iterator[Chunk]:
    """The leads' CSV lines, a chunk at a time."""
    connection = connections[queryset.db]
    if isinstance(_dialect(connection), _SQLite):
        yield from _sqlite_lines(queryset, connection)
        return
    query = queryset.values_list(CsvLine(names_joined=True)).query
    try:
        sql, params = query.get_compiler(connection=connection).as_sql()
    except EmptyResultSet:  # a queryset that cannot match (`.none()`)
        return
    with connection.cursor() as cursor, transaction.atomic(using=queryset.db):
        # Compiling the long expression to machine code (JIT) took PostgreSQL 3 s at a
        # million leads, more than it saved.
        cursor.execute("SET LOCAL jit = off")
        for lines in _chunked(_copied_lines(cursor.cursor, sql, params)):
            yield len(lines), "\r\n".join(lines) + "\r\n"


# SQLite makes a query's rows on one core. The export's lines are made a piece of the
# view's ids at a time (IDS_PER_PIECE), by up to LINE_WORKERS connections at once.
IDS_PER_PIECE = 5_000
LINE_WORKERS = 2


def _sqlite_lines(queryset: QuerySet[Lead], connection) -> Iterator[Chunk]:
    """SQLite: the view's ids in its order first, then the lines of each piece of them, in
    that order, made by LINE_WORKERS other connections at once. Sorting the ids alone is
    cheap (0.8 s for a million; sorting the lines had carried 330 MB of them through
    temporary files), and each connection makes its pieces' lines on a core of its own:
    `export_leads` of 1M leads 15.5 -> 12.5-13.2 s. Looking the leads of a piece up by id
    costs more than one scan did, so two connections do not halve the time. A piece's
    lines come joined, as one text: a row and a string per lead had the threads taking
    turns at Python's interpreter lock (13.2-13.8 -> 8.3-10.9 s).

    Only this connection sees the writes of a transaction it has open, so inside one (a
    test, say), and for a view of one piece, the lines are made here. Each other connection
    reads the book as of its piece: a lead changed meanwhile is exported as it is then, and
    one deleted for good is left out; no lead is exported twice."""
    try:
        ids_sql, ids_params = queryset.values_list("pk").query.get_compiler(
            connection=connection).as_sql()
    except EmptyResultSet:  # a queryset that cannot match (`.none()`)
        return
    piece_sql, line_params = _piece_sql(connection)

    def lines_of(ids: list[int]) -> Chunk:
        try:
            with connections[queryset.db].cursor() as cursor:  # the calling thread's own
                cursor.execute(piece_sql, [*line_params, json.dumps(ids)])
                (count, text), = cursor.fetchall()
        except DataError:
            # Longer than SQLite's longest text (1 GB; notes have no limit): in halves.
            if len(ids) == 1:
                raise
            middle = len(ids) // 2
            (first, before), (second, after) = lines_of(ids[:middle]), lines_of(ids[middle:])
            return first + second, before + after
        return count, f"{text}\r\n" if count else ""

    with connection.cursor() as cursor:
        cursor.execute(ids_sql, ids_params)
        pieces = iter(lambda: [pk for pk, in cursor.fetchmany(IDS_PER_PIECE)], [])
        first = next(pieces, [])
        if connection.in_atomic_block or len(first) < IDS_PER_PIECE:
            yield from (lines_of(ids) for ids in chain([first], pieces) if ids)
            return
        with Threads(LINE_WORKERS, name="leadbook-export") as threads:
            yield from in_order(
                lambda ids: threads.start(lambda: lines_of(ids), using=queryset.db),
                chain([first], pieces), ahead=2 * LINE_WORKERS)


def _piece_sql(connection) -> tuple[str, list]:
    """SQLite: the count and the joined lines of the leads whose ids are given as a JSON
    array (the last parameter), in its order. group_concat joins rows in the order its
    subquery gives them (SQLite 3.40 has no ORDER BY inside an aggregate); the tests check
    the order."""
    query = Lead._base_manager.all().query
    compiler = query.get_compiler(connection=connection)
    line_sql, line_params = CsvLine(names_joined=False).resolve_expression(query).as_sql(
        compiler, connection)
    table = connection.ops.quote_name(Lead._meta.db_table)
    pk = f"{table}.{connection.ops.quote_name(Lead._meta.pk.column)}"
    return (f"SELECT count(*), group_concat(line, char(13, 10)) FROM ("  # noqa: S608
            f"SELECT {line_sql} AS line FROM json_each(%s) AS piece "
            f"CROSS JOIN {table} ON {pk} = piece.value ORDER BY piece.key)"), line_params


def _copied_lines(cursor, sql: str, params) -> Iterator[str]:
    """PostgreSQL: the lines by COPY in CSV format (faster than fetching rows), which sends
    one line at a time, ending in a line feed."""
    with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", tuple(params)) as copy:
        for data in copy:
            yield bytes(data).decode()[:-1]


def _csv_lines(rows: Iterable[Sequence]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def _in_pieces(texts: Iterable[str]) -> Iterator[str]:
    """The texts joined, the byte order mark first, in pieces of about FLUSH_CHARS or more
    (a write or a streamed piece each)."""
    buffer = io.StringIO()
    buffer.write(BOM)
    for text in texts:
        buffer.write(text)
        if buffer.tell() >= FLUSH_CHARS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _chunked(items: Iterable[T]) -> Iterator[list[T]]:
    """The items in lists of CHUNK_ROWS (the last one shorter)."""
    items = iter(items)
    while chunk := list(islice(items, CHUNK_ROWS)):
        yield chunk


def iter_csv(rows: Iterable[Sequence]) -> Iterator[str]:
    """CSV text for rows (the header first), the byte order mark first, in pieces."""
    return _in_pieces(map(_csv_lines, _chunked(rows)))


def iter_export(queryset: QuerySet[Lead]) -> Iterator[str]:
    """The export of the leads as CSV text, the byte order mark first, in pieces."""
    return _export_text(_lines(queryset))


def _export_text(chunks: Iterable[Chunk]) -> Iterator[str]:
    """The header, then the leads' lines, as `iter_export` gives them."""
    header = _csv_lines([[header for header, _ in COLUMNS]])
    return _in_pieces(chain([header], (text for _, text in chunks)))


def write_csv(queryset: QuerySet[Lead], out: IO[str]) -> int:
    """Write the export to an open text file; returns the number of leads written."""
    leads = 0

    def counted(chunks: Iterable[Chunk]) -> Iterator[Chunk]:
        nonlocal leads
        for chunk in chunks:
            leads += chunk[0]
            yield chunk

    for text in _export_text(counted(_lines(queryset))):
        out.write(text)
    return leads


def csv_response(rows: Iterable[Sequence], *, filename_stem: str) -> StreamingHttpResponse:
    """Stream rows (the header first) as a dated CSV download."""
    return _response(iter_csv(rows), filename_stem=filename_stem)


def export_response(queryset: QuerySet[Lead], *, filename_stem: str) -> StreamingHttpResponse:
    return _response(iter_export(queryset), filename_stem=filename_stem)


def _response(pieces: Iterable[str], *, filename_stem: str) -> StreamingHttpResponse:
    filename = f"{filename_stem}-{timezone.localdate():%Y-%m-%d}.csv"
    response = StreamingHttpResponse((text.encode("utf-8") for text in pieces),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
