"""Every change to a lead goes through these functions, whichever door it came in by.

They validate and normalise, keep the derived fields (match keys, search text, types label)
in step, record history with the acting user, and refuse edits based on a stale version.
"""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from leadbook.accounts.models import User
from leadbook.core.models import ContactRequirement, WorkspaceSettings

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
# Fields not worth telling a user about when explaining what changed.
QUIET_FIELDS = {"version"}


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
            raise LeadConflict(current, changes_since(current, expected_version))
        for name, value in changes.items():
            setattr(current, name, value)
        validate_lead(current)
        current.version += 1
        _save(current, actor, list(lead_types) if lead_types is not None else None)
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
    return current


def changes_since(lead: Lead, version: int) -> list[dict[str, Any]]:
    """Field changes made to `lead` after `version`, oldest first, as history entries."""
    records = list(lead.history.filter(version__gte=version).order_by("history_date"))
    if len(records) < 2:
        return []
    entries = []
    for older, newer in zip(records, records[1:], strict=False):
        entries.extend(describe_changes(newer, older))
    return entries


def describe_changes(newer, older) -> list[dict[str, Any]]:
    """The readable changes between two history records of a lead."""
    delta = newer.diff_against(older)
    who = newer.history_user.display_name if newer.history_user else "Leadbook"
    fields = {f.name: f for f in Lead._meta.get_fields() if hasattr(f, "verbose_name")}
    entries = []
    for change in delta.changes:
        if change.field in QUIET_FIELDS:
            continue
        field = fields.get(change.field)
        entries.append({
            "field": change.field,
            "label": (
                "Lead types" if change.field == "lead_types_label"
                else field.verbose_name.capitalize() if field else change.field
            ),
            "old": _display(field, change.old),
            "new": _display(field, change.new),
            "who": who,
            "when": newer.history_date,
        })
    return entries


def _display(field, value) -> str:
    if value in (None, ""):
        return "—"
    if field is not None and getattr(field, "choices", None):
        return str(dict(field.choices).get(value, value))
    if field is not None and field.is_relation:
        model = field.related_model
        obj = model._default_manager.filter(pk=value).first()
        return str(obj) if obj else f"#{value}"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)
