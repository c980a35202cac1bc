"""The leads table page, a lead's page and the API's lead list cost a fixed number of queries,
however many leads (or outreach entries) they show: no query per row.

Each is measured on a small book and on one ten times larger, with outreach, lead types,
sources and owners on every lead; the counts must be equal, and under a fixed ceiling so
that a new query per page is a conscious choice (raise the ceiling here, with a reason).
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leadbook.leads.models import Lead, Source
from leadbook.outreach.models import OutreachKind
from leadbook.outreach.services import log_outreach
from tests.api.conftest import ApiClient, token_for

TYPES = (["Wholesale"], ["Consignment", "Collab"], ["Podcast Guest"], [])
# 9 for the default view (the rows' statuses, sources and owners come from the filters'
# lists, which a status or type filter's names are matched against too; the Next link's
# cursor from the last row); a filter first reads the ids of the whole list's first leads
# to look for its page among them (+1, keyset.read_after), a search asks its index how
# broad it is (+1). A count beside the page runs on another connection.
TABLE_PAGE_MAX = 13
LEAD_PAGE_MAX = 25
# 12; a status or type filter looks its names up (+2), and the same +1 as the table.
API_LIST_MAX = 15


@pytest.fixture
def book(make_lead, admin, member, viewer):
    """add(n): n more leads, each with types, a source, an owner and two outreach entries
    (one with a follow-up), as the table shows them."""
    owners = [admin, member, None]
    sources = [*Source.objects.all(), None]
    kinds = list(OutreachKind.objects.all())
    now = timezone.now()

    def add(count: int) -> list[Lead]:
        made = []
        start = Lead.all_objects.count()
        for i in range(start, start + count):
            lead = make_lead(name=f"Lead {i:03}", email=f"lead{i}@example.com",
                             phone="(512) 555-0142", owner=owners[i % 3],
                             source=sources[i % len(sources)], lead_types=TYPES[i % 4])
            for days_ago in (9, 2):
                log_outreach(lead=lead, actor=owners[(i + days_ago) % 2],
                             kind=kinds[i % len(kinds)], notes="Sent line sheet",
                             happened_at=now - datetime.timedelta(days=days_ago),
                             follow_up_on=(now + datetime.timedelta(days=3)).date()
                             if days_ago == 2 else None)
            made.append(lead)
        return made

    return add


def queries_for(get) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = get()
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("params", [
    {}, {"ordering": "-last_outreach"}, {"ordering": "status"}, {"ordering": "owner"},
    {"status": "Contacted", "lead_type": "Wholesale"}, {"search": "lead"}, {"pending": "true"},
])
def test_the_table_page_costs_the_same_queries_for_5_or_50_leads(book, admin_client, params):
    book(5)
    few = queries_for(lambda: admin_client.get("/leads/", params))
    book(45)
    response = admin_client.get("/leads/", params)
    assert len(response.context["page"]) >= 12  # the page really shows many rows
    many = queries_for(lambda: admin_client.get("/leads/", params))
    assert many == few
    assert many <= TABLE_PAGE_MAX


def test_the_table_page_as_htmx_costs_no_more(book, admin_client):
    book(50)
    assert queries_for(lambda: admin_client.get(
        "/leads/", {"ordering": "name"}, headers={"HX-Request": "true"})) <= TABLE_PAGE_MAX


def test_a_lead_page_costs_the_same_queries_with_2_or_20_outreach(book, admin_client, admin):
    (small,) = book(1)
    (big,) = book(1)
    kind = OutreachKind.objects.first()
    for days_ago in range(3, 21):
        log_outreach(lead=big, actor=admin, kind=kind, notes=f"Call {days_ago}",
                     happened_at=timezone.now() - datetime.timedelta(days=days_ago))
    few = queries_for(lambda: admin_client.get(small.get_absolute_url()))
    many = queries_for(lambda: admin_client.get(big.get_absolute_url()))
    assert many == few
    assert many <= LEAD_PAGE_MAX


@pytest.mark.parametrize("params", [
    {}, {"ordering": "-last_outreach"}, {"status": "Contacted", "lead_type": "Wholesale"},
    {"search": "lead", "limit": 100},
])
def test_the_api_list_costs_the_same_queries_for_5_or_50_leads(book, admin, params):
    api = ApiClient(token_for(admin))
    api.get("/statuses")  # the token's first request notes its use (then once a minute)
    book(5)
    few = queries_for(lambda: api.get("/leads", **params))
    book(45)
    assert len(api.get("/leads", **params).json()["items"]) >= 12
    many = queries_for(lambda: api.get("/leads", **params))
    assert many == few
    assert many <= API_LIST_MAX
