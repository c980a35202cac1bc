from leadbook.core.timeline import Entry, provider

from . import history
from .merging import merges_into
from .models import Lead


@provider
def change_entries(lead: Lead) -> list[Entry]:
    """Field changes, and the lead's creation, from its recorded history."""
    records = list(lead.history.select_related("history_user").order_by(
        "history_date", "history_id"))
    entries = [
        Entry(when=change["when"], kind="change", who=change["who"], data=change)
        for change in history.field_changes(records)
    ]
    if records:
        first = records[0]
        entries.append(Entry(
            when=first.history_date, kind="created",
            who=first.history_user.display_name if first.history_user else ""))
    return entries


@provider
def merge_entries(lead: Lead) -> list[Entry]:
    """Merges that kept this lead, and their undo."""
    entries = []
    for merge in merges_into(lead):
        who = merge.merged_by.display_name if merge.merged_by else ""
        entries.append(Entry(when=merge.merged_at, kind="merge", who=who,
                             data={"merge": merge}))
        if merge.undone:
            undone_by = merge.undone_by.display_name if merge.undone_by else ""
            entries.append(Entry(when=merge.undone_at, kind="merge", who=undone_by,
                                 data={"merge": merge, "undo": True}))
    return entries
