"""Every filter and sort of the leads table reads an index, never the whole leads table.

For each view the table offers, the page query and the count query its paginator runs are
explained by the database itself (SQLite: EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN with
sequential scans priced out, as on a large table), and the plan must reach `leads_lead`
through an index. Sorts must also come out of the index in order, without sorting the rows
(status sorts need statistics: see STATUS_NEEDS_STATISTICS).
"""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadbook.leads import keyset
from leadbook.leads.filters import ORDERINGS, LeadFilter
from leadbook.leads.models import Lead

SQLITE = connection.vendor == "sqlite"

FILTERS = {
    "default": {},
    "inactive": {"active": "false"},
    "status": {"status": "Qualified"},
    "two statuses": {"status": "New,Qualified"},
    "lead type": {"lead_type": "Wholesale"},
    "status + lead type": {"status": "Qualified", "lead_type": "Wholesale"},
    "source": {"source": "Website"},
    "no source": {"source": "none"},
    "temperature": {"temperature": "warm"},
    "owner": {"owner": "dana"},
    "unassigned": {"owner": "none"},
    "pending": {"pending": "true"},
    "not pending": {"pending": "false"},
    "converted": {"converted": "true"},
    "not converted": {"converted": "false"},
    "created after": {"created_after": "2025-01-01"},
    "created between": {"created_after": "2025-01-01", "created_before": "2025-03-31"},
    "stage": {"stage": "opportunity"},
    "reached": {"reached": "qualified"},
    "search": {"search": "junip"},
    "search an email": {"search": "dana@juniper.example.com"},
    "search a phone": {"search": "(512) 555-0142"},
}
SORTS = [*ORDERINGS, *(f"-{key}" for key in ORDERINGS)]
# Sorted by the owner: from the lead's own owner_name (the username, kept on the lead), so it
# walks lead_live_owner_name like every other sort; no view is sorted after reading.
SORTED_AFTER_READING: set[str] = set()
# Sorted by status: SQLite walks the statuses in (position, id) order and each status's leads
# by id, but only once ANALYZE has told it the status table is small; PostgreSQL does not
# carry the order of the inner index through a nested loop, and sorts each status's leads.
STATUS_NEEDS_STATISTICS = {"status", "-status"}


@pytest.fixture
def leads(make_lead, admin, table_statistics):
    from leadbook.leads.models import Source

    website = Source.objects.get(name="Website")
    make_lead(name="Juniper & Vine", email="dana@juniper.example.com", phone="(512) 555-0142",
              owner=admin, source=website, lead_types=["Wholesale"])
    make_lead(name="Corner Cup", lead_types=["Consignment", "Collab"])
    make_lead(name="Maple Goods")


# Rows per distinct value in a book of a million leads (as ANALYZE measures them after
# `seed_demo`), for each indexed column: the rows per distinct value of the index's columns
# up to it can only shrink. Live leads are all NULL in deleted_at and merged_into_id;
# columns not named are near-unique.
MILLION = 1_000_000
ROWS_PER_VALUE = {"is_active": 500_000, "status_id": 62_500, "temperature": 333_333,
                  "source_id": 125_000, "owner_id": 333_333, "owner_name": 333_333,
                  "converted_at": 900_000,
                  "next_follow_up_on": 1_000, "deleted_at": MILLION,
                  "merged_into_id": MILLION, "id": 1}


@pytest.fixture(params=["no statistics", "statistics of a million leads"])
def table_statistics(request, db):
    """Plans with SQLite's default guesses (a database nobody has ANALYZEd), and with the
    statistics ANALYZE or `PRAGMA optimize` records on a large book. Without statistics
    SQLite takes the status table for as large as the leads table, so it sorts leads by
    status rather than walking the statuses in order (see STATUS_NEEDS_STATISTICS)."""
    if request.param == "no statistics":
        return request.param
    if not SQLITE:
        pytest.skip("PostgreSQL keeps its own statistics; EXPLAIN here prices out scans")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leads_status")  # small tables: their real statistics
        cursor.execute("ANALYZE accounts_user")
        cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'leads_lead'")
        cursor.execute("INSERT INTO sqlite_stat1 VALUES ('leads_lead', NULL, %s)",
                       [str(MILLION)])
        for index in connection.introspection.get_constraints(cursor, "leads_lead").items():
            name, info = index
            if not info["index"] or name.startswith("sqlite_autoindex"):
                continue
            stat = [MILLION]
            for column in info["columns"]:
                stat.append(min(stat[-1], ROWS_PER_VALUE.get(column or "", 2)))
            cursor.execute("INSERT INTO sqlite_stat1 VALUES ('leads_lead', %s, %s)",
                           [name, " ".join(map(str, stat))])
        cursor.execute("ANALYZE sqlite_schema")  # load them
    return request.param


