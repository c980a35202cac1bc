from django.db import models


class ContactRequirement(models.TextChoices):
    NONE = "none", "Name only"
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    EMAIL_OR_PHONE = "email_or_phone", "Email or phone"


class WorkspaceSettings(models.Model):
    """Settings an admin changes in the app; one row."""

    contact_requirement = models.CharField(
        max_length=20, choices=ContactRequirement.choices, default=ContactRequirement.NONE,
        help_text="What a lead needs besides its name.",
    )
    first_outreach_moves_to_contacted = models.BooleanField(
        default=True,
        help_text="Logging the first outreach of a lead in the first status (New) moves it to "
                  "the next status of the Lead stage (Contacted).",
    )
    members_see_own_leads_only = models.BooleanField(
        default=False,
        help_text="A member sees and works on only the leads they own (in the table, on the "
                  "board, the dashboard, follow-ups, exports and the API). Admins and viewers "
                  "see every lead.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "workspace settings"
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="workspace_settings_single"),
            models.CheckConstraint(
                condition=models.Q(contact_requirement__in=ContactRequirement.values),
                name="workspace_contact_requirement_valid",
            ),
        ]

    def __str__(self) -> str:
        return "Workspace settings"

    @classmethod
    def load(cls) -> "WorkspaceSettings":
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj
