"""The table's search box at scale: an index over `Lead.search_text` on each database.

`search_leads(queryset, query)` keeps the meaning the search always had: a lead matches when
its search text (names, company, email, phone, city, Instagram; lower-cased, see
`models.build_search_text`) contains the query as a substring, whitespace collapsed and
case ignored. Only how the database finds those leads differs:

- SQLite: an FTS5 table with the trigram tokenizer (`leads_lead_fts`), an "external content"
  table over `leads_lead.search_text` (it stores only the index, not a second copy of the
  text). A quoted FTS5 phrase of trigrams matches exactly the rows containing the query as a
  substring. Triggers on `leads_lead` keep it in step with every write, whatever wrote it:
  the services, the importer's raw `executemany` (core/bulk.py), merges, undo, the trash.
- PostgreSQL: a GIN index with pg_trgm's `gin_trgm_ops` on `search_text`; it serves the plain
  `LIKE '%query%'` the old search ran, so nothing else changes (and nothing to keep in sync).

Queries shorter than three characters have no trigram: they fall back to the scan
(`search_text LIKE '%q%'`), still correct, just not indexed; at one or two letters nearly
every lead matches anyway and the sort index serves the first page.

SQLite drops a table's triggers when Django rebuilds the table (an AlterField, say). So
`ensure_search_index` runs after every `migrate` (leads/apps.py): it recreates what is missing
and, if anything was, rebuilds the index from the table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections
from django.db.models import F, Func, IntegerField, QuerySet
from django.db.models.expressions import RawSQL

from leadbook.core import bulk

from . import normalize

PHONE_LIKE_RE = re.compile(r"^[\d\s().+\-]+$")
MIN_INDEXED_LENGTH = 3  # one trigram

LEAD_TABLE = "leads_lead"
FTS_TABLE = "leads_lead_fts"
# The ids of the leads whose search text holds a phrase (_phrase), from the FTS index.
MATCHING_SQL = "SELECT rowid FROM leads_lead_fts WHERE leads_lead_fts MATCH %s"
# The names below are spelled out in the SQL (no string building: it is all constant).
TRIGGERS = {
    "leads_lead_fts_ai": """
        CREATE TRIGGER IF NOT EXISTS leads_lead_fts_ai AFTER INSERT ON leads_lead BEGIN
            INSERT INTO leads_lead_fts(rowid, search_text) VALUES (new.id, new.search_text);
        END""",
    "leads_lead_fts_ad": """
        CREATE TRIGGER IF NOT EXISTS leads_lead_fts_ad AFTER DELETE ON leads_lead BEGIN
            INSERT INTO leads_lead_fts(leads_lead_fts, rowid, search_text)
                VALUES ('delete', old.id, old.search_text);
        END""",
    # Only when the text changed: most saves (status, outreach dates...) leave it alone.
    "leads_lead_fts_au": """
        CREATE TRIGGER IF NOT EXISTS leads_lead_fts_au AFTER UPDATE OF search_text, id
            ON leads_lead
            WHEN old.search_text IS NOT new.search_text OR old.id IS NOT new.id BEGIN
            INSERT INTO leads_lead_fts(leads_lead_fts, rowid, search_text)
                VALUES ('delete', old.id, old.search_text);
            INSERT INTO leads_lead_fts(rowid, search_text) VALUES (new.id, new.search_text);
        END""",
}
PG_INDEX = "lead_search_text_trgm"
INDEX_MIGRATION = ("leads", "0006_lead_search_index")


def normalise_query(query: str) -> str:
    """The query as the search text spells things: lower-case, single spaces; a query that
    looks like a phone number as its bare digits (the search text holds those too)."""
    query = " ".join(query.split()).lower()
    if PHONE_LIKE_RE.match(query) and len(normalize.digits(query)) >= 4:
        query = normalize.digits(query)
    return query


def search_leads(queryset: QuerySet, query: str, *, along_sort_index: bool = False
                 ) -> QuerySet:
    """The leads of `queryset` whose search text contains `query` (see the module doc).

    `along_sort_index`: for reading a page of a broad search (`is_broad`) on SQLite. Given
    `id IN (the FTS matches)`, SQLite looks every match up by id and sorts them all, even for
    a page of 50: 28 ms for a search matching 15,000 of a million leads, 88 ms for 70,000.
    Written `+id IN (...)`, the id is no longer an index SQLite can look leads up by, so it
    walks the sort index instead and checks each lead against the matches, stopping at the
    page's end: 7 and 12 ms. A count wants the plain form (it stops after enough matches
    either way, and finds them faster by id)."""
    query = normalise_query(query)
    if not query:
        return queryset
    vendor = connections[queryset.db].vendor
    if vendor == "sqlite" and len(query) >= MIN_INDEXED_LENGTH:
        # A constant statement; the query goes in as a parameter.
        matching = RawSQL(MATCHING_SQL, [_phrase(query)])  # noqa: S611
        if along_sort_index:
            return queryset.alias(searched_id=Func(
                F("pk"), template="+%(expressions)s", output_field=IntegerField(),
            )).filter(searched_id__in=matching)
        return queryset.filter(pk__in=matching)
    # PostgreSQL: the trigram index serves this LIKE. Short queries, other databases: a scan.
    return queryset.filter(search_text__contains=query)


# How many matches make a search broad: walking the sort index then finds a page sooner
# than sorting every match (for 2,000 of a million leads, each about 10 ms).
BROAD_MATCHES = 2_000


def is_broad(query: str, using: str) -> bool:
    """Whether `query` matches more than BROAD_MATCHES leads in SQLite's search index (live
    or not: the index holds every lead). Asks the index alone, and stops counting there:
    under a millisecond. False on PostgreSQL, which walks the sort index by itself."""
    query = normalise_query(query)
    if connections[using].vendor != "sqlite" or len(query) < MIN_INDEXED_LENGTH:
        return False
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({MATCHING_SQL} LIMIT %s)",  # noqa: S608
                       [_phrase(query), BROAD_MATCHES + 1])
        return cursor.fetchone()[0] > BROAD_MATCHES


def _phrase(query: str) -> str:
    """`query` as one FTS5 phrase: its trigrams, in order."""
    return '"' + query.replace('"', '""') + '"'


# --- Bulk inserts ------------------------------------------------------------------------------


@contextmanager
def indexed_in_bulk(connection, first_id: int, last_id: int) -> Iterator[None]:
    """Insert many leads (ids `first_id`..`last_id`, all new) in the block, and index them for
    search in one statement afterwards instead of row by row: it halves the cost of a big
    insert on SQLite (the per-row trigger is 60 % of it). Must run inside the transaction
    that inserts them (`bulk.sqlite_triggers_off`). PostgreSQL keeps its index itself."""
    insert_trigger = {"leads_lead_fts_ai": TRIGGERS["leads_lead_fts_ai"]}
    with bulk.sqlite_triggers_off(connection, insert_trigger) as off:
        yield
        if off:
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO leads_lead_fts(rowid, search_text) SELECT id, "
                               "search_text FROM leads_lead WHERE id BETWEEN %s AND %s",
                               [first_id, last_id])


# --- Creating and repairing the index ---------------------------------------------------------


def install(connection) -> None:
    """Create the search index for `connection`'s database and fill it (idempotent)."""
    if connection.vendor == "sqlite":
        ensure_search_index(connection)
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cursor.execute("CREATE INDEX IF NOT EXISTS lead_search_text_trgm ON leads_lead "
                           "USING gin (search_text gin_trgm_ops)")


