"""A real browser on someone else's website: the pasted form and a script post to Leadbook.

The website is a second HTTP server on another port (another origin); Leadbook is the live
test server."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.signals import request_started
from playwright.sync_api import expect

from leadbook.capture.embed import embed_code
from leadbook.capture.models import Submission, WebForm
from leadbook.leads.models import Lead
from tests.browser.conftest import sign_in

GUIDE_FORM = """<!doctype html><html><head><meta charset="utf-8"><title>Juniper & Vine</title>
</head><body><h1>Stock our goods</h1>
<form action="{leadbook}/api/create-lead" method="POST">
    <input type="text" name="first_name" required>
    <input type="text" name="last_name" required>
    <input type="email" name="email" required>
    <input type="submit" value="Submit">
</form></body></html>"""


class OtherSite:
    """A website on its own origin that serves the pages a test gives it."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = pages.get(self.path)
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write((body or "not found").encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def default_form(transactional_db):
    return WebForm.objects.get(is_default=True)


@pytest.fixture
def other_site(settings):
    settings.CAPTURE_RATE_LIMIT = (0, 0)
    site = OtherSite()
    yield site
    site.close()


def test_the_guides_form_on_another_website_creates_a_lead(page, live_server, other_site,
                                                          admin):
    other_site.pages["/contact"] = GUIDE_FORM.format(leadbook=live_server.url)
    page.goto(other_site.url + "/contact")
    page.locator("input[name=first_name]").fill("Dana")
    page.locator("input[name=last_name]").fill("Reyes")
    page.locator("input[name=email]").fill("dana@juniper.example")
    page.get_by_role("button", name="Submit").click()

    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    assert page.url.startswith(live_server.url + "/api/create-lead/thanks")
    expect(page.get_by_role("link", name="Back to 127.0.0.1")).to_be_visible()
    lead = Lead.objects.get()
    assert (lead.name, lead.email, lead.source.name) == ("Dana Reyes", "dana@juniper.example",
                                                        "Website")
    assert Submission.objects.get().origin == other_site.url

    # In Leadbook the new web lead stands out until someone opens it.
    sign_in(page, "dana")
    page.goto("/leads/")
    row = page.locator("#leads tbody tr", has_text="Dana Reyes")
    expect(row.locator(".lb-unread-dot")).to_be_visible()
    row.get_by_role("link", name="Dana Reyes").click()
    expect(page.locator("#timeline")).to_contain_text("Sent the web form “Website”")
    page.goto("/leads/")
    expect(page.locator("#leads .lb-unread-dot")).to_have_count(0)


def test_a_visitor_who_misses_a_field_is_told_what_and_goes_back_to_the_form(
        page, live_server, other_site):
    other_site.pages["/contact"] = GUIDE_FORM.format(leadbook=live_server.url).replace(
        " required", "")  # a site without the browser's own checks
    page.goto(other_site.url + "/contact")
    page.locator("input[name=first_name]").fill("Dana")
    page.locator("input[name=last_name]").fill("Reyes")
    page.get_by_role("button", name="Submit").click()

    expect(page.get_by_role("heading", name="Please check the form")).to_be_visible()
    expect(page.locator("#problems")).to_contain_text("Email: This field is required.")
    page.get_by_role("link", name="Back to the form").click()
    page.wait_for_url(other_site.url + "/contact")
    expect(page.locator("input[name=first_name]")).to_have_value("Dana")
    assert not Lead.objects.exists()


# Run in the other website's page: a script posting JSON to Leadbook.
FETCH_JSON = """async (url) => {
    try {
        const response = await fetch(url, {
            method: "POST", headers: {"Content-Type": "application/json"},
            body: JSON.stringify({first_name: "Sam", last_name: "Ortiz",
                                  email: "sam@cornercup.example", company: "Corner Cup"})});
        return {status: response.status, body: await response.json()};
    } catch (error) { return {error: String(error)}; }
}"""


def test_a_script_on_another_website_posts_json_after_a_preflight(page, live_server, other_site,
                                                                 default_form):
    default_form.allowed_origins = other_site.url
    default_form.save()
    methods: list[str] = []

    def seen(sender, environ, **kwargs):
        if environ["PATH_INFO"] == "/api/create-lead":
            methods.append(environ["REQUEST_METHOD"])

    request_started.connect(seen)
    try:
        other_site.pages["/app"] = "<!doctype html><title>App</title><p>app</p>"
        page.goto(other_site.url + "/app")
        result = page.evaluate(FETCH_JSON, live_server.url + "/api/create-lead")
    finally:
        request_started.disconnect(seen)

    assert result["status"] == 201, result
    assert result["body"]["status"] == "accepted"
    assert methods == ["OPTIONS", "POST"]  # the browser asked first
    assert Lead.objects.get().company == "Corner Cup"


def test_a_script_on_a_website_not_allowed_is_blocked(page, live_server, other_site,
                                                      default_form):
    default_form.allowed_origins = "https://shop.example"
    default_form.save()
    other_site.pages["/app"] = "<!doctype html><title>App</title><p>app</p>"
    page.goto(other_site.url + "/app")
    result = page.evaluate(FETCH_JSON, live_server.url + "/api/create-lead")
    assert "error" in result  # the browser refuses: no CORS permission
    assert not Lead.objects.exists() and not Submission.objects.exists()


def test_the_pasted_embed_code_takes_people_and_quietly_drops_hasty_bots(
        page, live_server, other_site, default_form, settings):
    settings.SITE_URL = live_server.url
    default_form.min_fill_seconds = 2
    default_form.save()
    other_site.pages["/contact"] = (
        "<!doctype html><html><head><title>Contact</title></head><body>"
        + embed_code(default_form) + "</body></html>")

    page.goto(other_site.url + "/contact")  # a bot: fills and sends at once
    page.get_by_label("First name").fill("Bot")
    page.get_by_label("Email").fill("bot@spam.example")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()

    page.goto(other_site.url + "/contact")  # a person: takes a few seconds
    expect(page.locator("input[name=lb_hp]")).to_be_hidden()
    page.get_by_label("First name").fill("Dana")
    page.get_by_label("Last name").fill("Reyes")
    page.get_by_label("Email").fill("dana@juniper.example")
    time.sleep(2.2)
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()

    assert list(Lead.objects.values_list("email", flat=True)) == ["dana@juniper.example"]
    assert Submission.objects.get(outcome="spam").spam_reason == "too fast"


def test_the_copy_button_copies_the_embed_code(page, live_server, admin):
    form = WebForm.objects.get(is_default=True)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                   origin=live_server.url)
    sign_in(page, "dana")
    page.goto("/settings/web-forms/")
    page.get_by_role("link", name="Website", exact=True).click()
    expect(page.get_by_role("heading", name="Paste this into your website")).to_be_visible()
    page.get_by_role("button", name="Copy code").click()
    expect(page.get_by_text("Copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == embed_code(form)
