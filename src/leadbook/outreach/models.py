from django.conf import settings
from django.db import models
from django.utils import timezone

from leadbook.leads.models import Lead, NamedChoice


class OutreachKind(NamedChoice):
    """How a contact attempt was made: email, call, text, DM, in person... (editable)."""

    class Meta(NamedChoice.Meta):
        constraints = [NamedChoice.unique_name_constraint("outreachkind")]


class OutreachQuerySet(models.QuerySet):
    def latest_first(self):
        return self.order_by("-happened_at", "-id")


class Outreach(models.Model):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="outreach")
    kind = models.ForeignKey(OutreachKind, on_delete=models.PROTECT)
    happened_at = models.DateTimeField(default=timezone.now)
    notes = models.TextField(blank=True)
    follow_up_on = models.DateField(null=True, blank=True)
    # Set when the follow-up was dealt with without logging another outreach ("mark done").
    follow_up_done_at = models.DateTimeField(null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OutreachQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "outreach"
        ordering = ["-happened_at", "-id"]
        indexes = [
            models.Index(fields=["lead", "-happened_at", "-id"], name="outreach_lead_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} with {self.lead} on {self.happened_at:%Y-%m-%d}"
