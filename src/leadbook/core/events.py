"""Business events ("lead.created", "outreach.logged", ...) announced by the services.

Services call `emit` inside their transaction. Two signals carry it:
- `event_emitted`, at once, inside the transaction: for records that must be written or rolled
  back together with the change (the audit log);
- `event_committed`, once the transaction has committed: for anything that leaves the database
  (webhooks, notifications), so nothing is announced that was rolled back.
"""

from typing import Any

from django.db import transaction
from django.dispatch import Signal

# Both are sent with: name (str), actor (User | None), payload (dict of the objects concerned).
event_emitted = Signal()
event_committed = Signal()

EVENTS = (
    "lead.created", "lead.updated", "lead.deleted", "lead.converted", "lead.merged",
    "outreach.logged",
)


def emit(name: str, *, actor=None, **payload: Any) -> None:
    if name not in EVENTS:
        raise ValueError(f"Unknown event {name!r}")
    event_emitted.send(sender=None, name=name, actor=actor, payload=payload)
    transaction.on_commit(
        lambda: event_committed.send(sender=None, name=name, actor=actor, payload=payload),
        robust=True,
    )
