from leadbook.core.paging import CappedPaginator
from leadbook.leads.models import Lead


def test_counts_exactly_below_the_cap(make_lead):
    for n in range(5):
        make_lead(name=f"Shop {n}")
    paginator = CappedPaginator(Lead.objects.order_by("pk"), 2, cap=10)
    assert (paginator.count, paginator.capped, paginator.num_pages) == (5, False, 3)


def test_stops_counting_at_the_cap_and_always_offers_a_next_page(make_lead):
    for n in range(7):
        make_lead(name=f"Shop {n}")
    paginator = CappedPaginator(Lead.objects.order_by("pk"), 2, cap=3)
    page = paginator.get_page(1)
    assert paginator.capped and page.has_next()
    assert [lead.name for lead in page] == ["Shop 0", "Shop 1"]


def test_a_page_past_the_cap_counts_far_enough_to_show_it(make_lead):
    for n in range(7):
        make_lead(name=f"Shop {n}")
    paginator = CappedPaginator(Lead.objects.order_by("pk"), 2, cap=3, wanted_page="3")
    page = paginator.get_page(3)
    assert page.number == 3 and [lead.name for lead in page] == ["Shop 4", "Shop 5"]
    assert page.has_next()


def test_the_table_says_when_there_are_more_than_it_counted(member_client, make_lead,
                                                            monkeypatch, settings):
    from leadbook.core import paging

    monkeypatch.setattr(paging, "DEFAULT_CAP", 2)
    settings.LEADS_PER_PAGE = 1
    for n in range(4):
        make_lead(name=f"Shop {n}")
    # A search: the one view the tallies cannot count (leads/tally.py), so it is capped.
    page = member_client.get("/leads/?search=shop").content.decode()
    assert "1–1 of 2+" in page
    assert "of 4" in member_client.get("/leads/?search=shop&page=3").content.decode()
    tallied = member_client.get("/leads/").context["page"].paginator  # exact, not capped
    assert (tallied.count, tallied.capped) == (4, False)
