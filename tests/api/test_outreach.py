"""Outreach and follow-ups through the API, with the outreach services."""

import datetime

import pytest
from django.utils import timezone

from leadbook.leads.models import Lead
from leadbook.outreach.models import Outreach


@pytest.fixture
def shop(make_lead, member):
    return make_lead(name="Juniper & Vine", owner=member)


def test_it_logs_outreach_by_kind_name_and_updates_the_lead(api_member, shop):
    follow_up = timezone.localdate() + datetime.timedelta(days=7)
    response = api_member.post(f"/leads/{shop.pk}/outreach", {
        "kind": "call", "notes": "Spoke to Dana", "follow_up_on": follow_up.isoformat()})
    assert response.status_code == 201
    entry = response.json()
    assert (entry["kind"], entry["by"], entry["lead_id"]) == ("Call", "sam", shop.pk)
    lead = api_member.get(f"/leads/{shop.pk}").json()
    assert lead["pending"] is True and lead["next_follow_up_on"] == follow_up.isoformat()
    assert lead["status"] == "Contacted"  # the first outreach moves a New lead along
    listing = api_member.get(f"/leads/{shop.pk}/outreach").json()
    assert listing["count"] == 1 and listing["items"][0]["notes"] == "Spoke to Dana"


def test_an_unknown_kind_lists_the_valid_ones(api_member, shop):
    response = api_member.post(f"/leads/{shop.pk}/outreach", {"kind": "Pigeon"})
    assert response.status_code == 422
    assert "Email" in response.json()["errors"][0]["valid"]


def test_dates_are_checked(api_member, shop):
    future = (timezone.now() + datetime.timedelta(days=2)).isoformat()
    response = api_member.post(f"/leads/{shop.pk}/outreach",
                               {"kind": "Email", "happened_at": future})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "happened_at"
    response = api_member.post(f"/leads/{shop.pk}/outreach",
                               {"kind": "Email", "happened_at": "0001-01-01T00:00:00+05:00"})
    assert response.status_code == 422
    naive = api_member.post(f"/leads/{shop.pk}/outreach",
                            {"kind": "Email", "happened_at": "2024-03-01T10:00:00"})
    assert naive.status_code == 201


def test_outreach_can_be_changed_and_deleted(api_member, shop):
    entry = api_member.post(f"/leads/{shop.pk}/outreach", {"kind": "Email"}).json()
    response = api_member.patch(f"/outreach/{entry['id']}", {"notes": "Sent prices",
                                                            "kind": "DM"})
    assert response.status_code == 200
    assert (response.json()["notes"], response.json()["kind"]) == ("Sent prices", "DM")
    assert api_member.delete(f"/outreach/{entry['id']}").status_code == 204
    assert not Outreach.objects.exists()
    assert Lead.objects.get(pk=shop.pk).last_outreach_at is None
    assert api_member.delete(f"/outreach/{entry['id']}").status_code == 404


def test_followups_due_today_and_overdue(api_member, make_lead, member):
    from leadbook.outreach.models import OutreachKind
    from leadbook.outreach.services import log_outreach

    today = timezone.localdate()
    email = OutreachKind.objects.get(name="Email")
    for name, days, owner in (("Late", -3, member), ("Today", 0, None), ("Later", 4, member)):
        lead = make_lead(name=name, owner=owner)
        log_outreach(lead=lead, actor=None, kind=email,
                     happened_at=timezone.now() - datetime.timedelta(days=5),
                     follow_up_on=today + datetime.timedelta(days=days))
    names = lambda **q: [lead["name"] for lead in api_member.get("/followups", **q).json()["items"]]  # noqa: E731
    assert names() == ["Late", "Today"]
    assert names(due="overdue") == ["Late"]
    assert names(owner="none") == ["Today"]
    assert names(owner="Sam", due="today") == ["Late"]
    assert api_member.get("/followups", owner="ghost").status_code == 422
    assert api_member.get("/followups", due="tomorrow").status_code == 422
