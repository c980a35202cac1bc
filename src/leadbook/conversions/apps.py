from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_defaults(**kwargs) -> None:
    from .models import CustomerGroup

    if not CustomerGroup.objects.exists():
        CustomerGroup.objects.bulk_create(
            CustomerGroup(name=name, position=i)
            for i, name in enumerate(["Retail", "Wholesale", "VIP"])
        )


class ConversionsConfig(AppConfig):
    name = "leadbook.conversions"
    label = "conversions"

    def ready(self) -> None:
        from . import timeline  # noqa: F401  (registers the timeline entries)

        post_migrate.connect(_load_defaults, sender=self)
