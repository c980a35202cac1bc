"""The search box's index over Lead.search_text: SQLite FTS5 (trigram) kept in step by
triggers on leads_lead, or PostgreSQL pg_trgm GIN. Filled from the existing leads here.

See leadbook/leads/search.py; after every migrate, leads/apps.py repairs the SQLite triggers
(a rebuild of leads_lead by a later AlterField drops them)."""

from django.db import migrations


def install(apps, schema_editor):
    from leadbook.leads.search import install

    install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from leadbook.leads.search import uninstall

    uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("leads", "0005_lead_live_indexes")]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
