from leadbook.core.timeline import Entry, provider
from leadbook.leads.models import Lead

from .models import Outreach


@provider
def outreach_entries(lead: Lead) -> list[Entry]:
    return [
        Entry(when=o.happened_at, kind="outreach",
              who=o.by.display_name if o.by else "", data={"outreach": o})
        for o in Outreach.objects.filter(lead=lead).select_related("kind", "by")[:200]
    ]
