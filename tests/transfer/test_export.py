import csv
import datetime
import io
import zoneinfo

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadbook.core.beside import Threads
from leadbook.leads.filters import LeadFilter
from leadbook.leads.models import Lead, Source, Status
from leadbook.transfer import export
from leadbook.transfer.csvsafe import FORMULA_STARTS, neutralise, restore
from leadbook.transfer.export import (
    COLUMNS,
    DIALECTS,
    SPANS_FROM,
    SPANS_TO,
    cell,
    export_response,
    iter_export,
    write_csv,
)

UTC = datetime.UTC


@given(st.text())
def test_neutralising_is_undone_exactly_by_restore(value):
    assert restore(neutralise(value)) == value


@given(st.text())
def test_no_neutralised_cell_starts_like_a_formula(value):
    assert not neutralise(value).startswith(FORMULA_STARTS)


def test_it_writes_every_field_for_every_lead(make_lead):
    make_lead(name="Juniper & Vine", email="dana@example.com", lead_types=["Wholesale"],
              followers=12500)
    make_lead(name="Corner Cup")
    out = io.StringIO()
    assert write_csv(Lead.objects.order_by("name"), out) == 2
    rows = list(csv.reader(io.StringIO(out.getvalue().lstrip("\ufeff"))))
    assert rows[0] == [header for header, _ in COLUMNS]
    juniper = dict(zip(rows[0], rows[2], strict=True))
    assert juniper["Email"] == "dana@example.com" and juniper["Followers"] == "12500"
    assert juniper["Active"] == "yes" and juniper["Lead Type"] == "Wholesale"


@pytest.mark.parametrize("queryset", [Lead.objects.all, Lead.objects.none])
def test_it_writes_only_the_header_when_there_is_nothing(db, queryset):
    out = io.StringIO()
    assert write_csv(queryset(), out) == 0
    assert out.getvalue().count("\n") == 1


# --- The export is what `cell` makes of the model's values ---------------------------------
# The export reads plain column values and converts them itself, for speed; `model_csv` is
# the straightforward way (Django's values, each through `cell`) it must match byte for byte.


def model_csv(queryset) -> str:
    paths = [path for _, path in COLUMNS]
    rows = [[header for header, _ in COLUMNS]]
    rows += [[cell(v) for v in values] for values in queryset.values_list(*paths)]
    out = io.StringIO()
    out.write("\ufeff")
    csv.writer(out).writerows(rows)
    return out.getvalue()


def exported(queryset) -> str:
    out = io.StringIO()
    write_csv(queryset, out)
    return out.getvalue()


WHEN = datetime.datetime(2024, 3, 10, 7, 59, 30, 999_999, tzinfo=UTC)  # US clocks go forward


@pytest.fixture
def book(make_lead, admin, member):
    """Leads with every kind of value: empty and filled, formula-like, several time zones'
    awkward hours."""
    web = Source.objects.get(name="Website")
    won = Status.objects.get(name="Won")
    make_lead(name="Bare")  # no source, owner, dates or followers
    make_lead(name="=SUM(A1)", company="'+quoted", phone="+1 512 555 0142", notes="-x\n\"y\"",
              source=web, owner=admin, followers=0, lead_types=["Wholesale", "Collab"],
              temperature="warm")
    make_lead(name="Café Olé, Ltd", status=won, owner=member, followers=2_000_000_000,
              city="Zürich", notes="line one\r\nline two")
    Lead.objects.filter(name="=SUM(A1)").update(next_follow_up_on=datetime.date(2024, 12, 31))
    Lead.objects.filter(name="Café Olé, Ltd").update(is_active=False)
    # Datetimes set past the services: on the hour, just before it, with and without
    # microseconds, before 1970, around daylight saving changes.
    stamps = [WHEN, WHEN.replace(microsecond=0, second=0, minute=0),
              datetime.datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC),
              datetime.datetime(2024, 11, 3, 6, 30, tzinfo=UTC),
              datetime.datetime(2024, 4, 6, 15, 45, 1, 5, tzinfo=UTC)]
    for i, lead in enumerate(Lead.objects.order_by("id")):
        Lead.objects.filter(pk=lead.pk).update(
            created_at=stamps[i % len(stamps)], updated_at=stamps[(i + 1) % len(stamps)],
            converted_at=None if i == 0 else stamps[(i + 2) % len(stamps)],
            last_outreach_at=None if i == 0 else stamps[(i + 3) % len(stamps)])


