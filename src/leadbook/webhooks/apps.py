from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "leadbook.webhooks"
    label = "webhooks"

    def ready(self) -> None:
        from leadbook.core.events import event_committed

        from .dispatch import on_event_committed

        event_committed.connect(on_event_committed, dispatch_uid="webhooks")
