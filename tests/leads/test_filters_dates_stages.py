"""The table filters the dashboard links with: created_after / created_before, stage,
reached and source=none. (The dashboard tests also hold every chart figure to the count of
the table it links to.)"""

import datetime
import zoneinfo

import pytest
from django.http import QueryDict
from django.utils import timezone
from django.utils.http import urlencode

from leadbook.leads import services
from leadbook.leads.filters import LeadFilter
from leadbook.leads.models import Lead, Source, Status


def names(query: str) -> list[str]:
    view = LeadFilter.from_params(QueryDict(query))
    assert not view.errors, view.errors
    return sorted(view.apply(Lead.objects.all()).values_list("name", flat=True))


def added(lead: Lead, when: datetime.datetime) -> None:
    Lead.objects.filter(pk=lead.pk).update(created_at=when)


def local(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@pytest.fixture
def dated(make_lead):
    day = datetime.date(2026, 3, 10)
    for name, when in (("Early", local(day, 0, 0)), ("Late", local(day, 23, 59)),
                       ("Before", local(day, 0) - datetime.timedelta(seconds=1)),
                       ("After", local(day + datetime.timedelta(days=1), 0))):
        added(make_lead(name=name), when)


def test_created_after_and_before_are_whole_days_both_included(dated):
    assert names("created_after=2026-03-10") == ["After", "Early", "Late"]
    assert names("created_before=2026-03-10") == ["Before", "Early", "Late"]
    assert names("created_after=2026-03-10&created_before=2026-03-10") == ["Early", "Late"]
    assert names("created_after=2026-03-12") == []


def test_created_dates_are_days_in_the_workspace_time_zone(make_lead, settings):
    settings.TIME_ZONE = "Pacific/Auckland"
    with timezone.override(zoneinfo.ZoneInfo("Pacific/Auckland")):
        lead = make_lead(name="Kiwi")
        # 2026-03-10 09:00 in Auckland is still 9 March in UTC.
        added(lead, local(datetime.date(2026, 3, 10), 9))
        assert names("created_after=2026-03-10&created_before=2026-03-10") == ["Kiwi"]


@pytest.mark.parametrize("query,param", [
    ("created_after=yesterday", "created_after"), ("created_before=2026-02-30", "created_before"),
    ("created_before=9999-12-31", "created_before"), ("stage=won,maybe", "stage"),
    ("reached=lost", "reached"),
])
def test_it_explains_dates_and_stages_it_cannot_read(db, query, param):
    view = LeadFilter.from_params(QueryDict(query))
    assert param in view.errors


@pytest.fixture
def staged(make_lead, admin):
    status = {s.name: s for s in Status.objects.all()}

    def lead(name, *path, **fields):
        made = make_lead(name=name, status=status[path[0]], **fields)
        for step in path[1:]:
            made = services.update_lead(lead=made, actor=admin, status=status[step])
        return made

    lead("New one", "New")
    lead("Qualified one", "Qualified")
    lead("Negotiating", "Negotiation")
    lead("Won one", "New", "Proposal Sent", "Won")
    lead("Lost late", "New", "Proposal Sent", "Lost")
    lead("Lost early", "New", "Lost")
    lead("Moved back", "New", "Qualified", "Contacted")


@pytest.mark.parametrize("query,expected", [
    ("stage=won", ["Won one"]),
    ("stage=lost", ["Lost early", "Lost late"]),
    ("stage=Qualified,opportunity", ["Negotiating", "Qualified one"]),
    ("reached=lead", ["Lost early", "Lost late", "Moved back", "Negotiating", "New one",
                      "Qualified one", "Won one"]),
    ("reached=qualified", ["Lost late", "Negotiating", "Qualified one", "Won one"]),
    ("reached=opportunity", ["Lost late", "Negotiating", "Won one"]),
    ("reached=won", ["Won one"]),
])
def test_stage_is_the_status_now_and_reached_counts_lost_leads_history(staged, query,
                                                                      expected):
    assert names(query) == expected


def test_source_none_finds_leads_without_a_source(make_lead):
    website = Source.objects.get(name="Website")
    make_lead(name="Web", source=website)
    make_lead(name="Nowhere")
    assert names("source=none") == ["Nowhere"]
    assert names("source=Website,none") == ["Nowhere", "Web"]


def test_a_source_called_none_is_still_a_source(make_lead):
    called_none = Source.objects.create(name="None", position=99)
    make_lead(name="From None", source=called_none)
    make_lead(name="Without")
    assert names("source=none") == ["From None"]


def test_the_new_filters_survive_a_round_trip(staged):
    query = ("created_after=2026-01-01&created_before=2026-03-31&stage=won&stage=lost"
             "&reached=opportunity&source=none&active=all")
    view = LeadFilter.from_params(QueryDict(query))
    again = LeadFilter.from_params(QueryDict(urlencode(view.to_params())))
    assert again.to_params() == view.to_params()
    assert ("created_after", "2026-01-01") in view.to_params()


def test_the_table_shows_the_new_filters_as_removable_chips(member_client, staged):
    response = member_client.get("/leads/?created_after=2026-01-05&reached=qualified"
                                 "&source=none&stage=lost")
    chips = {(c["label"], c["value"]): c["remove_url"] for c in response.context["chips"]}
    assert ("Added from", "5 Jan 2026") in chips
    assert ("Reached", "Qualified") in chips and ("Stage", "Lost") in chips
    assert ("Source", "None") in chips
    assert "created_after" not in chips[("Added from", "5 Jan 2026")]
