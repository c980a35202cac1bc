import datetime

import pytest
from django.http import QueryDict
from django.utils.http import urlencode

from leadbook.leads import services
from leadbook.leads.filters import LeadFilter
from leadbook.leads.models import Lead, Status


def names(view: LeadFilter) -> list[str]:
    return list(view.apply(Lead.objects.all()).values_list("name", flat=True))


def view_of(query: str) -> LeadFilter:
    return LeadFilter.from_params(QueryDict(query))


@pytest.fixture
def leads(make_lead, member):
    qualified = Status.objects.get(name="Qualified")
    make_lead(name="Juniper & Vine", first_name="Dana", last_name="Reyes", city="Austin",
              phone="(512) 555-0142", temperature="warm", status=qualified,
              lead_types=["Consignment", "Wholesale"], owner=member, instagram="@juniperandvine")
    make_lead(name="Corner Cup", email="sam@cornercup.example.com", city="Austin",
              lead_types=["Wholesale"])
    old = make_lead(name="Kit & Kin", city="Nashville", lead_types=["Collab"])
    services.set_lead_active(lead=old, actor=None, active=False)


def test_it_shows_active_leads_by_name_by_default(leads):
    assert names(view_of("")) == ["Corner Cup", "Juniper & Vine"]


@pytest.mark.parametrize("query,expected", [
    ("active=false", ["Kit & Kin"]),
    ("active=all", ["Corner Cup", "Juniper & Vine", "Kit & Kin"]),
    ("status=qualified", ["Juniper & Vine"]),
    ("lead_type=Wholesale", ["Corner Cup", "Juniper & Vine"]),
    ("lead_type=consignment&lead_type=wholesale", ["Corner Cup", "Juniper & Vine"]),
    ("lead_type=Consignment,Collab&active=all", ["Juniper & Vine", "Kit & Kin"]),
    ("temperature=warm", ["Juniper & Vine"]),
    ("owner=sam", ["Juniper & Vine"]),
    ("owner=none", ["Corner Cup"]),
    ("search=cornercup", ["Corner Cup"]),
    ("search=DANA", ["Juniper & Vine"]),
    ("search=austin", ["Corner Cup", "Juniper & Vine"]),
    ("search=512 555 0142", ["Juniper & Vine"]),
    ("search=5550142", ["Juniper & Vine"]),
    ("search=juniperandvine", ["Juniper & Vine"]),
    ("ordering=-name", ["Juniper & Vine", "Corner Cup"]),
    ("ordering=status", ["Corner Cup", "Juniper & Vine"]),
    ("ordering=-temperature", ["Juniper & Vine", "Corner Cup"]),
])
def test_it_filters_searches_and_sorts(leads, query, expected):
    view = view_of(query)
    assert not view.errors
    assert names(view) == expected


def test_it_lists_a_lead_once_when_several_of_its_types_match(leads):
    view = view_of("lead_type=Consignment&lead_type=Wholesale")
    assert view.apply(Lead.objects.all()).count() == 2


@pytest.mark.parametrize("query,param", [
    ("status=Nope", "status"), ("temperature=hot", "temperature"), ("ordering=colour", "ordering"),
    ("active=maybe", "active"), ("owner=ghost", "owner"), ("lead_type=Wholesal", "lead_type"),
])
def test_it_explains_what_it_cannot_understand(leads, query, param):
    view = view_of(query)
    assert param in view.errors
    if param == "status":
        assert "Qualified" in view.errors["status"]  # lists the valid names


def test_last_outreach_sorts_never_contacted_first_and_last(make_lead):
    from django.utils import timezone
    contacted = make_lead(name="Contacted")
    make_lead(name="Never")
    Lead.objects.filter(pk=contacted.pk).update(last_outreach_at=timezone.now())
    assert names(view_of("ordering=last_outreach")) == ["Never", "Contacted"]
    assert names(view_of("ordering=-last_outreach")) == ["Contacted", "Never"]


def test_pending_filter(make_lead):
    make_lead(name="Pending")
    make_lead(name="Quiet")
    Lead.objects.filter(name="Pending").update(next_follow_up_on=datetime.date(2030, 1, 1))
    assert names(view_of("pending=true")) == ["Pending"]
    assert names(view_of("pending=false")) == ["Quiet"]


def test_a_view_survives_a_round_trip_through_its_params(leads):
    view = view_of("status=Qualified&temperature=warm&owner=sam&active=all&ordering=-name"
                   "&search=dana&lead_type=wholesale&pending=false")
    again = LeadFilter.from_params(QueryDict(urlencode(view.to_params())))
    assert again.to_params() == view.to_params()
