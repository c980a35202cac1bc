from django.db.models import Q

from leadbook.core.timeline import Entry, provider
from leadbook.leads.models import Lead

from .models import Submission


@provider
def submission_entries(lead: Lead) -> list[Entry]:
    """The web forms this lead sent (and the leads merged into it sent): what they said,
    and which empty fields they filled."""
    posts = (Submission.objects.filter(Q(lead=lead) | Q(lead__merged_into=lead))
             .select_related("form")[:200])
    return [Entry(when=s.created_at, kind="submission", data={"submission": s}) for s in posts]
