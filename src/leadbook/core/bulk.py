"""Fast bulk writes: one `executemany` per batch with values already in database form.

Django's `bulk_create` builds one multi-row INSERT per few dozen rows on SQLite (it keeps
under the 999-variable limit) and converts every value through the field on the way, which
caps it at about 13,000 leads a second. Here the caller hands over rows of values the
database takes as they are (text, numbers, None, and the few dates converted once with
`db_value`), and the driver runs one prepared statement for the whole batch.

Ids are reserved up front (`reserve_ids`), so that the rows of other tables that point at the
new rows (lead types, history) go in the same batch. Call everything here inside
`transaction.atomic()`: on SQLite that holds the write lock (Leadbook opens transactions with
BEGIN IMMEDIATE), so nobody else can take the reserved ids meanwhile; on PostgreSQL the ids
come from the table's sequence and are safe in any case.

Nothing here sends signals, records history or validates: callers validate with the services'
rules first and write history themselves when they want it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, models


def columns(model: type[models.Model], field_names: Sequence[str]) -> list[str]:
    """The database columns of the fields named (names or attnames: "owner" or "owner_id")."""
    return [_field(model, name).column for name in field_names]


def _field(model: type[models.Model], name: str) -> models.Field:
    for field in model._meta.concrete_fields:
        if name in (field.name, field.attname):
            return field
    raise ValueError(f"{model.__name__} has no concrete field {name!r}")


def db_value(model: type[models.Model], field_name: str, value: Any) -> Any:
    """`value` as the database stores it for that field (dates, booleans, decimals...)."""
    return _field(model, field_name).get_db_prep_save(value, connection)


def converter(model: type[models.Model], field_name: str) -> Callable[[Any], Any]:
    """A function making values of one field database-ready; text needs no conversion, so
    text fields get the identity and cost nothing per value."""
    field = _field(model, field_name)
    if field.get_internal_type() in ("CharField", "TextField", "EmailField", "SlugField"):
        return _same
    return lambda value: field.get_db_prep_save(value, connection)


def _same(value: Any) -> Any:
    return value


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` primary keys for rows about to be inserted with `insert_rows`.

    Must run inside the transaction that inserts them (see the module docstring).
    """
    if count <= 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite: past the highest id ever used (AUTOINCREMENT remembers deleted ones too).
        cursor.execute(f'SELECT MAX("{pk}") FROM "{table}"')  # noqa: S608 (names from the model)
        highest = cursor.fetchone()[0] or 0
        if connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            highest = max(highest, row[0] if row else 0)
    return list(range(highest + 1, highest + 1 + count))


def insert_rows(model: type[models.Model], field_names: Sequence[str],
                rows: Iterable[Sequence[Any]]) -> None:
    """INSERT every row (values in `field_names` order, database-ready) with one statement."""
    table = model._meta.db_table
    names = ", ".join(f'"{column}"' for column in columns(model, field_names))
    marks = ", ".join(["%s"] * len(field_names))
    with connection.cursor() as cursor:
        cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})',  # noqa: S608
                           rows)


def update_rows(model: type[models.Model], field_names: Sequence[str],
                rows: Iterable[Sequence[Any]]) -> None:
    """UPDATE rows by primary key: each row is the values of `field_names`, then the key."""
    table = model._meta.db_table
    pk = model._meta.pk.column
    assignments = ", ".join(f'"{column}" = %s' for column in columns(model, field_names))
    with connection.cursor() as cursor:
        cursor.executemany(
            f'UPDATE "{table}" SET {assignments} WHERE "{pk}" = %s', rows)  # noqa: S608


def delete_where_in(model: type[models.Model], field_name: str, values: Sequence[Any],
                    chunk: int = 900) -> None:
    """DELETE the rows whose `field_name` is one of `values` (no signals, no cascade)."""
    table = model._meta.db_table
    column = columns(model, [field_name])[0]
    with connection.cursor() as cursor:
        for start in range(0, len(values), chunk):
            part = values[start:start + chunk]
            marks = ", ".join(["%s"] * len(part))
            cursor.execute(f'DELETE FROM "{table}" WHERE "{column}" IN ({marks})',  # noqa: S608
                           part)


def insert_objects(objects: Sequence[models.Model]) -> None:
    """Insert unsaved model instances (all of one model) and set their primary keys.

    Every concrete field is written as bulk_create writes it (`pre_save`, so auto_now dates
    are set, then the field's own conversion). Slower than `insert_rows` with prepared
    values, still several times faster than bulk_create on SQLite.
    """
    if not objects:
        return
    model = type(objects[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    for obj, pk in zip(objects, reserve_ids(model, len(objects)), strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    rows = ([obj.pk, *(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields)]
            for obj in objects)
    insert_rows(model, [model._meta.pk.attname, *(f.attname for f in fields)], rows)


@contextmanager
def sqlite_triggers_off(connection, triggers: dict[str, str]) -> Iterator[bool]:
    """SQLite: drop the triggers named (name -> its CREATE statement) for the block and
    create them again after it; yields whether they were there (False: nothing to keep up,
    and nothing is dropped). For a bulk insert that does the triggers' work in one statement
    at the end of the block. Must run inside the transaction that writes: it holds SQLite's
    write lock, so no other writer slips in while the triggers are off, and a rollback
    brings them back. Elsewhere (PostgreSQL's triggers work per statement) it yields False."""
    if connection.vendor != "sqlite" or not connection.in_atomic_block:
        yield False
        return
    names = list(triggers)
    with connection.cursor() as cursor:
        marks = ", ".join(["%s"] * len(names))
        cursor.execute(f"SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "  # noqa: S608
                       f"AND name IN ({marks})", names)
        if cursor.fetchone()[0] != len(names):
            yield False
            return
        for name in names:
            cursor.execute(f'DROP TRIGGER "{name}"')
        yield True
        for sql in triggers.values():
            cursor.execute(sql)


@contextmanager
def sqlite_bulk_writes(connection) -> Iterator[None]:
    """SQLite settings of this connection for a long run of bulk writes (an import's
    batches), put back afterwards:

    - No WAL checkpoint at its commits, one after the block. A checkpoint copies the pages
      changed since the last one back into the database file; an import's batches change
      mostly the same index pages, and checkpointing after each (SQLite's default, past
      1,000 pages) copied them again and again: 3.6 s of a 100,000-row import, against
      1.5 s for one checkpoint at the end.
    - Statement journals in memory (`temp_store`). A table with triggers (the leads' search
      index and tallies) makes SQLite journal the old content of every page each written
      row touches, in a temporary file by default: 20,000 updated leads took 13.3 s, 10.4 s
      this way. Each journal lasts one statement."""
    if connection.vendor != "sqlite":
        yield
        return
    # SQLite changes where temporary storage lives only outside a transaction.
    outside = not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        autocheckpoint = cursor.fetchone()[0]
        cursor.execute("PRAGMA temp_store")
        temp_store = cursor.fetchone()[0]
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        if outside:
            cursor.execute("PRAGMA temp_store=MEMORY")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA wal_autocheckpoint={int(autocheckpoint)}")
            if outside:
                cursor.execute(f"PRAGMA temp_store={int(temp_store)}")
                cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
