"""Converting a lead into a Customer, Retailer, Podcast or Collab record, and undoing it.

Conversion is its own action, never a side effect of editing a lead's status: one
transaction creates the record from the reviewed details, links it to the lead and marks
the lead converted (and Won, unless the user chose another status).
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from leadbook.accounts.models import User
from leadbook.core import events
from leadbook.leads.models import ConversionTarget, Lead, Stage, Status
from leadbook.leads.services import update_lead

from .models import CONTACT_FIELDS, RECORD_MODELS, ConvertedRecord


class AlreadyConverted(Exception):
    def __init__(self, record: ConvertedRecord):
        self.record = record
        super().__init__(f"This lead is already a {record.target}: {record}.")


def allowed_targets(lead: Lead) -> list[str]:
    """What this lead can become: the targets of its lead types first, then Customer, which
    any lead can become."""
    from_types = {t.target for t in lead.lead_types.all()}
    return [t for t in ConversionTarget.values
            if t in from_types and t != ConversionTarget.CUSTOMER] + [ConversionTarget.CUSTOMER]


def existing_records(lead: Lead) -> dict[str, ConvertedRecord]:
    """The records this lead was converted into, by target."""
    records = {}
    for target, model in RECORD_MODELS.items():
        record = model.objects.filter(lead=lead).first()
        if record is not None:
            records[target] = record
    return records


def contact_from_lead(lead: Lead) -> dict[str, Any]:
    """The lead's contact details, as a conversion form shows them for review."""
    return {field: getattr(lead, field) for field in CONTACT_FIELDS}


def conversion_initial_values(lead: Lead, target: str) -> dict[str, Any]:
    """What converting `lead` into `target` starts from: the lead's contact details, plus
    the target's own fields the lead already knows (a collab's type and followers, a
    retailer's kind from the lead types)."""
    initial = contact_from_lead(lead)
    if target == "collab":
        initial.update(collab_type=lead.collab_type, starting_followers=lead.followers)
    if target == "retailer":
        names = {t.name.lower() for t in lead.lead_types.all()}
        initial["kind"] = "consignment" if "consignment" in names and \
            "wholesale" not in names else "wholesale"
    return initial


def won_status() -> Status | None:
    return Status.objects.filter(stage=Stage.WON).first()


def convert_lead(
    *,
    lead: Lead,
    actor: User | None,
    target: str,
    contact: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
    status: Status | None = None,
) -> ConvertedRecord:
    """Create the `target` record for `lead` and mark the lead converted.

    `contact` holds the reviewed contact details (the lead's own by default); `details` the
    target's own fields. The lead's status becomes `status`, else the first Won status.
    Refuses a target the lead's types do not allow, and a second conversion to one target.
    """
    if target not in RECORD_MODELS:
        raise ValidationError({"target": f"Convert into one of: {', '.join(RECORD_MODELS)}."})
    model = RECORD_MODELS[target]
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if target not in allowed_targets(lead):
            raise ValidationError({"target": f"This lead's types don't convert into a "
                                             f"{target}. Add a matching lead type first."})
        existing = model.objects.filter(lead=lead).first()
        if existing is not None:
            raise AlreadyConverted(existing)
        values = {**contact_from_lead(lead), **(contact or {}), **(details or {})}
        unknown = set(values) - {f.name for f in model._meta.get_fields()}
        if unknown:
            raise ValidationError(f"Unknown fields for a {target}: {', '.join(sorted(unknown))}")
        record = model(**values, lead=lead, created_by=actor, previous_status=lead.status)
        record.full_clean(exclude=["lead"])
        record.save()
        lead.converted_at = lead.converted_at or timezone.now()
        lead.converted_by = lead.converted_by or actor
        Lead.objects.filter(pk=lead.pk).update(converted_at=lead.converted_at,
                                               converted_by=lead.converted_by)
        new_status = status or won_status()
        if new_status is not None and new_status != lead.status:
            update_lead(lead=lead, actor=actor, status=new_status)
        events.emit("lead.converted", actor=actor, lead=lead, record=record, target=target)
    return record


def update_record(*, record: ConvertedRecord, actor: User | None, **values: Any
                  ) -> ConvertedRecord:
    """Edit a converted record's details (its link to the lead stays)."""
    values.pop("lead", None)
    with transaction.atomic():
        for name, value in values.items():
            setattr(record, name, value)
        record.full_clean(exclude=["lead"])
        record.save()
    return record


def undo_conversion(*, record: ConvertedRecord, actor: User) -> Lead | None:
    """Delete a record made by conversion; the lead is unmarked when nothing else remains
    and gets back the status it had before. Admins only (checked by the caller)."""
    with transaction.atomic():
        lead = record.lead
        previous_status = record.previous_status
        record.delete()
        if lead is None:
            return None
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if not existing_records(lead):
            Lead.objects.filter(pk=lead.pk).update(converted_at=None, converted_by=None)
            lead.converted_at = None
            lead.converted_by = None
            if previous_status is not None and previous_status != lead.status:
                lead = update_lead(lead=lead, actor=actor, status=previous_status)
    return lead
