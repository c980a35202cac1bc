from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_defaults(**kwargs) -> None:
    from .defaults import ensure_default_form

    ensure_default_form()


class CaptureConfig(AppConfig):
    name = "leadbook.capture"
    label = "capture"
    verbose_name = "Web capture"

    def ready(self) -> None:
        from . import timeline  # noqa: F401  (registers the timeline entries)

        # After the leads app's defaults (the Website source): post_migrate runs in
        # INSTALLED_APPS order, and this app comes after leads.
        post_migrate.connect(_load_defaults, sender=self)
