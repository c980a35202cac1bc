"""Business events become deliveries: one per webhook that hears the event, each sent by the
background worker."""

import logging
from typing import Any

from django.db import transaction

from leadbook.accounts.models import User

from .models import Delivery, Webhook
from .payloads import event_body

logger = logging.getLogger(__name__)


def on_event_committed(sender: Any, *, name: str, actor: User | None,
                       payload: dict[str, Any], **kwargs: Any) -> None:
    """Listener of core.events.event_committed. A failure here is logged, never raised: the
    change that caused the event is saved already."""
    try:
        queue_event(name, actor, payload)
    except Exception:
        logger.exception("Could not queue webhook deliveries for %s", name)


def queue_event(name: str, actor: User | None, payload: dict[str, Any]) -> list[Delivery]:
    webhooks = [w for w in Webhook.objects.filter(is_active=True) if w.hears(name)]
    if not webhooks:
        return []
    body = event_body(name, actor, payload)
    with transaction.atomic():
        deliveries = [Delivery.objects.create(webhook=w, event=name, body=body)
                      for w in webhooks]
    for delivery in deliveries:
        enqueue(delivery)
    return deliveries


def enqueue(delivery: Delivery) -> None:
    from .tasks import deliver_webhook

    deliver_webhook.enqueue(delivery.pk)
