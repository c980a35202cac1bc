"""keyset.read_after looking for a filtered page among the whole list's first leads first.

Whatever the probe finds or misses, the page must be the one the filtered query gives: the
same leads in the same order, from the start or after any cursor, in every ordering."""

import datetime

import pytest
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leadbook.leads import keyset
from leadbook.leads.filters import ORDERINGS, LeadFilter
from leadbook.leads.models import Lead

ALL_ORDERINGS = [*ORDERINGS, *(f"-{key}" for key in ORDERINGS)]
PAGE = 4
# The probe is SQLite's (LeadFilter.whole_list gives no whole list elsewhere), and so is its
# query.
only_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's probe")


@pytest.fixture
def book(make_lead, admin, member):
    """30 leads with ties in every column, NULLs in the nullable ones, warm every other one,
    Wholesale every third."""
    now = timezone.now().replace(microsecond=0)
    leads = [make_lead(name=f"Shop {i % 6}", temperature=["cold", "warm"][i % 2],
                       owner=[None, admin, member][i % 3],
                       lead_types=[["Wholesale"], ["Collab"], []][i % 3]) for i in range(30)]
    for i, lead in enumerate(leads):
        Lead.objects.filter(pk=lead.pk).update(
            last_outreach_at=None if i % 4 == 0 else now - datetime.timedelta(days=i % 3),
            next_follow_up_on=None if i % 2 else now.date() + datetime.timedelta(days=i % 5))
    return leads


def whole(view: LeadFilter):
    """The list `view` narrows down (what LeadFilter.whole_list gives on SQLite)."""
    return LeadFilter(active=view.active, ordering=view.ordering).apply(Lead.objects.all())


def pages(view: LeadFilter, *, within: bool) -> list[list[int]]:
    """Every page of the view, each read after the previous page's last lead."""
    leads = view.apply(Lead.objects.all())
    whole_list = whole(view) if within else None
    result, cursor = [], None
    while True:
        rows = keyset.read_after(leads, view.ordering, cursor, limit=PAGE + 1,
                                 within=whole_list)
        result.append([lead.pk for lead in rows[:PAGE]])
        if len(rows) <= PAGE:
            return result
        cursor = keyset.make_cursor(view.ordering, rows[PAGE - 1].pk)


@only_sqlite
@pytest.mark.parametrize("ordering", ALL_ORDERINGS)
def test_a_filtered_walk_is_the_same_with_the_probe(book, monkeypatch, ordering):
    for params in ({"temperature": "warm"}, {"lead_type": "Wholesale"},
                   {"temperature": "warm", "lead_type": "Collab"}):
        view = LeadFilter.from_params({**params, "ordering": ordering})
        expected = pages(view, within=False)
        assert sum(map(len, expected)) == view.apply(Lead.objects.all()).count() > PAGE
        # 2: smaller than a page, so the probe never holds one and the filtered query runs;
        # 9: some pages are found among the first leads, others not; 1000: the whole book
        # (the last, short page is then read again by the filtered query).
        for probe_rows in (2, 9, 1000):
            monkeypatch.setattr(keyset, "PROBE_ROWS", probe_rows)
            assert pages(view, within=True) == expected, (params, probe_rows)


def _queries(view: LeadFilter, *, within=None) -> list[str]:
    base = Lead.objects.all()
    with CaptureQueriesContext(connection) as captured:
        keyset.read_after(view.apply(base), view.ordering, None, limit=PAGE + 1,
                          within=within)
    return [q["sql"] for q in captured.captured_queries]


@only_sqlite
def test_a_dense_filter_is_read_from_the_first_leads_only(book, monkeypatch):
    monkeypatch.setattr(keyset, "PROBE_ROWS", 12)  # 6 warm among them: a page and one more
    view = LeadFilter.from_params({"temperature": "warm"})
    probe, page = _queries(view, within=whole(view))
    # The first leads of the whole list walked in order, each checked, until a page passes.
    assert '"temperature"' in probe and "LIMIT 12) AS probe CROSS JOIN" in probe
    assert "probe" not in page  # the page's leads, read by their ids


@only_sqlite
def test_a_rare_filter_falls_back_to_its_own_query(book, monkeypatch):
    monkeypatch.setattr(keyset, "PROBE_ROWS", 12)  # 2 Wholesale and warm among them
    view = LeadFilter.from_params({"temperature": "warm", "lead_type": "Wholesale"})
    probe, page = _queries(view, within=whole(view))
    assert "LIMIT 12) AS probe CROSS JOIN" in probe
    assert f"LIMIT {PAGE + 1}" in page and "probe" not in page


@pytest.mark.parametrize("params", [{}, {"ordering": "-created"}, {"search": "shop"},
                                    {"active": "false"}])
def test_nothing_is_probed_when_the_view_narrows_nothing_or_searches(book, params):
    assert LeadFilter.from_params(params).whole_list(Lead.objects.all()) is None


def test_only_sqlite_probes(book):
    # PostgreSQL's planner walks the sort index itself for a filter many leads pass.
    probed = LeadFilter.from_params({"temperature": "warm"}).whole_list(Lead.objects.all())
    assert (probed is not None) == (connection.vendor == "sqlite")


@pytest.mark.parametrize("ordering", ALL_ORDERINGS)
def test_a_cursor_made_from_a_lead_in_hand_is_the_one_read_from_the_database(book, ordering):
    def payload(cursor: str):  # without the signature's timestamp, a second apart at times
        return signing.loads(cursor, salt=keyset.SALT)

    for lead in Lead.objects.select_related("status").filter(pk__in=[b.pk for b in book[:6]]):
        assert payload(keyset.make_cursor(ordering, lead.pk, lead=lead)) == payload(
            keyset.make_cursor(ordering, lead.pk))
