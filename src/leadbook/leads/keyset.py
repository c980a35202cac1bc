"""Cursor (keyset) pagination over a sorted lead list: the API's `cursor` and the leads
table's Next / Previous links.

A page read with `offset` makes the database walk past every skipped row: page 10,000 of a
million leads costs as much as reading them all. A cursor instead names the last lead of the
page just read by its sort values and id, and the next page starts right after it with a
condition the sort index answers directly (`name > 'Kit' OR (name = 'Kit' AND id > 42)`),
so a deep page is as cheap as the first.

The cursor is opaque to its holder: the sort values and the ordering, signed so that a cursor
cannot be forged or edited (a damaged one is refused with 422 rather than reaching the
database). The ordering is the table's (leads.filters.ORDERINGS) with the id as the last
tie-breaker, NULLs placed exactly as `order_by_clause` places them.
"""

from collections.abc import Callable
from typing import Any

from django.core import signing
from django.db import connections
from django.db.models import Count, F, Q, QuerySet, Value, Window
from django.db.models.lookups import Exact, IsNull

from .filters import NULLABLE, ORDERINGS
from .models import Lead

# The API gave out the first cursors: its salt stays, so that those still work.
SALT = "leadbook.api.leads.cursor"
VERSION = 1


def sort_columns(ordering: str) -> list[str]:
    """The columns a lead list sorted by `ordering` is in order of, id last."""
    return [*ORDERINGS[ordering.lstrip("-")], "id"]


def _field(path: str):
    """The model field a column path (`status__position`) ends at."""
    model: Any = Lead
    parts = path.split("__")
    for part in parts[:-1]:
        model = model._meta.get_field(part).related_model
    return model._meta.get_field(parts[-1])


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def make_cursor(ordering: str, lead_id: int, *, count: tuple[str, int] | None = None,
                lead: Lead | None = None) -> str | None:
    """A cursor for the page after lead `lead_id` in a list sorted by `ordering` (None when
    the lead has gone meanwhile). `count`: what the list's count counted (a description
    of the list) and how many, carried along for the next pages (`carried_count`). `lead`:
    that lead as just read, its sort values taken from it rather than read again (a
    status's position from its status, which must be loaded)."""
    columns = sort_columns(ordering)
    if lead is not None:
        row = tuple(_value_at(lead, column) for column in columns)
    else:
        row = Lead.all_objects.filter(pk=lead_id).values_list(*columns).first()
    if row is None:
        return None
    data: dict[str, Any] = {"v": VERSION, "o": ordering, "k": [_plain(v) for v in row]}
    if count is not None:
        data["n"] = list(count)
    return signing.dumps(data, salt=SALT, compress=True)


def _value_at(lead: Lead, path: str) -> Any:
    """The value a column path (`status__position`) reaches from `lead`; None past an empty
    foreign key."""
    value: Any = lead
    for part in path.split("__"):
        value = getattr(value, part)
        if value is None:
            return None
    return value


def _load(cursor: str) -> Any:
    """What a cursor holds, or None when Leadbook did not sign it."""
    try:
        return signing.loads(cursor, salt=SALT)
    except signing.BadSignature:
        return None


def carried_count(cursor: str, counted: str) -> int | None:
    """The count a cursor carries when it counted the list `counted` describes; None when
    it carries none, or counted another list (the holder changed the filters)."""
    data = _load(cursor)
    carried = data.get("n") if isinstance(data, dict) else None
    if isinstance(carried, list) and len(carried) == 2 and carried[0] == counted \
            and isinstance(carried[1], int):
        return carried[1]
    return None


