"""API tokens: made on the profile page or by `leadbook create_api_token`, shown once, stored
as a hash, revocable, with their last use."""

import hashlib
import io

import pytest
from django.core.management import CommandError, call_command

from leadbook.accounts.models import ApiToken

from .conftest import ApiClient


def test_outsiders_cannot_make_or_revoke_tokens(client, member):
    from leadbook.accounts.services import create_api_token

    assert client.post("/accounts/profile/tokens/", {"name": "X", "expires": "90"}
                       ).status_code == 302
    token, _ = create_api_token(user=member, name="Mine")
    assert client.post(f"/accounts/profile/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is None and ApiToken.objects.count() == 1


def test_a_token_is_shown_once_and_only_its_hash_is_kept(member_client, member):
    response = member_client.post("/accounts/profile/tokens/",
                                  {"name": "Zapier", "expires": "30"})
    assert response.status_code == 302 and response["Location"] == "/accounts/profile/"
    page = member_client.get("/accounts/profile/").content.decode()
    token = ApiToken.objects.get()
    raw = page.split('id="new-api-token"><code>')[1].split("</code>")[0]
    assert raw.startswith("lb_") and len(raw) > 40
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(ApiToken.objects.values_list())
    assert f"{token.prefix}…" in page and "Zapier" in page and "Never" in page
    assert token.expires_at is not None
    again = member_client.get("/accounts/profile/").content.decode()
    assert raw not in again and "Zapier" in again
    assert ApiClient(raw).get("/me").json()["username"] == "sam"


def test_the_profile_shows_when_a_token_was_last_used(member_client, member, settings):
    from leadbook.accounts.services import create_api_token

    settings.API_RATE_LIMIT = 0
    token, raw = create_api_token(user=member, name="Sync")
    ApiClient(raw).get("/statuses")
    token.refresh_from_db()
    assert token.last_used_at is not None
    page = member_client.get("/accounts/profile/").content.decode()
    assert "just now" in page


def test_a_viewer_can_make_a_read_only_token(viewer_client):
    viewer_client.post("/accounts/profile/tokens/", {"name": "Reports", "expires": "never"})
    page = viewer_client.get("/accounts/profile/").content.decode()
    assert "yours can only read" in page
    token = ApiToken.objects.get()
    assert token.expires_at is None


def test_a_token_needs_a_name(member_client):
    page = member_client.post("/accounts/profile/tokens/", {"name": " ", "expires": "90"})
    assert page.status_code == 200 and "This field is required." in page.content.decode()
    assert not ApiToken.objects.exists()


def test_revoking_stops_the_token_at_once(member_client, member, viewer):
    from leadbook.accounts.services import create_api_token

    token, raw = create_api_token(user=member, name="Old")
    others, _ = create_api_token(user=viewer, name="Not yours")
    assert member_client.post(f"/accounts/profile/tokens/{others.pk}/revoke/").status_code == 404
    member_client.post(f"/accounts/profile/tokens/{token.pk}/revoke/")
    assert ApiClient(raw).get("/me").status_code == 401
    assert "Revoked" in member_client.get("/accounts/profile/").content.decode()
    others.refresh_from_db()
    assert others.revoked_at is None


def test_the_command_prints_only_a_working_token(member):
    out = io.StringIO()
    call_command("create_api_token", "SAM", stdout=out)
    raw = out.getvalue().strip()
    assert raw.startswith("lb_") and "\n" not in raw
    assert ApiClient(raw).get("/me").json()["role"] == "member"
    assert ApiToken.objects.get().name == "Command line"


@pytest.mark.parametrize("args", [["nobody"], ["sam", "--expires-days", "0"]])
def test_the_command_refuses_what_it_cannot_do(member, args):
    with pytest.raises(CommandError):
        call_command("create_api_token", *args, stdout=io.StringIO())
