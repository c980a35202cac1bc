"""Web capture: accepted submissions per second at /api/create-lead (issue: capture).

`leadbook serve` (gunicorn, 2 workers x 4 threads, and the task worker) on SQLite, posted
to over loopback by CLIENTS threads at once: browser form posts and JSON posts, a quarter of
them from people already posted (matched to their lead, not created again), against the
benchmark's seeded leads. The rate limit is off; every answer is checked and every accepted
post must be in the database afterwards.
"""

import http.client
import json
import threading
import time
from urllib.parse import urlencode, urlsplit

from bench.common import percentiles, running_server

CLIENTS = 16
POSTS = 1200
REPEAT_EVERY = 4  # every 4th post is a person posted before


def _person(n: int) -> dict[str, str]:
    person = n - 1 if n % REPEAT_EVERY == 0 else n
    return {"first_name": f"Bench{person}", "last_name": "Visitor",
            "email": f"bench.visitor{person}@capture{person % 50}.example",
            "phone": f"415-555-{person % 10000:04d}", "Message": "Do you ship to Canada?"}


def _post(host: str, port: int, n: int) -> tuple[int, float]:
    person = _person(n)
    if n % 2:
        body, headers = urlencode(person).encode(), {
            "Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}
    else:
        body, headers = json.dumps(person).encode(), {"Content-Type": "application/json"}
    started = time.perf_counter()
    connection = http.client.HTTPConnection(host, port, timeout=120)
    try:
        connection.request("POST", "/api/create-lead", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, (time.perf_counter() - started) * 1000
    finally:
        connection.close()


def run(data_dir: str, total: int, repeat: int) -> dict:
    from django.db import connection as db

    from leadbook.capture.models import Submission

    results: list[tuple[int, float]] = []
    lock = threading.Lock()
    next_post = iter(range(POSTS))

    with running_server(data_dir, extra_env={"LEADBOOK_CAPTURE_RATE_LIMIT": "0"}) as base:
        address = urlsplit(base)
        for n in range(-20, 0):  # warm-up: first requests load code in every worker
            _post(address.hostname, address.port, 10_000_000 + n)
        before = Submission.objects.accepted().count()

        def client() -> None:
            while True:
                with lock:
                    n = next(next_post, None)
                if n is None:
                    return
                outcome = _post(address.hostname, address.port, n)
                with lock:
                    results.append(outcome)

        started = time.perf_counter()
        threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - started

    statuses: dict[str, int] = {}
    for status, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    accepted = sum(1 for status, _ in results if status in (201, 303))
    recorded = Submission.objects.accepted().count() - before
    return {
        "latency": {f"form post ({CLIENTS} clients at once)":
                    percentiles([ms for _, ms in results])},
        "accepted_per_second": round(accepted / seconds, 1),
        "posts": len(results), "clients": CLIENTS, "seconds": round(seconds, 2),
        "statuses": statuses, "recorded_in_database": recorded,
        "server": "leadbook serve: gunicorn 2 workers x 4 threads, "
                  + ("SQLite (WAL)" if db.vendor == "sqlite" else "PostgreSQL"),
    }
