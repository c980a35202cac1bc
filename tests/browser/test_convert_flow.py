from playwright.sync_api import expect

from leadbook.conversions.models import Podcast, Retailer
from leadbook.leads.models import Lead
from tests.browser.conftest import sign_in


def test_convert_a_multi_type_lead_from_the_row_menu(page, member, make_lead):
    make_lead(name="Juniper & Vine", email="dana@juniper.example.com", city="Austin",
              lead_types=["Wholesale", "Podcast Host"])
    sign_in(page, "sam")
    page.goto("/leads/")
    page.get_by_role("button", name="Actions for Juniper & Vine").click()
    page.get_by_role("link", name="Convert").click()

    dialog = page.get_by_role("dialog", name="Convert — Juniper & Vine")
    into = dialog.get_by_label("Into")
    expect(into.locator("option")).to_have_text(["Retailer", "Podcast", "Customer"])
    expect(dialog.get_by_label("Email")).to_have_value("dana@juniper.example.com")

    # Switching target swaps the fields and keeps the contact details being reviewed.
    dialog.get_by_label("City").fill("Round Rock")
    into.select_option("podcast")
    expect(dialog.get_by_label("Start date")).to_be_visible()
    expect(dialog.get_by_label("City")).to_have_value("Round Rock")
    into.select_option("retailer")
    dialog.get_by_label("Consignment").check()
    dialog.get_by_label("Rent ($)").fill("250")
    dialog.get_by_label("Commission rate (%)").fill("130")
    dialog.get_by_role("button", name="Convert").click()

    expect(dialog.get_by_text("less than or equal to 100")).to_be_visible()
    expect(dialog.get_by_label("Rent ($)")).to_have_value("250")
    dialog.get_by_label("Commission rate (%)").fill("30")
    dialog.get_by_role("button", name="Convert").click()

    row = page.locator("#leads tbody tr", has_text="Juniper & Vine")
    expect(row).to_contain_text("Converted")
    expect(row).to_contain_text("Won")
    retailer = Retailer.objects.get()
    assert (retailer.city, retailer.kind, retailer.commission_rate) == ("Round Rock",
                                                                        "consignment", 30)

    # The same lead can still become a podcast, but not a retailer again.
    page.get_by_role("button", name="Actions for Juniper & Vine").click()
    page.get_by_role("link", name="Convert").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Into").locator("option")).to_have_text(["Podcast", "Customer"])
    dialog.get_by_label("Host").check()
    dialog.get_by_role("button", name="Convert").click()
    expect(dialog).to_be_hidden()
    assert Podcast.objects.get().role == "host"
    assert Lead.objects.get().converted

    page.get_by_role("link", name="Retailers").click()
    expect(page.locator("#records")).to_contain_text("Juniper & Vine")
    expect(page.locator("#records")).to_contain_text("30%")
