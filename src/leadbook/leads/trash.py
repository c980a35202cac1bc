"""The trash: deleted leads (leads.services.delete_lead) wait here for 30 days.

From the trash a lead is restored (leads.services.restore_lead), or its personal data is
erased for good (`erase_lead`, an admin's "Erase personal data", GDPR's right to erasure).
`purge_trash` erases the leads that have been in the trash longer than TRASH_DAYS; run it
daily (`leadbook purge_trash`, e.g. from cron).

Erasing a lead removes, beyond the lead row itself, every copy of the person's data that
Leadbook keeps about it: its field history, its outreach (and their notes), its web form
submissions, the leads merged into it, the values of its rows in import reports, and the
lead as webhook deliveries carried it. The audit log keeps one entry naming only the lead's
id and who erased it.
"""

import datetime
import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from leadbook.accounts.models import User
from leadbook.audit.services import audit_record

from .models import DuplicateScanGroup, Lead

TRASH_DAYS = 30
ERASED = "(erased)"


class NotInTrash(Exception):
    """Only a lead in the trash can be erased."""


def trashed_leads(user: User | None = None) -> QuerySet[Lead]:
    """Leads in the trash (those `user` may see), the most recently deleted first. Leads
    merged into another lead are not in the trash: they live on in the survivor."""
    leads = Lead.all_objects.filter(deleted_at__isnull=False, merged_into__isnull=True)
    if user is not None:
        leads = leads.visible_to(user)
    return leads.select_related("status", "owner").order_by("-deleted_at", "-id")


@dataclass(frozen=True)
class TrashEntry:
    lead: Lead
    deleted_by: User | None
    purge_on: datetime.date


def trash_entries(leads: list[Lead]) -> list[TrashEntry]:
    """Each lead with who deleted it (from its history: the change that set deleted_at; an
    import undone leaves no one) and the day it will be erased by the purge."""
    deleters: dict[int, User | None] = {}
    records = Lead.history.model.objects.filter(
        id__in=[lead.pk for lead in leads], deleted_at__isnull=False,
    ).select_related("history_user").order_by("id", "-history_date", "-history_id")
    for record in records:
        deleters.setdefault(record.id, record.history_user)
    return [
        TrashEntry(lead=lead, deleted_by=deleters.get(lead.pk),
                   purge_on=timezone.localdate(lead.deleted_at)
                   + datetime.timedelta(days=TRASH_DAYS))
        for lead in leads
    ]


def _merged_into(lead_ids: list[int]) -> list[int]:
    """`lead_ids` and every lead merged into them, however many merges deep."""
    found = list(lead_ids)
    frontier = list(lead_ids)
    while frontier:
        frontier = list(Lead.all_objects.filter(merged_into__in=frontier)
                        .exclude(pk__in=found).values_list("pk", flat=True))
        found.extend(frontier)
    return found


def erase_lead(*, lead: Lead, actor: User | None, purged: bool = False) -> list[int]:
    """Remove a lead in the trash and all personal data held about it, for good.

    Returns the ids of the leads erased (the lead and those merged into it). The audit log
    records who erased which lead id, and nothing of the data."""
    with transaction.atomic():
        current = Lead.all_objects.select_for_update().filter(
            pk=lead.pk, deleted_at__isnull=False).first()
        if current is None:
            raise NotInTrash("Only a lead in the trash can be erased. Delete it first.")
        ids = _merged_into([current.pk])
        _scrub_import_reports(ids)
        _scrub_webhook_deliveries(ids)
        _scrub_duplicate_scans(ids)
        # Outreach, web form submissions, merge records, "not a duplicate" answers and import
        # undo records go with the lead (on_delete=CASCADE); converted records stay (they
        # belong to the customer, retailer... list) but lose their link to it.
        Lead.all_objects.filter(pk__in=ids).delete()
        # Last: deleting a lead writes one more history record, with all its fields.
        Lead.history.model.objects.filter(id__in=ids).delete()
        audit_record(action="lead.purged" if purged else "lead.erased", actor=actor,
                     target=f"lead #{current.pk}", lead=current.pk,
                     merged_leads=[pk for pk in ids if pk != current.pk])
    return ids


def purge_trash(*, days: int = TRASH_DAYS, now: datetime.datetime | None = None) -> list[int]:
    """Erase every lead deleted more than `days` days ago; the ids of the leads erased."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    erased: list[int] = []
    due = Lead.all_objects.filter(deleted_at__lt=cutoff, merged_into__isnull=True)
    for lead in due.order_by("deleted_at", "pk").only("pk"):
        try:
            erased.extend(erase_lead(lead=lead, actor=None, purged=True))
        except NotInTrash:  # restored meanwhile
            continue
    return erased


# --- Copies of the person's data elsewhere ---------------------------------------------------


def _scrub_import_reports(ids: list[int]) -> None:
    """The values of the lead's rows in import reports (errors, duplicate previews)."""
    from leadbook.transfer.models import ImportedLead, RowDuplicate, RowError

    rows = set(ImportedLead.objects.filter(lead__in=ids).values_list("job_id", "row"))
    by_row = Q()
    for job_id, row in rows:
        by_row |= Q(job_id=job_id, row=row)
    if rows:
        RowError.objects.filter(by_row).exclude(value="").update(value=ERASED)
        RowDuplicate.objects.filter(by_row).update(preview={}, detail="")
    RowDuplicate.objects.filter(lead_id__in=ids).update(preview={}, detail="")


def _mentions(document: Any, ids: set[int]) -> bool:
    """Whether a webhook body's data holds one of the leads (as a lead or as the lead of an
    outreach entry or a converted record)."""
    if isinstance(document, dict):
        if document.get("lead_id") in ids:
            return True
        lead = document.get("lead")
        if isinstance(lead, dict) and lead.get("id") in ids:
            return True
        return any(_mentions(value, ids) for value in document.values())
    if isinstance(document, list):
        return any(_mentions(value, ids) for value in document)
    return False


def _scrub_webhook_deliveries(ids: list[int]) -> None:
    from leadbook.webhooks.models import Delivery

    wanted = set(ids)
    candidates = Q()
    for pk in ids:
        candidates |= Q(body__contains=f'"id": {pk},') | Q(body__contains=f'"lead_id": {pk},')
    for delivery in Delivery.objects.filter(candidates).only("pk", "body", "event"):
        try:
            document = json.loads(delivery.body)
        except ValueError:
            continue
        if _mentions(document.get("data"), wanted):
            erased = {"id": document.get("id"), "event": document.get("event"),
                      "created_at": document.get("created_at"), "data": None, "erased": True}
            Delivery.objects.filter(pk=delivery.pk).update(body=json.dumps(erased),
                                                           response_body="")


def _scrub_duplicate_scans(ids: list[int]) -> None:
    """Take the leads out of duplicate groups; a group's detail quotes the matching values
    ("Same email ..."), so it goes too."""
    wanted = set(ids)
    groups = DuplicateScanGroup.objects.values_list("pk", "found_lead_ids", "lead_ids")
    for pk, found, current in groups:
        if not wanted & set(found or []):
            continue
        remaining = [lead_id for lead_id in current or [] if lead_id not in wanted]
        DuplicateScanGroup.objects.filter(pk=pk).update(
            detail=ERASED, lead_ids=remaining,
            found_lead_ids=[lead_id for lead_id in found if lead_id not in wanted],
            **({"is_open": False} if len(remaining) < 2 else {}))
