"""The task worker is killed (SIGKILL: no chance to clean up) in the middle of an import.

Each batch of an import is one transaction holding its leads, the record of what the import
did and the job's progress. So after the kill the database holds whole batches only, the job's
counts match the leads written, and resuming goes on from the last committed batch: in the
end every valid row of the file is a lead exactly once.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from leadbook.transfer.importer import BATCH_ROWS
from tests.servers import leadbook, running_server

from .conftest import ADMIN, query

pytestmark = pytest.mark.server

ROWS = 30_000
AREA_CODES = (512, 737, 214, 713, 469)
INVALID_EVERY = 1000  # every 1000th row has an email that is not one: reported, not imported

SETUP = """
import json
from leadbook.accounts.models import User
from leadbook.transfer import services
user = User.objects.create_user({admin!r}, "dana@example.com", "long-password-42", role="admin")
job = services.create_import(actor=user, data={path!r})
services.check_import(job=job, background=False)
services.start_import(job=job, actor=user)
job.refresh_from_db()
print(json.dumps({{"id": job.pk, "valid": job.valid_rows, "invalid": job.invalid_rows,
                  "state": job.state}}))
"""

RESUME = """
import json
from leadbook.transfer import importer, services
from leadbook.transfer.models import ImportJob
job = ImportJob.objects.get(pk={job_id})
stalled = importer.is_stalled(job)
services.resume_import(job=job)
print(json.dumps({{"stalled": stalled}}))
"""


def _write_file(path, rows: int = ROWS) -> set[str]:
    """The leads file; returns the emails of its valid rows."""
    valid = set()
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["Name", "Email", "Phone", "City"])
        for n in range(1, rows + 1):
            if n % INVALID_EVERY == 0:
                email = f"person{n} at example.com"
            else:
                email = f"person{n}@shop{n % 97}.example.com"
                valid.add(email)
            writer.writerow([f"Person {n} Trading", email, _phone(n),
                             "Austin"])
    return valid


def _phone(n: int) -> str:
    """A different valid US number for each row."""
    return f"+1 {AREA_CODES[n // 10000]} 555 {n % 10000:04d}"


def _worker(env: dict, *extra: str) -> subprocess.Popen:
    """The task worker `leadbook serve` starts, started the same way."""
    return subprocess.Popen(
        [sys.executable, "-m", "leadbook.cli", "db_worker", "--queue-name", "default",
         "--no-reload", "--no-startup-delay", "--interval", "0.2", *extra],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True)


def _state(sql, job_id: int) -> dict:
    (row,) = sql("SELECT state, rows_done, created, updated, skipped, last_row, message "
                 "FROM transfer_importjob WHERE id = %s", [job_id])
    return dict(zip(("state", "rows_done", "created", "updated", "skipped", "last_row",
                     "message"), row, strict=True))


def _written(sql, job_id: int) -> dict:
    leads, distinct = sql("SELECT COUNT(*), COUNT(DISTINCT email_key) FROM leads_lead")[0]
    imported, rows = sql("SELECT COUNT(*), COUNT(DISTINCT row) FROM transfer_importedlead "
                         "WHERE job_id = %s", [job_id])[0]
    orphans = sql("SELECT COUNT(*) FROM leads_lead WHERE id NOT IN "
                  "(SELECT lead_id FROM transfer_importedlead)")[0][0]
    return {"leads": leads, "distinct_emails": distinct, "imported": imported,
            "imported_rows": rows, "orphans": orphans}


def test_killing_the_worker_mid_import_leaves_whole_batches_and_the_job_resumes(site,
                                                                                 tmp_path):
    sql = query(site)
    path = tmp_path / "leads.csv"
    valid_emails = _write_file(path)
    out = leadbook(site, "shell", "-c", SETUP.format(admin=ADMIN, path=str(path)), timeout=600)
    job = __import__("json").loads(out.strip().splitlines()[-1])
    assert job["state"] == "queued"
    assert (job["valid"], job["invalid"]) == (len(valid_emails), ROWS // INVALID_EVERY)
    assert job["valid"] > 2 * BATCH_ROWS, "the file must take several batches"
    job_id = job["id"]

    worker = _worker(site)
    try:
        # Wait for the first batch to be committed, let the second get under way, then kill.
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            state = _state(sql, job_id)
            if state["created"] >= BATCH_ROWS or state["state"] not in ("queued",
                                                                         "importing"):
                break
            assert worker.poll() is None, worker.stderr.read()
            time.sleep(0.05)
        else:
            pytest.fail(f"the import did not get going: {state}")
        assert state["state"] == "importing", f"the import ended before the kill: {state}"
        time.sleep(0.3)  # into the next batch's transaction
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)

    state, written = _state(sql, job_id), _written(sql, job_id)
    assert state["state"] == "importing", state  # still claimed by the dead run
    assert 0 < written["leads"] < job["valid"], (state, written)
    # Whole batches only: every lead is recorded as the import's, and the job's counts are
    # those of the committed batches.
    assert written["leads"] % BATCH_ROWS == 0, written
    assert written["leads"] == written["imported"] == written["imported_rows"], written
    assert written["orphans"] == 0
    assert state["created"] == state["rows_done"] == written["leads"], (state, written)
    assert (state["updated"], state["skipped"]) == (0, 0)

    # The worker's heartbeat stops; once it is old enough the job counts as stalled and can
    # be resumed. (Here the heartbeat is moved back rather than waiting STALE_SECONDS.)
    sql("UPDATE transfer_importjob SET heartbeat_at = %s WHERE id = %s",
        ["2000-01-01 00:00:00" if not site.get("DATABASE_URL") else "2000-01-01T00:00:00Z",
         job_id])
    out = leadbook(site, "shell", "-c", RESUME.format(job_id=job_id))
    assert '"stalled": true' in out
    worker = _worker(site, "--batch")  # runs what is queued, then stops
    try:
        _, errors = worker.communicate(timeout=600)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    assert worker.returncode == 0, errors

    state, written = _state(sql, job_id), _written(sql, job_id)
    assert state["state"] == "done", state
    assert state["created"] == written["leads"] == job["valid"], (state, written)
    assert written["distinct_emails"] == job["valid"]  # each valid row exactly once
    assert written["imported"] == written["imported_rows"] == job["valid"]
    emails = {email for (email,) in sql("SELECT email FROM leads_lead")}
    assert emails == valid_emails


def _task_workers(server) -> list[int]:
    pids = []
    for pid in server.descendants():
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"db_worker" in command:
            pids.append(pid)
    return pids


def test_serve_starts_a_killed_worker_again_and_stays_up(site, tmp_path):
    with running_server(site, log=tmp_path / "server.log") as server:
        deadline = time.monotonic() + 60
        while not (workers := _task_workers(server)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(workers) == 1, workers
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            again = [pid for pid in _task_workers(server) if pid != workers[0]]
            if again:
                break
            time.sleep(0.5)
        else:
            pytest.fail("the worker was not started again")
        assert server.process.poll() is None
        with urllib.request.urlopen(server + "/healthz", timeout=10) as response:
            assert response.status == 200
    assert "The task worker stopped" in (tmp_path / "server.log").read_text()


def test_stopping_serve_lets_the_running_job_finish_its_work(site, tmp_path):
    """SIGTERM to `leadbook serve` while an import runs: the worker is asked to stop once,
    so it finishes the job it has (or is killed after the grace period, leaving whole
    batches to resume); the job never fails for it and nothing is logged as an error."""
    sql = query(site)
    path = tmp_path / "leads.csv"
    _write_file(path, rows=8000)  # an import of a few seconds
    out = leadbook(site, "shell", "-c", SETUP.format(admin=ADMIN, path=str(path)), timeout=600)
    job_id = __import__("json").loads(out.strip().splitlines()[-1])["id"]
    log = tmp_path / "server.log"
    with running_server(site, log=log):
        deadline = time.monotonic() + 120
        while _state(sql, job_id)["state"] == "queued" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _state(sql, job_id)["state"] == "importing"
    output = log.read_text()
    assert "shutting down gracefully" in output  # the worker was asked while it worked
    assert "terminating current task" not in output and "Traceback" not in output, output
    assert _state(sql, job_id)["state"] in ("done", "importing")
