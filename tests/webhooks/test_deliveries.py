"""Events become signed deliveries, sent by the background worker, retried with backoff,
logged with the response status."""

import datetime

import pytest
from django.utils import timezone

from leadbook.webhooks import signing
from leadbook.webhooks.models import Delivery, DeliveryState
from leadbook.webhooks.tasks import MAX_ATTEMPTS, RETRY_DELAYS, deliver_webhook

from ..api.conftest import ApiClient, token_for


@pytest.fixture
def api(member, settings):
    settings.API_RATE_LIMIT = 0
    return ApiClient(token_for(member))


def test_a_lead_created_through_the_api_is_delivered_signed(
        api, webhook, receiver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/leads", {"name": "Corner Cup", "email": "hi@cornercup.example"})
    assert response.status_code == 201
    [hit] = receiver.received
    assert hit["verified"], "the receiver's own HMAC check accepts the signature"
    assert hit["headers"]["X-Leadbook-Event"] == "lead.created"
    assert hit["headers"]["Content-Type"] == "application/json"
    body = hit["json"]
    assert body["event"] == "lead.created" and body["actor"] == "sam"
    assert body["data"]["lead"] == response.json()
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.response_status, delivery.attempts) == (
        DeliveryState.DELIVERED, 200, 1)
    assert hit["headers"]["X-Leadbook-Delivery"] == str(delivery.uuid)


def test_each_lead_event_reaches_the_webhooks_that_hear_it(
        api, admin, webhook, receiver, django_capture_on_commit_callbacks):
    from leadbook.webhooks.services import create_webhook

    quiet = create_webhook(actor=admin, url=receiver.url + "?quiet", events=["lead.deleted"])
    with django_capture_on_commit_callbacks(execute=True):
        lead = api.post("/leads", {"name": "Juniper & Vine",
                                   "lead_types": ["Wholesale"]}).json()
        api.patch(f"/leads/{lead['id']}", {"city": "Austin"})
        api.post(f"/leads/{lead['id']}/outreach", {"kind": "Email", "notes": "Line sheet"})
        api.post(f"/leads/{lead['id']}/convert", {"target": "retailer", "rent": 250})
        api.delete(f"/leads/{lead['id']}")
    main = [hit for hit in receiver.received if hit["path"].endswith("leadbook")]
    events = [hit["json"]["event"] for hit in main]
    assert events[0] == "lead.created" and events[-1] == "lead.deleted"
    assert {"lead.updated", "outreach.logged", "lead.converted"} <= set(events)
    assert all(hit["verified"] for hit in main)
    updated = next(h["json"]["data"] for h in receiver.received
                   if h["json"]["event"] == "lead.updated")
    assert updated["fields"] == ["city"] and updated["lead"]["city"] == "Austin"
    converted = next(h["json"]["data"] for h in receiver.received
                     if h["json"]["event"] == "lead.converted")
    assert converted["target"] == "retailer" and converted["record"]["rent"] == "250.00"
    logged = next(h["json"]["data"] for h in receiver.received
                  if h["json"]["event"] == "outreach.logged")
    assert logged["outreach"]["kind"] == "Email" and logged["outreach"]["notes"] == "Line sheet"
    assert [d.event for d in quiet.deliveries.all()] == ["lead.deleted"]


def test_a_paused_webhook_hears_nothing(api, webhook, receiver,
                                       django_capture_on_commit_callbacks):
    webhook.is_active = False
    webhook.save()
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/leads", {"name": "Corner Cup"})
    assert receiver.received == [] and not Delivery.objects.exists()


