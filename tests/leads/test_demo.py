"""seed_demo: fast bulk-loaded demo leads that look, to every reader, like service-made ones."""

import pytest

from leadbook.conversions.models import Customer
from leadbook.leads import demo
from leadbook.leads.models import Lead
from leadbook.leads.search import search_leads
from leadbook.outreach.models import Outreach

DERIVED = ("lead_types_label", "email_key", "phone_key", "instagram_key", "website_key",
           "name_key", "name_alt_key", "search_text")


def _derived(lead: Lead) -> dict:
    return {name: getattr(lead, name) for name in DERIVED}


def test_seed_demo_fills_derived_fields_as_the_services_do(admin):
    demo.seed_demo(300, seed=5)
    leads = list(Lead.objects.prefetch_related("lead_types"))
    assert len(leads) == 300
    for lead in leads:
        stored = _derived(lead)
        lead.refresh_derived_fields([t.name for t in lead.lead_types.all()])
        assert stored == _derived(lead), lead.pk
    assert all(lead.phone_key for lead in leads if lead.phone)
    assert Lead.objects.filter(lead_types=None).count() == 0


def test_seed_demo_leads_are_found_by_the_search_box(admin):
    demo.seed_demo(200, seed=6)
    lead = Lead.objects.exclude(email="").order_by("id")[77]
    assert list(search_leads(Lead.objects.all(), lead.email)) == [lead]
    fragment = lead.company[:5].lower()
    found = set(search_leads(Lead.objects.all(), fragment).values_list("pk", flat=True))
    assert lead.pk in found


def test_seed_demo_leads_have_realistic_variety(admin, member):
    demo.seed_demo(1500, seed=7)
    leads = Lead.objects.all()
    assert leads.filter(is_active=False).exists()
    assert leads.filter(temperature="warm").exists() and leads.filter(temperature="cold").exists()
    assert leads.values("status").distinct().count() >= 6
    assert leads.values("city").distinct().count() >= 20
    assert leads.filter(owner=admin).exists() and leads.filter(owner=member).exists()
    assert leads.filter(owner=None).exists()
    assert leads.filter(source=None).count() == 0
    # Outreach: the lead's columns follow its latest entry.
    contacted = leads.exclude(last_outreach_at=None)
    assert 0.5 < contacted.count() / 1500 < 0.8
    for lead in contacted[:50]:
        latest = lead.outreach.latest_first().first()
        assert lead.last_outreach_at == latest.happened_at
        assert lead.next_follow_up_on == latest.follow_up_on
    assert leads.exclude(next_follow_up_on=None).exists()
    assert leads.filter(last_outreach_at=None, next_follow_up_on__isnull=False).count() == 0
    # Converted leads have their customer record, at the Won status.
    converted = leads.exclude(converted_at=None)
    assert converted.exists()
    assert Customer.objects.count() == converted.count()
    record = Customer.objects.select_related("lead").first()
    assert record.email == record.lead.email and record.previous_status is not None
    assert record.lead.status.stage == "won"


def test_seed_demo_makes_the_same_leads_in_worker_processes(admin, monkeypatch):
    def snapshot():
        return [(lead.name, lead.email, lead.phone, lead.status_id, lead.lead_types_label,
                 lead.outreach.count()) for lead in Lead.all_objects.order_by("id")]

    demo.seed_demo(90, seed=3, batch_size=20)
    inline = snapshot()
    Outreach.objects.all().delete()
    Customer.objects.all().delete()
    Lead.all_objects.all().delete()
    monkeypatch.setattr(demo, "PARALLEL_FROM", 0)
    demo.seed_demo(90, seed=3, batch_size=20, workers=2)
    assert snapshot() == inline


@pytest.mark.parametrize("count", [0, 1])
def test_seed_demo_handles_tiny_counts(admin, count):
    assert demo.seed_demo(count, seed=1) == count
    assert Lead.objects.count() == count
