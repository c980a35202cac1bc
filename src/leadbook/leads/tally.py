"""Counts that stay cheap at a million leads: tallies the database keeps (LeadTally).

The table and the API say how many leads a view holds. Counting them means reading an index
entry per lead (35 to 90 ms at a million), longer than reading the page. So the database
keeps, per combination of the values the table filters by (active, status, temperature,
source, owner, pending, converted; and per lead type), how many live leads have it; a view
that filters only by those values is counted by adding up the matching tallies. Any other
view (a search, a date range, a reached stage, several lead types at once) is counted the
plain way.

Triggers keep the tallies, in the transaction of the write, whatever wrote it: the services,
the importer's raw statements (core/bulk.py), merges, undo, the trash, a rename cascade. On
SQLite, row triggers; on PostgreSQL, statement triggers over the statement's transition
tables, which add up a bulk write (COPY, an import batch) first and touch each tally once,
in key order (two writers never wait on each other's tallies in opposite orders). Writers of
leads with the same values do wait for each other there: the tally's row stays locked until
the writing transaction commits. A form post or an edit commits in milliseconds; an import
batch holds its tallies for its batch (about a second).

Both orders of writing a lead and its types add up: a lead's own triggers count the types it
already has, a type row's triggers count it only for a lead that exists. A decrement never
creates a tally (on SQLite an UPDATE, which finds nothing in a table being emptied).

SQLite drops a table's triggers when Django rebuilds it (an AlterField), so `ensure_tallies`
runs after every migrate (leads/apps.py) and recounts when a trigger was missing.
"""

# The SQL here is put together from the constants below only (column names, aliases):
# nothing a user sends reaches it, so S608 (SQL built from strings) does not apply.
# ruff: noqa: S608
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.models import Q, Sum

from leadbook.core import bulk

from .filters import STAGE_ORDER, LeadFilter
from .models import LeadTally, Status
from .querysets import sees_only_own_leads

TALLY_MIGRATION = ("leads", "0009_leadtally")
KEY = "lead_type, is_active, status, temperature, source, owner, pending, converted"
_DIMENSIONS = ("is_active", "status", "temperature", "source", "owner", "pending", "converted")


def _values(x: str) -> list[str]:
    """The lead `x`'s value for each dimension after lead_type, as SQL."""
    return [f"{x}.is_active", f"{x}.status_id", f"{x}.temperature",
            f"coalesce({x}.source_id, 0)", f"coalesce({x}.owner_id, 0)",
            f"({x}.next_follow_up_on IS NOT NULL)", f"({x}.converted_at IS NOT NULL)"]


def _live(x: str) -> str:
    return f"{x}.deleted_at IS NULL AND {x}.merged_into_id IS NULL"


def _of(x: str) -> str:
    return ", ".join(_values(x))


def _matching(x: str) -> str:
    """The tallies of lead `x`'s values (lead_type said apart)."""
    pairs = zip(_DIMENSIONS, _values(x), strict=True)
    return " AND ".join(f"leads_leadtally.{d} = {v}" for d, v in pairs)


def _named(x: str) -> str:
    """The lead `x`'s dimensions, as SELECT columns named after them."""
    return ", ".join(f"{v} AS {d}" for d, v in zip(_DIMENSIONS, _values(x), strict=True))


def _per_lead(x: str, sign: str, rows: str = "") -> str:
    """SELECT (lead_type, dimensions, leads = sign) for the lead `x`, once for every lead and
    once per lead type it has: `x` a trigger's row (`new`, `old`), or with `rows` the table
    it ranges over (a transition table, leads_lead)."""
    named = _named(x)
    over = f"{rows} {x}, " if rows else ""
    return (f"SELECT 0 AS lead_type, {named}, {sign} AS leads"
            f"{f' FROM {rows} {x}' if rows else ''} WHERE {_live(x)} "
            f"UNION ALL SELECT t.leadtype_id, {named}, {sign} FROM {over}"
            f"leads_lead_lead_types t WHERE t.lead_id = {x}.id AND {_live(x)}")


def _summed(changes: str) -> str:
    """SELECT the tallies `changes` (rows as _per_lead gives them) add up to."""
    return (f"SELECT {KEY}, sum(leads) FROM ({changes}) AS changes GROUP BY {KEY} "
            "HAVING sum(leads) <> 0")


_ADD = f"INSERT INTO leads_leadtally ({KEY}, leads) "
_ADD_ONE = f" ON CONFLICT ({KEY}) DO UPDATE SET leads = leads + 1;"


