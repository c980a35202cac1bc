"""PostgreSQL drops Leadbook's connections (a restart, a failover, an administrator's
pg_terminate_backend). Requests made meanwhile get a clear "try again" answer (503: a page
for people, JSON for the API, never a traceback), and once the database is back the next
requests work, with no restart of Leadbook."""

from __future__ import annotations

import json
import os
import time

import pytest

from tests.servers import admin_database_url, running_server

from .conftest import ADMIN, PASSWORD, make_admin, query
from .web import Session, api

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(not os.environ.get("DATABASE_URL"),
                       reason="PostgreSQL only: run the suite through tests.pg_cluster"),
]


def _admin(env: dict, sql: str, params=()) -> list[tuple]:
    import psycopg

    with psycopg.connect(admin_database_url(env["DATABASE_URL"]), autocommit=True) as conn:
        cursor = conn.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def _drop_connections(env: dict) -> int:
    """Terminate every backend connected to the site's database; returns how many."""
    name = env["DATABASE_URL"].rsplit("/", 1)[1]
    rows = _admin(env, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = %s AND pid <> pg_backend_pid()", [name])
    return len(rows)


def _allow_connections(env: dict, allowed: bool) -> None:
    name = env["DATABASE_URL"].rsplit("/", 1)[1]
    _admin(env, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}')


def _requests(session: Session, token: str):
    """One page, one API read, one API write: (what, response)."""
    yield "page", session.get("/leads/")
    yield "api read", api(session, "GET", "/api/v2/leads?limit=5", token)
    yield "api write", api(session, "POST", "/api/v2/leads?allow_duplicate=true", token,
                           {"name": f"Reconnect {time.monotonic_ns()}"})


OK = {"page": 200, "api read": 200, "api write": 201}


def _assert_clear_503(what: str, response) -> None:
    assert response.status == 503, (what, response.status, response.text[:300])
    assert "Traceback" not in response.text and "psycopg" not in response.text
    assert response.headers.get("retry-after"), what
    if what == "page":
        assert "text/html" in response.headers["content-type"]
        assert "database" in response.text.lower() and "try again" in response.text.lower()
    else:
        detail = response.json()["detail"]
        assert "database" in detail.lower() and "try again" in detail.lower(), detail


def test_dropped_connections_give_a_clear_error_and_the_next_request_works(site, tmp_path):
    token = make_admin(site)
    log = tmp_path / "server.log"
    with running_server(site, workers=2, threads=2, log=log) as server:
        session = Session(server)
        session.sign_in(ADMIN, PASSWORD)
        for what, response in _requests(session, token):
            assert response.status == OK[what], (what, response.status)

        # Between two requests, every connection is cut. Each web thread holds a
        # connection that is now dead: the next requests reconnect (at most one answer per
        # thread may be the 503), none crashes.
        for _ in range(3):
            assert _drop_connections(site) >= 1
            answers = [(what, r) for _ in range(4) for what, r in _requests(session, token)]
            for what, response in answers:
                if response.status != OK[what]:
                    _assert_clear_503(what, response)
            assert sum(r.status == 503 for _, r in answers) <= 2 * 2 * 3, answers
            assert all(r.status == OK[what] for what, r in answers[-3:]), [
                (w, r.status) for w, r in answers]

        # The database refuses connections for a while (restarting): clear 503s meanwhile.
        # The task worker, which looks for work every second, meets the outage too.
        _allow_connections(site, False)
        try:
            _drop_connections(site)
            for what, response in _requests(session, token):
                _assert_clear_503(what, response)
            health = session.get("/healthz")
            assert health.status == 503 and health.json()["status"] == "error"
            time.sleep(3)
        finally:
            _allow_connections(site, True)
        # Back: the very next requests work.
        for what, response in _requests(session, token):
            assert response.status == OK[what], (what, response.status, response.text[:300])

        # The site stayed up, and background work gets done again: a web lead's email to
        # the admin is sent by the worker.
        assert server.process.poll() is None, "a dropped connection stopped the server"
        capture = session.request("POST", "/api/create-lead", json.dumps(
            {"first_name": "Back", "last_name": "Again", "email": "back@example.com"}).encode(),
            {"Content-Type": "application/json"})
        assert capture.status == 201, capture.text
        sql = query(site)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done = sql("SELECT COUNT(*) FROM django_tasks_database_dbtaskresult "
                       "WHERE status = 'SUCCESSFUL'")[0][0]
            if done:
                break
            time.sleep(0.5)
        else:
            pytest.fail("the task worker did not come back after the outage")
        assert session.get("/healthz").status == 200
        session.close()
