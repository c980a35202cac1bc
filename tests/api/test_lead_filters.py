"""GET /api/v2/leads with the table's newer filters: created_after, created_before, stage,
reached and source=none."""

import datetime

from django.utils import timezone

from leadbook.leads import services
from leadbook.leads.models import Lead, Source, Status


def names(client, **query) -> list[str]:
    response = client.get("/leads", limit=500, **query)
    assert response.status_code == 200, response.json()
    return sorted(lead["name"] for lead in response.json()["items"])


def added(lead, day: datetime.date, hour: int) -> None:
    when = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))
    Lead.objects.filter(pk=lead.pk).update(created_at=when)


def test_created_after_and_before_are_whole_days(api_member, make_lead):
    day = datetime.date(2026, 3, 10)
    added(make_lead(name="Before"), day - datetime.timedelta(days=1), 23)
    added(make_lead(name="Early"), day, 0)
    added(make_lead(name="Late"), day, 23)
    added(make_lead(name="After"), day + datetime.timedelta(days=1), 0)
    assert names(api_member, created_after="2026-03-10") == ["After", "Early", "Late"]
    assert names(api_member, created_before="2026-03-10") == ["Before", "Early", "Late"]
    assert names(api_member, created_after="2026-03-10",
                 created_before="2026-03-10") == ["Early", "Late"]


def test_stage_and_reached(api_member, make_lead, admin):
    make_lead(name="Fresh")
    qualified = Status.objects.filter(stage="qualified").first()
    lost = Status.objects.filter(stage="lost").first()
    proposal = Status.objects.filter(stage="opportunity").first()
    make_lead(name="Keen", status=qualified)
    gone = make_lead(name="Gone", status=proposal)
    services.update_lead(lead=gone, actor=admin, status=lost)
    make_lead(name="Never", status=lost)
    assert names(api_member, stage="qualified") == ["Keen"]
    assert names(api_member, stage=["qualified", "lost"]) == ["Gone", "Keen", "Never"]
    assert names(api_member, reached="qualified") == ["Gone", "Keen"]
    assert names(api_member, reached="opportunity") == ["Gone"]


def test_source_none_means_no_source(api_member, make_lead):
    make_lead(name="Walk-in")
    make_lead(name="Referred", source=Source.objects.get(name="Referral"))
    assert names(api_member, source="none") == ["Walk-in"]
    assert names(api_member, source=["none", "referral"]) == ["Referred", "Walk-in"]


def test_bad_values_are_422s_that_name_the_parameter(api_member, db):
    for query, field in (({"created_after": "yesterday"}, "created_after"),
                         ({"created_before": "2026-02-30"}, "created_before"),
                         ({"created_before": "9999-12-31"}, "created_before"),
                         ({"stage": "maybe"}, "stage"), ({"reached": "lost"}, "reached")):
        response = api_member.get("/leads", **query)
        assert response.status_code == 422, query
        assert response.json()["errors"][0]["field"].startswith(field), query


def test_the_new_filters_are_described_in_the_schema(api_member):
    params = {p["name"]: p for p in api_member.get("/openapi.json").json()
              ["paths"]["/api/v2/leads"]["get"]["parameters"]}
    for name in ("created_after", "created_before", "stage", "reached", "cursor"):
        assert params[name]["description"], name
    assert "none" in params["source"]["description"]
