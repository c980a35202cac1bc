"""Import jobs: an uploaded file on its way from "Match columns" to a report (and maybe undo).

A job keeps what the wizard decided (column mapping, spellings to use, what to do with
duplicates), its progress, its counts, and the leads it wrote, so that it can be resumed after a
crash and undone later. Rows with problems and rows that look like duplicates are kept in
their own tables, so the review pages can page through them and the progress bar never has
to read them.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse


class ImportState(models.TextChoices):
    MAPPING = "mapping", "Match columns"
    CHECKING = "checking", "Checking"
    REVIEW = "review", "Review"
    QUEUED = "queued", "Waiting to start"
    IMPORTING = "importing", "Importing"
    DONE = "done", "Imported"
    FAILED = "failed", "Failed"
    UNDONE = "undone", "Undone"


class DuplicateAction(models.TextChoices):
    SKIP = "skip", "Skip"
    UPDATE = "update", "Update existing"
    CREATE = "create", "Create anyway"


# States in which a worker is (or should be) busy with the job; the page keeps polling.
BUSY_STATES = (ImportState.CHECKING, ImportState.QUEUED, ImportState.IMPORTING)


class ImportJob(models.Model):
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    file = models.FileField(upload_to="imports/%Y/%m/", max_length=300)
    filename = models.CharField(max_length=255, help_text="The name the file was uploaded as.")
    # What the reader found: format, encoding, delimiter or sheet.
    file_info = models.JSONField(default=dict, blank=True)
    headers = models.JSONField(default=list, blank=True)
    mapping = models.JSONField(default=dict, blank=True)  # {file header: field name or None}
    # on_duplicate ("skip" | "update" | "create") and replacements
    # ({field: {value as typed: value to import}}: accepted spellings and fixed names).
    options = models.JSONField(default=dict, blank=True)

    state = models.CharField(max_length=12, choices=ImportState.choices,
                             default=ImportState.MAPPING)
    message = models.TextField(blank=True, help_text="Why the job failed, for the user.")

    # Progress of the current phase (checking or importing), in file rows.
    total_rows = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    # Resume point: the spreadsheet row number of the last row a committed batch handled.
    last_row = models.PositiveIntegerField(default=0)
    phase_started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # The run that owns the job while it imports; a second worker on the same job stops.
    run_token = models.CharField(max_length=32, blank=True)

    # The check.
    checked_at = models.DateTimeField(null=True, blank=True)
    # Fingerprint of the mapping, spellings and lists the prepared rows were made with.
    check_key = models.CharField(max_length=64, blank=True)
    valid_rows = models.PositiveIntegerField(default=0)
    invalid_rows = models.PositiveIntegerField(default=0)
    similar_values = models.JSONField(default=list, blank=True)
    unknown_values = models.JSONField(default=list, blank=True)

    # The import.
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)

    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    undo_summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(state__in=ImportState.values),
                                   name="importjob_state_valid"),
        ]

    def __str__(self) -> str:
        return f"Import of {self.filename}"

    def get_absolute_url(self) -> str:
        return reverse("transfer:job", args=[self.pk])

    @property
    def busy(self) -> bool:
        return self.state in BUSY_STATES

    @property
    def on_duplicate(self) -> str:
        return self.options.get("on_duplicate") or DuplicateAction.SKIP

    @property
    def replacements(self) -> dict[str, dict[str, str]]:
        return self.options.get("replacements") or {}


class RowError(models.Model):
    """A problem with one cell (or one row) of the file, found by the check or the import."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    row = models.PositiveIntegerField()  # as the spreadsheet numbers it: header = 1
    column = models.CharField(max_length=300, blank=True)  # the file's header
    field = models.CharField(max_length=40, blank=True)
    message = models.TextField()
    value = models.TextField(blank=True)

    class Meta:
        ordering = ["row", "id"]
        indexes = [models.Index(fields=["job", "row"], name="rowerror_job_row")]

    def __str__(self) -> str:
        return f"Row {self.row}, {self.column}: {self.message}"


class RowDuplicate(models.Model):
    """A row that looks like an existing lead or an earlier row of the same file."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="duplicates")
    row = models.PositiveIntegerField()
    lead_id = models.BigIntegerField(null=True, blank=True)
    duplicate_of_row = models.PositiveIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=20)  # id, email, phone, instagram, website, name
    score = models.FloatField(default=0)
    detail = models.CharField(max_length=300, blank=True)
    # What the user chose for this row; "" follows the job's default.
    action = models.CharField(max_length=10, blank=True,
                              choices=[("", "Default"), *DuplicateAction.choices])
    # The row's main values, to show beside the existing lead.
    preview = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["row"]
        indexes = [models.Index(fields=["job", "row"], name="rowduplicate_job_row")]

    def __str__(self) -> str:
        return f"Row {self.row} ({self.reason})"


class ImportedLead(models.Model):
    """A lead an import created or updated: what undo works from."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"

    # (job, row) below serves lookups by job: one index fewer to keep up on every insert.
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="leads",
                            db_index=False)
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="+")
    row = models.PositiveIntegerField()
    action = models.CharField(max_length=8, choices=Action.choices)
    # For an update: the lead's values just before it (None when the lead was made by the
    # same import). Undo writes them back.
    before = models.JSONField(null=True, blank=True)
    # The version the import left the lead at: undo leaves alone leads edited since.
    version_after = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["job", "row"]
        indexes = [models.Index(fields=["job", "row"], name="importedlead_job_row")]

    def __str__(self) -> str:
        return f"Row {self.row}: lead {self.lead_id} {self.action}"
