from urllib.parse import urlencode

import pytest

ENDPOINT = "/api/create-lead"
# What a browser sends with a form post from another website.
BROWSER_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Origin": "https://shop.example",
    "Referer": "https://shop.example/contact",
    "Sec-Fetch-Mode": "navigate",
    "User-Agent": "Mozilla/5.0 (test browser)",
}
GUIDE_FORM = {"first_name": "Dana", "last_name": "Reyes", "email": "dana@juniper.example"}


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    """Tests post many times from one address; the rate limit has tests of its own."""
    settings.CAPTURE_RATE_LIMIT = (0, 0)


@pytest.fixture
def default_form(db):
    from leadbook.capture.models import WebForm

    return WebForm.objects.get(is_default=True)


@pytest.fixture
def post_form(client, db):
    """Post fields as a browser posts an HTML form from another website."""

    def post(data, url=ENDPOINT, **headers):
        return client.post(url, urlencode(data, doseq=True),
                           content_type="application/x-www-form-urlencoded",
                           headers={**BROWSER_HEADERS, **headers})

    return post


@pytest.fixture
def post_json(client, db):
    """Post JSON as a script (fetch) does."""

    def post(data, url=ENDPOINT, **headers):
        return client.post(url, data, content_type="application/json",
                           headers={"Accept": "*/*", **headers})

    return post


@pytest.fixture
def make_form(db):
    from leadbook.capture.services import create_web_form
    from leadbook.leads.models import LeadType

    def make(name="Wholesale inquiries", lead_types=(), **values):
        types = [LeadType.objects.by_name(t) for t in lead_types]
        return create_web_form(name=name, lead_types=types, **values)

    return make
