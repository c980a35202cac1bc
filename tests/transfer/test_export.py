import csv
import datetime
import io
import zoneinfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadbook.leads.filters import LeadFilter
from leadbook.leads.models import Lead, Source, Status
from leadbook.transfer import export
from leadbook.transfer.csvsafe import FORMULA_STARTS, neutralise, restore
from leadbook.transfer.export import (
    COLUMNS,
    LocalTimes,
    cell,
    export_response,
    iter_csv,
    iter_rows,
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
    monkeypatch.setattr(export, "CHUNK_ROWS", 2)
    monkeypatch.setattr(export, "FLUSH_CHARS", 10)
    assert exported(queryset) == whole == model_csv(queryset)
    pieces = list(export_response(queryset, filename_stem="leads").streaming_content)
    assert len(pieces) > 3 and b"".join(pieces) == whole.encode("utf-8")


def test_the_download_comes_in_large_pieces(book, make_lead):
    for i in range(300):
        make_lead(name=f"Lead {i}", notes="a note " * 20)
    pieces = list(export_response(Lead.objects.all(), filename_stem="leads").streaming_content)
    assert len(pieces) < 10
    assert b"".join(pieces) == exported(Lead.objects.all()).encode("utf-8")


def test_a_name_added_after_the_names_were_read_is_still_found(db):
    statuses = export._Names(Status, "name")  # read once, at the start of an export
    late = Status.objects.create(name="=Late", position=99)
    assert statuses[late.pk] == "'=Late"
    assert statuses[None] is None and statuses[10**9] is None  # no status; a deleted one


def test_iter_csv_and_iter_rows_give_the_export(book):
    assert "".join(iter_csv(iter_rows(Lead.objects.all()))) == exported(Lead.objects.all())


# --- LocalTimes -----------------------------------------------------------------------------
# It converts a column of texts 'YYYY-MM-DD HH:MM:SS' (UTC here) as `cell` would convert each
# value as an aware datetime.

ZONES = ["UTC", "Europe/Paris", "America/New_York", "America/St_Johns", "Asia/Kolkata",
         "Asia/Kathmandu", "Australia/Lord_Howe", "Pacific/Chatham", "Pacific/Apia",
         "Europe/Dublin", "Africa/Casablanca", "Africa/Monrovia"]


def local(moment: datetime.datetime, zone: zoneinfo.ZoneInfo) -> str:
    return moment.replace(tzinfo=UTC).astimezone(zone).isoformat(" ", "seconds")


def as_text(moment: datetime.datetime) -> str:
    return moment.isoformat(" ", "seconds")


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(moments=st.lists(st.datetimes(min_value=datetime.datetime(1850, 1, 1),
                                     max_value=datetime.datetime(2100, 1, 1)), max_size=5),
       zone=st.sampled_from(ZONES))
def test_local_times_match_converting_each_datetime(moments, zone):
    target = zoneinfo.ZoneInfo(zone)
    times = LocalTimes(UTC, target)
    texts = [as_text(moment) for moment in moments]
    expected = [local(moment, target) for moment in moments]
    assert times(texts) == expected
    assert times(texts) == expected  # again, from the hours worked out


def offset_changes(zone: zoneinfo.ZoneInfo):
    """Days (UTC midnights) on which the zone's offset is not the one it had a day before."""
    day, last = datetime.datetime(1880, 1, 1, tzinfo=UTC), None
    while day.year < 2040:
        offset = day.astimezone(zone).utcoffset()
        if offset != last:
            yield day
        day, last = day + datetime.timedelta(days=1), offset


@pytest.mark.parametrize("zone", ZONES)
def test_local_times_match_around_every_offset_change(zone):
    target = zoneinfo.ZoneInfo(zone)
    times = LocalTimes(UTC, target)
    for day in offset_changes(target):
        moment = day - datetime.timedelta(days=1)
        moments = []
        while moment < day + datetime.timedelta(days=1):
            moments.append(moment.replace(tzinfo=None))
            moment += datetime.timedelta(minutes=7, seconds=13)
        assert times([as_text(m) for m in moments]) == [local(m, target) for m in moments]


@pytest.mark.parametrize(("zone", "step", "cells"), [
    ("UTC", 60, ["", "2024-01-01 00:07:05+00:00", ""]),
    ("Asia/Kolkata", 10, ["", "2024-01-01 05:37:05+05:30", ""]),  # in 10-minute steps
    ("Asia/Kathmandu", 10, ["", "2024-01-01 05:52:05+05:45", ""]),  # a datetime each
])
def test_local_times_leave_empty_cells_empty(zone, step, cells):
    times = LocalTimes(UTC, zoneinfo.ZoneInfo(zone))
    assert times(["", "2024-01-01 00:07:05", ""]) == cells
    assert times.step == step


def test_local_times_start_afresh_past_their_limit(monkeypatch):
    monkeypatch.setattr(LocalTimes, "MAX_STEPS", 3)
    times = LocalTimes(UTC, UTC)
    texts = [f"2024-01-01 {hour:02d}:30:00" for hour in range(10)]
    for text in texts:
        assert times([text]) == [text + "+00:00"]
    assert len(times) <= 5
