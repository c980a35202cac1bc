"""Settings → Webhooks: admins only; register, edit, test, rotate, delete; the delivery log
shows each response status."""

import html

import pytest

from leadbook.webhooks.models import Delivery, DeliveryState, Webhook

PAGES = ["/settings/webhooks/", "/settings/webhooks/new/"]


@pytest.mark.parametrize("url", PAGES)
def test_outsiders_are_sent_to_sign_in_and_non_admins_refused(client, member_client,
                                                              viewer_client, url):
    assert client.get(url).status_code == 302
    assert member_client.get(url).status_code == 403
    assert viewer_client.get(url).status_code == 403


def test_every_webhook_page_is_for_admins_only(client, member_client, viewer_client, webhook):
    delivery = Delivery.objects.create(webhook=webhook, event="ping", body="{}")
    base = f"/settings/webhooks/{webhook.pk}"
    pages = [f"{base}/", f"{base}/deliveries/{delivery.pk}/"]
    actions = [f"{base}/test/", f"{base}/rotate/", f"{base}/delete/",
               f"{base}/deliveries/{delivery.pk}/redeliver/"]
    for url in pages + actions:
        assert client.post(url).status_code == 302, url
        assert member_client.post(url).status_code == 403, url
        assert viewer_client.post(url).status_code == 403, url
    for url in pages:
        assert client.get(url).status_code == 302
        assert viewer_client.get(url).status_code == 403
    assert Delivery.objects.count() == 1 and Webhook.objects.exists()


def test_non_admins_cannot_change_a_webhook(member_client, viewer_client, webhook):
    for c in (member_client, viewer_client):
        assert c.post(f"/settings/webhooks/{webhook.pk}/", {
            "url": "https://evil.example", "events": ["lead.created"]}).status_code == 403
        assert c.post(f"/settings/webhooks/{webhook.pk}/delete/").status_code == 403
        assert c.post(f"/settings/webhooks/{webhook.pk}/rotate/").status_code == 403
    webhook.refresh_from_db()
    assert webhook.url.startswith("http://127.0.0.1")


def test_an_admin_registers_a_webhook_and_sees_its_secret(admin_client, db):
    page = admin_client.get("/settings/webhooks/").content.decode()
    assert "No webhooks yet" in page
    response = admin_client.post("/settings/webhooks/new/", {
        "url": "https://hooks.example.com/leadbook", "events": ["lead.created", "lead.deleted"],
        "description": "CRM sync", "is_active": "on"})
    webhook = Webhook.objects.get()
    assert response["Location"] == f"/settings/webhooks/{webhook.pk}/"
    assert webhook.events == ["lead.created", "lead.deleted"]
    detail = admin_client.get(response["Location"]).content.decode()
    assert webhook.secret in detail and "X-Leadbook-Signature" in detail
    listing = admin_client.get("/settings/webhooks/").content.decode()
    assert "hooks.example.com/leadbook" in listing and "CRM sync" in listing


def test_a_webhook_needs_an_http_url_and_an_event(admin_client, db):
    page = admin_client.post("/settings/webhooks/new/", {"url": "ftp://x.example",
                                                         "events": []}).content.decode()
    assert "Please fix" in page
    assert not Webhook.objects.exists()


def test_the_log_shows_each_delivery_with_its_response(admin_client, webhook, receiver,
                                                       django_capture_on_commit_callbacks):
    receiver.status = 202
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/settings/webhooks/{webhook.pk}/test/")
    delivery = Delivery.objects.get()
    assert (delivery.event, delivery.state, delivery.response_status) == (
        "ping", DeliveryState.DELIVERED, 202)
    assert receiver.received[0]["verified"]
    page = admin_client.get(f"/settings/webhooks/{webhook.pk}/").content.decode()
    assert "<strong>202</strong>" in page and "Delivered" in page
    detail = admin_client.get(f"/settings/webhooks/{webhook.pk}/deliveries/{delivery.pk}/")
    assert '"event": "ping"' in html.unescape(detail.content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/settings/webhooks/{webhook.pk}/deliveries/{delivery.pk}/redeliver/")
    assert Delivery.objects.count() == 2 and len(receiver.received) == 2


def test_rotating_the_secret_signs_with_the_new_one(admin_client, webhook, receiver,
                                                   django_capture_on_commit_callbacks):
    old = webhook.secret
    admin_client.post(f"/settings/webhooks/{webhook.pk}/rotate/")
    webhook.refresh_from_db()
    assert webhook.secret != old and webhook.secret.startswith("whsec_")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/settings/webhooks/{webhook.pk}/test/")
    assert not receiver.received[0]["verified"]  # the receiver still has the old secret
    assert Delivery.objects.get().state == DeliveryState.RETRYING


def test_an_admin_edits_pauses_and_deletes_a_webhook(admin_client, webhook):
    admin_client.post(f"/settings/webhooks/{webhook.pk}/", {
        "url": "https://new.example.com/hook", "events": ["outreach.logged"],
        "description": "", })
    webhook.refresh_from_db()
    assert (webhook.url, webhook.events, webhook.is_active) == (
        "https://new.example.com/hook", ["outreach.logged"], False)
    admin_client.post(f"/settings/webhooks/{webhook.pk}/delete/")
    assert not Webhook.objects.exists()


def test_webhooks_appear_in_the_settings_sections(admin_client, db):
    page = admin_client.get("/settings/").content.decode()
    assert 'href="/settings/webhooks/"' in page
