"""The leads table page and CSV export at scale (issue: foundation).

Server-side: Django's test client in this process (no network). Through HTTP: the same
requests against `leadbook serve` (gunicorn + whitenoise) on loopback. Export: the
`leadbook export_leads` command in a child process, timed, with its peak memory (run at
100k and at 1M leads, the two peaks say whether memory stays constant).

The deep page is page N/2 of the default view reached the way the table's pager goes there:
by the Next link of page N/2 - 1, which carries a cursor (keyset pagination, no OFFSET).
"""

import sys
import urllib.request

from bench.common import running_server, time_calls, timed_child

VIEWS = {
    "default view": "/leads/",
    "filtered status + lead type": "/leads/?status=Qualified&lead_type=Wholesale",
    "sorted by last outreach": "/leads/?ordering=-last_outreach",
    "search name fragment": "/leads/?search=junip",
    "search email": None,  # filled with a real email at run time
    "deep page": None,
}


def sample_email(total: int) -> str:
    """The email of a lead in the middle of the book (the search should find one lead)."""
    from leadbook.leads.models import Lead

    return Lead.objects.exclude(email="").order_by("id").values_list("email", flat=True)[
        total // 3]


def _views(total: int) -> dict:
    from urllib.parse import quote

    from django.conf import settings

    views = dict(VIEWS)
    views["search email"] = f"/leads/?search={quote(sample_email(total))}"
    views["deep page"] = _deep_page(total // settings.LEADS_PER_PAGE // 2)
    return views


def _deep_page(number: int) -> str:
    """Half-way down the default view, as the table reaches it: the Next link of the page
    before, which carries a cursor (that one page is read by number, once, untimed)."""
    import re
    from html import unescape

    from django.test import Client

    from leadbook.accounts.models import User

    client = Client()
    client.force_login(User.objects.filter(role="admin").first())
    html = client.get(f"/leads/?page={max(1, number - 1)}").content.decode()
    found = re.search(r'<a href="([^"]*)"[^>]*aria-label="Next page"', html)
    return unescape(found.group(1)) if found else f"/leads/?page={number}"


def run(data_dir: str, total: int, repeat: int) -> dict:
    from django.test import Client

    from leadbook.accounts.models import User

    user = User.objects.filter(role="admin").first() or User.objects.create_user(
        username="bench", password="bench-password-42", role="admin")
    client = Client()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    views = _views(total)

    results: dict = {"server_side": {}, "http": {}}
    for label, url in views.items():
        def get(url=url):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        results["server_side"][label] = time_calls(get, repeat)

    with running_server(data_dir) as base:
        for label, url in views.items():
            def fetch(url=url):
                request = urllib.request.Request(base + url, headers={"Cookie": cookie})
                with urllib.request.urlopen(request) as response:
                    response.read()
            results["http"][label] = time_calls(fetch, repeat)

    results["export"] = export_all(data_dir)
    return results


def export_all(data_dir: str) -> dict:
    """Export every lead with the CLI: wall time and the command's own peak memory."""
    import os

    target = os.path.join(data_dir, "export.csv")
    child = timed_child([sys.executable, "-m", "leadbook.cli", "export_leads", "--active",
                         "all", "-o", target], env={**os.environ, "LEADBOOK_DATA_DIR": data_dir})
    with open(target, encoding="utf-8") as f:
        rows = sum(1 for _ in f) - 1
    size = os.path.getsize(target)
    os.remove(target)
    return {"seconds": round(child["seconds"], 2), "rows": rows,
            "peak_rss_mb": child["peak_rss_mb"], "peak_tree_rss_mb": child["peak_tree_rss_mb"],
            "peak_private_mb": child["peak_private_mb"],
            "mb": round(size / 1e6, 1)}
