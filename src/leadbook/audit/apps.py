from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "leadbook.audit"
    label = "audit"

    def ready(self) -> None:
        from . import listeners  # noqa: F401  (connects to events and sign-in signals)
