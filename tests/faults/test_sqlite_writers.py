"""20 people writing at the same moment to a server on SQLite: half through the API (create a
lead, log an outreach on it), half through the pages (the Add lead form). SQLite has one
writer at a time; WAL, BEGIN IMMEDIATE and the busy timeout (settings.py) make the others
wait their turn, so nobody sees "database is locked" as a 500, and every write lands."""

from __future__ import annotations

import os
import threading
import uuid

import pytest

from tests.servers import leadbook, running_server, site_env

from .conftest import ADMIN, PASSWORD, make_admin, query
from .web import Session, api

pytestmark = [
    pytest.mark.server,
    # It always runs its server on SQLite: once, in the SQLite pass of the suite, is enough.
    pytest.mark.skipif("DATABASE_URL" in os.environ, reason="SQLite-only; ran in the SQLite pass"),
]

WRITERS, WRITES_EACH = 20, 10


def test_twenty_concurrent_writers_on_sqlite_never_see_a_locked_database(tmp_path):
    env = site_env(tmp_path / "data", sqlite=True, LEADBOOK_API_RATE_LIMIT="0")
    leadbook(env, "migrate", "-v0")
    token = make_admin(env)
    log = tmp_path / "server.log"
    results: list[tuple[str, int, str]] = []  # (door, status, email)
    errors: list[BaseException] = []
    with running_server(env, workers=2, threads=4, log=log) as base:
        barrier = threading.Barrier(WRITERS)

        def writer(number: int) -> None:
            session = Session(base)
            try:
                if number % 2:
                    session.sign_in(ADMIN, PASSWORD)
                    defaults = session.form_defaults("/leads/new/")
                barrier.wait(timeout=120)
                for step in range(WRITES_EACH):
                    tag = uuid.uuid4().hex[:12]
                    email = f"w{number}-{step}-{tag}@example.com"
                    if number % 2 == 0:
                        response = api(session, "POST", "/api/v2/leads?allow_duplicate=true",
                                       token, {"name": f"{tag} {number}", "email": email})
                        results.append(("api", response.status, email))
                        if response.status == 201:
                            outreach = api(session, "POST",
                                           f"/api/v2/leads/{response.json()['id']}/outreach",
                                           token, {"kind": "email", "notes": "Sent a price list"})
                            results.append(("outreach", outreach.status, email))
                    else:
                        response = session.post_form("/leads/new/", {
                            **defaults, "name": f"{tag} {number}", "email": email})
                        results.append(("page", response.status, email))
            except BaseException as e:  # reported by the main thread
                errors.append(e)
            finally:
                session.close()

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    assert not errors, errors
    statuses = {door: sorted({s for d, s, _ in results if d == door})
                for door in ("api", "outreach", "page")}
    # 201 Created from the API, a redirect to the new lead from the page: nothing else.
    assert statuses == {"api": [201], "outreach": [201], "page": [302]}, [
        r for r in results if r[1] not in (201, 302)][:5]
    sql = query(env)
    emails = {email for (email,) in sql("SELECT email FROM leads_lead")}
    assert emails == {email for door, _, email in results if door != "outreach"}
    assert len(emails) == WRITERS * WRITES_EACH
    assert sql("SELECT COUNT(*) FROM outreach_outreach")[0][0] == WRITERS // 2 * WRITES_EACH
    output = log.read_text()
    assert "database is locked" not in output and "Traceback" not in output
