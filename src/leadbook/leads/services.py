"""Every change to a lead goes through these functions, whichever door it came in by.

They validate and normalise, keep the derived fields (match keys, search text, types label)
in step, record history with the acting user, and refuse edits based on a stale version.
"""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from leadbook.accounts.models import User
from leadbook.audit.services import audit_record
from leadbook.core import events
from leadbook.core.models import ContactRequirement, WorkspaceSettings

from . import history, owners
from .models import Lead, LeadType, Stage, Status

# Fields a caller may set through create_lead / update_lead. Derived and bookkeeping fields
# (keys, version, outreach dates, converted_at, is_active) change only through their own actions.
EDITABLE_FIELDS = frozenset(
    {
        "name", "first_name", "last_name", "company", "position", "email", "phone",
        "instagram", "website", "address", "city", "state", "postal_code", "country",
        "source", "status", "temperature", "collab_type", "followers", "notes", "owner",
    }
)


class LeadConflict(Exception):
    """The lead changed since the editor loaded it; `changes` says what changed meanwhile."""

    def __init__(self, lead: Lead, changes: list[dict[str, Any]]):
        self.lead = lead
        self.changes = changes
        super().__init__("This lead was changed by someone else while you were editing it.")


def default_status() -> Status:
    """Where new leads start: the first status of the Lead stage (else the first status)."""
    status = Status.objects.filter(stage=Stage.LEAD).first() or Status.objects.first()
    if status is None:
        raise ValidationError({"status": "No statuses are set up. Add one in Settings."})
    return status


def check_contact_requirement(lead: Lead, requirement: str | None = None) -> None:
    """Apply the workspace's rule for what a lead needs besides its name."""
    requirement = requirement or WorkspaceSettings.load().contact_requirement
    missing = {
        ContactRequirement.EMAIL: not lead.email and {"email": "Enter an email address."},
        ContactRequirement.PHONE: not lead.phone and {"phone": "Enter a phone number."},
        ContactRequirement.EMAIL_OR_PHONE: not (lead.email or lead.phone) and {
            "email": "Enter an email address or a phone number."
        },
    }.get(requirement)
    if missing:
        raise ValidationError(missing)


def validate_lead(lead: Lead, *, contact_requirement: str | None = None) -> None:
    """Normalise and validate a lead, raising one ValidationError with every problem."""
    errors: dict[str, list] = {}
    lead.normalise()
    try:
        lead.full_clean(exclude=["status"], validate_unique=False)
    except ValidationError as e:
        errors.update(e.message_dict)
    if lead.status_id is None:
        errors.setdefault("status", []).append("Choose a status.")
    if not errors:
        try:
            check_contact_requirement(lead, contact_requirement)
        except ValidationError as e:
            errors.update(e.message_dict)
    if errors:
        raise ValidationError(errors)


def _check_fields(fields: Iterable[str]) -> None:
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"Not editable through the lead services: {', '.join(sorted(unknown))}")


def _save(lead: Lead, actor: User | None, lead_types: list[LeadType] | None) -> None:
    """Write a validated lead and its types; history is recorded with `actor`."""
    lead.refresh_derived_fields(
        [t.name for t in sorted(lead_types, key=lambda t: (t.position, t.pk))]
        if lead_types is not None else None
    )
    lead.owner_name = owners.owner_name_of(lead)
    lead._history_user = actor  # type: ignore[attr-defined]
    lead.save()
    if lead_types is not None:
        lead.lead_types.set(lead_types)


def create_lead(
    *, actor: User | None, lead_types: Iterable[LeadType] = (), **fields: Any
) -> Lead:
    """Create a lead from the given fields. Status defaults to the first Lead-stage status."""
    _check_fields(fields)
    lead = Lead(**fields)
    if lead.status_id is None:
        lead.status = default_status()
    validate_lead(lead)
    with transaction.atomic():
        _save(lead, actor, list(lead_types))
        events.emit("lead.created", actor=actor, lead=lead)
    return lead


def update_lead(
    *,
    lead: Lead,
    actor: User | None,
    expected_version: int | None = None,
    lead_types: Iterable[LeadType] | None = None,
    **changes: Any,
) -> Lead:
    """Apply `changes` to a lead. With `expected_version`, refuse (LeadConflict) when someone
    else saved the lead since that version was read, so no edit is silently overwritten."""
    _check_fields(changes)
    with transaction.atomic():
        current = Lead.objects.select_for_update().get(pk=lead.pk)
        if expected_version is not None and current.version != expected_version:
            raise LeadConflict(current, history.changes_since(current, expected_version))
        for name, value in changes.items():
            setattr(current, name, value)
        validate_lead(current)
        current.version += 1
        _save(current, actor, list(lead_types) if lead_types is not None else None)
        events.emit("lead.updated", actor=actor, lead=current, fields=sorted(changes))
    return current


def set_lead_active(*, lead: Lead, actor: User | None, active: bool) -> Lead:
    """Set a lead inactive (out of the default view, data kept) or reactivate it."""
    with transaction.atomic():
        current = Lead.objects.select_for_update().get(pk=lead.pk)
        if current.is_active != active:
            current.is_active = active
            current.version += 1
            current._history_user = actor  # type: ignore[attr-defined]
            current.save(update_fields=["is_active", "version", "updated_at"])
            events.emit("lead.updated", actor=actor, lead=current, fields=["is_active"])
    return current


def delete_lead(*, lead: Lead, actor: User | None) -> None:
    """Move a lead to the trash: out of every list and search, restorable with restore_lead."""
    with transaction.atomic():
        current = Lead.objects.select_for_update().get(pk=lead.pk)
        current.deleted_at = timezone.now()
        current.version += 1
        current._history_user = actor  # type: ignore[attr-defined]
        current.save(update_fields=["deleted_at", "version", "updated_at"])
        events.emit("lead.deleted", actor=actor, lead=current)


def restore_lead(*, lead: Lead, actor: User | None) -> Lead:
    """Bring a lead back from the trash."""
    with transaction.atomic():
        current = Lead.all_objects.select_for_update().get(pk=lead.pk, deleted_at__isnull=False)
        current.deleted_at = None
        current.version += 1
        current._history_user = actor  # type: ignore[attr-defined]
        current.save(update_fields=["deleted_at", "version", "updated_at"])
        audit_record(action="lead.restored", actor=actor, target=f"lead #{current.pk}")
    return current