def _sqlite_add(x: str) -> str:
    return _ADD + _per_lead(x, "1") + _ADD_ONE


def _sqlite_remove(x: str) -> str:
    return (f"UPDATE leads_leadtally SET leads = leads - 1 WHERE lead_type = 0 "
            f"AND {_matching(x)} AND {_live(x)}; "
            f"UPDATE leads_leadtally SET leads = leads - 1 WHERE lead_type IN "
            f"(SELECT leadtype_id FROM leads_lead_lead_types WHERE lead_id = {x}.id) "
            f"AND {_matching(x)} AND {_live(x)};")


_WATCHED = ("is_active, status_id, temperature, source_id, owner_id, next_follow_up_on, "
            "converted_at, deleted_at, merged_into_id")

SQLITE_TRIGGERS = {
    "leads_tally_ai": f"CREATE TRIGGER IF NOT EXISTS leads_tally_ai AFTER INSERT ON leads_lead "
                      f"BEGIN {_sqlite_add('new')} END",
    "leads_tally_ad": f"CREATE TRIGGER IF NOT EXISTS leads_tally_ad AFTER DELETE ON leads_lead "
                      f"BEGIN {_sqlite_remove('old')} END",
    # Only when what is tallied changed: most saves (notes, outreach dates) leave it alone.
    "leads_tally_au": f"CREATE TRIGGER IF NOT EXISTS leads_tally_au AFTER UPDATE OF {_WATCHED} "
                      f"ON leads_lead WHEN ({_of('old')}, {_live('old')}) IS NOT "
                      f"({_of('new')}, {_live('new')}) "
                      f"BEGIN {_sqlite_remove('old')} {_sqlite_add('new')} END",
    "leads_tally_types_ai": (
        "CREATE TRIGGER IF NOT EXISTS leads_tally_types_ai AFTER INSERT ON leads_lead_lead_types "
        f"BEGIN {_ADD} SELECT new.leadtype_id, {_of('l')}, 1 FROM leads_lead l "
        f"WHERE l.id = new.lead_id AND {_live('l')}{_ADD_ONE} END"),
    "leads_tally_types_ad": (
        "CREATE TRIGGER IF NOT EXISTS leads_tally_types_ad AFTER DELETE ON leads_lead_lead_types "
        "BEGIN UPDATE leads_leadtally SET leads = leads - 1 FROM leads_lead l "
        f"WHERE l.id = old.lead_id AND {_live('l')} AND lead_type = old.leadtype_id "
        f"AND {_matching('l')}; END"),
}


def _postgresql_function(name: str, changes: str) -> str:
    """A trigger function adding up `changes` (rows of lead_type, dimensions, +1 or -1) per
    tally and applying the sums in key order."""
    return (f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"{_ADD} {_summed(changes)} ORDER BY {KEY} "
            f"ON CONFLICT ({KEY}) DO UPDATE SET leads = leads_leadtally.leads + excluded.leads; "
            "RETURN NULL; END $$")


def _types_in(table: str, sign: str) -> str:
    return (f"SELECT t.leadtype_id AS lead_type, {_named('l')}, {sign} AS leads FROM {table} t "
            f"JOIN leads_lead l ON l.id = t.lead_id WHERE {_live('l')}")


# (trigger, table, event, transition tables, changes)
_POSTGRESQL = [
    ("leads_tally_ai", "leads_lead", "INSERT", "NEW TABLE AS new_rows",
     _per_lead("x", "1", "new_rows")),
    ("leads_tally_ad", "leads_lead", "DELETE", "OLD TABLE AS old_rows",
     _per_lead("x", "-1", "old_rows")),
    ("leads_tally_au", "leads_lead", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows",
     f"{_per_lead('x', '-1', 'old_rows')} UNION ALL {_per_lead('x', '1', 'new_rows')}"),
    ("leads_tally_types_ai", "leads_lead_lead_types", "INSERT", "NEW TABLE AS new_rows",
     _types_in("new_rows", "1")),
    ("leads_tally_types_ad", "leads_lead_lead_types", "DELETE", "OLD TABLE AS old_rows",
     _types_in("old_rows", "-1")),
]


def _counted_now() -> str:
    """SELECT the tallies the leads have now, counted from them."""
    return _summed(_per_lead("l", "1", "leads_lead"))


def _recount(cursor) -> None:
    cursor.execute("DELETE FROM leads_leadtally")
    cursor.execute(f"INSERT INTO leads_leadtally ({KEY}, leads) {_counted_now()}")


