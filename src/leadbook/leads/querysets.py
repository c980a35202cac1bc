import datetime

from django.db import models
from django.utils import timezone


class LeadQuerySet(models.QuerySet):
    # `is_active__in=[...]` rather than `is_active=True`: Django writes the latter as a bare
    # `WHERE is_active`, which SQLite cannot match to the (is_active, <sort column>) indexes.
    def active(self):
        return self.filter(is_active__in=[True])

    def inactive(self):
        return self.filter(is_active__in=[False])

    def search(self, query: str, *, along_sort_index: bool = False):
        """Leads whose name, contact, company, email, phone, city or Instagram contain `query`.

        A query that looks like a phone number also matches however the number was typed.
        Indexed on both databases: see leads/search.py (and `along_sort_index` there).
        """
        from .search import search_leads

        return search_leads(self, query, along_sort_index=along_sort_index)

    def pending(self):
        return self.filter(next_follow_up_on__isnull=False)

    def overdue(self, today: datetime.date | None = None):
        return self.filter(next_follow_up_on__lt=today or timezone.localdate())

    def due_by(self, day: datetime.date):
        return self.filter(next_follow_up_on__lte=day)

    def without_outreach(self):
        return self.filter(last_outreach_at__isnull=True)

    def visible_to(self, user):
        """The leads `user` may see and act on: every lead, or only their own (see
        sees_only_own_leads)."""
        return self.filter(owner=user) if sees_only_own_leads(user) else self

    def for_table(self):
        """What a row of the leads table shows. Status, source and owner come from small
        tables, fetched once per page: joining them would steer SQLite's planner away from
        the sort indexes on the big leads table."""
        return self.prefetch_related("status", "owner", "source")


def sees_only_own_leads(user) -> bool:
    """Whether `user` is a member of a workspace set to "members see only the leads they
    own"."""
    from leadbook.accounts.models import Role
    from leadbook.core.models import WorkspaceSettings

    return getattr(user, "role", None) == Role.MEMBER \
        and WorkspaceSettings.load().members_see_own_leads_only


class LeadManager(models.Manager.from_queryset(LeadQuerySet)):  # type: ignore[misc]
    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True, merged_into__isnull=True)
