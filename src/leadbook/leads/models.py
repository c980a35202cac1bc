import contextlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, MaxLengthValidator, MaxValueValidator
from django.db import models
from django.db.models import F
from django.db.models.functions import Lower
from django.db.models.lookups import IsNull
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from . import normalize
from .querysets import LeadManager, LeadQuerySet


class Stage(models.TextChoices):
    """Where a status sits on the lifecycle Lead → Qualified Lead → Opportunity → Customer."""

    LEAD = "lead", "Lead"
    QUALIFIED = "qualified", "Qualified"
    OPPORTUNITY = "opportunity", "Opportunity"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class Temperature(models.TextChoices):
    COLD = "cold", "Cold"
    WARM = "warm", "Warm"


class ConversionTarget(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    RETAILER = "retailer", "Retailer"
    PODCAST = "podcast", "Podcast"
    COLLAB = "collab", "Collab"


class NamedChoiceQuerySet(models.QuerySet):
    def by_name(self, name: str):
        """The row called `name`, ignoring case and surrounding spaces (or DoesNotExist)."""
        return self.get(name__iexact=name.strip())


class NamedChoice(models.Model):
    """An editable, ordered list entry (status, lead type, source) known by its name."""

    name = models.CharField(max_length=60)
    position = models.PositiveIntegerField(default=0)

    objects = NamedChoiceQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def in_use(self) -> bool:
        """Whether any record (a lead, an outreach...) refers to this entry."""
        return any(
            rel.related_model._default_manager.filter(**{rel.field.name: self}).exists()
            for rel in self._meta.related_objects
            if not rel.hidden
        )

    @classmethod
    def unique_name_constraint(cls, table: str) -> models.UniqueConstraint:
        return models.UniqueConstraint(
            Lower("name"), name=f"{table}_name_unique_ci",
            violation_error_message="That name is already taken.",
        )


class Status(NamedChoice):
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.LEAD)

    class Meta(NamedChoice.Meta):
        verbose_name_plural = "statuses"
        # Sorting the leads table by status walks this, then each status's leads by id.
        indexes = [models.Index(fields=["position", "id"], name="status_order")]
        constraints = [
            NamedChoice.unique_name_constraint("status"),
            models.CheckConstraint(
                condition=models.Q(stage__in=Stage.values), name="status_stage_valid"
            ),
        ]


class LeadType(NamedChoice):
    target = models.CharField(
        max_length=10, choices=ConversionTarget.choices, default=ConversionTarget.CUSTOMER,
        help_text="What a lead of this type converts into.",
    )

    class Meta(NamedChoice.Meta):
        constraints = [
            NamedChoice.unique_name_constraint("leadtype"),
            models.CheckConstraint(
                condition=models.Q(target__in=ConversionTarget.values),
                name="leadtype_target_valid",
            ),
        ]


class Source(NamedChoice):
    class Meta(NamedChoice.Meta):
        constraints = [NamedChoice.unique_name_constraint("source")]


def validate_instagram(value: str) -> None:
    try:
        normalize.instagram_handle(value)
    except ValueError as e:
        raise ValidationError(str(e)) from None


def validate_website(value: str) -> None:
    try:
        normalize.website_host(value)
    except ValueError as e:
        raise ValidationError(str(e)) from None


def validate_phone(value: str) -> None:
    if value and sum(map(str.isdigit, value)) < 5:
        raise ValidationError("Enter a phone number with at least 5 digits, e.g. (512) 555-0142.")


# A lead that is part of the book: not in the trash, not merged (what `Lead.objects` reads).
LIVE = models.Q(deleted_at__isnull=True, merged_into__isnull=True)
LIVE_COLUMNS = ("deleted_at", "merged_into")

# The fields a person types about a lead: the form, the API, the importer and the export
# all speak of a lead in these terms.
CONTACT_FIELDS = (
    "name", "first_name", "last_name", "company", "position", "email", "phone", "instagram",
    "website", "address", "city", "state", "postal_code", "country",
)


