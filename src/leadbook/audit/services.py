"""Writing the audit log, and the sign-in throttle."""

import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from .models import AuditEntry, FailedSignIn


def client_ip(request) -> str | None:
    """The client's address. Behind a trusted proxy (LEADBOOK_BEHIND_PROXY) the first
    X-Forwarded-For hop; otherwise the socket's peer, which a client cannot forge."""
    if request is None:
        return None
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(*, action: str, actor=None, target: str = "", request=None,
                 **details: Any) -> AuditEntry:
    """Add an entry to the audit log."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEntry.objects.create(
        action=action, actor=actor, actor_name=actor.get_username() if actor else "",
        target=target[:200], details=details, ip=client_ip(request),
    )


# --- sign-in throttle -----------------------------------------------------------------------
WINDOW = datetime.timedelta(minutes=15)


def sign_in_blocked(*, username: str, ip: str | None) -> bool:
    """Too many recent failures for this username, or from this address."""
    since = timezone.now() - WINDOW
    recent = FailedSignIn.objects.filter(at__gte=since)
    if username and recent.filter(username__iexact=username).count() >= \
            settings.SIGN_IN_MAX_FAILURES_PER_USER:
        return True
    return bool(ip) and recent.filter(ip=ip).count() >= settings.SIGN_IN_MAX_FAILURES_PER_IP


def sign_in_failed(*, username: str, ip: str | None) -> None:
    FailedSignIn.objects.create(username=username[:150], ip=ip)
    # Old failures no longer count; drop them now and then.
    FailedSignIn.objects.filter(at__lt=timezone.now() - 4 * WINDOW).delete()


def sign_in_succeeded(*, username: str) -> None:
    FailedSignIn.objects.filter(username__iexact=username).delete()
