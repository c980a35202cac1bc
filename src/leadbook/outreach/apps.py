from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_defaults(**kwargs) -> None:
    from .defaults import ensure_defaults

    ensure_defaults()


class OutreachConfig(AppConfig):
    name = "leadbook.outreach"
    label = "outreach"

    def ready(self) -> None:
        from . import timeline  # noqa: F401  (registers the timeline entries)

        post_migrate.connect(_load_defaults, sender=self)
