from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_defaults(**kwargs) -> None:
    from .defaults import ensure_defaults

    ensure_defaults()


def _repair_triggers(using: str = "default", **kwargs) -> None:
    """SQLite drops a table's triggers whenever a migration rebuilds it: put back those of
    the search index and the tallies (and refill what they keep) once their migrations are
    applied."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    from .search import INDEX_MIGRATION, ensure_search_index
    from .tally import TALLY_MIGRATION, ensure_tallies

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    applied = MigrationRecorder(connection).applied_migrations()
    if INDEX_MIGRATION in applied:
        ensure_search_index(connection)
    if TALLY_MIGRATION in applied:
        ensure_tallies(connection)


class LeadsConfig(AppConfig):
    name = "leadbook.leads"
    label = "leads"

    def ready(self) -> None:
        # post_migrate also follows a flush, so test databases start with the defaults too.
        # Registers the timeline entries; keeps leads' owner names in step with users.
        from . import owners, timeline  # noqa: F401

        post_migrate.connect(_load_defaults, sender=self)
        post_migrate.connect(_repair_triggers, sender=self)
