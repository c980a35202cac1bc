"""Posts from one person at the same instant make one lead on PostgreSQL too, where writers
run side by side (the match keys are locked for the transaction). SQLite, one writer at a
time, is covered against a real server in test_server_concurrency.py."""

import threading

import pytest
from django.db import connection

from leadbook.capture.models import Submission, WebForm
from leadbook.capture.services import capture_submission
from leadbook.leads.models import Lead


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's concurrency")
def test_simultaneous_posts_from_one_person_make_one_lead(transactional_db):
    from django.db import connections

    form = WebForm.objects.get(is_default=True)
    threads_count = 8
    barrier = threading.Barrier(threads_count)
    errors: list[Exception] = []

    def post(n: int) -> None:
        try:
            barrier.wait()
            capture_submission(form=form, data={
                "first_name": "Dana", "last_name": f"Reyes {n}",
                "email": "dana@juniper.example" if n % 2 else "DANA@juniper.example",
                "phone": "512-555-0142"})
        except Exception as e:  # reported below, with the thread's failure
            errors.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(n,)) for n in range(threads_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert Lead.objects.count() == 1
    assert sorted(Submission.objects.values_list("outcome", flat=True)) == (
        ["created"] + ["matched"] * (threads_count - 1))
