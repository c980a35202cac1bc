"""The API's interactive docs work with no internet access: everything comes from Leadbook,
and a request tried from the page reaches the API with a token."""

from playwright.sync_api import expect

from leadbook.accounts.services import create_api_token


def _offline(page, live_server):
    """Refuse every request that leaves Leadbook, and remember it."""
    outside: list[str] = []

    def route(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    return outside


def test_the_docs_render_and_try_a_request_offline(page, live_server, admin):
    outside = _offline(page, live_server)
    _, token = create_api_token(user=admin, name="Docs")
    page.goto("/api/v2/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Leadbook API")
    expect(page.locator("#operations-Leads-leadbook_api_leads_list_leads")).to_be_visible()

    page.locator(".auth-wrapper button.authorize").click()
    dialog = page.locator(".modal-ux")
    dialog.locator("input").first.fill(token)
    dialog.locator(".auth-btn-wrapper button.authorize").click()
    dialog.locator(".auth-btn-wrapper button.btn-done").click()

    operation = page.locator("#operations-Lists-leadbook_api_choices_list_statuses")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    expect(operation.locator(".live-responses-table tbody .response-col_status")
           ).to_contain_text("200")
    expect(operation.locator(".live-responses-table")).to_contain_text("Contacted")
    assert outside == []
