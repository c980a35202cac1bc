"""The Customers, Retailers, Podcasts and Collabs sections: what each table shows, filters
and sorts by. One description per section drives one set of views."""

import datetime
from dataclasses import dataclass, field

from django.db.models import F, Q, QuerySet
from django.http import QueryDict
from django.utils import timezone

from leadbook.leads.models import ConversionTarget

from .models import RECORD_MODELS, ConvertedRecord, CustomerGroup, PodcastRole, RetailerKind


@dataclass(frozen=True)
class Section:
    target: str
    slug: str
    title: str
    # (label, attribute or template-side key) for the table columns after Name and Contact.
    columns: tuple[tuple[str, str], ...]
    # URL ordering key → model field.
    orderings: dict[str, str]
    filter_field: str = ""  # the one choice filter this section offers
    filter_label: str = ""
    extra_filters: tuple[str, ...] = field(default_factory=tuple)

    @property
    def model(self) -> type[ConvertedRecord]:
        return RECORD_MODELS[self.target]

    def filter_choices(self) -> list[tuple[str, str]]:
        if self.filter_field == "customer_group":
            return [(str(g.pk), g.name) for g in CustomerGroup.objects.all()]
        if self.filter_field == "kind":
            return list(RetailerKind.choices)
        if self.filter_field == "role":
            return list(PodcastRole.choices)
        if self.filter_field == "collab_type":
            return [(v, v) for v in self.model.objects.exclude(collab_type="").order_by(
                "collab_type").values_list("collab_type", flat=True).distinct()[:50]]
        return []


COMMON_ORDERINGS = {"name": "name", "city": "city", "created": "created_at"}
SECTIONS = {
    s.slug: s for s in [
        Section(ConversionTarget.CUSTOMER, "customers", "Customers",
                (("Group", "customer_group"),), {**COMMON_ORDERINGS},
                "customer_group", "Group"),
        Section(ConversionTarget.RETAILER, "retailers", "Retailers",
                (("Kind", "kind"), ("Rent", "rent"), ("Rent due", "rent_due_date"),
                 ("Commission", "commission_rate")),
                {**COMMON_ORDERINGS, "rent_due": "rent_due_date", "rent": "rent",
                 "commission": "commission_rate"},
                "kind", "Kind", ("rent_due",)),
        Section(ConversionTarget.PODCAST, "podcasts", "Podcasts",
                (("Role", "role"), ("Start", "start_date"), ("End", "end_date")),
                {**COMMON_ORDERINGS, "start": "start_date", "end": "end_date"},
                "role", "Role"),
        Section(ConversionTarget.COLLAB, "collabs", "Collabs",
                (("Collab type", "collab_type"), ("Start", "start_date"), ("End", "end_date"),
                 ("Starting followers", "starting_followers"), ("Code", "discount_code")),
                {**COMMON_ORDERINGS, "start": "start_date", "end": "end_date",
                 "followers": "starting_followers"},
                "collab_type", "Collab type"),
    ]
}
SECTIONS_BY_TARGET = {s.target: s for s in SECTIONS.values()}


def filtered_records(section: Section, params: QueryDict) -> tuple[QuerySet, dict]:
    """The section's records for the given search, filter and ordering parameters, and the
    view those parameters describe (to show them back)."""
    queryset = section.model.objects.select_related("lead")
    view = {"search": params.get("search", "").strip(), "filter": params.get("filter", ""),
            "ordering": params.get("ordering", "name"), "rent_due": params.get("rent_due", "")}
    if view["search"]:
        q = view["search"]
        queryset = queryset.filter(
            Q(name__icontains=q) | Q(first_name__icontains=q) | Q(last_name__icontains=q)
            | Q(email__icontains=q) | Q(city__icontains=q) | Q(company__icontains=q))
    if view["filter"] and section.filter_field:
        lookup = "customer_group_id" if section.filter_field == "customer_group" \
            else section.filter_field
        queryset = queryset.filter(**{lookup: view["filter"]})
    if view["rent_due"] == "overdue":
        queryset = queryset.filter(rent_due_date__lt=timezone.localdate())
    elif view["rent_due"] == "month":
        today = timezone.localdate()
        queryset = queryset.filter(rent_due_date__gte=today,
                                   rent_due_date__lte=today + datetime.timedelta(days=30))
    key = view["ordering"].lstrip("-")
    if key not in section.orderings:
        view["ordering"], key = "name", "name"
    expr = F(section.orderings[key])
    descending = view["ordering"].startswith("-")
    order = expr.desc(nulls_last=True) if descending else expr.asc(nulls_last=True)
    return queryset.order_by(order, "id"), view
