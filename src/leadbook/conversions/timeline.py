from leadbook.core.timeline import Entry, provider
from leadbook.leads.models import Lead

from .models import RECORD_MODELS


@provider
def conversion_entries(lead: Lead) -> list[Entry]:
    entries = []
    for model in RECORD_MODELS.values():
        for record in model.objects.filter(lead=lead).select_related("created_by"):
            entries.append(Entry(
                when=record.created_at, kind="conversion",
                who=record.created_by.display_name if record.created_by else "",
                data={"record": record}))
    return entries