# The most followers a lead may have: PostgreSQL's integer column holds no more (SQLite's
# would), and every door (form, API, web forms, import) keeps to the smaller limit.
MAX_FOLLOWERS = 2_147_483_647
# The longest notes a lead may have: an imported row's limit (transfer.reading.MAX_ROW_CHARS),
# so whatever one door stores (a form, a web form, an import) another (the API) takes back.
MAX_LEAD_NOTES = 1024 * 1024


class Lead(models.Model):
    name = models.CharField(max_length=200, blank=True, help_text="Person or business.")
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    company = models.CharField(max_length=200, blank=True)
    position = models.CharField(max_length=100, blank=True)
    email = models.CharField(max_length=254, blank=True, validators=[EmailValidator()])
    phone = models.CharField(max_length=50, blank=True, validators=[validate_phone])
    instagram = models.CharField(max_length=100, blank=True, validators=[validate_instagram])
    website = models.CharField(max_length=200, blank=True, validators=[validate_website])
    address = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=100, blank=True)

    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.PROTECT)
    status = models.ForeignKey(Status, on_delete=models.PROTECT)
    temperature = models.CharField(
        max_length=4, choices=Temperature.choices, default=Temperature.COLD
    )
    lead_types = models.ManyToManyField(LeadType, blank=True, related_name="leads")
    collab_type = models.CharField(max_length=100, blank=True)
    followers = models.PositiveIntegerField(null=True, blank=True,
                                            validators=[MaxValueValidator(MAX_FOLLOWERS)])
    notes = models.TextField(blank=True, validators=[MaxLengthValidator(MAX_LEAD_NOTES)])
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="owned_leads",
    )
    # The owner's username, kept with the lead so the table sorts by owner from an index
    # (a join on the users table cannot be walked in username order). NULL without an owner,
    # as the joined username was: the sort, its index and API cursors treat it as before.
    # Written with `owner` by the lead services, merges, the importer and the demo seed, and
    # by leads.owners when a user is renamed or deleted.
    owner_name = models.CharField(  # noqa: DJ001 (NULL: no owner, like owner_id)
        max_length=150, null=True, blank=True, editable=False)
    is_active = models.BooleanField(default=True)
    converted_at = models.DateTimeField(null=True, blank=True)
    converted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    # A lead that arrived by a door nobody watches (a web form) stays unread until opened.
    is_unread = models.BooleanField(default=False)
    # Merged into another lead: kept, with a link to the survivor, but out of every list.
    # No plain index: with one, SQLite's planner picks it for `merged_into IS NULL` (nearly
    # every row) over the match-key and sort indexes. The partial index below serves the
    # rare "what was merged into this lead" lookup instead.
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="merged_leads", db_index=False)
    merged_at = models.DateTimeField(null=True, blank=True)
    # In the trash: restorable until it is emptied.
    deleted_at = models.DateTimeField(null=True, blank=True)

    # Kept up to date by the outreach services, so the table sorts and filters on them
    # without reading the outreach log.
    last_outreach_at = models.DateTimeField(null=True, blank=True)
    next_follow_up_on = models.DateField(null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # Bumped by every update; an edit based on an older version is refused.
    version = models.PositiveIntegerField(default=1)

    # Derived by `refresh_derived_fields`: the lead types as one sortable label, the match
    # keys for duplicate checks, and the lower-cased text the search box looks in.
    lead_types_label = models.CharField(max_length=300, blank=True, editable=False)
    email_key = models.CharField(max_length=254, blank=True, editable=False)
    phone_key = models.CharField(max_length=20, blank=True, editable=False)
    instagram_key = models.CharField(max_length=100, blank=True, editable=False)
    website_key = models.CharField(max_length=200, blank=True, editable=False)
    # The two blocks the fuzzy duplicate check compares names in, built from the first two
    # words of the company (or name) and the city: see normalize.name_key / name_alt_key.
    name_key = models.CharField(max_length=120, blank=True, editable=False)
    name_alt_key = models.CharField(max_length=120, blank=True, editable=False)
    search_text = models.TextField(blank=True, editable=False)

    # Leads that are part of the book: not in the trash, not merged into another lead.
    objects = LeadManager()
    # Every lead, for the trash, merges and their undo.
    all_objects = LeadQuerySet.as_manager()
    history = HistoricalRecords(
        excluded_fields=[
            "updated_at", "email_key", "phone_key", "instagram_key",
            "website_key", "name_key", "name_alt_key", "search_text", "created_at",
            "owner_name",
        ],
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(name=""), name="lead_name_required"),
            models.CheckConstraint(
                condition=models.Q(temperature__in=Temperature.values),
                name="lead_temperature_valid",
            ),
        ]
        # The table (and the API's list) only ever reads live leads (`Lead.objects`: not in
        # the trash, not merged), so its indexes are partial indexes over live leads: every
        # sort and filter walks one without visiting rows that are not live, and a count of
        # (in)active leads reads only the small `lead_live_active` index. Every sort runs
        # within active or inactive leads; the trailing id keeps the order stable and lets
        # the index serve the whole ORDER BY. Nullable sort columns lead with "is empty"
        # (see filters.order_by_clause). Each ends with the columns of the live condition:
        # SQLite then answers that condition from the index too (it does not count the
        # partial index's WHERE as covered), so a count or a deep page never reads the
        # table. Checked by tests/leads/test_query_plans.py.
        indexes = [
            models.Index(fields=["is_active", *columns, "id", *LIVE_COLUMNS],
                         name=f"lead_live_{name}", condition=LIVE)
            for name, columns in (
                ("name", ("name",)), ("status", ("status",)), ("temp", ("temperature",)),
                ("types", ("lead_types_label",)), ("contact", ("first_name", "last_name")),
                ("email", ("email",)), ("phone", ("phone",)), ("instagram", ("instagram",)),
                ("created", ("created_at",)), ("updated", ("updated_at",)),
                ("source", ("source",)), ("converted", ("converted_at",)),
            )
        ] + [
            models.Index(F("is_active"), IsNull(F("last_outreach_at"), True).desc(),
                         F("last_outreach_at"), F("id"), *(F(c) for c in LIVE_COLUMNS),
                         name="lead_live_outreach", condition=LIVE),
            models.Index(F("is_active"), IsNull(F("next_follow_up_on"), True).asc(),
                         F("next_follow_up_on"), F("id"), *(F(c) for c in LIVE_COLUMNS),
                         name="lead_live_follow_up", condition=LIVE),
            models.Index(F("is_active"), IsNull(F("owner_name"), True).asc(),
                         F("owner_name"), F("id"), *(F(c) for c in LIVE_COLUMNS),
                         name="lead_live_owner_name", condition=LIVE),
            # Pending and due follow-ups (the table's Pending filter, the dashboard).
            models.Index(fields=["is_active", "next_follow_up_on", *LIVE_COLUMNS],
                         name="lead_live_due", condition=LIVE),
            # The owner filter, and "my follow-ups due" in the navigation on every page.
            models.Index(fields=["is_active", "owner", "next_follow_up_on", *LIVE_COLUMNS],
                         name="lead_live_owner", condition=LIVE),
            # Counting: the smallest index over live leads. The id before the live columns
            # keeps SQLite (without ANALYZE statistics) from reading `deleted_at IS NULL AND
            # merged_into_id IS NULL` as a selective lookup and preferring this index to the
            # sort indexes.
            models.Index(fields=["is_active", "id", *LIVE_COLUMNS], name="lead_live_active",
                         condition=LIVE),
        ] + [
            models.Index(fields=[key], name=f"lead_{key}")
            for key in (
                "email_key", "phone_key", "instagram_key", "website_key", "name_key",
                "name_alt_key",
            )
        ] + [
            models.Index(fields=["temperature"], name="lead_temperature"),
            models.Index(fields=["merged_into"], name="lead_merged_into",
                         condition=models.Q(merged_into__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("leads:detail", args=[self.pk])

    @property
    def contact_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    @property
    def pending(self) -> bool:
        return self.next_follow_up_on is not None

    @property
    def converted(self) -> bool:
        return self.converted_at is not None

    def normalise(self) -> None:
        """Tidy what was typed (before validation) and fill Name from the contact or company
        when it was left blank."""
        for field in (*CONTACT_FIELDS, "collab_type"):
            value = getattr(self, field)
            if value != "":  # an empty field has nothing to tidy (and most fields are empty)
                setattr(self, field, normalize.clean_text(value))
        if not self.name:
            self.name = self.contact_name or self.company
        self.email = normalize.email_address(self.email)
        with contextlib.suppress(ValueError):  # the field validator reports it
            self.instagram = normalize.instagram_handle(self.instagram)

    def clean(self) -> None:
        if not self.name:
            raise ValidationError({"name": "Enter a name, or a first and last name."})

    def refresh_derived_fields(self, lead_type_names: list[str] | None = None) -> None:
        """Recompute match keys and search text; `lead_type_names` when the types changed."""
        if lead_type_names is not None:
            self.lead_types_label = ", ".join(lead_type_names)
        self.email_key = normalize.email_key(self.email)
        self.phone_key = normalize.phone_key(self.phone)
        self.instagram_key = normalize.instagram_key(self.instagram)
        try:
            self.website_key = normalize.website_key(normalize.website_host(self.website))
        except ValueError:
            self.website_key = ""
        self.name_key, self.name_alt_key = normalize.name_blocks(
            normalize.name_words(self.company or self.name), self.city)
        self.search_text = build_search_text(self)


def build_search_text(lead: Lead) -> str:
    """What the search box looks in: names, company, email, phone (also as bare digits),
    city and Instagram handle, lower-cased and separated so that words do not run together."""
    parts = [
        lead.name, lead.first_name, lead.last_name, lead.contact_name, lead.company,
        lead.email, lead.phone, normalize.digits(lead.phone), lead.city, lead.instagram,
    ]
    return "\n".join(p.lower() for p in parts if p)


# --- Counts kept by the database ---------------------------------------------------------------


class LeadTally(models.Model):
    """How many live leads share one combination of the values the table filters by.

    Counting a million leads takes longer than reading a page of them; adding up a few
    hundred tallies does not. Triggers on the leads and lead-type tables keep the tallies in
    step with every write, in the writing transaction (leads/tally.py), so a count read from
    them is exact. `lead_type` 0 tallies every lead; any other value tallies the leads of that
    type (a lead with two types is in both). Plain integers rather than foreign keys: a row
    outlives the status or user it names (at zero) without holding it back from deletion,
    and 0 stands for "none" (no source, no owner)."""

    lead_type = models.PositiveIntegerField()
    is_active = models.BooleanField()
    status = models.PositiveIntegerField()
    temperature = models.CharField(max_length=4, blank=True)
    source = models.PositiveIntegerField()
    owner = models.PositiveIntegerField()
    pending = models.BooleanField()
    converted = models.BooleanField()
    leads = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["lead_type", "is_active", "status", "temperature", "source", "owner",
                    "pending", "converted"], name="lead_tally_key")]

    def __str__(self) -> str:
        return f"{self.leads} leads"


# --- Duplicates: dismissed pairs, merges and the cached whole-database scan ------------------


class DuplicateDismissal(models.Model):
    """Two leads someone said are not duplicates: never suggested as such again.

    Stored once per pair, the lower id first."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="+")
    dismissed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    dismissed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lead", "other"], name="duplicatedismissal_pair"),
            models.CheckConstraint(condition=models.Q(lead__lt=models.F("other")),
                                   name="duplicatedismissal_ordered"),
        ]
        indexes = [models.Index(fields=["other"], name="duplicatedismissal_other")]

    def __str__(self) -> str:
        return f"#{self.lead_id} is not #{self.other_id}"


class LeadMerge(models.Model):
    """Leads merged into a survivor, with all that undoing the merge needs: the survivor's
    values before and after, and exactly which rows of which tables moved from which lead."""

    survivor = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="+")
    merged_lead_ids = models.JSONField(default=list)
    # The merged leads' names when they were merged, for the timeline.
    merged_names = models.JSONField(default=list)
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    merged_at = models.DateTimeField(default=timezone.now)
    # {"fields": {name: value}, "lead_type_ids": [...]} of the survivor (FKs as ids).
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    # [{"model": "outreach.outreach", "field": "lead", "rows": [[row id, from lead id]...]}]
    moved = models.JSONField(default=list)
    # One-per-lead records left with their merged lead because the survivor had one of
    # that kind: [{"model", "label", "id", "lead_id", "name"}].
    kept = models.JSONField(default=list)
    # Ids of the "not a duplicate" pairs the merge carried over to the survivor.
    added_dismissal_ids = models.JSONField(default=list)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-merged_at", "-id"]
        indexes = [models.Index(fields=["survivor", "-merged_at"], name="leadmerge_survivor")]

    def __str__(self) -> str:
        return f"Merge of {', '.join(self.merged_names)} into #{self.survivor_id}"

    @property
    def undone(self) -> bool:
        return self.undone_at is not None

    def merged_labels(self) -> str:
        """'Corner Cup (#12), Corner Cup Coffee (#40)': the merged leads as they were."""
        return ", ".join(f"{name} (#{lead_id})" for name, lead_id
                         in zip(self.merged_names, self.merged_lead_ids, strict=False))

    def moved_summary(self) -> str:
        """'3 outreach, 1 customer': what moved to the survivor, for people."""
        from django.apps import apps

        parts = []
        for entry in self.moved:
            meta = apps.get_model(entry["model"])._meta
            count = len(entry["rows"])
            parts.append(f"{count} {meta.verbose_name if count == 1 else meta.verbose_name_plural}")
        return ", ".join(parts)


class ScanState(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Checking"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class DuplicateScan(models.Model):
    """One check of the whole book for duplicates (a background job) and when it ran; its
    groups are what the Duplicates page shows until the next check."""

    state = models.CharField(max_length=8, choices=ScanState.choices, default=ScanState.QUEUED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    lead_count = models.PositiveIntegerField(null=True, blank=True)
    group_count = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(state__in=ScanState.values),
                                   name="duplicatescan_state_valid"),
        ]

    def __str__(self) -> str:
        return f"Duplicate check {self.requested_at:%Y-%m-%d %H:%M} ({self.state})"

    @property
    def in_progress(self) -> bool:
        return self.state in (ScanState.QUEUED, ScanState.RUNNING)


class DuplicateScanGroup(models.Model):
    """A group of likely duplicates found by a scan, in the scan's order (best first).

    Merges and "not a duplicate" answers given since the scan narrow `lead_ids` down from
    `found_lead_ids`; a group left with fewer than two leads is closed (and reopened by an
    undo)."""

    scan = models.ForeignKey(DuplicateScan, on_delete=models.CASCADE, related_name="groups")
    position = models.PositiveIntegerField()
    found_lead_ids = models.JSONField()
    lead_ids = models.JSONField()
    is_open = models.BooleanField(default=True)
    reason = models.CharField(max_length=12)
    score = models.FloatField()
    detail = models.CharField(max_length=500)
    reasons = models.JSONField(default=list)

    class Meta:
        ordering = ["position"]
        indexes = [
            models.Index(fields=["scan", "is_open", "position"], name="duplicatescangroup_order"),
            models.Index(fields=["scan", "is_open", "reason", "position"],
                         name="duplicatescangroup_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.detail} ({len(self.lead_ids)} leads)"
