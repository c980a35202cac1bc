"""The disk fills up: an uploaded file cannot be stored, or SQLite answers "database or disk
is full". People get a page (or JSON) saying so, not a traceback, and once there is room
again the next request works.

The full disk is simulated where Leadbook meets it: the file storage's write raises
OSError(ENOSPC), and the database's INSERT raises the error SQLite gives. (These tests run
in-process, through Django's test client set to answer as production does.)
"""

from __future__ import annotations

import errno
import json

import pytest
from django.core.files.storage import FileSystemStorage
from django.db import OperationalError, connection
from django.test import Client

from leadbook.accounts.services import create_api_token
from leadbook.core.faults import DISK_FULL
from leadbook.leads.models import Lead
from leadbook.transfer.models import ImportJob

CSV = b"Name,Email\nCorner Cup,hello@cornercup.example.com\n"


@pytest.fixture
def production_client(member):
    """A signed-in member whose errors are answered as in production (the 500/503 page),
    not raised into the test."""
    client = Client(raise_request_exception=False)
    client.force_login(member)
    return client


def _upload(client: Client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post("/leads/import/", {"file": SimpleUploadedFile("leads.csv", CSV,
                                                                      "text/csv")})


def _assert_disk_full_page(response) -> None:
    assert response.status_code == 503
    assert response["Retry-After"]
    text = response.content.decode()
    assert "out of disk space" in text.lower() and "Traceback" not in text


def test_an_upload_when_the_disk_is_full_says_so_and_the_next_one_works(production_client,
                                                                         monkeypatch):
    def full(self, name, content):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(FileSystemStorage, "_save", full)
        response = _upload(production_client)
    _assert_disk_full_page(response)
    assert "text/html" in response["Content-Type"]
    assert not ImportJob.objects.exists()  # no job left pointing at a file that is not there

    response = _upload(production_client)
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert response["Location"] == f"/leads/import/{job.pk}/columns/"


def _disk_full_on_insert(execute, sql, params, many, context):
    if sql.lstrip().upper().startswith("INSERT"):
        raise OperationalError("database or disk is full")
    return execute(sql, params, many, context)


def test_saving_a_lead_when_the_database_is_full_says_so_and_the_next_save_works(
        production_client, member):
    form = {"name": "Corner Cup", "email": "hello@cornercup.example.com",
            "status": Lead._meta.get_field("status").related_model.objects.first().pk,
            "temperature": "cold"}
    with connection.execute_wrapper(_disk_full_on_insert):
        response = production_client.post("/leads/new/", form)
    _assert_disk_full_page(response)
    assert not Lead.objects.exists()

    response = production_client.post("/leads/new/", form)
    assert response.status_code == 302, response.content.decode()[:500]
    assert Lead.objects.get().name == "Corner Cup"


def test_the_api_answers_a_full_database_with_json(member):
    client = Client(raise_request_exception=False)
    headers = {"Authorization": f"Bearer {create_api_token(user=member, name='t')[1]}"}
    body = json.dumps({"name": "Corner Cup"})
    with connection.execute_wrapper(_disk_full_on_insert):
        response = client.post("/api/v2/leads", body, content_type="application/json",
                               headers=headers)
    assert response.status_code == 503 and response["Retry-After"]
    assert response.json() == {"detail": DISK_FULL}

    response = client.post("/api/v2/leads", body, content_type="application/json",
                           headers=headers)
    assert response.status_code == 201, response.json()
