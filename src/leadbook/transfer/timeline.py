from leadbook.core.timeline import Entry, provider
from leadbook.leads.models import Lead

from .models import ImportedLead


@provider
def import_entries(lead: Lead) -> list[Entry]:
    """Imports that created or updated this lead ("Imported from leads.csv by Dana")."""
    entries = []
    for record in ImportedLead.objects.filter(lead=lead).select_related(
            "job", "job__created_by").order_by("job_id", "row"):
        job = record.job
        entries.append(Entry(
            when=job.finished_at or job.started_at or job.created_at, kind="import",
            who=job.created_by.display_name if job.created_by else "",
            data={"job": job, "action": record.action, "row": record.row}))
    return entries
