from unittest import mock

from django.db.utils import OperationalError


def test_it_says_ok_when_the_database_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_it_says_unavailable_when_the_database_does_not(client, db):
    with mock.patch("django.db.backends.utils.CursorWrapper.execute",
                    side_effect=OperationalError("gone")):
        response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["status"] == "error"
