"""The pipeline board in a real browser: drag a card, move one from the keyboard, a stale
card, and the board without JavaScript."""

from playwright.sync_api import expect

from leadbook.leads import services
from leadbook.leads.models import Lead, Status
from tests.browser.conftest import sign_in


def column(page, name: str):
    pk = Status.objects.get(name=name).pk
    return page.locator(f'[data-board-column="{pk}"]')


def count(page, name: str):
    return page.locator(f"#board-count-{Status.objects.get(name=name).pk}")


def test_drag_a_card_to_another_column_and_it_is_still_there_after_a_reload(page, member,
                                                                           make_lead):
    lead = make_lead(name="Juniper & Vine", lead_types=["Wholesale"])
    make_lead(name="Corner Cup")
    sign_in(page, "sam")
    page.goto("/leads/board/")
    card = page.locator(f"#card-{lead.pk}")
    expect(column(page, "New").locator(f"#card-{lead.pk}")).to_be_visible()
    expect(count(page, "New")).to_have_text("2")

    card.drag_to(column(page, "Qualified"))

    expect(column(page, "Qualified").locator(f"#card-{lead.pk}")).to_be_visible()
    expect(count(page, "Qualified")).to_have_text("1")
    expect(count(page, "New")).to_have_text("1")
    expect(page.locator("#toasts")).to_contain_text("Moved Juniper & Vine to Qualified.")
    page.reload()
    expect(column(page, "Qualified").locator(f"#card-{lead.pk}")).to_be_visible()
    expect(column(page, "New").locator(f"#card-{lead.pk}")).to_have_count(0)
    lead.refresh_from_db()
    assert lead.status.name == "Qualified"
    assert lead.history.latest().history_user.username == "sam"


def test_move_a_card_from_its_menu_with_the_keyboard(page, member, make_lead):
    lead = make_lead(name="Juniper & Vine")
    sign_in(page, "sam")
    page.goto("/leads/board/")
    menu = page.get_by_label("Actions for Juniper & Vine")
    menu.focus()
    page.keyboard.press("Enter")
    move_to = page.locator(f"#card-{lead.pk}").get_by_role("button", name="Proposal Sent")
    move_to.focus()
    page.keyboard.press("Enter")

    expect(column(page, "Proposal Sent").locator(f"#card-{lead.pk}")).to_be_visible()
    # The focus stays with the card, ready for the next move.
    expect(page.get_by_label("Actions for Juniper & Vine")).to_be_focused()
    assert Lead.objects.get().status.name == "Proposal Sent"


def test_a_stale_card_is_not_moved_and_goes_back_where_the_lead_is(page, member, admin,
                                                                   make_lead):
    lead = make_lead(name="Juniper & Vine")
    sign_in(page, "sam")
    page.goto("/leads/board/")
    card = page.locator(f"#card-{lead.pk}")
    expect(card).to_be_visible()
    services.update_lead(lead=lead, actor=admin, status=Status.objects.get(name="Won"))

    card.drag_to(column(page, "Qualified"))

    expect(page.locator("#toasts")).to_contain_text("while this board was open")
    expect(column(page, "Won").locator(f"#card-{lead.pk}")).to_be_visible()
    expect(count(page, "Won")).to_have_text("1")
    assert Lead.objects.get().status.name == "Won"


def test_without_javascript_a_card_moves_from_its_column_page(browser, live_server, member,
                                                              make_lead):
    lead = make_lead(name="Juniper & Vine")
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, "sam")
        page.goto("/leads/board/")
        page.get_by_role("link", name="Show 1 lead").click()
        expect(page.get_by_role("heading", name="New")).to_be_visible()
        page.get_by_label("Actions for Juniper & Vine").click()
        page.locator(f"#card-{lead.pk}").get_by_role("button", name="Won").click()
        expect(page.get_by_text("Moved Juniper & Vine to Won.")).to_be_visible()
        expect(page.locator(f"#card-{lead.pk}")).to_have_count(0)  # gone from New
        assert Lead.objects.get().status.name == "Won"
    finally:
        context.close()


def test_the_board_at_phone_width_scrolls_its_columns_not_the_page(page, member,
                                                                   make_lead):
    make_lead(name="Juniper & Vine")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "sam")
    page.goto("/leads/board/")
    expect(page.get_by_text("Juniper & Vine")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate(
        "document.querySelector('.lb-board').scrollWidth > window.innerWidth")
