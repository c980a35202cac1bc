import pytest
from django.core import mail

from leadbook.accounts.middleware import FirstRunMiddleware
from leadbook.accounts.models import User
from tests.conftest import PASSWORD


@pytest.fixture
def fresh_install(db):
    FirstRunMiddleware.setup_done = False


def test_it_asks_for_an_admin_account_on_first_visit(client, fresh_install):
    for url in ("/", "/leads/", "/accounts/login/"):
        assert client.get(url)["Location"] == "/setup/"
    assert client.get("/healthz").status_code == 200


def test_it_creates_the_first_admin_and_signs_them_in(client, fresh_install):
    response = client.post("/setup/", {"username": "dana", "email": "dana@example.com",
                                       "password1": PASSWORD, "password2": PASSWORD})
    assert response["Location"] == "/"
    user = User.objects.get()
    assert user.role == "admin" and user.check_password(PASSWORD)
    assert client.get("/").status_code == 200


def test_it_refuses_a_weak_first_password_and_keeps_the_username(client, fresh_install):
    response = client.post("/setup/", {"username": "dana", "email": "",
                                       "password1": "12345678", "password2": "12345678"})
    assert b"This password is too common" in response.content
    assert b'value="dana"' in response.content
    assert not User.objects.exists()


def test_setup_is_closed_once_an_account_exists(client, admin):
    assert client.get("/setup/")["Location"] == "/accounts/login/"
    client.post("/setup/", {"username": "eve", "password1": PASSWORD, "password2": PASSWORD})
    assert User.objects.count() == 1


def test_it_signs_in_and_out(client, member):
    response = client.post("/accounts/login/", {"username": "sam", "password": PASSWORD})
    assert response["Location"] == "/"
    assert client.get("/leads/").status_code == 200
    assert client.post("/accounts/logout/")["Location"] == "/accounts/login/"
    assert client.get("/leads/").status_code == 302


def test_it_refuses_a_wrong_password(client, member):
    response = client.post("/accounts/login/", {"username": "sam", "password": "nope"})
    assert response.status_code == 200 and b"Please enter a correct" in response.content


def test_it_emails_a_password_reset_link(client, member):
    client.post("/accounts/password_reset/", {"email": "sam@example.com"})
    assert len(mail.outbox) == 1
    assert "/accounts/reset/" in mail.outbox[0].body


def test_the_profile_page_needs_a_signed_in_user(client, db, member_client):
    assert client.get("/accounts/profile/").status_code == 302
    assert b"sam@example.com" in member_client.get("/accounts/profile/").content
