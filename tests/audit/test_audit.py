import io

import pytest
from django.core.management import call_command

from leadbook.audit.models import AuditEntry
from leadbook.leads import services
from leadbook.leads.models import Source
from tests.conftest import PASSWORD


@pytest.mark.parametrize("url", ["/settings/audit/"])
def test_only_admins_read_the_audit_log(client, db, member_client, viewer_client, admin_client,
                                        url):
    assert client.get(url).status_code == 302
    assert member_client.get(url).status_code == 403
    assert viewer_client.get(url).status_code == 403
    assert admin_client.get(url).status_code == 200


def actions() -> list[str]:
    return list(AuditEntry.objects.order_by("id").values_list("action", flat=True))


def test_exports_are_recorded_with_who_and_what(member_client, member, make_lead):
    make_lead()
    b"".join(member_client.get("/leads/export.csv?temperature=warm").streaming_content)
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.details["view"]) == (
        "leads.exported", member, "temperature=warm")
    assert entry.ip == "127.0.0.1"
    call_command("export_leads", "-o", "/dev/null", stderr=io.StringIO())
    assert actions() == ["leads.exported", "leads.exported"]


def test_deletes_role_changes_and_settings_changes_are_recorded(admin_client, admin, member,
                                                                make_lead):
    lead = make_lead()
    services.delete_lead(lead=lead, actor=admin)
    admin_client.post(f"/settings/users/{member.pk}/", {"role": "viewer", "is_active": "on"})
    admin_client.post("/settings/", {"contact_requirement": "email"})
    admin_client.post("/settings/sources/", {"new-name": "Podcast"})
    admin_client.post(f"/settings/sources/{Source.objects.get(name='Podcast').pk}/delete/")
    assert actions() == ["lead.deleted", "user.access_changed", "settings.changed",
                         "settings.list_entry_added", "settings.list_entry_deleted"]
    role_change = AuditEntry.objects.get(action="user.access_changed")
    assert role_change.details == {"before": {"role": "member", "is_active": True},
                                   "after": {"role": "viewer", "is_active": True}}
    page = admin_client.get("/settings/audit/").content.decode()
    assert "user.access_changed" in page and "dana" in page


def test_sign_in_stops_after_repeated_failures_for_a_user(client, member):
    for _ in range(5):
        client.post("/accounts/login/", {"username": "sam", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "sam", "password": PASSWORD})
    assert b"Too many failed sign-ins" in response.content
    assert "_auth_user_id" not in client.session


def test_sign_in_stops_after_many_failures_from_one_address(client, member, settings):
    settings.SIGN_IN_MAX_FAILURES_PER_IP = 3
    for name in ("a", "b", "c"):
        client.post("/accounts/login/", {"username": name, "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "sam", "password": PASSWORD})
    assert b"Too many failed sign-ins" in response.content


def test_a_successful_sign_in_clears_the_count(client, member):
    for _ in range(4):
        client.post("/accounts/login/", {"username": "sam", "password": "wrong"})
    assert client.post("/accounts/login/", {"username": "sam", "password": PASSWORD}
                       ).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(4):
        client.post("/accounts/login/", {"username": "sam", "password": "wrong"})
    assert client.post("/accounts/login/", {"username": "sam", "password": PASSWORD}
                       ).status_code == 302


def test_token_creation_and_revocation_are_recorded_without_the_key(member, admin):
    from leadbook.accounts.services import create_api_token, revoke_api_token

    token, raw = create_api_token(user=member, name="Zapier")
    revoke_api_token(token=token, actor=admin)
    created, revoked = AuditEntry.objects.order_by("id")
    assert (created.action, created.actor, created.details["name"]) == (
        "token.created", member, "Zapier")
    assert (revoked.action, revoked.actor) == ("token.revoked", admin)
    assert token.prefix in created.target and "sam" in revoked.target
    assert raw not in str(created.details) + created.target
    revoke_api_token(token=token, actor=admin)  # already revoked: nothing more to record
    assert AuditEntry.objects.count() == 2


def test_webhook_changes_are_recorded(admin):
    from leadbook.webhooks import services as webhooks

    hook = webhooks.create_webhook(actor=admin, url="https://hooks.example.com/in",
                                   events=["lead.created"])
    webhooks.update_webhook(webhook=hook, actor=admin, url="https://hooks.example.com/new",
                            events=["lead.created", "lead.deleted"], description="",
                            is_active=True)
    webhooks.rotate_secret(webhook=hook, actor=admin)
    webhooks.delete_webhook(webhook=hook, actor=admin)
    assert actions() == ["webhook.created", "webhook.changed", "webhook.secret_rotated",
                         "webhook.deleted"]
    assert hook.secret not in str(list(AuditEntry.objects.values_list("details", flat=True)))
