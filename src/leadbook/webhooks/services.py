"""Changes to webhooks (admins only; the views check): register, edit, pause, delete, rotate
the secret, send a test event, redeliver."""

import secrets
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from leadbook.accounts.models import User
from leadbook.audit.services import audit_record

from .dispatch import enqueue
from .models import EVENT_CHOICES, PING_EVENT, Delivery, DeliveryState, Webhook
from .payloads import event_body

EVENTS = [name for name, _ in EVENT_CHOICES]


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _check(url: str, events: list[str]) -> None:
    errors = {}
    if not url.lower().startswith(("http://", "https://")):
        errors["url"] = "Use an http:// or https:// address."
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        errors["events"] = f"Unknown events: {', '.join(unknown)}."
    elif not events:
        errors["events"] = "Choose at least one event."
    if errors:
        raise ValidationError(errors)


def create_webhook(*, actor: User, url: str, events: Iterable[str], description: str = "",
                   is_active: bool = True) -> Webhook:
    events = [e for e in EVENTS if e in set(events)]
    _check(url, events)
    webhook = Webhook(url=url.strip(), events=events, description=description.strip(),
                      is_active=is_active, secret=new_secret(), created_by=actor)
    webhook.full_clean()
    with transaction.atomic():
        webhook.save()
        _audit("webhook.created", webhook, actor)
    return webhook


def _audit(action: str, webhook: Webhook, actor: User) -> None:
    audit_record(action=action, actor=actor, target=f"webhook {webhook.url}"[:200],
                 events=webhook.events, active=webhook.is_active)


def update_webhook(*, webhook: Webhook, actor: User, url: str, events: Iterable[str],
                   description: str, is_active: bool) -> Webhook:
    events = [e for e in EVENTS if e in set(events)]
    _check(url, events)
    webhook.url, webhook.events = url.strip(), events
    webhook.description, webhook.is_active = description.strip(), is_active
    webhook.full_clean()
    with transaction.atomic():
        webhook.save()
        _audit("webhook.changed", webhook, actor)
    return webhook


def delete_webhook(*, webhook: Webhook, actor: User) -> None:
    with transaction.atomic():
        _audit("webhook.deleted", webhook, actor)
        webhook.delete()


def rotate_secret(*, webhook: Webhook, actor: User) -> Webhook:
    """A new secret, from the next delivery on (the old one stops working at once)."""
    webhook.secret = new_secret()
    with transaction.atomic():
        webhook.save(update_fields=["secret", "updated_at"])
        _audit("webhook.secret_rotated", webhook, actor)
    return webhook


def send_test(*, webhook: Webhook, actor: User) -> Delivery:
    """Queue a `ping` delivery to check the URL and the signature check on the other end."""
    body = event_body(PING_EVENT, actor, {"webhook": {"id": webhook.pk, "url": webhook.url}})
    delivery = Delivery.objects.create(webhook=webhook, event=PING_EVENT, body=body)
    transaction.on_commit(lambda: enqueue(delivery))
    return delivery


def redeliver(*, delivery: Delivery, actor: User) -> Delivery:
    """Send a delivery again, as a new entry in the log (same body, same event id)."""
    again = Delivery.objects.create(webhook=delivery.webhook, event=delivery.event,
                                    body=delivery.body, state=DeliveryState.PENDING)
    transaction.on_commit(lambda: enqueue(again))
    return again
