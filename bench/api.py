"""The REST API at scale (issue: REST API): list and get-one latency, p50/p95.

Server-side: Django's test client in this process (no network), with a real token, so the
token check and the rate-limit bookkeeping are part of every request. Through HTTP: the same
requests against `leadbook serve` (gunicorn) on loopback, as an API client sees them.
"""

import itertools
import json
import urllib.request
from urllib.parse import quote

from django.test import Client

from bench.common import running_server, time_calls
from bench.table import sample_email

LISTS = {
    "list: default (50 leads)": "/api/v2/leads",
    "list: status + lead type": "/api/v2/leads?status=Qualified&lead_type=Wholesale",
    "list: sorted by last outreach": "/api/v2/leads?ordering=-last_outreach",
    "list: search a name fragment": "/api/v2/leads?search=junip",
    "list: search an email": None,  # filled in at run time
    "list: deep page (cursor)": None,
    "list: deep offset": None,
    "list: 500 leads": "/api/v2/leads?limit=500",
}


def _setup(total: int) -> tuple[str, list[int], dict[str, str]]:
    from django.conf import settings

    from leadbook.accounts.models import User
    from leadbook.accounts.services import create_api_token
    from leadbook.leads.models import Lead

    # Rate limiting stays on (its bookkeeping is part of each request's cost) but high.
    settings.API_RATE_LIMIT = 10_000_000
    user = User.objects.filter(role="admin").first() or User.objects.create_user(
        username="bench", password="bench-password-42", role="admin")
    _, token = create_api_token(user=user, name="Benchmark")
    ids = list(Lead.objects.order_by("?").values_list("pk", flat=True)[:200])
    lists = dict(LISTS)
    lists["list: search an email"] = f"/api/v2/leads?search={quote(sample_email(total))}"
    lists["list: deep offset"] = f"/api/v2/leads?offset={total // 2}"
    # A cursor half-way down the default list: the next_cursor of the page at that offset
    # (the API answers next_cursor since the cursor pagination landed; without, no cursor).
    response = Client().get(lists["list: deep offset"],
                            headers={"Authorization": f"Bearer {token}"})
    next_cursor = response.json().get("next_cursor")
    if next_cursor:
        lists["list: deep page (cursor)"] = f"/api/v2/leads?cursor={quote(next_cursor)}"
    else:
        del lists["list: deep page (cursor)"]
    return token, ids, lists


def run(data_dir: str, total: int, repeat: int) -> dict:
    token, ids, lists = _setup(total)
    auth = {"Authorization": f"Bearer {token}"}
    client = Client()
    results: dict = {"server_side": {}, "http": {}}

    def check(status: int, body: bytes, url: str) -> None:
        assert status == 200, (url, status, body[:200])

    for label, url in lists.items():
        def get(url=url):
            response = client.get(url, headers=auth)
            check(response.status_code, response.content, url)
        results["server_side"][label] = time_calls(get, repeat)
    one = itertools.cycle(ids)

    def get_one():
        url = f"/api/v2/leads/{next(one)}"
        response = client.get(url, headers=auth)
        check(response.status_code, response.content, url)
    results["server_side"]["get one lead"] = time_calls(get_one, repeat)

    with running_server(data_dir, extra_env={"LEADBOOK_API_RATE_LIMIT": "10000000"}) as base:
        def fetch(url: str) -> None:
            request = urllib.request.Request(base + url, headers=auth)
            with urllib.request.urlopen(request) as response:
                check(response.status, json.dumps(json.load(response)).encode(), url)

        for label, url in lists.items():
            results["http"][label] = time_calls(lambda url=url: fetch(url), repeat)
        results["http"]["get one lead"] = time_calls(
            lambda: fetch(f"/api/v2/leads/{next(one)}"), repeat)
    return results
