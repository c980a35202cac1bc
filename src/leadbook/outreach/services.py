"""Logging contact attempts and keeping each lead's Last Outreach and Pending in step."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from leadbook.accounts.models import User
from leadbook.core import events
from leadbook.core.models import WorkspaceSettings
from leadbook.leads.models import Lead, Stage, Status

from .models import Outreach, OutreachKind


def refresh_outreach_summary(lead: Lead) -> None:
    """Recompute the lead's last outreach time and pending follow-up from its log.

    Pending means: the latest outreach set a follow-up date, nothing was logged since, and
    the follow-up was not marked done. Overdue once that date has passed.
    """
    latest = Outreach.objects.filter(lead=lead).latest_first().first()
    lead.last_outreach_at = latest.happened_at if latest else None
    lead.next_follow_up_on = (
        latest.follow_up_on if latest and latest.follow_up_done_at is None else None)
    Lead.objects.filter(pk=lead.pk).update(
        last_outreach_at=lead.last_outreach_at, next_follow_up_on=lead.next_follow_up_on
    )


def _check_dates(happened_at: datetime.datetime, follow_up_on: datetime.date | None) -> None:
    if happened_at > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationError({"happened_at": "Outreach is logged once it has happened; "
                                              "use the follow-up date for plans."})
    if follow_up_on and follow_up_on < timezone.localtime(happened_at).date():
        raise ValidationError({"follow_up_on": "The follow-up date is before the outreach."})


def _move_new_lead_to_contacted(lead: Lead, actor: User | None) -> None:
    """The first outreach of a lead still in the first status moves it to the next
    status of the Lead stage ("New" → "Contacted"), unless the workspace turned this off."""
    if not WorkspaceSettings.load().first_outreach_moves_to_contacted:
        return
    lead_statuses = list(Status.objects.filter(stage=Stage.LEAD))
    if len(lead_statuses) < 2 or lead.status_id != lead_statuses[0].pk:
        return
    from leadbook.leads.services import update_lead

    update_lead(lead=lead, actor=actor, status=lead_statuses[1])


def log_outreach(
    *,
    lead: Lead,
    actor: User | None,
    kind: OutreachKind,
    notes: str = "",
    happened_at: datetime.datetime | None = None,
    follow_up_on: datetime.date | None = None,
) -> Outreach:
    happened_at = happened_at or timezone.now()
    _check_dates(happened_at, follow_up_on)
    with transaction.atomic():
        first = not Outreach.objects.filter(lead=lead).exists()
        outreach = Outreach.objects.create(
            lead=lead, kind=kind, notes=notes.strip(), by=actor, happened_at=happened_at,
            follow_up_on=follow_up_on,
        )
        refresh_outreach_summary(lead)
        if first:
            _move_new_lead_to_contacted(lead, actor)
        events.emit("outreach.logged", actor=actor, lead=lead, outreach=outreach)
    return outreach


def update_outreach(
    *,
    outreach: Outreach,
    actor: User | None,
    kind: OutreachKind,
    notes: str,
    happened_at: datetime.datetime,
    follow_up_on: datetime.date | None,
) -> Outreach:
    _check_dates(happened_at, follow_up_on)
    with transaction.atomic():
        outreach.kind = kind
        outreach.notes = notes.strip()
        outreach.happened_at = happened_at
        if follow_up_on != outreach.follow_up_on:
            outreach.follow_up_done_at = None
        outreach.follow_up_on = follow_up_on
        outreach.save()
        refresh_outreach_summary(outreach.lead)
    return outreach


def delete_outreach(*, outreach: Outreach, actor: User | None) -> None:
    with transaction.atomic():
        lead = outreach.lead
        outreach.delete()
        refresh_outreach_summary(lead)


def _latest_with_follow_up(lead: Lead) -> Outreach:
    latest = Outreach.objects.filter(lead=lead).latest_first().first()
    if latest is None or latest.follow_up_on is None:
        raise ValidationError("This lead has no follow-up planned.")
    return latest


def complete_follow_up(*, lead: Lead, actor: User | None) -> None:
    """Mark the pending follow-up done without logging an outreach."""
    with transaction.atomic():
        latest = _latest_with_follow_up(lead)
        latest.follow_up_done_at = timezone.now()
        latest.save(update_fields=["follow_up_done_at", "updated_at"])
        refresh_outreach_summary(lead)


def reschedule_follow_up(*, lead: Lead, actor: User | None, follow_up_on: datetime.date) -> None:
    """Move the pending follow-up to another day."""
    with transaction.atomic():
        latest = _latest_with_follow_up(lead)
        _check_dates(latest.happened_at, follow_up_on)
        latest.follow_up_on = follow_up_on
        latest.follow_up_done_at = None
        latest.save(update_fields=["follow_up_on", "follow_up_done_at", "updated_at"])
        refresh_outreach_summary(lead)
