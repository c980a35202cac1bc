"""The dashboard in a real browser: charts drawn without scripts, readable by screen
readers, their numbers one click away, each element opening the table it counts."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.dashboard.conftest import _fresh_dashboard_cache, book  # noqa: F401 (fixtures)


def test_a_new_install_says_what_to_do_first(page, member):
    sign_in(page, "sam")
    expect(page.get_by_role("heading", name="No leads yet")).to_be_visible()
    expect(page.get_by_role("link", name="+ Add a lead")).to_be_visible()


@pytest.mark.usefixtures("book")
def test_the_charts_read_out_and_open_the_leads_they_count(page):
    sign_in(page, "sam")
    page.goto("/?period=90d")
    funnel = page.get_by_role("img", name="Lifecycle funnel")
    expect(funnel).to_be_visible()
    expect(page.get_by_role("heading", name="Lifecycle funnel")).to_be_visible()
    # The numbers behind the chart, one click away.
    figure = page.locator("#funnel")
    figure.get_by_text("Show numbers").click()
    expect(figure.get_by_role("row", name=re.compile("Opportunity"))).to_contain_text("4")

    # A bar is a link to the table of exactly those leads.
    figure.get_by_role("link", name=re.compile(r"^Opportunity: 4 \(80% of Qualified")).click()
    expect(page).to_have_url(re.compile(r"/leads/\?.*reached=opportunity"))
    expect(page.locator("#lead-chips")).to_contain_text("1–4 of 4")
    expect(page.locator("#lead-chips")).to_contain_text("Reached: Opportunity")
    for name in ("Podcast Pals", "Corner Cup", "Kit & Kin", "Sleepy Shop"):
        expect(page.locator("#leads")).to_contain_text(name)


@pytest.mark.usefixtures("book")
def test_a_week_of_new_leads_opens_that_week_in_the_table(page):
    sign_in(page, "sam")
    page.goto("/?period=30d")
    total = page.locator("#new-leads svg a.lb-chart-mark", has=page.locator(
        "text.lb-chart-total")).last
    shown = total.locator("text").text_content()
    total.click()
    expect(page).to_have_url(re.compile(r"created_after=.*created_before="))
    expect(page.locator("#lead-chips")).to_contain_text(f"of {shown}")


@pytest.mark.usefixtures("book")
def test_the_period_is_in_the_address_and_changes_the_charts(page):
    sign_in(page, "sam")
    page.goto("/")
    page.get_by_role("link", name="All time").click()
    expect(page).to_have_url(re.compile(r"\?period=all$"))
    expect(page.get_by_role("link", name="All time")).to_have_attribute("aria-current",
                                                                       "page")
    expect(page.locator(".lb-figure").first).to_contain_text("10")
    page.go_back()
    expect(page.locator(".lb-figure").first).to_contain_text("8")


@pytest.mark.usefixtures("book")
def test_at_phone_width_nothing_spills_sideways(page):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "sam")
    page.goto("/?period=all")
    expect(page.get_by_role("img", name="New leads per week, by source")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
