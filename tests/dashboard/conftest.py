"""A small book with a known shape for the dashboard and board tests."""

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone


@pytest.fixture(autouse=True)
def _fresh_dashboard_cache():
    """Figures are cached under a fingerprint of the data; test databases reuse ids, so
    one test's figures must not be served to the next."""
    cache.clear()
    yield
    cache.clear()


def days_ago(days: int, hour: int = 12) -> datetime.datetime:
    """Noon (by default) `days` days ago in the workspace's time zone."""
    day = timezone.localdate() - datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def book(make_lead, member, admin):
    """Leads across stages, sources, types, temperatures and ages:

    name          added  status now (path)               source    temp  types
    Fresh             0  New                             Website   cold  Wholesale
    Juniper           3  Qualified                       Website   warm  Wholesale, Consignment
    Podcast Pals     10  Proposal Sent                   Referral  warm  Podcast Guest
    Corner Cup       20  Won (converted to a customer)   Referral  cold  —
    Kit & Kin        25  New → Proposal Sent → Lost      —         cold  Collab
    Salt Supply      40  New → Lost                      Phone     warm  —
    Sleepy Shop      50  Negotiation, inactive           Website   cold  —
    Moved Back       15  New → Qualified → Contacted     Website   cold  —
    Last Year's     200  Won                             Website   cold  —
    Ancient         500  Qualified                       Phone     warm  —
    Binned            5  Qualified, in the trash         Website   warm  —
    """
    from leadbook.conversions.services import convert_lead
    from leadbook.leads import services
    from leadbook.leads.models import Lead, Source, Status

    status = {s.name: s for s in Status.objects.all()}
    source = {s.name: s for s in Source.objects.all()}

    def lead(name, days, status_name, source_name, temperature, types=(), path=()):
        made = make_lead(actor=member, name=name, status=status[path[0] if path else
                                                            status_name],
                         source=source.get(source_name), temperature=temperature,
                         lead_types=list(types), owner=member)
        for step in [*path[1:], status_name] if path else []:
            made = services.update_lead(lead=made, actor=admin, status=status[step])
        Lead.all_objects.filter(pk=made.pk).update(created_at=days_ago(days))
        made.refresh_from_db()
        return made

    leads = {
        "fresh": lead("Fresh", 0, "New", "Website", "cold", ["Wholesale"]),
        "juniper": lead("Juniper", 3, "Qualified", "Website", "warm",
                        ["Wholesale", "Consignment"]),
        "podcast": lead("Podcast Pals", 10, "Proposal Sent", "Referral", "warm",
                        ["Podcast Guest"]),
        "corner": lead("Corner Cup", 20, "Won", "Referral", "cold"),
        "kit": lead("Kit & Kin", 25, "Lost", None, "cold", ["Collab"],
                    path=["New", "Proposal Sent"]),
        "salt": lead("Salt Supply", 40, "Lost", "Phone", "warm", path=["New"]),
        "sleepy": lead("Sleepy Shop", 50, "Negotiation", "Website", "cold"),
        "moved": lead("Moved Back", 15, "Contacted", "Website", "cold",
                      path=["New", "Qualified"]),
        "last_year": lead("Last Year's", 200, "Won", "Website", "cold"),
        "ancient": lead("Ancient", 500, "Qualified", "Phone", "warm"),
        "binned": lead("Binned", 5, "Qualified", "Website", "warm"),
    }
    services.set_lead_active(lead=leads["sleepy"], actor=admin, active=False)
    services.delete_lead(lead=leads["binned"], actor=admin)
    convert_lead(lead=leads["corner"], actor=admin, target="customer")
    today = timezone.localdate()
    Lead.objects.filter(pk=leads["juniper"].pk).update(
        next_follow_up_on=today - datetime.timedelta(days=2))
    Lead.objects.filter(pk=leads["podcast"].pk).update(next_follow_up_on=today)
    Lead.objects.filter(pk=leads["fresh"].pk).update(
        next_follow_up_on=today + datetime.timedelta(days=3))
    return {key: Lead.all_objects.get(pk=value.pk) for key, value in leads.items()}
