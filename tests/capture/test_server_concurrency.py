"""Many websites' visitors at once, against a real `leadbook serve` on SQLite: 20 threads
each sending 25 posts, every person twice and at the same moment from two threads (one of
them typing the email in capitals). No 5xx, one lead per person, every post recorded, and
every new lead's email sent by the background worker."""

import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from urllib.parse import urlencode

import pytest

from tests.servers import free_port, wait_until_up

pytestmark = pytest.mark.server

THREADS, POSTS_PER_THREAD = 20, 25
PAIRS = THREADS // 2  # threads t and t + PAIRS post the same people at the same moments


def _person(thread: int, step: int) -> dict[str, str]:
    n = step * PAIRS + thread % PAIRS
    email = f"visitor{n}@shop{n % 7}.example"
    return {"first_name": f"Visitor{n}", "last_name": "Test", "phone": f"512-555-{n:04d}",
            "email": email.upper() if thread >= PAIRS else email}


def _post(port: int, thread: int, step: int) -> int:
    """One post: even threads as a browser's form, odd threads as a script's JSON."""
    person = _person(thread, step)
    if thread % 2 == 0:
        body = urlencode(person).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "Accept": "text/html", "Origin": "https://shop.example"}
    else:
        body = json.dumps(person).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", "/api/create-lead", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _run(args: list[str], env: dict) -> None:
    subprocess.run([sys.executable, "-m", "leadbook.cli", *args], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)


def test_concurrent_posts_make_one_lead_per_person_and_lose_nothing(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # SQLite
    env.update(LEADBOOK_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="leadbook.settings",
               LEADBOOK_CAPTURE_RATE_LIMIT="0")
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "leadbook.cli", "serve", "--port", str(port), "--workers", "2"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        # As long as the other server tests wait: migrate and collectstatic come first, and
        # on a busy machine they took over 30 s.
        wait_until_up(f"http://127.0.0.1:{port}", server)
        # An admin with the new-web-lead emails on (the default), so every new lead queues one.
        _run(["shell", "-c", "from leadbook.accounts.models import User; User.objects."
                             "create_user('dana', 'dana@example.com', 'long-password-42', "
                             "role='admin')"], env)

        statuses: list[int] = []
        barrier = threading.Barrier(THREADS)

        def visitor(thread: int) -> None:
            barrier.wait()
            for step in range(POSTS_PER_THREAD):
                statuses.append(_post(port, thread, step))

        started = time.monotonic()
        threads = [threading.Thread(target=visitor, args=(t,)) for t in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=90)
        seconds = time.monotonic() - started
        print(f"{len(statuses)} posts in {seconds:.1f} s: {len(statuses) / seconds:.0f}/s")

        assert len(statuses) == THREADS * POSTS_PER_THREAD
        assert sorted(set(statuses)) == [201, 303], statuses  # no 5xx, no 4xx
        database = sqlite3.connect(tmp_path / "leadbook.sqlite3")
        people = THREADS * POSTS_PER_THREAD // 2
        leads = database.execute("SELECT COUNT(*), COUNT(DISTINCT email_key) FROM leads_lead "
                                 "WHERE deleted_at IS NULL").fetchone()
        assert leads == (people, people)
        outcomes = dict(database.execute(
            "SELECT outcome, COUNT(*) FROM capture_submission GROUP BY outcome").fetchall())
        assert outcomes == {"created": people, "matched": people}
        per_lead = database.execute("SELECT COUNT(*) FROM capture_submission GROUP BY lead_id "
                                    "HAVING COUNT(*) != 2").fetchall()
        assert per_lead == []

        # The worker emails the admin about each new lead; wait for it to finish the queue.
        for _ in range(600):
            pending = database.execute(
                "SELECT COUNT(*) FROM django_tasks_database_dbtaskresult "
                "WHERE status IN ('READY', 'RUNNING')").fetchone()[0]
            if not pending:
                break
            time.sleep(0.1)
        done = dict(database.execute(
            "SELECT status, COUNT(*) FROM django_tasks_database_dbtaskresult GROUP BY status"))
        assert done == {"SUCCESSFUL": people}
        database.close()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    output = (tmp_path / "server.log").read_text()
    assert "database is locked" not in output and "Traceback" not in output
    assert output.count("Subject: New web lead: ") == people
