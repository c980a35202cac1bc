import pytest
from django.core import mail

from leadbook.accounts.models import User
from tests.conftest import PASSWORD


@pytest.mark.parametrize("url", ["/settings/users/", "/settings/users/new/"])
def test_only_admins_manage_users(client, db, member_client, viewer_client, admin_client, url):
    assert client.get(url).status_code == 302
    assert member_client.get(url).status_code == 403
    assert viewer_client.get(url).status_code == 403
    assert admin_client.get(url).status_code == 200


def test_an_admin_adds_a_user_with_a_password(admin_client):
    admin_client.post("/settings/users/new/", {"username": "lee", "role": "viewer",
                                               "password": PASSWORD, "email": ""})
    user = User.objects.get(username="lee")
    assert user.role == "viewer" and user.check_password(PASSWORD)


def test_an_admin_invites_a_user_by_email(admin_client):
    admin_client.post("/settings/users/new/", {"username": "lee", "role": "member",
                                               "email": "lee@example.com", "password": ""})
    assert not User.objects.get(username="lee").has_usable_password()
    assert "/accounts/reset/" in mail.outbox[0].body and "lee" in mail.outbox[0].body


def test_a_new_user_needs_a_password_or_an_email(admin_client):
    response = admin_client.post("/settings/users/new/", {"username": "lee", "role": "member"})
    assert b"Set a password, or give an email" in response.content
    assert not User.objects.filter(username="lee").exists()


def test_usernames_are_unique_regardless_of_case(admin_client, member):
    response = admin_client.post("/settings/users/new/", {"username": "SAM", "role": "member",
                                                          "password": PASSWORD})
    assert b"That username is taken." in response.content


def test_an_admin_changes_a_role_and_deactivates(admin_client, member):
    admin_client.post(f"/settings/users/{member.pk}/", {"role": "viewer", "is_active": "",
                                                        "email": "sam@example.com"})
    member.refresh_from_db()
    assert member.role == "viewer" and not member.is_active


def test_an_admin_cannot_remove_their_own_admin_role(admin_client, admin):
    response = admin_client.post(f"/settings/users/{admin.pk}/", {"role": "member",
                                                                  "is_active": "on"})
    assert b"You cannot remove your own admin role" in response.content
    admin.refresh_from_db()
    assert admin.role == "admin"


def test_roles_rank_admin_over_member_over_viewer(admin, member, viewer):
    assert admin.has_role("member") and admin.has_role("viewer")
    assert member.has_role("member") and not member.has_role("admin")
    assert viewer.has_role("viewer") and not viewer.has_role("member")
    member.is_active = False
    assert not member.has_role("viewer")
