"""Who is calling: `Authorization: Bearer <token>`, never a session cookie.

One check per request, in this order: a usable token (else 401), within its rate limit
(else 429 with Retry-After), and allowed to write when the request writes (a viewer's token
reads only: 403). Actions for admins only check `require_admin` themselves.
"""

import time
from typing import cast

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from leadbook.accounts.models import ApiToken, User
from leadbook.accounts.services import hash_api_token

from .errors import Forbidden, Unauthorized
from .ratelimit import count_request

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# The token row is touched to show when it was last used, but only once a minute, so
# reading the API costs no write per request (the rate limit counts elsewhere on SQLite).
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
    """Count this request against the token's limit (settings.API_RATE_LIMIT a minute; see
    api/ratelimit.py), and note when the token was last used."""
    limit = settings.API_RATE_LIMIT if limit is None else limit
    if limit:
        count_request(token, now=time.time() if now is None else now, limit=limit)
    stamp = timezone.now()
    if token.last_used_at is None or (stamp - token.last_used_at).total_seconds() \
            >= LAST_USED_PRECISION_SECONDS:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=stamp)
