"""Lead.owner_name: the owner's username kept on the lead, so the table's owner sort walks an
index (lead_live_owner_name) instead of sorting every lead joined to its owner.

The column is nullable (NULL: no owner), so both databases add it in place (SQLite: ALTER
TABLE ADD COLUMN, no rebuild of the table); it is filled by one UPDATE, then indexed, and on
SQLite the index gets planner statistics when the table has them."""

import django.db.models.lookups
from django.conf import settings
from django.db import migrations, models

INDEX = "lead_live_owner_name"


def fill_owner_names(apps, schema_editor):
    """Every lead's owner_name from its owner's username, in one statement."""
    Lead = apps.get_model("leads", "Lead")
    owner = Lead._meta.get_field("owner")
    User = owner.related_model
    quote = schema_editor.quote_name
    leads, users = quote(Lead._meta.db_table), quote(User._meta.db_table)
    username = quote(User._meta.get_field("username").column)
    schema_editor.execute(
        f"UPDATE {leads} SET {quote('owner_name')} = ("
        f"SELECT {users}.{username} FROM {users} "
        f"WHERE {users}.{quote(User._meta.pk.column)} = {leads}.{quote(owner.column)}) "
        f"WHERE {leads}.{quote(owner.column)} IS NOT NULL")


def measure_new_index(apps, schema_editor):
    """SQLite, on a book that has planner statistics (ANALYZE, as `seed_demo` runs): measure
    the new index too. Without a row of its own SQLite takes it for a very selective index
    and walks it, sorting every lead, for every sort of the table (5 s a page at 1M)."""
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return  # PostgreSQL knows the new index's size; autovacuum analyzes the table
    table = apps.get_model("leads", "Lead")._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return
        cursor.execute("SELECT 1 FROM sqlite_stat1 WHERE tbl = %s LIMIT 1", [table])
        if cursor.fetchone() is None:
            return
        cursor.execute(f"ANALYZE {schema_editor.quote_name(INDEX)}")


class Migration(migrations.Migration):

    dependencies = [
        ("leads", "0006_lead_search_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="lead",
            name="owner_name",
            field=models.CharField(blank=True, editable=False, max_length=150, null=True),
        ),
        migrations.RunPython(fill_owner_names, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                models.F("is_active"),
                models.OrderBy(django.db.models.lookups.IsNull(models.F("owner_name"), True)),
                models.F("owner_name"), models.F("id"), models.F("deleted_at"),
                models.F("merged_into"),
                condition=models.Q(("deleted_at__isnull", True), ("merged_into__isnull", True)),
                name=INDEX),
        ),
        migrations.RunPython(measure_new_index, migrations.RunPython.noop, elidable=False),
    ]