def table_queries(params: dict) -> list[str]:
    """The SQL the table page runs for a view: its rows and its count."""
    view = LeadFilter.from_params(params)
    assert not view.errors, view.errors
    queryset = view.apply(Lead.objects.for_table())
    with CaptureQueriesContext(connection) as captured:
        queryset.count()
        list(queryset[:50])
    return [q["sql"] for q in captured.captured_queries
            if re.search(r'FROM "leads_lead"(\s|$)', q["sql"])]


def plan(sql: str) -> str:
    with connection.cursor() as cursor:
        if SQLITE:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            return "\n".join(row[-1] for row in cursor.fetchall())
        # As on a large table: a sequential scan or a sort of every row is priced out when
        # an index can do the work (a few test rows would make anything look cheap).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def full_scans(text: str) -> list[str]:
    if SQLITE:
        return [line for line in text.splitlines()
                if re.search(r"\bSCAN leads_lead\b(?! USING)", line)]
    return [line for line in text.splitlines() if re.search(r"Seq Scan on leads_lead\b", line)]


def sorts_rows(text: str) -> bool:
    if SQLITE:
        return "TEMP B-TREE FOR ORDER BY" in text or "FOR RIGHT PART OF ORDER BY" in text
    return bool(re.search(r"^\s*(->\s*)?(Incremental )?Sort\b", text, re.MULTILINE))


@pytest.mark.parametrize("name", FILTERS)
def test_every_filter_reads_the_leads_table_through_an_index(leads, name):
    for sql in table_queries(FILTERS[name]):
        text = plan(sql)
        assert not full_scans(text), f"{name}: full scan of leads_lead\n{sql}\n{text}"


@pytest.mark.parametrize("ordering", SORTS)
def test_every_sort_comes_from_an_index_in_order(leads, ordering, table_statistics):
    rows_sql, count_sql = None, None
    for sql in table_queries({"ordering": ordering}):
        if "COUNT(" in sql:
            count_sql = sql
        else:
            rows_sql = sql
    assert rows_sql and count_sql
    for sql in (rows_sql, count_sql):
        text = plan(sql)
        assert not full_scans(text), f"{ordering}: full scan of leads_lead\n{sql}\n{text}"
    text = plan(rows_sql)
    if ordering in SORTED_AFTER_READING or (
            ordering in STATUS_NEEDS_STATISTICS
            and (not SQLITE or table_statistics == "no statistics")):
        return
    assert not sorts_rows(text), f"{ordering}: rows sorted, not read in order\n{rows_sql}\n{text}"


@pytest.mark.parametrize("ordering", SORTS)
def test_a_page_after_a_cursor_seeks_to_it_in_the_sort_index(leads, ordering, table_statistics):
    """Each part a cursor page is read in (keyset.parts_after) comes from an index in order;
    on SQLite the rest of the cursor's run is a seek to (its sort values, id > the cursor's),
    not a walk from the start of the run."""
    queryset = LeadFilter.from_params({"ordering": ordering}).apply(Lead.objects.for_table())
    cursor = keyset.make_cursor(ordering, Lead.objects.get(name="Corner Cup").pk)
    parts = keyset.parts_after(queryset, ordering, cursor)
    for number, part in enumerate(parts):
        with CaptureQueriesContext(connection) as captured:
            list(part[:50])
        (sql,) = [q["sql"] for q in captured.captured_queries if 'FROM "leads_lead"' in q["sql"]]
        text = plan(sql)
        assert not full_scans(text), f"{ordering}: full scan of leads_lead\n{sql}\n{text}"
        if ordering in STATUS_NEEDS_STATISTICS and (
                not SQLITE or table_statistics == "no statistics"):
            continue
        assert not sorts_rows(text), f"{ordering}: rows sorted\n{sql}\n{text}"
        if SQLITE and number == 0 and ordering not in STATUS_NEEDS_STATISTICS:
            assert "id>?" in text or "id<?" in text, f"{ordering}: no seek\n{sql}\n{text}"