class InvalidCursor(ValueError):
    """Not a cursor Leadbook gave out, or one given out for another ordering."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def read_cursor(cursor: str, ordering: str) -> list[Any]:
    """The sort values a cursor names, for a list sorted by `ordering` (InvalidCursor when
    it is not a cursor Leadbook gave out, or was given out for another ordering)."""
    data = _load(cursor)
    if data is None:
        raise InvalidCursor("Not a valid cursor: send back the next_cursor of a previous "
                            "page unchanged.")
    if not isinstance(data, dict) or data.get("v") != VERSION:
        raise InvalidCursor("This cursor is from an older version of Leadbook: start "
                            "again from the first page.")
    if data.get("o") != ordering:
        raise InvalidCursor(f"This cursor belongs to a list sorted by {data.get('o')!r}, "
                            f"not {ordering!r}: send the same ordering (and filters) as the "
                            "page it came from.")
    columns = sort_columns(ordering)
    values = data.get("k")
    if not isinstance(values, list) or len(values) != len(columns):
        raise InvalidCursor("Not a valid cursor.")
    return [None if value is None else _field(column).to_python(value)
            for column, value in zip(columns, values, strict=True)]


def after(ordering: str, keys: list[Any]) -> Q:
    """The leads whose sort values come strictly after `keys` (the values of the ordering's
    columns, the id left out) in a list sorted by `ordering`.

    For columns c1..cn: (c1 after v1) OR (c1 = v1 AND c2 after v2) OR ... "After" follows
    the direction and where NULLs sort (see order_by_clause); a bound on the first column
    alone is added so the database can seek in its index instead of filtering every row."""
    descending = ordering.startswith("-")
    columns = sort_columns(ordering)[:-1]
    condition = Q(pk__in=[])  # nothing
    equal = Q()
    for column, value in zip(columns, keys, strict=True):
        condition |= equal & _strictly_after(column, value, descending)
        equal &= _equal(column, value)
    return _seek(columns[0], keys[0], descending) & condition


def _equal(column: str, value: Any) -> Q:
    return Q(**{f"{column}__isnull": True}) if value is None else Q(**{column: value})


def _nulls_first(column: str, descending: bool) -> bool:
    return NULLABLE.get(column, False) != descending


def _strictly_after(column: str, value: Any, descending: bool) -> Q:
    nulls_first = _nulls_first(column, descending)
    if value is None:
        # Among NULLs nothing is strictly after; the non-NULL values follow when NULLs lead.
        return Q(**{f"{column}__isnull": False}) if nulls_first else Q(pk__in=[])
    later = Q(**{f"{column}__{'lt' if descending else 'gt'}": value})
    if column in NULLABLE and not nulls_first:
        later |= Q(**{f"{column}__isnull": True})
    return later


def _seek(column: str, value: Any, descending: bool) -> Q:
    """A range on the first sort column that holds every row after `value` (it narrows the
    index scan; the exact condition comes with it)."""
    nulls_first = _nulls_first(column, descending)
    if value is None:
        return Q() if nulls_first else Q(**{f"{column}__isnull": True})
    bound = Q(**{f"{column}__{'lte' if descending else 'gte'}": value})
    if column in NULLABLE and not nulls_first:
        bound |= Q(**{f"{column}__isnull": True})
    return bound


# How many leads of the whole list a filtered page is first looked for among (read_after).
PROBE_ROWS = 4000


def read_after(queryset: QuerySet[Lead], ordering: str, cursor: str | None, *, limit: int,
               offset: int = 0, read: Callable[[QuerySet[Lead]], list] = list,
               within: QuerySet[Lead] | None = None,
               by_id: QuerySet[Lead] | None = None,
               on_count: Callable[[int], object] | None = None,
               count_upto: int | None = None) -> list:
    """Up to `limit` leads of `queryset` (sorted by `ordering`) after `cursor` (from the
    start without one, skipping `offset`), each part read with `read`.

    `within`: the whole list `queryset` is a filtered part of, in the same order. A filter
    that many leads pass (a status and a lead type, say) fills a page from the first few
    thousand leads of the whole list, which its sort index gives at once; but SQLite's
    planner cannot tell such a filter from a rare one, and reads every lead of the status
    and sorts them (200 ms at a million leads, against ~12 ms). So the page is first looked
    for among the first PROBE_ROWS leads of `within` after the cursor; only when they do
    not hold it is the filtered query run as it is, which suits rare filters.

    `by_id`: where the page's leads are read from once their ids are known, for a list the
    database reads whole to sort (a search: every match is read, then sorted). The sort then
    carries ids and sort values only, and just the page's leads are read whole: 23 -> 18 ms
    for a search matching 15,000 of a million leads on SQLite. With `on_count` too, a page
    read that way from the start of the list (no cursor) counts the list in the same query
    (a window count) and passes the count to `on_count`: cheaper than counting apart. With
    `count_upto` as well, the count goes only that far: the query reads up to `count_upto`
    + 1 sorted ids instead of the page's (the sort is the same), and `on_count` gets how
    many it read (more than `count_upto`: there are more)."""
    rows: list = []
    values = read_cursor(cursor, ordering) if cursor else None
    parts = _parts_after(queryset, ordering, values)
    wholes = _parts_after(within, ordering, values) if within is not None and not offset \
        else [None] * len(parts)
    for part, whole in zip(parts, wholes, strict=True):
        wanted = limit - len(rows)
        found = None if whole is None else _probe(part, whole, wanted, read)
        if found is None and by_id is not None:
            counting = on_count if values is None else None  # the part is the whole list
            found = _read_by_id(part, by_id, offset, wanted, read, counting, count_upto)
        rows += read(_slice(part, offset, wanted)) if found is None else found
        if len(rows) >= limit:
            break
    return rows


def _slice(part: QuerySet[Lead], offset: int, count: int) -> QuerySet[Lead]:
    """`part[offset:offset + count]`. A deep offset is counted off in the sort index alone,
    then only the page's leads are read (a "deferred join"): OFFSET 500,000 over whole rows
    took 4 s on PostgreSQL at a million leads, 160 ms this way (SQLite: 72 -> 29 ms)."""
    if not offset:
        return part[:count]
    return part.filter(pk__in=part.values("pk")[offset:offset + count])[:count]


def _read_by_id(part: QuerySet[Lead], by_id: QuerySet[Lead], offset: int, wanted: int,
                read: Callable[[QuerySet[Lead]], list],
                on_count: Callable[[int], object] | None, count_upto: int | None) -> list:
    """`part[offset:offset + wanted]`, its ids read first, the leads then from `by_id`; with
    `on_count`, the ids come with the count of `part`, up to `count_upto` + 1 when given (see
    read_after)."""
    ids_only = part.values_list("pk", flat=True)
    if on_count is not None and count_upto is not None and offset + wanted <= count_upto + 1:
        counted = list(ids_only[:count_upto + 1])
        on_count(len(counted))
        ids = counted[offset:offset + wanted]
    elif on_count is not None:
        listed = list(part.annotate(listed=Window(Count("pk")))
                      .values_list("pk", "listed")[offset:offset + wanted])
        ids = [pk for pk, _ in listed]
        if listed or not offset:  # past the end nothing says how many there were
            on_count(listed[0][1] if listed else 0)
    else:
        ids = list(ids_only[offset:offset + wanted])
    return read(by_id.filter(pk__in=ids).order_by(*part.query.order_by))


def _probe(part: QuerySet[Lead], whole: QuerySet[Lead], wanted: int,
           read: Callable[[QuerySet[Lead]], list]) -> list | None:
    """The first `wanted` leads of `part` when they are among the first PROBE_ROWS of `whole`
    (the same list unfiltered), else None. Only ids are read from the window, so a miss
    costs one light query; the page's leads are then read by id."""
    ids = _probe_ids(part, whole, wanted)
    return read(part.filter(pk__in=ids)[:wanted]) if len(ids) == wanted else None


