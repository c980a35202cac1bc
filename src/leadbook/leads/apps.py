from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_defaults(**kwargs) -> None:
    from .defaults import ensure_defaults

    ensure_defaults()


def _repair_search_index(using: str = "default", **kwargs) -> None:
    """SQLite drops the search triggers whenever a migration rebuilds the leads table:
    put them back (and refill the index) once the search index's migration is applied."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    from .search import INDEX_MIGRATION, ensure_search_index

    connection = connections[using]
    if connection.vendor == "sqlite" and \
            INDEX_MIGRATION in MigrationRecorder(connection).applied_migrations():
        ensure_search_index(connection)


class LeadsConfig(AppConfig):
    name = "leadbook.leads"
    label = "leads"

    def ready(self) -> None:
        # post_migrate also follows a flush, so test databases start with the defaults too.
        # Registers the timeline entries; keeps leads' owner names in step with users.
        from . import owners, timeline  # noqa: F401

        post_migrate.connect(_load_defaults, sender=self)
        post_migrate.connect(_repair_search_index, sender=self)
