from django.apps import AppConfig


class TransferConfig(AppConfig):
    name = "leadbook.transfer"
    label = "transfer"

    def ready(self) -> None:
        from . import timeline  # noqa: F401  (registers the import entries)
