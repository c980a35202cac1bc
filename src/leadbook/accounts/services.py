"""Changes to accounts: first admin, users and roles, API tokens."""

import datetime
import hashlib
import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from leadbook.audit.services import audit_record

from .models import ApiToken, Role, User


def create_user(
    *, username: str, password: str | None, role: str = Role.MEMBER, email: str = "",
    first_name: str = "", last_name: str = "",
) -> User:
    username = username.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": "That username is taken."})
    user = User(username=username, email=email.strip(), role=role, first_name=first_name.strip(),
                last_name=last_name.strip(), is_staff=role == Role.ADMIN)
    if password:
        try:
            validate_password(password, user)
        except ValidationError as e:
            raise ValidationError({"password": e.messages}) from None
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user


def create_first_admin(*, username: str, password: str, email: str = "") -> User:
    """Create the first account, an admin; refused once any account exists."""
    with transaction.atomic():
        if User.objects.exists():
            raise ValidationError("Leadbook is already set up. Sign in instead.")
        return create_user(username=username, password=password, email=email, role=Role.ADMIN)


def update_user(*, user: User, actor: User, role: str, is_active: bool, email: str,
                first_name: str, last_name: str) -> User:
    """Change a user's role, details or active state. Admins cannot lock themselves out,
    and the last active admin stays an admin."""
    before = {"role": user.role, "is_active": user.is_active}
    demoting = user.role == Role.ADMIN and (role != Role.ADMIN or not is_active)
    if demoting:
        if user.pk == actor.pk:
            raise ValidationError("You cannot remove your own admin role or deactivate "
                                  "yourself; ask another admin.")
        if not User.objects.filter(role=Role.ADMIN, is_active=True).exclude(pk=user.pk).exists():
            raise ValidationError("Leadbook needs at least one active admin.")
    user.role = role
    user.is_staff = role == Role.ADMIN
    user.is_active = is_active
    user.email = email.strip()
    user.first_name = first_name.strip()
    user.last_name = last_name.strip()
    user.full_clean(exclude=["password"])
    user.save()
    after = {"role": user.role, "is_active": user.is_active}
    if after != before:
        audit_record(action="user.access_changed", actor=actor, target=f"user {user.username}",
                     before=before, after=after)
    return user


def send_invitation(user: User) -> None:
    """Email a new user a one-time link to choose their password (Django's reset token)."""
    site = urlsplit(settings.SITE_URL)
    context = {
        "user": user, "protocol": site.scheme, "domain": site.netloc,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }
    subject = render_to_string("registration/invite_subject.txt", context).strip()
    body = render_to_string("registration/invite_email.txt", context)
    send_mail(subject, body, None, [user.email])


# --- API tokens -------------------------------------------------------------------------------
# "lb_" + 43 URL-safe characters (256 random bits); the first characters are kept as the prefix.
TOKEN_PREFIX = "lb_"  # noqa: S105 (a label, not a secret)
SHOWN_PREFIX_LENGTH = 9


def hash_api_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def create_api_token(
    *, user: User, name: str, expires_at: datetime.datetime | None = None,
    actor: User | None = None,
) -> tuple[ApiToken, str]:
    """Make a token for `user` (by `actor`, the user themself unless said otherwise); returns
    it with the raw key, which is never stored and can be shown only now."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "Name the token after what will use it."})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "Choose an expiry date in the future."})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, expires_at=expires_at,
                     prefix=raw[:SHOWN_PREFIX_LENGTH], key_hash=hash_api_token(raw))
    with transaction.atomic():
        token.full_clean()
        token.save()
        audit_record(action="token.created", actor=actor or user,
                     target=f"token {token.prefix}… of {user.username}", name=token.name,
                     expires_at=expires_at.isoformat() if expires_at else None)
    return token, raw


def revoke_api_token(*, token: ApiToken, actor: User) -> ApiToken:
    """Stop a token working, at once and for good (it stays listed as revoked)."""
    if token.user_id != actor.pk and not actor.is_admin:
        raise ValidationError("You can only revoke your own tokens.")
    if token.revoked_at is None:
        with transaction.atomic():
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit_record(action="token.revoked", actor=actor,
                         target=f"token {token.prefix}… of {token.user.username}",
                         name=token.name)
    return token
