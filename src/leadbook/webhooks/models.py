"""Webhooks: URLs that hear about business events, and the log of every delivery."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

# The events a webhook can subscribe to, as the settings page offers them.
EVENT_CHOICES = [
    ("lead.created", "A lead is added"),
    ("lead.updated", "A lead is changed (set inactive included)"),
    ("lead.deleted", "A lead is deleted (moved to the trash)"),
    ("lead.converted", "A lead is converted into a customer, retailer, podcast or collab"),
    ("lead.merged", "Leads are merged"),
    ("outreach.logged", "Outreach is logged"),
]
PING_EVENT = "ping"  # the test event sent from the settings page


class Webhook(models.Model):
    url = models.URLField(max_length=500, verbose_name="URL",
                          help_text="Leadbook POSTs JSON here, signed with the secret.")
    description = models.CharField(max_length=200, blank=True,
                                   help_text="What listens here, for you to remember.")
    events = models.JSONField(default=list, help_text="The events this URL hears about.")
    secret = models.CharField(max_length=100, editable=False)
    is_active = models.BooleanField(default=True, verbose_name="Active",
                                    help_text="Untick to pause deliveries.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["url", "id"]

    def __str__(self) -> str:
        return self.url

    def hears(self, event: str) -> bool:
        return self.is_active and event in self.events


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    RETRYING = "retrying", "Retrying"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    """One event sent (or to be sent) to one webhook, with the outcome of the last try."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The exact JSON sent: what the signature covers.
    body = models.TextField()
    state = models.CharField(max_length=10, choices=DeliveryState.choices,
                             default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["webhook", "-created_at", "-id"], name="delivery_webhook_latest"),
            models.Index(fields=["created_at"], name="delivery_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(state__in=DeliveryState.values),
                                   name="delivery_state_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook}"

    @property
    def succeeded(self) -> bool:
        return self.state == DeliveryState.DELIVERED
