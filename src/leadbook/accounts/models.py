from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"


# Each role can do everything the roles after it can.
ROLE_RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2}


class User(AbstractUser):
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    notify_new_web_leads = models.BooleanField(
        default=True, help_text="Email me when a web form brings in a lead I own (or, as an "
                                "admin, a lead nobody owns).")

    objects = UserManager()

    class Meta:
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="user_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    def has_role(self, role: str) -> bool:
        """True when the user is active and holds `role` or a higher one."""
        return self.is_active and ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role(role)]

    @property
    def short_name(self) -> str:
        """'Dana R.' — what a crowded table has room for."""
        if self.first_name:
            return f"{self.first_name} {self.last_name[:1]}." if self.last_name \
                else self.first_name
        return self.username

    @property
    def is_admin(self) -> bool:
        return self.has_role(Role.ADMIN)

    @property
    def can_edit(self) -> bool:
        return self.has_role(Role.MEMBER)


class ApiTokenQuerySet(models.QuerySet):
    def usable(self):
        """Tokens that open the API now: not revoked, not expired, their user active."""
        return self.filter(revoked_at__isnull=True, user__is_active=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=timezone.now()))


class ApiToken(models.Model):
    """A key to the REST API, acting as its user (a viewer's token reads only).

    Only the SHA-256 of the token is stored: tokens are random and long, so a fast hash is
    as safe as a slow one here, and it lets a request be checked with one indexed lookup.
    The prefix (the first characters) is kept to recognise a token in lists.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What uses it, e.g. “Zapier”.")
    prefix = models.CharField(max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The rate limit's sliding window: requests counted in the current minute and the one
    # before it. Kept on the token row so every web worker shares one exact count.
    rate_minute = models.PositiveBigIntegerField(default=0, editable=False)
    rate_count = models.PositiveIntegerField(default=0, editable=False)
    rate_previous = models.PositiveIntegerField(default=0, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and not self.is_expired and self.user.is_active

    @property
    def state(self) -> str:
        """'active', 'expired' or 'revoked', as the profile page shows it."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.is_expired else "active"
