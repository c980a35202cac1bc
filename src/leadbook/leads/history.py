"""A lead's recorded history, told as readable field changes (who, when, old → new)."""

from collections.abc import Iterable
from itertools import pairwise
from typing import Any

from .models import Lead

# Fields not worth telling a user about when explaining what changed.
QUIET_FIELDS = {"version", "is_unread"}  # is_unread: a reading flag, not an edit
LABELS = {"lead_types_label": "Lead types", "is_active": "Active"}


def field_changes(records: Iterable) -> list[dict[str, Any]]:
    """The changes between consecutive history records (given oldest first), oldest first."""
    entries: list[dict[str, Any]] = []
    for older, newer in pairwise(records):
        entries.extend(describe_changes(newer, older))
    return entries


def changes_since(lead: Lead, version: int) -> list[dict[str, Any]]:
    """Field changes made to `lead` after `version`, oldest first."""
    records = lead.history.filter(version__gte=version).select_related("history_user")
    return field_changes(records.order_by("history_date", "history_id"))


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
        label = LABELS.get(change.field) or (
            field.verbose_name.capitalize() if field else change.field)
        entries.append({
            "field": change.field, "label": label,
            "old": _display(field, change.old), "new": _display(field, change.new),
            "who": who, "when": newer.history_date,
        })
    return entries


def _display(field, value) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if field is not None and getattr(field, "choices", None):
        return str(dict(field.choices).get(value, value))
    if field is not None and field.is_relation:
        obj = field.related_model._default_manager.filter(pk=value).first()
        return str(obj) if obj else f"#{value}"
    return str(value)
