"""The leads table's view: filters, search and ordering read from query parameters.

The same parameters drive the table page, its CSV export, `leadbook export_leads` and
`GET /api/v2/leads`, so a view that can be seen can also be shared, exported and fetched.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import F, OrderBy, QuerySet
from django.db.models.functions import Lower
from django.http import QueryDict

from .models import Lead, LeadType, Source, Status, Temperature

TRUE_WORDS = {"true", "yes", "1", "on", "active"}
FALSE_WORDS = {"false", "no", "0", "off", "inactive"}


# column name in the URL → how to order (ascending). Descending reverses each part.
ORDERINGS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "status": ("status__position",),
    "temperature": ("temperature",),
    "lead_types": ("lead_types_label",),
    "contact": ("first_name", "last_name"),
    "email": ("email",),
    "phone": ("phone",),
    "instagram": ("instagram",),
    "last_outreach": ("last_outreach_at",),
    "pending": ("next_follow_up_on",),
    "owner": ("owner__username",),
    "created": ("created_at",),
    "updated": ("updated_at",),
}
# Nullable columns, and whether their empty values come first when sorting ascending.
# SQLite and PostgreSQL place NULLs differently by default; saying it explicitly makes both
# sort alike. "Never contacted" reads as the oldest outreach, so it leads an ascending sort.
NULLABLE = {"last_outreach_at": True, "next_follow_up_on": False, "owner__username": False}
DEFAULT_ORDERING = "name"


def order_by_clause(ordering: str) -> list[OrderBy]:
    descending = ordering.startswith("-")
    clause = []
    for expr in (*ORDERINGS[ordering.lstrip("-")], "id"):
        if expr not in NULLABLE:
            # Plain order on NOT NULL columns, so the (is_active, column, id) index serves it.
            clause.append(F(expr).desc() if descending else F(expr).asc())
            continue
        empty_first = NULLABLE[expr] != descending
        nulls = {"nulls_first": True} if empty_first else {"nulls_last": True}
        clause.append(F(expr).desc(**nulls) if descending else F(expr).asc(**nulls))
    return clause


def parse_bool(value: str) -> bool | None:
    """True, False, or None for 'all' / anything empty; ValueError for nonsense."""
    value = value.strip().lower()
    if value in ("", "all", "any"):
        return None
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ValueError("Use true, false or all.")


@dataclass
class LeadFilter:
    search: str = ""
    statuses: list[Status] = field(default_factory=list)
    lead_types: list[LeadType] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    temperature: str = ""
    owners: list = field(default_factory=list)  # users; None in the list means "unassigned"
    active: bool | None = True
    pending: bool | None = None
    converted: bool | None = None
    ordering: str = DEFAULT_ORDERING
    errors: dict[str, str] = field(default_factory=dict)

    PARAMS = ("search", "status", "lead_type", "source", "temperature", "owner", "active",
              "pending", "converted", "ordering")

    @classmethod
    def from_params(cls, params: QueryDict | dict) -> "LeadFilter":
        """Read a view from query parameters. Names are matched without regard to case;
        what cannot be understood is left out of the view and explained in `errors`."""
        get_list = params.getlist if isinstance(params, QueryDict) else (
            lambda k: _as_list(params.get(k)))
        view = cls(search=" ".join(get_list("search") or get_list("q")).strip())
        view.statuses = _by_names(Status.objects.all(), get_list("status"), "status", view)
        view.lead_types = _by_names(LeadType.objects.all(), get_list("lead_type"), "lead_type",
                                    view)
        view.sources = _by_names(Source.objects.all(), get_list("source"), "source", view)
        view.owners = _owners(get_list("owner"), view)

        temperature = (get_list("temperature") or [""])[-1].strip().lower()
        if temperature and temperature not in Temperature.values:
            view.errors["temperature"] = "Temperature is cold or warm."
        else:
            view.temperature = temperature
        for name in ("active", "pending", "converted"):
            raw = get_list(name)
            if raw:
                try:
                    setattr(view, name, parse_bool(raw[-1]))
                except ValueError as e:
                    view.errors[name] = str(e)

        ordering = (get_list("ordering") or get_list("sort") or [""])[-1].strip()
        if ordering:
            if ordering.lstrip("-") in ORDERINGS:
                view.ordering = ordering
            else:
                view.errors["ordering"] = "Sort by one of: " + ", ".join(ORDERINGS) + "."
        return view

    def apply(self, queryset: QuerySet[Lead]) -> QuerySet[Lead]:
        if self.active is True:
            queryset = queryset.active()
        elif self.active is False:
            queryset = queryset.inactive()
        if self.statuses:
            queryset = queryset.filter(status__in=self.statuses)
        if self.lead_types:
            # One EXISTS per lead rather than a join, so a lead with two matching types
            # is listed once and counting stays cheap.
            queryset = queryset.filter(
                pk__in=Lead.lead_types.through.objects.filter(
                    leadtype__in=self.lead_types).values("lead_id")
            )
        if self.sources:
            queryset = queryset.filter(source__in=self.sources)
        if self.temperature:
            queryset = queryset.filter(temperature=self.temperature)
        if self.owners:
            users = [u for u in self.owners if u is not None]
            if None in self.owners:
                queryset = queryset.filter(owner__in=users) | queryset.filter(
                    owner__isnull=True)
            else:
                queryset = queryset.filter(owner__in=users)
        if self.pending is True:
            queryset = queryset.pending()
        elif self.pending is False:
            queryset = queryset.filter(next_follow_up_on__isnull=True)
        if self.converted is not None:
            queryset = queryset.filter(converted_at__isnull=not self.converted)
        if self.search:
            queryset = queryset.search(self.search)
        return queryset.order_by(*order_by_clause(self.ordering))

    def to_params(self) -> list[tuple[str, str]]:
        """The query parameters that describe this view (the defaults left out)."""
        pairs: list[tuple[str, str]] = []
        if self.search:
            pairs.append(("search", self.search))
        pairs += [("status", s.name) for s in self.statuses]
        pairs += [("lead_type", t.name) for t in self.lead_types]
        pairs += [("source", s.name) for s in self.sources]
        if self.temperature:
            pairs.append(("temperature", self.temperature))
        pairs += [("owner", u.username if u else "none") for u in self.owners]
        if self.active is not True:
            pairs.append(("active", {None: "all", False: "false"}[self.active]))
        for name in ("pending", "converted"):
            value = getattr(self, name)
            if value is not None:
                pairs.append((name, "true" if value else "false"))
        if self.ordering != DEFAULT_ORDERING:
            pairs.append(("ordering", self.ordering))
        return pairs


def _as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


def _split(values: list[str]) -> list[str]:
    """Values may come repeated (?status=A&status=B) or comma-separated (?status=A,B)."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _by_names(queryset, names: list[str], param: str, view: LeadFilter) -> list:
    names = _split(names)
    if not names:
        return []
    known = {obj.name.lower(): obj for obj in queryset}
    found, unknown = [], []
    for name in names:
        obj = known.get(name.lower())
        if obj is None:
            unknown.append(name)
        elif obj not in found:
            found.append(obj)
    if unknown:
        valid = ", ".join(obj.name for obj in known.values())
        view.errors[param] = f"Unknown {param.replace('_', ' ')} {', '.join(unknown)!s}. " \
                             f"Valid: {valid}."
    return found


def _owners(names: list[str], view: LeadFilter) -> list:
    names = _split(names)
    if not names:
        return []
    User = get_user_model()
    wanted = [n.lower() for n in names if n.lower() != "none"]
    users = {u.username.lower(): u for u in User.objects.annotate(
        username_lower=Lower("username")).filter(username_lower__in=wanted)}
    found: list = []
    unknown = []
    for name in names:
        if name.lower() == "none":
            found.append(None)
        elif name.lower() in users:
            found.append(users[name.lower()])
        else:
            unknown.append(name)
    if unknown:
        view.errors["owner"] = f"Unknown owner {', '.join(unknown)}. Use a username or none."
    return found
