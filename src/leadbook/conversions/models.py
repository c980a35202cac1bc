"""What a lead becomes: a Customer, Retailer, Podcast or Collab record."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from leadbook.leads.models import ConversionTarget, Lead, NamedChoice, Status

# The contact details a record copies from its lead when it is created.
CONTACT_FIELDS = (
    "name", "first_name", "last_name", "company", "email", "phone", "instagram", "website",
    "address", "city", "state", "postal_code", "country",
)


class CustomerGroup(NamedChoice):
    class Meta(NamedChoice.Meta):
        constraints = [NamedChoice.unique_name_constraint("customergroup")]


class ConvertedRecord(models.Model):
    """Common to every conversion target: the reviewed contact details and the lead."""

    target: str  # the ConversionTarget value, set by each subclass

    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="%(class)s_records")
    name = models.CharField(max_length=200)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    company = models.CharField(max_length=200, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    instagram = models.CharField(max_length=100, blank=True)
    website = models.CharField(max_length=200, blank=True)
    address = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=100, blank=True)
    notes = models.TextField(blank=True)
    # The lead's status before conversion, restored if the conversion is undone.
    previous_status = models.ForeignKey(Status, null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("conversions:detail", args=[self.target, self.pk])

    @property
    def contact_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    @classmethod
    def one_per_lead(cls, table: str) -> models.UniqueConstraint:
        return models.UniqueConstraint(
            fields=["lead"], condition=models.Q(lead__isnull=False),
            name=f"{table}_one_per_lead",
            violation_error_message="This lead was already converted to this.",
        )


class Customer(ConvertedRecord):
    target = ConversionTarget.CUSTOMER
    customer_group = models.ForeignKey(CustomerGroup, null=True, blank=True,
                                       on_delete=models.PROTECT)

    class Meta(ConvertedRecord.Meta):
        constraints = [ConvertedRecord.one_per_lead("customer")]


class RetailerKind(models.TextChoices):
    CONSIGNMENT = "consignment", "Consignment"
    WHOLESALE = "wholesale", "Wholesale"


class Retailer(ConvertedRecord):
    target = ConversionTarget.RETAILER
    kind = models.CharField(max_length=12, choices=RetailerKind.choices,
                            default=RetailerKind.WHOLESALE)
    rent = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True,
                               validators=[MinValueValidator(Decimal(0))])
    rent_due_date = models.DateField(null=True, blank=True)
    commission_rate = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, help_text="In %.",
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))])

    class Meta(ConvertedRecord.Meta):
        constraints = [
            ConvertedRecord.one_per_lead("retailer"),
            models.CheckConstraint(condition=models.Q(kind__in=RetailerKind.values),
                                   name="retailer_kind_valid"),
            models.CheckConstraint(
                condition=models.Q(commission_rate__isnull=True) | models.Q(
                    commission_rate__gte=0, commission_rate__lte=100),
                name="retailer_commission_percent"),
            models.CheckConstraint(condition=models.Q(rent__isnull=True) | models.Q(rent__gte=0),
                                   name="retailer_rent_not_negative"),
        ]
        indexes = [models.Index(fields=["rent_due_date"], name="retailer_rent_due")]


class PodcastRole(models.TextChoices):
    GUEST = "guest", "Guest"
    HOST = "host", "Host"


class DatedRecord(ConvertedRecord):
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)

    class Meta(ConvertedRecord.Meta):
        abstract = True

    def clean(self) -> None:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "The end date is before the start date."})


class Podcast(DatedRecord):
    target = ConversionTarget.PODCAST
    role = models.CharField(max_length=5, choices=PodcastRole.choices, default=PodcastRole.GUEST)

    class Meta(DatedRecord.Meta):
        constraints = [
            ConvertedRecord.one_per_lead("podcast"),
            models.CheckConstraint(condition=models.Q(role__in=PodcastRole.values),
                                   name="podcast_role_valid"),
        ]


class Collab(DatedRecord):
    target = ConversionTarget.COLLAB
    collab_type = models.CharField(max_length=100, blank=True)
    starting_followers = models.PositiveIntegerField(null=True, blank=True)
    discount_code = models.CharField(max_length=50, blank=True)

    class Meta(DatedRecord.Meta):
        constraints = [ConvertedRecord.one_per_lead("collab")]


RECORD_MODELS: dict[str, type[ConvertedRecord]] = {
    model.target: model for model in (Customer, Retailer, Podcast, Collab)
}
