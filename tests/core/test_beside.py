"""core.beside: a query run on a connection of its own while the request goes on."""

import pytest
from django.db import connection

from leadbook.core import paging
from leadbook.core.beside import beside
from leadbook.leads import search
from tests.api.conftest import ApiClient, token_for


def backend() -> int:
    """Which connection to the database this thread's queries run on."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]
        cursor.execute("SELECT 1")
        return id(connection.connection)


@pytest.mark.django_db(transaction=True)
def test_it_runs_on_another_connection_and_gives_its_result_or_error():
    here = backend()
    assert beside(backend)() != here
    with pytest.raises(ZeroDivisionError):
        beside(lambda: 1 / 0)()


def test_in_a_transaction_it_runs_here_when_asked(db):
    # Another connection would not see what this transaction wrote.
    ran = []
    result = beside(lambda: ran.append(backend()) or 7)
    assert ran == []
    assert result() == 7 and ran == [backend()]


@pytest.mark.django_db(transaction=True)
def test_a_search_is_counted_beside_its_page(make_lead, admin, admin_client, monkeypatch,
                                             settings):
    settings.LEADS_PER_PAGE = 3
    for i in range(7):
        make_lead(name=f"Juniper {i}")
    make_lead(name="Corner Cup")
    monkeypatch.setattr(paging, "DEFAULT_CAP", 5)
    # A broad search on SQLite, whose page is not read from its sorted ids (which count it).
    monkeypatch.setattr(search, "BROAD_MATCHES", 1)
    counted_here = []
    monkeypatch.setattr(paging.CappedPaginator, "_count_rows",
                        lambda self: counted_here.append(backend()) or 6)
    body = ApiClient(token_for(admin)).get("/leads", search="junip", limit=3).json()
    assert (body["count"], body["count_capped"]) == (5, True)
    page = admin_client.get("/leads/", {"search": "junip"}).context["page"]
    assert (page.paginator.count, page.paginator.capped) == (5, True)
    assert counted_here and backend() not in counted_here  # the table's, beside
