"""Cursor pagination of GET /api/v2/leads: every ordering, NULLs and ties included."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leadbook.core import paging
from leadbook.leads.filters import ORDERINGS
from leadbook.leads.models import Lead

ALL_ORDERINGS = [*ORDERINGS, *(f"-{key}" for key in ORDERINGS)]


@pytest.fixture
def book(make_lead, admin, member):
    """23 leads with ties in every column and NULLs in the nullable ones (last outreach,
    follow-up, owner)."""
    now = timezone.now().replace(microsecond=0)
    leads = []
    for i in range(23):
        lead = make_lead(
            name=f"Shop {i % 5}", first_name=["Ana", "Bo", ""][i % 3],
            last_name=["Ng", "Ortiz"][i % 2], email=f"shop{i % 4}@example.com" if i % 3 else "",
            temperature=["cold", "warm"][i % 2], owner=[None, admin, member][i % 3],
            lead_types=[["Wholesale"], ["Consignment", "Collab"], []][i % 3])
        leads.append(lead)
    for i, lead in enumerate(leads):
        Lead.objects.filter(pk=lead.pk).update(
            last_outreach_at=None if i % 4 == 0 else now - datetime.timedelta(days=i % 3),
            next_follow_up_on=None if i % 2 else now.date() + datetime.timedelta(days=i % 5),
            created_at=now - datetime.timedelta(hours=i % 6))
    return leads


def walk(client, limit=4, **query):
    """Every page by cursor: (ids in order, number of pages)."""
    ids, pages, cursor = [], 0, None
    while True:
        params = {**query, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = client.get("/leads", **params)
        assert response.status_code == 200, response.json()
        data = response.json()
        ids += [lead["id"] for lead in data["items"]]
        pages += 1
        cursor = data["next_cursor"]
        if cursor is None:
            return ids, pages
        assert pages < 100


@pytest.mark.parametrize("ordering", ALL_ORDERINGS)
def test_a_cursor_walk_sees_every_lead_once_in_order(api_member, book, ordering):
    everything = api_member.get("/leads", ordering=ordering, limit=500).json()
    expected = [lead["id"] for lead in everything["items"]]
    assert len(expected) == everything["count"] == 23
    ids, pages = walk(api_member, ordering=ordering)
    assert ids == expected  # same order as one long page: no gaps, no repeats
    assert pages == 6


def test_the_walk_keeps_the_filters(api_member, book):
    ids, _ = walk(api_member, limit=2, ordering="-last_outreach", temperature="warm")
    expected = [lead["id"] for lead in api_member.get(
        "/leads", ordering="-last_outreach", temperature="warm", limit=500).json()["items"]]
    assert ids == expected and len(ids) == 11


def test_the_last_page_has_no_next_cursor_and_count_is_the_whole_list(api_member, book):
    data = api_member.get("/leads", limit=23).json()
    assert data["next_cursor"] is None and data["count"] == 23
    data = api_member.get("/leads", limit=22).json()
    assert data["next_cursor"] is not None
    last = api_member.get("/leads", limit=22, cursor=data["next_cursor"]).json()
    assert len(last["items"]) == 1 and last["next_cursor"] is None and last["count"] == 23


def test_an_offset_page_gives_a_cursor_to_go_on_from(api_member, book):
    first = api_member.get("/leads", limit=5, offset=5, ordering="owner").json()
    rest = api_member.get("/leads", limit=500, cursor=first["next_cursor"],
                          ordering="owner").json()
    everything = api_member.get("/leads", limit=500, ordering="owner").json()["items"]
    assert [lead["id"] for lead in first["items"] + rest["items"]] == \
        [lead["id"] for lead in everything[5:]]


def test_a_cursor_still_works_when_its_lead_is_deleted(api_member, book):
    """The cursor holds sort values, not a position: deleting leads already seen neither
    skips nor repeats the ones still to come (as an offset would)."""
    everything = [lead["id"] for lead in api_member.get(
        "/leads", limit=500, ordering="-last_outreach").json()["items"]]
    first = api_member.get("/leads", limit=10, ordering="-last_outreach").json()
    for lead in first["items"][-3:]:
        assert api_member.delete(f"/leads/{lead['id']}").status_code == 204
    rest = api_member.get("/leads", limit=500, ordering="-last_outreach",
                          cursor=first["next_cursor"]).json()
    assert [lead["id"] for lead in rest["items"]] == everything[10:]
    assert rest["count"] == 23  # the walk's count, from its first page
    assert api_member.get("/leads", ordering="-last_outreach").json()["count"] == 20


def test_a_walk_counts_the_list_once_and_its_pages_agree(api_member, book):
    first = api_member.get("/leads", limit=4, temperature="warm").json()
    assert first["count"] == 11
    with CaptureQueriesContext(connection) as queries:
        second = api_member.get("/leads", limit=4, temperature="warm",
                                cursor=first["next_cursor"]).json()
    assert second["count"] == 11
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"]]
    third = api_member.get("/leads", limit=4, temperature="warm",
                           cursor=second["next_cursor"]).json()
    assert third["count"] == 11 and len(third["items"]) == 3


def test_a_cursor_sent_with_other_filters_counts_them(api_member, book):
    first = api_member.get("/leads", limit=4, ordering="name").json()
    assert first["count"] == 23
    cold = api_member.get("/leads", limit=4, ordering="name", temperature="cold",
                          cursor=first["next_cursor"]).json()
    assert cold["count"] == 12  # counted again, for the list actually asked for
    assert all(lead["temperature"] == "cold" for lead in cold["items"])


def test_a_walk_by_another_user_counts_its_own_list(api_member, api_admin, book):
    cursor = api_member.get("/leads", limit=4).json()["next_cursor"]
    with CaptureQueriesContext(connection) as queries:
        assert api_admin.get("/leads", limit=4, cursor=cursor).json()["count"] == 23
    assert [q for q in queries.captured_queries
            if "COUNT(" in q["sql"] or "leads_leadtally" in q["sql"]]  # counted afresh


def test_cursor_pages_do_not_use_offset(api_member, book):
    cursor = api_member.get("/leads", limit=4).json()["next_cursor"]
    with CaptureQueriesContext(connection) as queries:
        assert api_member.get("/leads", limit=4, cursor=cursor).status_code == 200
    lead_queries = [q["sql"] for q in queries.captured_queries
                    if 'FROM "leads_lead"' in q["sql"] and "ORDER BY" in q["sql"]]
    assert lead_queries and not any("OFFSET" in sql for sql in lead_queries)


@pytest.mark.parametrize("cursor", ["nonsense", "eyJ2IjoxfQ:abc:def", "x" * 500, "%00"])
def test_an_invalid_cursor_is_a_422(api_member, book, cursor):
    response = api_member.get("/leads", cursor=cursor)
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "cursor" and error["location"] == "query"


def test_a_tampered_cursor_is_a_422(api_member, book):
    cursor = api_member.get("/leads", limit=4).json()["next_cursor"]
    tampered = cursor[:-3] + ("aaa" if not cursor.endswith("aaa") else "bbb")
    assert api_member.get("/leads", cursor=tampered).status_code == 422


def test_a_cursor_for_another_ordering_is_a_422(api_member, book):
    cursor = api_member.get("/leads", limit=4, ordering="email").json()["next_cursor"]
    response = api_member.get("/leads", cursor=cursor, ordering="-email")
    assert response.status_code == 422
    assert "sorted by 'email'" in response.json()["errors"][0]["message"]


def test_cursor_and_offset_together_are_a_422(api_member, book):
    cursor = api_member.get("/leads", limit=4).json()["next_cursor"]
    response = api_member.get("/leads", cursor=cursor, offset=4)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "offset"


def test_the_cursor_needs_a_token(api_anonymous):
    assert api_anonymous.get("/leads", cursor="x").status_code == 401


@pytest.mark.parametrize("ordering", ALL_ORDERINGS)
def test_an_offset_page_is_that_slice_of_the_list(api_member, book, ordering):
    everything = [lead["id"] for lead in api_member.get(
        "/leads", ordering=ordering, limit=500).json()["items"]]
    with CaptureQueriesContext(connection) as queries:
        page = api_member.get("/leads", ordering=ordering, limit=5, offset=7).json()
    assert [lead["id"] for lead in page["items"]] == everything[7:12]
    # The skipped leads are counted off by id only, in a subquery (a deferred join).
    (rows_sql,) = [q["sql"] for q in queries.captured_queries if "OFFSET" in q["sql"]]
    assert 'IN (SELECT' in rows_sql


def test_a_list_that_ends_on_its_page_is_counted_from_the_page(api_member, book):
    # A date range is not tallied (leads/tally.py): such a list is counted by a query,
    # unless its page shows where it ends.
    view = {"created_after": "2000-01-01", "limit": 50}
    with CaptureQueriesContext(connection) as queries:
        page = api_member.get("/leads", **view).json()
    assert page["count"] == len(page["items"]) == 23
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"]]
    assert api_member.get("/leads", offset=20, **view).json()["count"] == 23
    past_the_end = api_member.get("/leads", offset=40, **view).json()
    assert past_the_end["items"] == [] and past_the_end["count"] == 23  # counted
    first = api_member.get("/leads", **{**view, "limit": 5}).json()
    assert first["count"] == 23 and first["next_cursor"]


@pytest.mark.parametrize("view", [{"search": "shop"}, {"created_after": "2000-01-01"}])
def test_a_list_counted_lead_by_lead_is_counted_up_to_the_cap(api_member, book, monkeypatch,
                                                             view):
    # As the table's "1,000+": a search or a date range costs a count of every match, so
    # it is counted only as far as the cap, and count_capped says more match.
    monkeypatch.setattr(paging, "DEFAULT_CAP", 10)
    first = api_member.get("/leads", limit=4, **view).json()
    assert (first["count"], first["count_capped"]) == (10, True)
    second = api_member.get("/leads", limit=4, cursor=first["next_cursor"], **view).json()
    assert (second["count"], second["count_capped"]) == (10, True)
    ids, _ = walk(api_member, **view)
    assert len(ids) == 23  # the walk itself is not capped


@pytest.mark.parametrize("view", [{"search": "shop"}, {"created_after": "2000-01-01"}])
def test_exact_count_counts_every_match(api_member, book, monkeypatch, view):
    monkeypatch.setattr(paging, "DEFAULT_CAP", 10)
    first = api_member.get("/leads", limit=4, exact_count="true", **view).json()
    assert (first["count"], first["count_capped"]) == (23, False)
    second = api_member.get("/leads", limit=4, cursor=first["next_cursor"], **view).json()
    assert (second["count"], second["count_capped"]) == (23, False)  # carried


def test_a_list_within_the_cap_and_a_tallied_list_are_counted_exactly(api_member, book,
                                                                     monkeypatch):
    monkeypatch.setattr(paging, "DEFAULT_CAP", 30)
    searched = api_member.get("/leads", search="shop", limit=4).json()
    assert (searched["count"], searched["count_capped"]) == (23, False)
    monkeypatch.setattr(paging, "DEFAULT_CAP", 10)
    tallied = api_member.get("/leads", temperature="cold", limit=4).json()
    assert (tallied["count"], tallied["count_capped"]) == (12, False)
