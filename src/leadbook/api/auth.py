"""Who is calling: `Authorization: Bearer <token>`, never a session cookie.

One check per request, in this order: a usable token (else 401), within its rate limit
(else 429 with Retry-After), and allowed to write when the request writes (a viewer's token
reads only: 403). Actions for admins only check `require_admin` themselves.
"""

import math
import time
from typing import cast

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from leadbook.accounts.models import ApiToken, User
from leadbook.accounts.services import hash_api_token

from .errors import Forbidden, RateLimited, Unauthorized

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
WINDOW_SECONDS = 60
# Without a rate limit the token row is still touched to show when it was last used, but
# only once a minute, so reading the API costs no write per request.
LAST_USED_PRECISION_SECONDS = 60


class TokenAuth(HttpBearer):
    """Bearer tokens made on the profile page or with `leadbook create_api_token`."""

    openapi_bearerFormat = "Leadbook API token"

    def __call__(self, request: HttpRequest) -> User:
        header = request.headers.get("Authorization", "")
        scheme, _, raw = header.strip().partition(" ")
        if not header:
            raise Unauthorized("Send an API token: Authorization: Bearer <token>. Create one "
                               "on your profile page.")
        if scheme.lower() != "bearer" or not raw.strip():
            raise Unauthorized("Send the token as Authorization: Bearer <token>.")
        return self.authenticate(request, raw.strip())

    def authenticate(self, request: HttpRequest, token: str) -> User:
        api_token = find_token(token)
        check_rate_limit(api_token)
        user = api_token.user
        if request.method not in SAFE_METHODS and not user.can_edit:
            raise Forbidden("This token belongs to a viewer: it can read, not change.")
        request.user = user
        request.api_token = api_token  # type: ignore[attr-defined]
        return user


def find_token(raw: str) -> ApiToken:
    token = ApiToken.objects.select_related("user").filter(
        key_hash=hash_api_token(raw)).first()
    if token is None:
        raise Unauthorized("This API token is not known. Check it was copied whole, or "
                           "create a new one on your profile page.")
    if token.revoked_at is not None:
        raise Unauthorized("This API token was revoked.")
    if token.is_expired:
        raise Unauthorized(f"This API token expired on {token.expires_at:%Y-%m-%d}.")
    if not token.user.is_active:
        raise Unauthorized("This API token's user is deactivated.")
    return token


def require_admin(request: HttpRequest) -> None:
    if not cast(User, request.user).is_admin:
        raise Forbidden("Only an admin can do this.")


def check_rate_limit(token: ApiToken, *, now: float | None = None,
                     limit: int | None = None) -> None:
    """Count this request against the token's limit (settings.API_RATE_LIMIT a minute).

    A sliding window, estimated from two fixed ones: the requests of the current minute plus
    those of the previous minute weighted by how much of it is still inside the window. The
    counts live on the token row and change in one transaction, so every web worker and
    thread shares one exact count (Django's local-memory cache would count per process,
    and its database cache cannot increment atomically). Refused requests are not counted.
    """
    limit = settings.API_RATE_LIMIT if limit is None else limit
    now = time.time() if now is None else now
    minute, into = divmod(now, WINDOW_SECONDS)
    minute = int(minute)
    stamp = timezone.now()
    if not limit:
        if token.last_used_at is None or (stamp - token.last_used_at).total_seconds() \
                >= LAST_USED_PRECISION_SECONDS:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=stamp)
        return
    with transaction.atomic():
        row = ApiToken.objects.select_for_update().filter(pk=token.pk).values(
            "rate_minute", "rate_count", "rate_previous").get()
        if row["rate_minute"] == minute:
            count, previous = row["rate_count"], row["rate_previous"]
        elif row["rate_minute"] == minute - 1:
            count, previous = 0, row["rate_count"]
        else:
            count, previous = 0, 0
        if _estimate(count, previous, into / WINDOW_SECONDS) + 1 > limit:
            raise RateLimited(_retry_after(count, previous, into, limit), limit)
        ApiToken.objects.filter(pk=token.pk).update(
            rate_minute=minute, rate_count=count + 1, rate_previous=previous,
            last_used_at=stamp)


def _estimate(count: int, previous: int, fraction_into_minute: float) -> float:
    return previous * (1 - fraction_into_minute) + count


def _retry_after(count: int, previous: int, into: float, limit: int) -> int:
    """Whole seconds until one more request fits in the window."""
    for wait in range(1, 2 * WINDOW_SECONDS + 1):
        at = into + wait
        if at < WINDOW_SECONDS:
            estimate = _estimate(count, previous, at / WINDOW_SECONDS)
        elif at < 2 * WINDOW_SECONDS:
            estimate = _estimate(0, count, (at - WINDOW_SECONDS) / WINDOW_SECONDS)
        else:
            estimate = 0
        if estimate + 1 <= limit:
            return wait
    return math.ceil(2 * WINDOW_SECONDS - into)
