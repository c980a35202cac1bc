from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_defaults(**kwargs) -> None:
    from .defaults import ensure_defaults

    ensure_defaults()


class LeadsConfig(AppConfig):
    name = "leadbook.leads"
    label = "leads"

    def ready(self) -> None:
        # post_migrate also follows a flush, so test databases start with the defaults too.
        from . import timeline  # noqa: F401  (registers the timeline entries)

        post_migrate.connect(_load_defaults, sender=self)