def _probe_ids(part: QuerySet[Lead], whole: QuerySet[Lead], wanted: int) -> list[int]:
    """SQLite (the only database probed: LeadFilter.whole_list): the ids of up to `wanted`
    leads of `part`, the first among the first PROBE_ROWS of `whole`.

    The window is the outer loop of the query (a CROSS JOIN keeps it there), walked in its
    order, each of its leads looked up by id and checked, until `wanted` pass. As `part`'s
    `pk IN (window)` (which Django writes; an `IN` list of ids cost it ~60 ms to prepare),
    SQLite looked up every lead of the window, then sorted those that passed: 8.4-9.8 ->
    0.3-0.4 ms for a status and a lead type at a million leads."""
    connection = connections[part.db]
    window_sql, window_params = whole.values("pk")[:PROBE_ROWS].query.get_compiler(
        connection=connection).as_sql()
    sql, params = part.order_by().values("pk")[:wanted].query.get_compiler(
        connection=connection).as_sql()
    table, pk_column = map(connection.ops.quote_name,
                           (Lead._meta.db_table, Lead._meta.pk.column))
    select, found, rest = sql.partition(f" FROM {table} ")  # one table: no alias
    if not found:
        raise ValueError(f"Cannot probe a query of another shape: {sql}")
    joined = (f"{select} FROM ({window_sql}) AS probe CROSS JOIN {table} "
              f"ON {table}.{pk_column} = probe.pk {rest}")
    with connection.cursor() as cursor:
        cursor.execute(joined, (*window_params, *params))
        return [pk for pk, in cursor.fetchall()]


