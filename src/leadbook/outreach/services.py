"""Logging contact attempts and keeping each lead's Last Outreach and Pending in step."""

import datetime

from django.db import transaction
from django.utils import timezone

from leadbook.accounts.models import User
from leadbook.leads.models import Lead

from .models import Outreach, OutreachKind


def refresh_outreach_summary(lead: Lead) -> None:
    """Recompute the lead's last outreach time and pending follow-up from its log.

    Pending means: the latest outreach set a follow-up date (nothing logged since).
    """
    latest = Outreach.objects.filter(lead=lead).latest_first().first()
    lead.last_outreach_at = latest.happened_at if latest else None
    lead.next_follow_up_on = latest.follow_up_on if latest else None
    Lead.objects.filter(pk=lead.pk).update(
        last_outreach_at=lead.last_outreach_at, next_follow_up_on=lead.next_follow_up_on
    )


def log_outreach(
    *,
    lead: Lead,
    actor: User | None,
    kind: OutreachKind,
    notes: str = "",
    happened_at: datetime.datetime | None = None,
    follow_up_on: datetime.date | None = None,
) -> Outreach:
    with transaction.atomic():
        outreach = Outreach.objects.create(
            lead=lead, kind=kind, notes=notes.strip(), by=actor,
            happened_at=happened_at or timezone.now(), follow_up_on=follow_up_on,
        )
        refresh_outreach_summary(lead)
    return outreach
