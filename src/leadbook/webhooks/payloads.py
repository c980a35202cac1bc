"""What a delivery says: the event, who caused it, and the objects concerned, in the API's
own JSON shapes (a lead as GET /api/v2/leads/{id} returns it, and so on)."""

import json
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model
from django.utils import timezone

from leadbook.accounts.models import User
from leadbook.conversions.models import ConvertedRecord
from leadbook.leads.models import Lead
from leadbook.outreach.models import Outreach


def _lead(lead: Lead) -> dict[str, Any]:
    from leadbook.api.errors import NotFound
    from leadbook.api.leads import lead_json

    # Read again after the commit: what is sent is what was saved, whatever instance the
    # service happened to hold (a lead in the trash is read too).
    try:
        return lead_json(lead.pk, trash_too=True)
    except NotFound:  # removed for good since
        return {"id": lead.pk, "name": lead.name}


def _plain(value: Any) -> Any:
    from leadbook.api.conversions import record_json
    from leadbook.api.outreach import outreach_json

    if isinstance(value, Lead):
        return _lead(value)
    if isinstance(value, Outreach):
        return outreach_json(value)
    if isinstance(value, ConvertedRecord):
        return record_json(value)
    if isinstance(value, User):
        return value.username
    if isinstance(value, Model):
        return {"id": value.pk, "name": str(value)}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, Iterable) and not isinstance(value, str | bytes):
        return [_plain(v) for v in value]
    return value


def event_body(event: str, actor: User | None, payload: dict[str, Any]) -> str:
    """The JSON text sent to every webhook that hears `event`."""
    document = {
        "id": str(uuid.uuid4()),
        "event": event,
        "created_at": timezone.now(),
        "actor": actor.username if actor is not None else None,
        "data": _plain(payload),
    }
    return json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False)
