"""Load: a real `leadbook serve` on loopback, 50 clients at once for 30 seconds (LOAD_SECONDS),
each mixing what Leadbook's users do: people paging and filtering the leads table (signed
in), programs creating leads through the API (a token), and websites' visitors posting the
capture form. Nothing may fail on the server's side (no 5xx, no dropped connection), and
nothing may be lost: every write answered with success is in the database.

Throughput and latency are printed (pytest -s shows them)."""

from __future__ import annotations

import os
import random
import statistics
import threading
import time
import uuid
from collections import defaultdict
from urllib.parse import urlencode

import pytest

from tests.servers import leadbook, running_server, site_env

from .conftest import ADMIN, PASSWORD, make_admin, query
from .web import Session, api

pytestmark = [pytest.mark.server, pytest.mark.once]

CLIENTS = int(os.environ.get("LOAD_CLIENTS", "50"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "30"))
# What a client does next, by weight: mostly reading the table, as people do.
MIX = (("table", 5), ("api write", 3), ("capture", 2))
TABLE_PAGES = ("/leads/", "/leads/?page=2", "/leads/?temperature=warm",
               "/leads/?ordering=-created_at", "/leads/?search=coffee",
               "/leads/?status=New", "/leads/?pending=1")
SUCCESS = {"table": {200}, "api write": {201}, "capture": {201, 303}}


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def test_fifty_clients_for_thirty_seconds_no_server_errors_nothing_lost(tmp_path):
    env = site_env(tmp_path / "data", LEADBOOK_API_RATE_LIMIT="0",
                   LEADBOOK_CAPTURE_RATE_LIMIT="0")
    leadbook(env, "migrate", "-v0")
    token = make_admin(env)
    leadbook(env, "seed_demo", "--leads", "2000", "--seed", "7")
    log = tmp_path / "server.log"

    results: list[tuple[str, int, float]] = []  # (kind, status, seconds)
    written: dict[str, list[tuple[int | None, str]]] = defaultdict(list)  # kind -> (id, email)
    failures: list[str] = []
    with running_server(env, workers=2, threads=4, log=log) as base:
        signed_in = Session(base)
        signed_in.sign_in(ADMIN, PASSWORD)
        cookies = dict(signed_in.cookies)
        signed_in.close()
        barrier = threading.Barrier(CLIENTS)
        stop_at: list[float] = []

        def client(number: int) -> None:
            rng = random.Random(number)
            session = Session(base, cookies=dict(cookies))
            visitor = Session(base)  # a website's visitor: no cookies of Leadbook's
            kinds = [kind for kind, weight in MIX for _ in range(weight)]
            try:
                barrier.wait(timeout=120)
                if not stop_at:
                    stop_at.append(time.monotonic() + SECONDS)
                while time.monotonic() < stop_at[0]:
                    kind = rng.choice(kinds)
                    email = f"load-{uuid.uuid4().hex[:16]}@example.com"
                    if kind == "table":
                        response = session.get(rng.choice(TABLE_PAGES))
                    elif kind == "api write":
                        response = api(session, "POST", "/api/v2/leads?allow_duplicate=true",
                                       token, {"name": f"Load {email[5:13]}", "email": email,
                                               "temperature": "warm"})
                        if response.status == 201:
                            written[kind].append((response.json()["id"], email))
                    else:
                        fields = {"first_name": "Visitor", "last_name": email[5:13],
                                  "email": email}
                        response = visitor.request(
                            "POST", "/api/create-lead", urlencode(fields).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded",
                             "Accept": "text/html", "Origin": "https://shop.example.com"})
                        if response.status in SUCCESS[kind]:
                            written[kind].append((None, email))
                    results.append((kind, response.status, response.seconds))
            except Exception as e:  # a dropped connection, a timeout...
                failures.append(f"client {number}: {type(e).__name__}: {e}")
            finally:
                session.close()
                visitor.close()

        started = time.monotonic()
        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=SECONDS + 300)
        elapsed = time.monotonic() - started

    assert not failures, failures[:5]
    assert results, "no request was made"
    _report(results, elapsed)
    server_errors = [r for r in results if r[1] >= 500]
    assert not server_errors, f"{len(server_errors)} server errors, e.g. {server_errors[:5]}"
    unexpected = [r for r in results if r[1] not in SUCCESS[r[0]]]
    assert not unexpected, f"{len(unexpected)} unexpected answers, e.g. {unexpected[:5]}"

    # Nothing lost: every lead the API said it made is there, with its email; every visitor
    # whose post was accepted is a lead.
    sql = query(env)
    leads = dict(sql("SELECT id, email FROM leads_lead WHERE deleted_at IS NULL"))
    for lead_id, email in written["api write"]:
        assert leads.get(lead_id) == email, (lead_id, email)
    emails = set(leads.values())
    missing = [email for _, email in written["capture"] if email not in emails]
    assert not missing, f"{len(missing)} accepted web-form posts made no lead: {missing[:5]}"
    assert len(written["api write"]) + len(written["capture"]) > 0
    output = log.read_text()
    assert "database is locked" not in output and "Traceback" not in output


def _report(results: list[tuple[str, int, float]], elapsed: float) -> None:
    lines = [f"{len(results)} requests from {CLIENTS} clients in {elapsed:.1f} s: "
             f"{len(results) / elapsed:.0f} requests/s"]
    for kind in [k for k, _ in MIX] + ["all"]:
        times = [s for k, _, s in results if kind in (k, "all")]
        if times:
            lines.append(f"  {kind:10} {len(times):6} requests  p50 "
                         f"{1000 * statistics.median(times):6.0f} ms  p95 "
                         f"{1000 * _percentile(times, 0.95):6.0f} ms  max "
                         f"{1000 * max(times):6.0f} ms")
    print("\n" + "\n".join(lines))