@pytest.mark.parametrize("zone", ["UTC", "America/Chicago", "Asia/Kolkata",
                                  "Australia/Lord_Howe", "Asia/Kathmandu"])
def test_it_writes_what_cell_makes_of_each_value(book, settings, zone):
    settings.TIME_ZONE = zone
    queryset = Lead.objects.order_by("id")
    assert exported(queryset) == model_csv(queryset)


def test_a_lead_without_status_source_or_owner_has_empty_cells(book):
    row = dict(zip(*list(csv.reader(io.StringIO(exported(Lead.objects.filter(
        name="Bare")).lstrip("\ufeff")))), strict=True))
    assert row["Source"] == row["Owner"] == row["Converted At"] == row["Followers"] == ""
    assert row["Status"] == "New" and row["Active"] == "yes"


def test_the_datetimes_are_in_local_time(book, settings):
    settings.TIME_ZONE = "America/Chicago"
    rows = list(csv.DictReader(io.StringIO(exported(Lead.objects.filter(
        name="Bare")).lstrip("\ufeff"))))
    assert rows[0]["Created At"] == "2024-03-10 01:59:30-06:00"
    assert rows[0]["Updated At"] == "2024-03-10 01:00:00-06:00"


@pytest.mark.parametrize("params", [
    {"ordering": "-status"}, {"ordering": "owner"}, {"ordering": "last_outreach"},
    {"ordering": "-pending", "active": "all"}, {"active": "false"},
    {"owner": "none,dana", "ordering": "-created"}, {"search": "café"},
    {"source": "none"}, {"lead_type": "collab"},
])
def test_a_filtered_ordered_view_exports_its_rows_in_order(book, params):
    view = LeadFilter.from_params(params)
    assert not view.errors
    queryset = view.apply(Lead.objects.all())
    assert exported(queryset) == model_csv(queryset)


def test_it_is_the_same_across_chunk_and_piece_boundaries(book, make_lead, monkeypatch):
    for i in range(7):
        make_lead(name=f"Lead {i}", notes="x" * i)
    queryset = Lead.objects.order_by("name", "id")
    whole = exported(queryset)
    monkeypatch.setattr(export, "CHUNK_ROWS", 2)  # PostgreSQL's chunks
    monkeypatch.setattr(export, "IDS_PER_PIECE", 2)  # SQLite's pieces
    monkeypatch.setattr(export, "FLUSH_CHARS", 10)
    assert exported(queryset) == whole == model_csv(queryset)
    pieces = list(export_response(queryset, filename_stem="leads").streaming_content)
    assert len(pieces) > 3 and b"".join(pieces) == whole.encode("utf-8")


@pytest.mark.django_db(transaction=True)  # committed, so that other connections see them
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's lines in parallel")
def test_sqlite_makes_the_pieces_lines_on_other_connections_in_order(make_lead, monkeypatch):
    for i in range(11):
        make_lead(name=f"Lead {i % 4}", email=f"lead{i}@example.com", lead_types=["Wholesale"])
    Lead.objects.filter(name="Lead 2").update(is_active=False)
    queryset = LeadFilter.from_params({"active": "all", "ordering": "-name"}).apply(
        Lead.objects.all())
    whole = exported(queryset)  # one piece: made on this connection
    monkeypatch.setattr(export, "IDS_PER_PIECE", 2)
    started = []  # pieces handed to threads with connections of their own (core/beside.py)
    start = Threads.start
    monkeypatch.setattr(Threads, "start", lambda self, query, using: started.append(using)
                        or start(self, query, using=using))
    assert exported(queryset) == whole == model_csv(queryset)
    assert started == ["default"] * 6  # every piece
    with transaction.atomic():  # which other connections would not see
        make_lead(name="Lead 9")
        assert "Lead 9" in exported(queryset) and len(started) == 6


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's pieces")
def test_a_piece_gives_its_leads_lines_in_its_order_without_leads_gone_since(book):
    # The ids are read first: a lead deleted for good before its piece is made is left out.
    first, second = Lead.objects.order_by("id")[:2]
    sql, params = export._piece_sql(connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, f"[{second.pk}, 999999, {first.pk}]"])
        (count, text), = cursor.fetchall()
    lines = model_csv(Lead.objects.filter(pk__in=[first.pk, second.pk]).order_by("-id"))
    assert count == 2 and f"{text}\r\n" == lines.split("\r\n", 1)[1]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's longest text")
