from playwright.sync_api import expect

from leadbook.audit.models import AuditEntry
from leadbook.leads.models import Lead
from tests.browser.conftest import sign_in


def test_delete_a_lead_restore_it_from_the_trash_then_erase_it(page, browser, live_server,
                                                               member, admin, make_lead):
    lead = make_lead(name="Corner Cup", email="ana@cornercup.example.com", owner=member)
    sign_in(page, "sam")
    page.goto(f"/leads/{lead.pk}/")
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Corner Cup is in the trash")).to_be_visible()

    page.get_by_role("navigation").get_by_role("link", name="Trash").click()
    expect(page.get_by_role("heading", name="Trash")).to_be_visible()
    row = page.locator("#trash tbody tr", has_text="Corner Cup")
    expect(row).to_contain_text("ana@cornercup.example.com")
    expect(row).to_contain_text("Sam Ortiz")  # who deleted it
    expect(row.get_by_text("Erase personal data")).to_have_count(0)  # admins only
    row.get_by_role("button", name="Restore Corner Cup").click()
    expect(page.get_by_role("heading", name="Corner Cup")).to_be_visible()
    assert Lead.objects.filter(pk=lead.pk).exists()

    page.get_by_role("button", name="Delete").click()
    admin_context = browser.new_context(base_url=live_server.url)
    admin_page = admin_context.new_page()
    try:
        sign_in(admin_page, "dana")
        admin_page.goto("/leads/trash/")
        row = admin_page.locator("#trash tbody tr", has_text="Corner Cup")
        row.get_by_text("Erase personal data").click()
        row.get_by_label("Erase for good").check()
        row.get_by_role("button", name="Erase Corner Cup for good").click()
        expect(admin_page.get_by_text("personal data is erased for good")).to_be_visible()
        expect(admin_page.get_by_text("The trash is empty")).to_be_visible()
    finally:
        admin_context.close()
    assert not Lead.all_objects.filter(pk=lead.pk).exists()
    assert AuditEntry.objects.filter(action="lead.erased", actor=admin).exists()
