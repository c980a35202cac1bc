"""Shared fixtures: a few personas (admin, member, viewer, outsider) and helpers.

Every test module can ask for `admin`, `member` or `viewer` (users), or for a test client
already signed in as one of them: `admin_client`, `member_client`, `viewer_client`.
`client` is the anonymous outsider.
"""

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API in tests

PASSWORD = "correct-horse-battery-42"


@pytest.fixture(autouse=True)
def _first_run_done(settings):
    """Most tests start with users; the first-run redirect is tested on its own."""
    from leadbook.accounts.middleware import FirstRunMiddleware

    FirstRunMiddleware.setup_done = True
    yield
    FirstRunMiddleware.setup_done = False


@pytest.fixture(autouse=True)
def _queries_beside_closed():
    """Connections of core.beside's threads are closed after each test (the test database
    cannot be dropped while one is open)."""
    yield
    from leadbook.core import beside

    beside.close()


def _make_user(username: str, role: str, **extra):
    from leadbook.accounts.models import User

    user = User.objects.create_user(
        username=username, password=PASSWORD, role=role, email=f"{username}@example.com",
        **extra,
    )
    return user


@pytest.fixture
def admin(db):
    return _make_user("dana", "admin", first_name="Dana", last_name="Reyes")


@pytest.fixture
def member(db):
    return _make_user("sam", "member", first_name="Sam", last_name="Ortiz")


@pytest.fixture
def viewer(db):
    return _make_user("vic", "viewer", first_name="Vic", last_name="Stone")


def _client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(admin):
    return _client_for(admin)


@pytest.fixture
def member_client(member):
    return _client_for(member)


@pytest.fixture
def viewer_client(viewer):
    return _client_for(viewer)


@pytest.fixture
def make_lead(db):
    """Create a lead through the services: make_lead(name="Corner Cup", email=...)."""
    from leadbook.leads.models import LeadType
    from leadbook.leads.services import create_lead

    def make(actor=None, lead_types=(), **fields):
        types = [LeadType.objects.by_name(t) if isinstance(t, str) else t for t in lead_types]
        fields.setdefault("name", "Juniper & Vine")
        return create_lead(actor=actor, lead_types=types, **fields)

    return make


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """After every test that used the database, the lead tallies (leads/tally.py) agree with
    a recount: whatever write path the test took, the triggers kept them in step. Checked
    here, between the test and the rollback of its data."""
    outcome = yield
    uses_db = {"db", "transactional_db"} & set(getattr(item, "fixturenames", ())) \
        or item.get_closest_marker("django_db")
    if outcome.excinfo is not None or not uses_db:
        return
    from django.db import connection

    from leadbook.leads.tally import tally_differences

    if connection.connection is None or connection.needs_rollback:
        return
    blocker = item.funcargs.get("django_db_blocker") or item._request.getfixturevalue(
        "django_db_blocker")
    with blocker.unblock():
        differences = tally_differences(connection)
    assert not differences, f"lead tallies out of step (kept, counted): {differences}"
