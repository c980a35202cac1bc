"""Sending deliveries, in the background worker, with retries.

A delivery succeeds on any 2xx answer. Otherwise (another status, a timeout, a refused
connection) it is tried again later, waiting longer each time (RETRY_DELAYS), and marked
failed after the last attempt. Redirects are not followed: a webhook URL should be the
final one.
"""

import datetime
import json
import logging
import random
import time
import urllib.error
import urllib.request

from django.utils import timezone
from django_tasks import task

from . import signing
from .models import Delivery, DeliveryState

logger = logging.getLogger(__name__)

# Seconds to wait before attempts 2, 3, ...: 1 min, 5 min, 30 min, 2 h, 8 h (6 attempts
# over about ten and a half hours).
RETRY_DELAYS = (60, 300, 1800, 7200, 28800)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
TIMEOUT_SECONDS = 10
KEEP_RESPONSE_CHARS = 2000
KEEP_DAYS = 30  # deliveries older than this are removed from the log
USER_AGENT = "Leadbook-Webhooks/1"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


@task()
def deliver_webhook(delivery_id: int) -> str:
    """Try one delivery; schedule the next try when it fails. Returns the new state."""
    delivery = Delivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None or delivery.state in (DeliveryState.DELIVERED, DeliveryState.FAILED):
        return "skipped"
    attempt(delivery)
    if delivery.state == DeliveryState.RETRYING:
        schedule_retry(delivery)
    prune_log()
    return delivery.state


def attempt(delivery: Delivery) -> None:
    """POST the delivery once and record what happened."""
    body = delivery.body.encode()
    timestamp = int(time.time())
    url = delivery.webhook.url
    if not url.lower().startswith(("http://", "https://")):  # the services allow no other
        raise ValueError(f"Not an http(s) URL: {url}")
    request = urllib.request.Request(url, data=body, method="POST", headers={  # noqa: S310
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Leadbook-Event": delivery.event,
        "X-Leadbook-Delivery": str(delivery.uuid),
        signing.TIMESTAMP_HEADER: str(timestamp),
        signing.SIGNATURE_HEADER: signing.signature(delivery.webhook.secret, timestamp, body),
    })
    started = time.perf_counter()
    status, text, error = None, "", ""
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            status, text = response.status, _read(response)
    except urllib.error.HTTPError as e:  # an answer, just not a 2xx one
        status, text = e.code, _read(e)
    except (urllib.error.URLError, OSError, ValueError) as e:
        error = str(getattr(e, "reason", e))[:300] or type(e).__name__
    delivery.duration_ms = round((time.perf_counter() - started) * 1000)
    delivery.attempts += 1
    delivery.last_attempt_at = timezone.now()
    delivery.response_status = status
    delivery.response_body = text
    delivery.error = error
    delivery.next_attempt_at = None
    if status is not None and 200 <= status < 300:
        delivery.state = DeliveryState.DELIVERED
    elif delivery.attempts < MAX_ATTEMPTS and delivery.webhook.is_active:
        delivery.state = DeliveryState.RETRYING
        delay = RETRY_DELAYS[delivery.attempts - 1]
        # A little jitter, so many deliveries failing together do not all retry together.
        delivery.next_attempt_at = delivery.last_attempt_at + datetime.timedelta(
            seconds=delay * random.uniform(1, 1.1))
    else:
        delivery.state = DeliveryState.FAILED
    delivery.save()
    if delivery.state != DeliveryState.DELIVERED:
        logger.info("Webhook delivery %s to %s failed (attempt %s): %s", delivery.pk,
                    delivery.webhook.url, delivery.attempts, status or error)


def _read(response) -> str:
    try:
        raw = response.read(KEEP_RESPONSE_CHARS * 4)
    except OSError:
        return ""
    return raw.decode("utf-8", "replace")[:KEEP_RESPONSE_CHARS]


def schedule_retry(delivery: Delivery) -> None:
    """Enqueue the next try for `next_attempt_at`. A backend that cannot wait (the immediate
    one, used in tests) would retry at once in this process: then the delivery stays
    `retrying` and can be redelivered from its webhook's page."""
    if deliver_webhook.get_backend().supports_defer:
        deliver_webhook.using(run_after=delivery.next_attempt_at).enqueue(delivery.pk)


def prune_log() -> None:
    """Keep the delivery log to the last KEEP_DAYS days."""
    cutoff = timezone.now() - datetime.timedelta(days=KEEP_DAYS)
    Delivery.objects.filter(created_at__lt=cutoff).exclude(
        state__in=[DeliveryState.PENDING, DeliveryState.RETRYING]).delete()


def payload_preview(delivery: Delivery) -> str:
    """The body, indented for people."""
    try:
        return json.dumps(json.loads(delivery.body), indent=2, ensure_ascii=False)
    except ValueError:
        return delivery.body

