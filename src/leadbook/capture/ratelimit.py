"""How many posts one visitor may send: LEADBOOK_CAPTURE_RATE_LIMIT per IP address.

The count is read from the submissions themselves (an indexed query on rate_key and time),
not from a per-process cache. So every gunicorn worker and thread, and every Leadbook
server sharing one PostgreSQL database, sees the same count: the limit holds however many
workers there are. (A LocMemCache counter would give each worker its own count and let a
visitor through workers x limit times.) Posts refused by the limit are not stored, so they
do not count; posts caught as spam or refused as invalid do. Requests arriving at the same
instant are checked before any of them is stored, so a burst may pass the limit by as many
requests as there are server threads: a rate limit, not an exact quota.

Behind a reverse proxy (LEADBOOK_BEHIND_PROXY=true) the visitor's address is the last one the
proxy appended to X-Forwarded-For; otherwise it is the connection's address.
"""

import datetime
import ipaddress
import math

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from .models import Submission


def client_ip(request: HttpRequest) -> str | None:
    """The visitor's IP address, or None when the server was not given a readable one."""
    candidate = request.META.get("REMOTE_ADDR", "")
    if getattr(settings, "CAPTURE_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            candidate = forwarded.split(",")[-1]
    try:
        address = ipaddress.ip_address(candidate.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return str(address)


def rate_key(ip: str | None) -> str:
    """What the limit counts by: an IPv4 address, or the /64 network of an IPv6 address."""
    if ip is None:
        return "unknown"
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return ip


def retry_after(key: str, now: datetime.datetime | None = None) -> int | None:
    """Seconds until `key` may post again when it is over the limit, else None."""
    limit, window = settings.CAPTURE_RATE_LIMIT
    if not limit:
        return None
    now = now or timezone.now()
    span = datetime.timedelta(seconds=window)
    # The limit-th most recent post of the window: while it is inside, the visitor waits.
    oldest_counted = (Submission.objects.filter(rate_key=key, created_at__gt=now - span)
                      .order_by("-created_at").values_list("created_at", flat=True)
                      [limit - 1:limit])
    for created_at in oldest_counted:
        return max(1, math.ceil((created_at + span - now).total_seconds()))
    return None