def test_a_failing_url_is_retried_with_growing_waits_then_given_up(
        api, webhook, receiver, settings, django_capture_on_commit_callbacks):
    """With the database backend the worker runs the retries at `run_after`; the dummy
    backend keeps them so the test can play the worker."""
    from django_tasks import default_task_backend

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    receiver.status = 503
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/leads", {"name": "Corner Cup"})
    delivery = Delivery.objects.get()
    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        queued = default_task_backend.results[-1]
        if attempt > 1:
            waits.append((queued.task.run_after - delivery.last_attempt_at).total_seconds())
        assert queued.args == [delivery.pk] or queued.args == (delivery.pk,)
        deliver_webhook.call(delivery.pk)  # what the worker does
        delivery.refresh_from_db()
        assert delivery.attempts == attempt and delivery.response_status == 503
    assert delivery.state == DeliveryState.FAILED and delivery.next_attempt_at is None
    assert len(default_task_backend.results) == MAX_ATTEMPTS  # nothing after the last try
    for wait, delay in zip(waits, RETRY_DELAYS, strict=True):
        assert delay <= wait <= delay * 1.1 + 1
    assert len(receiver.received) == MAX_ATTEMPTS


def test_a_retry_that_succeeds_ends_the_delivery(api, webhook, receiver, settings,
                                                 django_capture_on_commit_callbacks):
    from django_tasks import default_task_backend

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/leads", {"name": "Corner Cup"})
    delivery = Delivery.objects.get()
    deliver_webhook.call(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.RETRYING and delivery.next_attempt_at > timezone.now()
    receiver.status = 204
    deliver_webhook.call(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.response_status, delivery.attempts) == (
        DeliveryState.DELIVERED, 204, 2)
    assert deliver_webhook.call(delivery.pk) == "skipped"  # a late duplicate does nothing
    assert len(default_task_backend.results) == 2


def test_an_unreachable_url_is_logged_with_its_error(admin, django_capture_on_commit_callbacks):
    from leadbook.webhooks.dispatch import queue_event
    from leadbook.webhooks.services import create_webhook

    create_webhook(actor=admin, url="http://127.0.0.1:9/nothing-listens", events=["lead.created"])
    [delivery] = queue_event("lead.created", admin, {"note": "hello"})
    delivery.refresh_from_db()
    assert delivery.response_status is None and delivery.error
    assert delivery.state == DeliveryState.RETRYING and delivery.attempts == 1


def test_the_signature_covers_timestamp_and_body():
    body = b'{"event": "lead.created"}'
    sent = signing.signature("whsec_x", 1_800_000_000, body)
    assert signing.verify("whsec_x", "1800000000", body, sent, now=1_800_000_010)
    assert not signing.verify("whsec_y", "1800000000", body, sent, now=1_800_000_010)
    assert not signing.verify("whsec_x", "1800000000", body + b" ", sent, now=1_800_000_010)
    assert not signing.verify("whsec_x", "1800000001", body, sent, now=1_800_000_010)
    assert not signing.verify("whsec_x", "1800000000", body, sent, now=1_800_001_000)


def test_old_finished_deliveries_are_pruned(webhook):
    from leadbook.webhooks.tasks import prune_log

    old = timezone.now() - datetime.timedelta(days=31)
    Delivery.objects.create(webhook=webhook, event="lead.created", body="{}",
                            state=DeliveryState.DELIVERED, created_at=old)
    retrying = Delivery.objects.create(webhook=webhook, event="lead.created", body="{}",
                                       state=DeliveryState.RETRYING, created_at=old)
    prune_log()
    assert list(Delivery.objects.all()) == [retrying]


def test_any_event_payload_becomes_json(make_lead, admin, webhook):
    """lead.merged names the surviving lead, the merged ones and the merge record."""
    import json

    from leadbook.webhooks.payloads import event_body

    kept, gone = make_lead(name="Juniper & Vine"), make_lead(name="Juniper and Vine")
    body = json.loads(event_body("lead.merged", admin,
                                 {"lead": kept, "merged": [gone], "merge": webhook}))
    assert body["data"]["lead"]["name"] == "Juniper & Vine"
    assert body["data"]["merged"][0]["id"] == gone.pk
    assert body["data"]["merge"] == {"id": webhook.pk, "name": str(webhook)}
    assert body["actor"] == "dana"
