import csv
import io
import re
from pathlib import Path

from playwright.sync_api import expect

from leadbook.accounts.middleware import FirstRunMiddleware
from leadbook.accounts.models import User
from leadbook.leads.models import Lead
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD


def test_first_visit_creates_the_admin_account(page, transactional_db):
    FirstRunMiddleware.setup_done = False
    page.goto("/")
    expect(page.get_by_role("heading", name="Welcome to Leadbook")).to_be_visible()
    page.get_by_label("Username").fill("dana")
    page.get_by_label("Email").fill("dana@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create admin account").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_text("No leads yet")).to_be_visible()
    assert User.objects.get().role == "admin"


def test_add_a_lead_fix_an_error_and_find_it_in_the_table(page, member):
    sign_in(page, "sam")
    page.goto("/leads/")
    expect(page.get_by_text("No leads yet")).to_be_visible()
    page.keyboard.press("n")  # the new-lead shortcut
    expect(page.get_by_role("heading", name="Add lead")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Juniper & Vine")
    page.get_by_label("Email").fill("dana@juniper")
    page.get_by_label("City").fill("Austin")
    page.get_by_label("Warm").check()
    page.get_by_label("Wholesale").check()
    page.get_by_role("button", name="Add lead", exact=True).click()

    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()
    expect(page.get_by_label("City")).to_have_value("Austin")  # nothing typed is lost
    expect(page.get_by_label("Wholesale")).to_be_checked()
    page.get_by_label("Email").fill("dana@juniper.example.com")
    page.get_by_role("button", name="Add lead", exact=True).click()

    expect(page.get_by_role("heading", name="Juniper & Vine")).to_be_visible()
    page.get_by_role("link", name="← All Leads").click()
    row = page.locator("#leads tbody tr", has_text="Juniper & Vine")
    expect(row).to_contain_text("dana@juniper.example.com")
    expect(row).to_contain_text("Warm")
    expect(row).to_contain_text("Wholesale")


def test_filter_and_search_update_the_table_and_the_address(page, member, make_lead,
                                                           live_server):
    def live_url(path):
        return live_server.url + path

    make_lead(name="Juniper & Vine", city="Austin", temperature="warm", lead_types=["Wholesale"])
    make_lead(name="Corner Cup", city="Austin", lead_types=["Consignment"])
    make_lead(name="The Makers Hour", city="Nashville", lead_types=["Podcast Guest"])
    sign_in(page, "sam")
    page.goto("/leads/")
    rows = page.locator("#leads tbody tr")
    expect(rows).to_have_count(3)

    page.get_by_label("Temperature").select_option("warm")
    expect(rows).to_have_count(1)
    expect(page).to_have_url(live_url("/leads/?temperature=warm"))
    page.locator(".lb-chip", has_text="Temp: Warm").get_by_role("link").click()
    expect(rows).to_have_count(3)

    page.keyboard.press("/")
    page.keyboard.type("austin")
    expect(rows).to_have_count(2)
    expect(page).to_have_url(live_url("/leads/?search=austin"))
    expect(page.get_by_label("Temperature")).to_have_value("")
    name_header = page.get_by_role("link", name="Name")
    expect(name_header).to_have_attribute("href", "/leads/?search=austin&ordering=-name")
    name_header.click()  # sort descending
    expect(page).to_have_url(live_url("/leads/?search=austin&ordering=-name"))
    expect(rows.first).to_contain_text("Juniper & Vine")

    page.go_back()
    expect(rows.first).to_contain_text("Corner Cup")


def test_set_inactive_and_find_it_under_inactive(page, member, make_lead):
    make_lead(name="Kit & Kin")
    make_lead(name="Corner Cup")
    sign_in(page, "sam")
    page.goto("/leads/")
    page.get_by_role("button", name="Actions for Kit & Kin").click()
    page.get_by_role("button", name="Set Inactive").click()
    row = page.locator("#leads tbody tr", has_text="Kit & Kin")
    expect(row).to_contain_text("Inactive")
    expect(page.locator(".lb-toast")).to_contain_text("Kit & Kin is inactive")
    assert not Lead.objects.get(name="Kit & Kin").is_active

    page.reload()
    expect(page.locator("#leads tbody tr")).to_have_count(1)
    page.get_by_text("More filters").click()
    page.get_by_label("Showing").select_option("false")
    expect(page.locator("#leads tbody tr")).to_have_count(1)
    expect(page.locator("#leads tbody tr")).to_contain_text("Kit & Kin")


def test_export_downloads_the_view_as_a_spreadsheet_safe_csv(page, member, make_lead):
    make_lead(name="Café Olé", city="Austin", phone="+1 512 555 0142", temperature="warm")
    make_lead(name="Cold Shop", city="Dallas")
    sign_in(page, "sam")
    page.goto("/leads/?temperature=warm")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export").click()
    download = download_info.value
    assert download.suggested_filename.startswith("leads-") and \
        download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert [(r["Name"], r["City"], r["Phone"]) for r in rows] == [
        ("Café Olé", "Austin", "'+1 512 555 0142")]


def test_next_and_previous_page_through_the_table(page, member, make_lead, settings):
    settings.LEADS_PER_PAGE = 2
    for name in ("Alder", "Birch", "Cedar", "Dogwood", "Elm"):
        make_lead(name=name)
    sign_in(page, "sam")
    page.goto("/leads/")
    names = page.locator("#leads tbody tr td.lb-name a")
    expect(names).to_have_text(["Alder", "Birch"])
    expect(page.get_by_text("1–2 of 5")).to_be_visible()
    page.get_by_role("link", name="Next page").click()
    expect(names).to_have_text(["Cedar", "Dogwood"])
    expect(page).to_have_url(re.compile(r"page=2&after="))  # the address keeps the place
    page.get_by_role("link", name="Next page").click()
    expect(names).to_have_text(["Elm"])
    expect(page.get_by_text("5–5 of 5")).to_be_visible()
    page.reload()  # a reload shows the same page
    expect(names).to_have_text(["Elm"])
    page.get_by_role("link", name="Previous page").click()
    expect(names).to_have_text(["Cedar", "Dogwood"])
    page.get_by_role("link", name="Previous page").click()
    expect(names).to_have_text(["Alder", "Birch"])