FILLED = {"last_outreach_at": datetime.datetime(2024, 5, 1, 9, 30, tzinfo=datetime.UTC),
          "next_follow_up_on": datetime.date(2024, 5, 2), "owner_name": "dana"}


@pytest.mark.skipif(SQLITE, reason="PostgreSQL's own indexes for the runs (migration 0008)")
@pytest.mark.parametrize("ordering", ["last_outreach", "-last_outreach", "pending", "-pending",
                                      "owner", "-owner"])
def test_postgresql_reads_a_filled_run_after_a_cursor_from_its_own_index(leads, ordering):
    """PostgreSQL cannot seek in the (is_active, column IS NULL, column, id) indexes (it
    reads `(column IS NULL) = false` as `column IS NOT NULL`), so the filled leads after a
    cursor come from the partial index of the filled run."""
    column = keyset.sort_columns(ordering)[0]
    lead = Lead.objects.get(name="Corner Cup")
    Lead.objects.filter(pk=lead.pk).update(**{column: FILLED[column]})
    queryset = LeadFilter.from_params({"ordering": ordering}).apply(Lead.objects.for_table())
    parts = keyset.parts_after(queryset, ordering, keyset.make_cursor(ordering, lead.pk))
    # The filled leads beyond the cursor's run. (The rest of the run itself, `column = v AND
    # id > 42`, may as well come from the primary key in a table of three leads.)
    with CaptureQueriesContext(connection) as captured:
        list(parts[1][:50])
    (sql,) = [q["sql"] for q in captured.captured_queries if 'FROM "leads_lead"' in q["sql"]]
    text = plan(sql)
    assert f"lead_pg_filled_{column}" in text, f"{ordering}: not the run's index\n{sql}\n{text}"


@pytest.mark.parametrize("ordering", ["name", "-last_outreach", "pending", "status"])
def test_sorts_hold_with_a_filter_and_a_search(leads, ordering):
    params = {"ordering": ordering, "status": "Qualified", "temperature": "warm",
              "search": "juniper"}
    for sql in table_queries(params):
        text = plan(sql)
        assert not full_scans(text), f"{ordering}: full scan of leads_lead\n{sql}\n{text}"


def test_counting_live_leads_reads_only_the_small_live_index(leads):
    (count_sql,) = [sql for sql in table_queries({}) if "COUNT(" in sql]
    text = plan(count_sql)
    assert "lead_live_" in text
    if SQLITE:
        assert "COVERING INDEX" in text, text
    else:
        assert "Index Only Scan" in text, text


@pytest.mark.parametrize("ordering", ["owner", "-owner"])
def test_the_owner_sort_walks_its_own_index(leads, ordering, table_statistics):
    (rows_sql,) = [sql for sql in table_queries({"ordering": ordering}) if "COUNT(" not in sql]
    assert "accounts_user" not in rows_sql  # no join: the lead's own owner_name
    text = plan(rows_sql)
    assert "lead_live_owner_name" in text, text
    assert not sorts_rows(text), text


def test_the_navigations_due_count_reads_the_owners_due_range(leads, member):
    """Counted on every page: a range of the owner index, never a walk in name order."""
    from leadbook.core.navigation import due_follow_ups

    with CaptureQueriesContext(connection) as captured:
        due_follow_ups(member)
    (count_sql,) = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"]]
    assert "ORDER BY" not in count_sql
    text = plan(count_sql)
    assert not full_scans(text) and not sorts_rows(text), text
    if SQLITE:  # PostgreSQL may take the plain owner_id index, as good for a range count
        assert "lead_live_owner" in text or "lead_live_due" in text, text