def tally_differences(connection) -> dict[tuple, tuple[int, int]]:
    """The tallies that disagree with a recount, {key: (kept, counted)}: empty when the
    triggers kept them in step. For tests and troubleshooting."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {KEY}, leads FROM leads_leadtally WHERE leads <> 0")
        kept = {tuple(row[:-1]): row[-1] for row in cursor.fetchall()}
        cursor.execute(_counted_now())
        counted = {tuple(row[:-1]): row[-1] for row in cursor.fetchall()}
    return {key: (kept.get(key, 0), counted.get(key, 0)) for key in kept.keys() | counted.keys()
            if kept.get(key, 0) != counted.get(key, 0)}


def install(connection) -> None:
    """Create the triggers for `connection`'s database and count what is there."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for sql in SQLITE_TRIGGERS.values():
                cursor.execute(sql)
        elif connection.vendor == "postgresql":
            for trigger, table, event, transitions, changes in _POSTGRESQL:
                cursor.execute(_postgresql_function(trigger, changes))
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
                cursor.execute(f"CREATE TRIGGER {trigger} AFTER {event} ON {table} "
                               f"REFERENCING {transitions} FOR EACH STATEMENT "
                               f"EXECUTE FUNCTION {trigger}()")
        else:
            return
        _recount(cursor)


def uninstall(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for trigger in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        elif connection.vendor == "postgresql":
            for trigger, table, *_ in _POSTGRESQL:
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS {trigger}()")


def ensure_tallies(connection) -> bool:
    """SQLite: put back the triggers a table rebuild dropped, and recount (the tallies were
    not kept while they were missing). Returns whether it did."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                       "AND name LIKE 'leads_tally_%%'")
        if set(SQLITE_TRIGGERS) <= {row[0] for row in cursor.fetchall()}:
            return False
    install(connection)
    return True


@contextmanager
def tallied_in_bulk(connection, first_id: int, last_id: int) -> Iterator[None]:
    """Insert many leads (ids `first_id`..`last_id`, all new) and their type rows in the
    block, and count them into the tallies in one statement afterwards instead of row by row
    (on SQLite the row triggers were half of an import's writing time). Must run inside the
    transaction that inserts them (`bulk.sqlite_triggers_off`); PostgreSQL's statement
    triggers add up a bulk insert already."""
    insert_triggers = {name: SQLITE_TRIGGERS[name]
                       for name in ("leads_tally_ai", "leads_tally_types_ai")}
    with bulk.sqlite_triggers_off(connection, insert_triggers) as off:
        yield
        if off:
            new_leads = f"(SELECT * FROM leads_lead WHERE id BETWEEN {int(first_id)} " \
                        f"AND {int(last_id)})"
            with connection.cursor() as cursor:
                cursor.execute(f"{_ADD} {_summed(_per_lead('l', '1', new_leads))} "
                               f"ON CONFLICT ({KEY}) DO UPDATE SET leads = leads + excluded.leads")


# --- Reading ------------------------------------------------------------------------------------


def tallied_count(view: LeadFilter, user) -> int | None:
    """How many leads `user` sees in `view`, from the tallies; None when the view filters by
    something they do not keep (a search, dates, a reached stage, several lead types)."""
    if view.search or view.created_after or view.created_before or len(view.lead_types) > 1 \
            or view.reached not in ("", STAGE_ORDER[0]):
        return None
    wanted = Q(lead_type=view.lead_types[0].pk if view.lead_types else 0)
    if view.active is not None:
        wanted &= Q(is_active=view.active)
    if view.statuses:
        wanted &= Q(status__in=[s.pk for s in view.statuses])
    if view.stages:
        wanted &= Q(status__in=list(Status.objects.filter(stage__in=view.stages)
                                    .values_list("pk", flat=True)))
    if view.sources:
        wanted &= Q(source__in=[s.pk if s else 0 for s in view.sources])
    if view.temperature:
        wanted &= Q(temperature=view.temperature)
    if view.owners:
        wanted &= Q(owner__in=[u.pk if u else 0 for u in view.owners])
    if sees_only_own_leads(user):
        wanted &= Q(owner=user.pk)
    for name in ("pending", "converted"):
        if getattr(view, name) is not None:
            wanted &= Q(**{name: getattr(view, name)})
    return LeadTally.objects.filter(wanted).aggregate(n=Sum("leads"))["n"] or 0
