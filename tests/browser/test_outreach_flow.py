import re

from playwright.sync_api import expect

from leadbook.leads.models import Lead
from tests.browser.conftest import sign_in


def test_log_outreach_from_the_row_menu(page, member, make_lead):
    make_lead(name="Juniper & Vine", owner=member)
    sign_in(page, "sam")
    page.goto("/leads/")
    page.get_by_role("button", name="Actions for Juniper & Vine").click()
    page.get_by_role("link", name="Outreach", exact=True).click()

    dialog = page.get_by_role("dialog", name="Log outreach — Juniper & Vine")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Call").check()
    dialog.get_by_label("Notes").fill("Left a voicemail about the spring line")
    dialog.get_by_label("Follow up", exact=True).select_option(label="In 1 week")
    expect(dialog.get_by_label("Follow up on")).not_to_have_value("")
    dialog.get_by_role("button", name="Log it").click()

    expect(dialog).to_be_hidden()
    row = page.locator("#leads tbody tr", has_text="Juniper & Vine")
    expect(row.locator(".lb-dot")).to_have_attribute("aria-label", re.compile(r"^Pending, "))
    expect(row).to_contain_text("Contacted")  # the first outreach moved it on from New
    expect(page.locator(".lb-toast")).to_contain_text("Logged outreach with Juniper & Vine")
    lead = Lead.objects.get()
    assert lead.pending and lead.outreach.get().notes.startswith("Left a voicemail")

    page.get_by_role("link", name="Juniper & Vine").click()
    expect(page.locator("#timeline")).to_contain_text("Left a voicemail about the spring line")


def test_the_outreach_dialog_keeps_input_when_it_has_errors_and_escape_closes_it(
        page, member, make_lead):
    make_lead(name="Corner Cup")
    sign_in(page, "sam")
    page.goto("/leads/")
    page.get_by_role("button", name="Actions for Corner Cup").click()
    page.get_by_role("link", name="Outreach", exact=True).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Notes").fill("Typed before the mistake")
    dialog.get_by_label("When").fill("2099-01-01T10:00")
    dialog.get_by_role("button", name="Log it").click()
    expect(dialog.get_by_text("Outreach is logged once it has happened")).to_be_visible()
    expect(dialog.get_by_label("Notes")).to_have_value("Typed before the mistake")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert not Lead.objects.get().last_outreach_at