def uninstall(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS leads_lead_fts_ai")
            cursor.execute("DROP TRIGGER IF EXISTS leads_lead_fts_ad")
            cursor.execute("DROP TRIGGER IF EXISTS leads_lead_fts_au")
            cursor.execute("DROP TABLE IF EXISTS leads_lead_fts")
        elif connection.vendor == "postgresql":
            cursor.execute("DROP INDEX IF EXISTS lead_search_text_trgm")


def ensure_search_index(connection) -> bool:
    """SQLite: create the FTS table and its triggers where missing; when anything was
    missing, rebuild the index from `leads_lead` (the triggers were not there to keep it in
    step). Returns whether it rebuilt. Other databases: nothing to do."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') "
                       "AND name LIKE 'leads_lead_fts%%'")
        present = {row[0] for row in cursor.fetchall()}
        if {FTS_TABLE, *TRIGGERS} <= present:
            return False
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s",
                       [LEAD_TABLE])
        if cursor.fetchone() is None:  # migrating backwards past the leads table
            return False
        # The trigram tokenizer folds case (case_sensitive 0) and keeps every character,
        # spaces and punctuation included, so a phrase is exactly a substring.
        cursor.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS leads_lead_fts USING fts5(search_text, "
            "content='leads_lead', content_rowid='id', tokenize='trigram case_sensitive 0')")
        for sql in TRIGGERS.values():
            cursor.execute(sql)
        cursor.execute("INSERT INTO leads_lead_fts(leads_lead_fts) VALUES ('rebuild')")
    return True


def check_search_index(connection) -> None:
    """SQLite: raise if the FTS index disagrees with `leads_lead` (FTS5's integrity check);
    for tests and `leadbook dbshell` troubleshooting."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO leads_lead_fts(leads_lead_fts, rank) "
                           "VALUES ('integrity-check', 1)")
