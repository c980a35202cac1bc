import datetime
import re

from django.db import models
from django.utils import timezone

from . import normalize

PHONE_LIKE_RE = re.compile(r"^[\d\s().+\-]+$")


class LeadQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def inactive(self):
        return self.filter(is_active=False)

    def search(self, query: str):
        """Leads whose name, contact, company, email, phone, city or Instagram contain `query`.

        A query that looks like a phone number also matches however the number was typed.
        """
        query = " ".join(query.split()).lower()
        if not query:
            return self
        if PHONE_LIKE_RE.match(query) and len(normalize.digits(query)) >= 4:
            query = normalize.digits(query)
        return self.filter(search_text__contains=query)

    def pending(self):
        return self.filter(next_follow_up_on__isnull=False)

    def overdue(self, today: datetime.date | None = None):
        return self.filter(next_follow_up_on__lt=today or timezone.localdate())

    def due_by(self, day: datetime.date):
        return self.filter(next_follow_up_on__lte=day)

    def without_outreach(self):
        return self.filter(last_outreach_at__isnull=True)

    def for_table(self):
        """What a row of the leads table shows, fetched in one query."""
        return self.select_related("status", "owner", "source")
