"""PostgreSQL only: indexes for the filled and the empty run of each nullable sort column.

The model's indexes for these sorts lead with `column IS NULL` (see Lead.Meta.indexes), so
that SQLite walks them in order. PostgreSQL rewrites `(column IS NULL) = false` as `column IS
NOT NULL`, which no longer pins that key, so a page after a cursor could not seek to the
cursor's value and walked the run from its start: 40–170 ms half-way down a million leads.
With a partial index per run, `keyset.parts_after` seeks on PostgreSQL too.
"""

from django.db import migrations

LIVE = "deleted_at IS NULL AND merged_into_id IS NULL"
# (index name, its keys, the run it covers), for each nullable sort column.
RUN_INDEXES = [
    (f"lead_pg_{run}_{column}", keys, f"{column} IS {condition}")
    for column in ("last_outreach_at", "next_follow_up_on", "owner_name")
    for run, keys, condition in (
        ("filled", f"is_active, {column}, id", "NOT NULL"),
        ("empty", "is_active, id", "NULL"),
    )
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, keys, run in RUN_INDEXES:
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON leads_lead ({keys}) WHERE {LIVE} AND {run}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, _, _ in RUN_INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("leads", "0007_lead_owner_name")]
    operations = [migrations.RunPython(create, drop)]
