"""The dashboard page: who sees it, what it shows, and that every number on a chart is one
click from a leads table showing exactly that many leads."""

from urllib.parse import urlsplit

import pytest

from leadbook.dashboard import stats


def test_it_sends_an_outsider_to_sign_in(client, db):
    response = client.get("/?period=30d")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_a_new_install_gets_a_friendly_start_instead_of_empty_charts(admin_client):
    response = admin_client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "No leads yet" in html and "+ Add a lead" in html
    assert "<svg" not in html and 'aria-label="Period"' not in html


def test_a_viewer_sees_the_charts_but_no_add_button(viewer_client, book):
    html = viewer_client.get("/").content.decode()
    assert "Lifecycle funnel" in html and "+ Lead" not in html


def test_it_shows_every_chart_with_its_numbers_for_the_period(member_client, book):
    response = member_client.get("/?period=90d")
    html = response.content.decode()
    charts = response.context["charts"]
    assert set(charts) == {"funnel", "win_loss", "new_leads", "types", "conversions"}
    for chart in charts.values():
        assert f'id="{chart.chart_id}"' in html and "Show numbers" in html
        assert 'role="img"' in str(chart.svg)
    assert [row.cells[0].text for row in charts["funnel"].rows] == ["8", "5", "4", "1"]
    assert charts["win_loss"].extra["win_rate"] == "33%"
    assert "Follow-ups due" in html and "Juniper" in html
    assert 'aria-current="page" href="?period=90d"' in html
    assert "Leads added in the last 90 days" in html
    assert 'href="/static/leadbook/charts.css"' in html


def test_an_unknown_period_falls_back_to_the_default(member_client, book):
    response = member_client.get("/?period=forever")
    assert response.context["period"].key == stats.DEFAULT_PERIOD


def test_a_period_without_leads_says_so_in_each_chart(member_client, make_lead):
    from leadbook.leads.models import Lead
    from tests.dashboard.conftest import days_ago

    Lead.objects.filter(pk=make_lead(name="Old").pk).update(created_at=days_ago(300))
    response = member_client.get("/?period=30d")
    charts = response.context["charts"]
    assert charts["funnel"].empty and charts["new_leads"].empty
    assert "No leads added in the last 30 days" in response.content.decode()


def table_count(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    assert not response.context["errors"], (url, response.context["errors"])
    return response.context["page"].paginator.count


@pytest.mark.parametrize("period,oldest_days", [("30d", None), ("all", None), ("all", 900)])
def test_every_linked_figure_equals_the_count_of_the_table_it_opens(member_client, book,
                                                                    make_lead, period,
                                                                    oldest_days):
    if oldest_days:  # years of leads: the columns are months
        from leadbook.leads.models import Lead
        from tests.dashboard.conftest import days_ago

        Lead.objects.filter(pk=make_lead(name="Pioneer").pk).update(
            created_at=days_ago(oldest_days))
    response = member_client.get(f"/?period={period}")
    assert response.context["tally"].unit == ("month" if oldest_days else "week")
    charts = response.context["charts"]
    checked = 0
    for chart in charts.values():
        zeros = 0
        for row in chart.rows:
            for cell in row.cells:
                if not cell.url.startswith("/leads/"):
                    continue
                figure = int(cell.text.replace(",", ""))
                zeros += not figure
                if zeros > 5 and not figure:
                    continue  # weeks of nothing: a few of them make the point
                assert table_count(member_client, cell.url) == figure, (chart.title,
                                                                         row.label, cell.url)
                checked += 1
    assert checked > 20


def test_the_figure_tiles_open_the_table_with_their_numbers(member_client, book):
    response = member_client.get("/?period=90d")
    context = response.context
    assert table_count(member_client, context["added_url"]) == context["tally"].total == 8
    assert table_count(member_client, context["won_url"]) == context["funnel"].won == 1


def test_conversion_bars_open_their_sections_newest_first(member_client, book):
    chart = member_client.get("/").context["charts"]["conversions"]
    customers = chart.rows[0]
    assert customers.label == "Customers" and customers.cells[0].text == "1"
    assert urlsplit(customers.cells[0].url).path == "/customers/"
    assert member_client.get(customers.cells[0].url).status_code == 200


def test_a_change_shows_at_once_and_otherwise_the_figures_are_kept(
        member_client, admin, book, django_assert_max_num_queries):
    from leadbook.leads import services
    from leadbook.leads.models import Status

    first = member_client.get("/?period=90d").context["funnel"]
    with django_assert_max_num_queries(20):  # kept: no reading the leads again (cold: 29)
        assert member_client.get("/?period=90d").context["funnel"] == first
    services.update_lead(lead=book["podcast"], actor=admin,
                         status=Status.objects.get(name="Won"))
    after = member_client.get("/?period=90d").context["funnel"]
    assert (after.won, after.reached["won"]) == (first.won + 1, first.reached["won"] + 1)