def reverse_ordering(ordering: str) -> str:
    """The same order backwards ('name' <-> '-name'): reading it after a page's first lead
    gives the leads before that page, nearest first."""
    return ordering[1:] if ordering.startswith("-") else f"-{ordering}"


# Sort columns that may be empty and have an index of (is_active, column IS NULL, column, id)
# (see Lead.Meta.indexes): their empty and their filled leads are two runs of that index.
SPLIT_BY_EMPTY = ("last_outreach_at", "next_follow_up_on", "owner_name")


def parts_after(queryset: QuerySet[Lead], ordering: str, cursor: str | None
                ) -> list[QuerySet[Lead]]:
    """The leads after `cursor` as querysets to read one after the other (most often only
    the first is needed).

    First the rest of the cursor's run of equal sort values (`c = v AND id > 42`: the sort
    index gives it in order from the cursor on), then the leads whose sort values come
    after. One condition for both (`c > v OR (c = v AND id > 42)`) makes the database walk
    the run from its start: at a million leads sorted by temperature, a page half-way took
    200 ms, against under a millisecond for the two parts.

    A nullable sort column splits further. One condition spanning its empty and its filled
    values (`c > v OR c IS NULL`) makes SQLite give up walking the index and sort every row
    after the cursor; so its empty and filled leads are read as two plain runs of the
    index (`c IS NULL` leads it), the one after the cursor's when it comes after."""
    return _parts_after(queryset, ordering, read_cursor(cursor, ordering) if cursor else None)


def _parts_after(queryset: QuerySet[Lead], ordering: str, values: list[Any] | None
                 ) -> list[QuerySet[Lead]]:
    """parts_after for a cursor already read (its sort `values`; None: from the start)."""
    if values is None:
        return [queryset]
    *keys, last_id = values
    columns = sort_columns(ordering)[:-1]
    descending = ordering.startswith("-")
    id_after = Q(**{f"id__{'lt' if descending else 'gt'}": last_id})
    rest_of_run = Q(*(_equal(c, v) for c, v in zip(columns, keys, strict=True))) & id_after
    if len(columns) != 1 or columns[0] not in SPLIT_BY_EMPTY:
        return [queryset.filter(rest_of_run), queryset.filter(after(ordering, keys))]
    column, value = columns[0], keys[0]
    nulls_first = _nulls_first(column, descending)
    sign = "-" if descending else ""

    def run(empty: bool) -> QuerySet[Lead]:
        part = queryset.filter(**{f"{column}__isnull": empty})
        if connections[queryset.db].vendor != "postgresql":
            # `(column IS NULL) = empty` as the index has it, so SQLite seeks to the run.
            # PostgreSQL reads it as `column IS [NOT] NULL`, which does not pin that key; it
            # has an index for each run instead (migration leads 0008).
            part = part.filter(Exact(IsNull(F(column), True), Value(empty)))
        return part.order_by(f"{sign}id") if empty else part.order_by(f"{sign}{column}",
                                                                       f"{sign}id")

    if value is None:
        rest = run(True).filter(id_after)
        return [rest, run(False)] if nulls_first else [rest]
    beyond = {f"{column}__{'lt' if descending else 'gt'}": value}
    filled = [run(False).filter(rest_of_run), run(False).filter(**beyond)]
    return filled if nulls_first else [*filled, run(True)]