def test_a_piece_longer_than_sqlites_longest_text_is_made_in_halves(book, make_lead):
    import sqlite3

    for i in range(5):
        make_lead(name=f"Lead {i}", notes="n" * 300)
    queryset = Lead.objects.order_by("id")
    whole = exported(queryset)
    connection.ensure_connection()
    longest = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_LENGTH)
    connection.connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 1000)  # two lines or so
    try:
        assert exported(queryset) == whole == model_csv(queryset)
    finally:
        connection.connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, longest)


def test_the_download_comes_in_large_pieces(book, make_lead):
    for i in range(300):
        make_lead(name=f"Lead {i}", notes="a note " * 20)
    pieces = list(export_response(Lead.objects.all(), filename_stem="leads").streaming_content)
    assert len(pieces) < 10
    assert b"".join(pieces) == exported(Lead.objects.all()).encode("utf-8")


@pytest.mark.parametrize("named_at_most", [0, 1])
def test_names_not_written_into_the_query_are_looked_up(book, monkeypatch, named_at_most):
    # With no names in the query (or too many to put there), and for a status added during
    # an export, each lead's name is looked up.
    queryset = Lead.objects.order_by("id")
    monkeypatch.setattr(export, "_NAMED_AT_MOST", named_at_most)
    Status.objects.create(name="=Late", position=99)
    Lead.objects.filter(name="Bare").update(status=Status.objects.get(name="=Late"))
    assert exported(queryset) == model_csv(queryset)
    assert ",'=Late," in exported(queryset)


def test_iter_export_gives_the_export(book):
    assert "".join(iter_export(Lead.objects.all())) == exported(Lead.objects.all())


def test_the_export_needs_sqlite_or_postgresql(book, monkeypatch):
    from django.db import NotSupportedError, connection

    monkeypatch.setattr(connection, "vendor", "oracle")
    with pytest.raises(NotSupportedError):
        exported(Lead.objects.all())


# --- Text cells -----------------------------------------------------------------------------
# Any text the database quotes and neutralises as `cell` and csv.writer do, joined into one line.

TRICKY = st.text(alphabet=st.sampled_from([*FORMULA_STARTS, "'", '"', ",", "\n", "\r", " ",
                                           "a", "é", "*", "?", "[", "]", "%"]))


def lines_in_database(rows: list[list[str]]) -> list[str]:
    from django.db import connection

    dialect = DIALECTS[connection.vendor]
    width = len(rows[0])
    columns = [f"c{i}" for i in range(width)]
    values = ", ".join(f"({', '.join(['%s'] * width)}, {i})" for i in range(len(rows)))
    line = dialect.joined([dialect.or_empty(dialect.text(column)) for column in columns])
    sql = (f"WITH t({', '.join(columns)}, i) AS (VALUES {values}) "  # noqa: S608
           f"SELECT {line} FROM t ORDER BY i")
    params = [value for row in rows for value in row]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # COPY joins and quotes the cells
            return list(export._copied_lines(cursor.cursor, sql, params))
        cursor.execute(sql, params)
        return [text for text, in cursor.fetchall()]


@pytest.mark.django_db
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(TRICKY | st.text(), min_size=3, max_size=3), min_size=1,
                     max_size=5).map(lambda rows: [[v.replace("\x00", "") for v in row]
                                                   for row in rows]))
def test_text_cells_are_what_cell_and_csv_writer_make(rows):
    assert lines_in_database(rows) == [_csv_line(map(cell, row)) for row in rows]


