"""The dashboard and the pipeline board at scale (issue: dashboard and pipeline board).

Demo leads are bulk-loaded without history, so first the Lost leads get the history a real
book would have (created at New, a proposal before the loss): the funnel reads it. Then,
server-side through Django's test client: each dashboard period with its figures cache
emptied before every request ("cold", the first view after a change) and kept ("warm"),
the board page, and one column's first and a deep page of cards.
"""

from django.core.cache import cache

from bench.common import time_calls


def give_lost_leads_a_history() -> int:
    """A history row at Proposal Sent for every Lost lead; returns how many."""
    from leadbook.leads.models import Lead, Stage, Status

    proposal = Status.objects.filter(stage=Stage.OPPORTUNITY).first()
    lost = list(Lead.objects.filter(status__stage=Stage.LOST))
    for lead in lost:
        lead.status = proposal
    Lead.history.bulk_history_create(lost, batch_size=2000)
    return len(lost)


def run(data_dir: str, total: int, repeat: int) -> dict:
    from django.test import Client

    from leadbook.accounts.models import User
    from leadbook.leads.models import Status

    user = User.objects.filter(role="admin").first()
    client = Client()
    client.force_login(user)
    results: dict = {"history_rows_added": give_lost_leads_a_history(),
                     "dashboard_cold": {}, "dashboard_warm": {}, "board": {}}

    def get(url, cold=False, **headers):
        def call():
            if cold:
                cache.clear()
            response = client.get(url, **headers)
            assert response.status_code == 200, (url, response.status_code)
        return call

    for period in ("30d", "90d", "12m", "all"):
        url = f"/?period={period}"
        results["dashboard_cold"][period] = time_calls(get(url, cold=True), repeat)
        results["dashboard_warm"][period] = time_calls(get(url), repeat)

    first = Status.objects.first().pk
    htmx = {"HTTP_HX_REQUEST": "true"}
    for label, url, headers in (
        ("board page", "/leads/board/", {}),
        ("board page, filtered", "/leads/board/?temperature=warm&lead_type=Wholesale", {}),
        ("column, first cards", f"/leads/board/column/{first}/", htmx),
        ("column, page 50", f"/leads/board/column/{first}/?page=50", htmx),
    ):
        results["board"][label] = time_calls(get(url, **headers), repeat)
    return results
