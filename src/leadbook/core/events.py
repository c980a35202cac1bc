"""Business events ("lead.created", "outreach.logged", ...) announced by the services.

Services call `emit` inside their transaction; listeners (webhooks, audit log, notifications)
hear the event only once the transaction has committed, so nothing is announced that was
rolled back. Listeners connect to `event_committed` like any Django signal.
"""

from typing import Any

from django.db import transaction
from django.dispatch import Signal

# Sent with: name (str), actor (User | None), payload (dict of the objects concerned).
event_committed = Signal()

EVENTS = (
    "lead.created", "lead.updated", "lead.deleted", "lead.converted", "lead.merged",
    "outreach.logged",
)


def emit(name: str, *, actor=None, **payload: Any) -> None:
    if name not in EVENTS:
        raise ValueError(f"Unknown event {name!r}")
    transaction.on_commit(
        lambda: event_committed.send(sender=None, name=name, actor=actor, payload=payload),
        robust=True,
    )