def _csv_line(cells) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(cells)
    return out.getvalue().removesuffix("\r\n")


# --- Local times ----------------------------------------------------------------------------
# The database converts each datetime as `cell` does in Python: the SQL expression of
# `_Dialect.local` against Python's conversion, for any moment from 1900 to 2100.

ZONES = ["UTC", "Europe/Paris", "America/New_York", "America/St_Johns", "Asia/Kolkata",
         "Asia/Kathmandu", "Australia/Lord_Howe", "Pacific/Chatham", "Pacific/Apia",
         "Europe/Dublin", "Africa/Casablanca", "Africa/Monrovia"]


def local(moment: datetime.datetime, zone: zoneinfo.ZoneInfo) -> str:
    return moment.astimezone(zone).isoformat(" ", "seconds")


def in_database(moments: list[datetime.datetime], zone: zoneinfo.ZoneInfo) -> list[str]:
    """The export's local time of each moment (UTC), worked out by the database."""
    from django.db import connection

    dialect = DIALECTS[connection.vendor]
    if connection.vendor == "sqlite":  # stored as Django stores them
        values, value = [m.replace(tzinfo=None).isoformat(" ") for m in moments], "%s"
    else:
        values, value = moments, "%s::timestamptz"
    rows = ", ".join(f"({value}, {i})" for i in range(len(moments)))
    with connection.cursor() as cursor:
        cursor.execute(f"WITH t(x, i) AS (VALUES {rows}) "  # noqa: S608 (placeholders)
                       f"SELECT {dialect.local('x', zone)} FROM t ORDER BY i",
                       values)
        return [text for text, in cursor.fetchall()]


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(moments=st.lists(st.datetimes(min_value=SPANS_FROM.replace(tzinfo=None),
                                     max_value=SPANS_TO.replace(tzinfo=None),
                                     timezones=st.just(UTC)), min_size=1, max_size=5),
       zone=st.sampled_from(ZONES))
def test_local_times_match_converting_each_datetime(moments, zone):
    target = zoneinfo.ZoneInfo(zone)
    assert in_database(moments, target) == [local(moment, target) for moment in moments]


def offset_changes(zone: zoneinfo.ZoneInfo):
    """Days (UTC midnights) on which the zone's offset is not the one it had a day before."""
    day, last = SPANS_FROM, None
    while day.year < 2040:
        offset = day.astimezone(zone).utcoffset()
        if offset != last:
            yield day
        day, last = day + datetime.timedelta(days=1), offset


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ZONES)
def test_local_times_match_around_every_offset_change(zone):
    target = zoneinfo.ZoneInfo(zone)
    moments = []
    for day in offset_changes(target):
        moment = day - datetime.timedelta(days=1)
        while moment < day + datetime.timedelta(days=1):
            moments.append(moment)
            moment += datetime.timedelta(minutes=37, seconds=13, microseconds=999_999)
    for start in range(0, len(moments), 400):
        chunk = moments[start:start + 400]
        assert in_database(chunk, target) == [local(m, target) for m in chunk]


@pytest.mark.django_db
def test_a_moment_outside_the_exact_years_gets_the_nearer_edges_offset():
    chicago = zoneinfo.ZoneInfo("America/Chicago")
    assert in_database([datetime.datetime(1850, 1, 1, tzinfo=UTC),
                        datetime.datetime(2150, 7, 1, tzinfo=UTC)], chicago) == [
        "1849-12-31 18:00:00-06:00", "2150-06-30 18:00:00-06:00"]


def test_a_download_stopped_half_way_leaves_the_connection_usable(book, make_lead, monkeypatch):
    for i in range(5):
        make_lead(name=f"Lead {i}")
    monkeypatch.setattr(export, "CHUNK_ROWS", 2)
    monkeypatch.setattr(export, "FLUSH_CHARS", 10)
    pieces = iter_export(Lead.objects.all())
    next(pieces), next(pieces)
    pieces.close()  # the browser went away
    assert Lead.objects.filter(name="Lead 4").exists()
    rows = list(csv.reader(io.StringIO(exported(Lead.objects.all()))))
    assert len(rows) == Lead.objects.count() + 1
