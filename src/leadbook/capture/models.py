"""Web capture: the forms websites post to, and every submission they brought in."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from leadbook.leads.models import Lead, LeadType, Source, Status

from . import origins


class WebForm(models.Model):
    """A configured capture form: where its leads start (source, status, types, owner), where
    visitors go afterwards, which websites may post to it and how it treats spam."""

    name = models.CharField(max_length=100)
    key = models.SlugField(
        max_length=50, unique=True,
        help_text="Names the form in posts: /api/create-lead?form=KEY. Letters, digits and "
                  "hyphens.",
    )
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="web_forms")
    status = models.ForeignKey(Status, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="web_forms",
                               help_text="Empty: the first status (New).")
    lead_types = models.ManyToManyField(LeadType, blank=True, related_name="web_forms")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="web_forms",
        help_text="Owns the new leads and is emailed about them. Nobody: admins are emailed.",
    )
    redirect_url = models.URLField(
        "Redirect URL", max_length=500, blank=True,
        help_text="Where visitors go after sending the form, e.g. your own thank-you page. "
                  "Empty: a plain thank-you page.",
    )
    allowed_origins = models.TextField(
        blank=True,
        help_text="The websites allowed to post to this form, one per line "
                  "(https://example.com). Empty: any website.",
    )
    required_fields = models.JSONField(default=list, blank=True)
    honeypot = models.BooleanField(
        "Honeypot field", default=True,
        help_text="A hidden field people never see: a post that fills it is a bot's.",
    )
    min_fill_seconds = models.PositiveSmallIntegerField(
        "Minimum fill time", default=0,
        help_text="Seconds: a form sent faster than this after the page opened is a bot's. "
                  "0 turns it off. Needs the script line of the embed code.",
    )
    create_duplicates = models.BooleanField(
        "Create a lead even when it already exists", default=False,
        help_text="Off: a post from someone already in Leadbook (same email or phone) is added "
                  "to that lead's timeline and fills only its empty fields.",
    )
    is_active = models.BooleanField("Active", default=True,
                                    help_text="Off: the form refuses posts.")
    is_default = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_default", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=models.Q(is_default=True),
                                    name="webform_one_default"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("capture:form_embed", args=[self.pk])

    @property
    def origin_list(self) -> list[str]:
        return origins.parse_lines(self.allowed_origins)

    def allows_origin(self, origin: str) -> bool:
        """Whether a page at `origin` may post here (any page when no origin is listed)."""
        allowed = self.origin_list
        return not allowed or origins.matches(origin, allowed)


class Outcome(models.TextChoices):
    CREATED = "created", "New lead"
    MATCHED = "matched", "Added to an existing lead"
    SPAM = "spam", "Caught as spam"
    INVALID = "invalid", "Refused: incomplete or invalid"


# The outcomes that count as a submission the website's visitor got through with.
ACCEPTED = (Outcome.CREATED, Outcome.MATCHED)


class SubmissionQuerySet(models.QuerySet):
    def accepted(self):
        return self.filter(outcome__in=ACCEPTED)


class Submission(models.Model):
    """One post to /api/create-lead that named a form: what was sent and what came of it."""

    form = models.ForeignKey(WebForm, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="submissions")
    # Gone with the lead when a lead is deleted for good: the post is that person's data.
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="web_submissions")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    data = models.JSONField(default=dict, help_text="The fields as posted.")
    filled_fields = models.JSONField(default=list, blank=True,
                                     help_text="Empty fields of an existing lead it filled.")
    errors = models.JSONField(default=dict, blank=True)
    spam_reason = models.CharField(max_length=40, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    # What the rate limit counts by: the IPv4 address, or the /64 network of an IPv6 one
    # (one household or server gets a whole /64).
    rate_key = models.CharField(max_length=45, blank=True)
    origin = models.CharField(max_length=300, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["rate_key", "created_at"], name="submission_rate"),
            models.Index(fields=["form", "created_at"], name="submission_form"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(outcome__in=Outcome.values),
                                   name="submission_outcome_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} at {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def accepted(self) -> bool:
        return self.outcome in ACCEPTED
