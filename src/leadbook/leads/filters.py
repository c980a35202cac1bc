"""The leads table's view: filters, search and ordering read from query parameters.

The same parameters drive the table page, its CSV export, `leadbook export_leads` and
`GET /api/v2/leads`, so a view that can be seen can also be shared, exported and fetched.

Parameters (names are stable: the API and saved links rely on them):
  search            words in name, contact, company, email, phone, city, Instagram
  status            status name; repeat or comma-separate for several
  lead_type         lead type name; several as above
  source            source name, or `none` for leads without a source; several as above
  temperature       cold | warm
  owner             username, or `none` for unassigned; several as above
  active            true (default) | false | all
  pending, converted  true | false
  created_after     YYYY-MM-DD: added on or after this day (workspace time zone)
  created_before    YYYY-MM-DD: added on or before this day (inclusive, like created_after)
  stage             the current status's stage: lead | qualified | opportunity | won | lost;
                    several as above
  reached           lead | qualified | opportunity | won: leads whose status is at or beyond
                    this stage, and Lost leads that were there before they were lost (from
                    the status history): a lead lost after a proposal reached opportunity
  ordering          a column key, `-` in front for descending
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import Exists, F, OrderBy, OuterRef, Q, QuerySet
from django.db.models.expressions import Col
from django.db.models.functions import Lower
from django.db.models.lookups import IsNull
from django.http import QueryDict
from django.utils import timezone

from . import search
from .models import Lead, LeadType, Source, Stage, Status, Temperature

TRUE_WORDS = {"true", "yes", "1", "on", "active"}
FALSE_WORDS = {"false", "no", "0", "off", "inactive"}


# column name in the URL → how to order (ascending). Descending reverses each part.
ORDERINGS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    # The status's id after its position: with it, walking the (small) status table in
    # (position, id) order and each status's leads by id gives the whole order from indexes.
    "status": ("status__position", "status__id"),
    "temperature": ("temperature",),
    "lead_types": ("lead_types_label",),
    "contact": ("first_name", "last_name"),
    "email": ("email",),
    "phone": ("phone",),
    "instagram": ("instagram",),
    "last_outreach": ("last_outreach_at",),
    "pending": ("next_follow_up_on",),
    # The owner's username as stored on the lead (Lead.owner_name), so an index serves it.
    "owner": ("owner_name",),
    "created": ("created_at",),
    "updated": ("updated_at",),
}
# Nullable columns, and whether their empty values come first when sorting ascending.
# SQLite and PostgreSQL place NULLs differently by default; saying it explicitly makes both
# sort alike. "Never contacted" reads as the oldest outreach, so it leads an ascending sort.
NULLABLE = {"last_outreach_at": True, "next_follow_up_on": False, "owner_name": False}
DEFAULT_ORDERING = "name"

# The lifecycle's forward path; Lost is an outcome beside it, not a step on it.
STAGE_ORDER: tuple[str, ...] = (Stage.LEAD, Stage.QUALIFIED, Stage.OPPORTUNITY, Stage.WON)


def stages_from(stage: str) -> list[str]:
    """`stage` and every stage after it on the lifecycle path."""
    return list(STAGE_ORDER[STAGE_ORDER.index(stage):])


def start_of_day(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of `day` in the workspace's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def reached_q(stage: str) -> Q:
    """Leads at or beyond `stage` on the lifecycle path: by their current status, or, for a
    Lost lead, by the furthest status it had before (the status history keeps a row per
    save). A lead moved back by hand counts where it is now: the move was a correction."""
    later = Status.objects.filter(stage__in=stages_from(stage)).values("id")
    lost = Status.objects.filter(stage=Stage.LOST).values("id")
    # Correlated, so only Lost leads look up their own history (by the indexed lead id).
    was_later = Exists(Lead.history.model.objects.filter(id=OuterRef("pk"), status__in=later))
    return Q(status__in=later) | (Q(status__in=lost) & Q(was_later))


class JoinedPk(F):
    """The primary key of the row a relation joins, read from the joined table.

    `F("status__id")` reads the lead's own `status_id` instead (Django trims the join), the
    same value, but SQLite only sees the order as served by the status table's
    (position, id) index when the column comes from that table."""

    def __init__(self, relation: str, joined_field: str):
        super().__init__(f"{relation}__{joined_field}")

    def resolve_expression(self, *args, **kwargs):
        col = super().resolve_expression(*args, **kwargs)
        return Col(col.alias, col.target.model._meta.pk)


def order_by_clause(ordering: str) -> list[OrderBy]:
    """ORDER BY for a table ordering, in the order of the leads table's indexes.

    Where empty values go is said with an explicit `column IS NULL` key rather than NULLS
    FIRST/LAST: both databases then sort alike, and SQLite, which ignores its indexes for a
    NULLS modifier, walks the (is_active, column IS NULL, column, id) index instead of
    sorting every row."""
    descending = ordering.startswith("-")
    clause: list[OrderBy] = []
    for expr in (*ORDERINGS[ordering.lstrip("-")], "id"):
        column: F = JoinedPk("status", "position") if expr == "status__id" else F(expr)
        if expr in NULLABLE:
            is_empty = IsNull(F(expr), True)
            empty_first = NULLABLE[expr] != descending
            clause.append(is_empty.desc() if empty_first else is_empty.asc())
        clause.append(column.desc() if descending else column.asc())
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
    created_after: datetime.date | None = None  # inclusive, workspace time zone
    created_before: datetime.date | None = None  # inclusive too
    stages: list[str] = field(default_factory=list)  # the current status's stage
    reached: str = ""  # at least this stage, now or in the status history
    ordering: str = DEFAULT_ORDERING
    errors: dict[str, str] = field(default_factory=dict)
    # Whether the search is broad, by database alias (asked once: see pages()).
    _broad: dict[str, bool] = field(default_factory=dict, init=False, repr=False,
                                    compare=False)

    PARAMS = ("search", "status", "lead_type", "source", "temperature", "owner", "active",
              "pending", "converted", "created_after", "created_before", "stage", "reached",
              "ordering")

    @classmethod
    def from_params(cls, params: QueryDict | dict, *, statuses: Iterable[Status] | None = None,
                    lead_types: Iterable[LeadType] | None = None,
                    sources: Iterable[Source] | None = None) -> "LeadFilter":
        """Read a view from query parameters. Names are matched without regard to case;
        what cannot be understood is left out of the view and explained in `errors`. A
        caller that has read the statuses, lead types or sources already passes them."""
        get_list = params.getlist if isinstance(params, QueryDict) else (
            lambda k: _as_list(params.get(k)))
        view = cls(search=" ".join(get_list("search") or get_list("q")).strip())
        view.statuses = _by_names(Status.objects.all() if statuses is None else statuses,
                                  get_list("status"), "status", view)
        view.lead_types = _by_names(LeadType.objects.all() if lead_types is None else lead_types,
                                    get_list("lead_type"), "lead_type", view)
        view.sources = _by_names(Source.objects.all() if sources is None else sources,
                                 get_list("source"), "source", view, none_means_blank=True)
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
        for name in ("created_after", "created_before"):
            raw = (get_list(name) or [""])[-1].strip()
            if raw:
                try:
                    day = datetime.date.fromisoformat(raw)
                    if not 1 < day.year < 9999:  # the day after must exist, in any zone
                        raise ValueError(raw)
                    setattr(view, name, day)
                except ValueError:
                    view.errors[name] = f"{name.replace('_', ' ').capitalize()} is a date " \
                                        "like 2025-03-31."
        stages = list(dict.fromkeys(s.lower() for s in _split(get_list("stage"))))
        view.stages = [s for s in stages if s in Stage.values]
        if len(view.stages) < len(stages):
            view.errors["stage"] = "Stage is one of: " + ", ".join(Stage.values) + "."
        reached = (get_list("reached") or [""])[-1].strip().lower()
        if reached and reached not in STAGE_ORDER:
            view.errors["reached"] = "Reached is one of: " + ", ".join(STAGE_ORDER) + "."
        else:
            view.reached = reached

        ordering = (get_list("ordering") or get_list("sort") or [""])[-1].strip()
        if ordering:
            if ordering.lstrip("-") in ORDERINGS:
                view.ordering = ordering
            else:
                view.errors["ordering"] = "Sort by one of: " + ", ".join(ORDERINGS) + "."
        return view

    def apply(self, queryset: QuerySet[Lead], *, along_sort_index: bool = False
              ) -> QuerySet[Lead]:
        """The leads of `queryset` this view shows, in its order (`along_sort_index`: see
        pages())."""
        if self.active is True:
            queryset = queryset.active()
        elif self.active is False:
            queryset = queryset.inactive()
        if self.statuses:
            queryset = queryset.filter(status__in=self.statuses)
        if self.lead_types:
            # One EXISTS per lead rather than a join, so a lead with two matching types
            # is listed once and counting stays cheap. Correlated, so each lead probes the
            # (lead, type) unique index and the sort and filter indexes still drive the
            # query (an `id IN (...)` made SQLite fetch every lead of the type and sort).
            queryset = queryset.filter(Exists(
                Lead.lead_types.through.objects.filter(
                    lead_id=OuterRef("pk"), leadtype__in=self.lead_types)
            ))
        if self.sources:
            wanted = Q(source__in=[s for s in self.sources if s is not None])
            if None in self.sources:
                wanted |= Q(source__isnull=True)
            queryset = queryset.filter(wanted)
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
        if self.created_after:
            queryset = queryset.filter(created_at__gte=start_of_day(self.created_after))
        if self.created_before:
            next_day = self.created_before + datetime.timedelta(days=1)
            queryset = queryset.filter(created_at__lt=start_of_day(next_day))
        if self.stages:
            # A subquery on the small status table rather than a join (see for_table).
            queryset = queryset.filter(
                status__in=Status.objects.filter(stage__in=self.stages).values("id"))
        if self.reached and self.reached != STAGE_ORDER[0]:  # every lead reached the first
            queryset = queryset.filter(reached_q(self.reached))
        if self.search:
            queryset = queryset.search(self.search, along_sort_index=along_sort_index)
        return queryset.order_by(*order_by_clause(self.ordering))

    def pages(self, queryset: QuerySet[Lead]) -> QuerySet[Lead]:
        """The view applied for reading its pages (keyset.read_after); counts read apply().
        The same leads: only a broad search on SQLite (search.is_broad) is checked lead by
        lead along the sort index, which reaches a page's end long before every match is
        looked up and sorted (search.search_leads)."""
        return self.apply(queryset, along_sort_index=self._search_is_broad(queryset.db))

    def _search_is_broad(self, using: str) -> bool:
        if using not in self._broad:
            self._broad[using] = bool(self.search) and search.is_broad(self.search, using)
        return self._broad[using]

    def whole_list(self, queryset: QuerySet[Lead]) -> QuerySet[Lead] | None:
        """The list this view narrows down (the same leads, active or not, in the same order,
        unfiltered), in which a page of it is looked for first (keyset.read_after). None
        when the view narrows nothing, or searches (a search finds its leads through its own
        index, and most searches match few leads), and on PostgreSQL, whose planner weighs a
        filter by its statistics and walks the sort index itself when many leads pass: at
        a million leads the probe cost 16-35 ms there, the filtered query alone 1-10 ms."""
        whole = LeadFilter(active=self.active, ordering=self.ordering)
        if self.search or self.to_params() == whole.to_params() \
                or connections[queryset.db].vendor == "postgresql":
            return None
        return whole.apply(queryset)

    def by_id(self, queryset: QuerySet[Lead]) -> QuerySet[Lead] | None:
        """Where a page of this view is read from by its ids (keyset.read_after): the leads of
        `queryset` for a narrow search on SQLite, which finds every match through its FTS
        index and sorts them all (a broad one walks the sort index: pages()); else None.
        PostgreSQL walks the sort index instead, checking each lead against the search, and
        stops at the page's end (6 ms for "junip" at a million leads), which a count in the
        same query would make it walk to the end (1.8 s)."""
        if self.search and connections[queryset.db].vendor == "sqlite" \
                and not self._search_is_broad(queryset.db):
            return queryset
        return None

    def to_params(self) -> list[tuple[str, str]]:
        """The query parameters that describe this view (the defaults left out)."""
        pairs: list[tuple[str, str]] = []
        if self.search:
            pairs.append(("search", self.search))
        pairs += [("status", s.name) for s in self.statuses]
        pairs += [("lead_type", t.name) for t in self.lead_types]
        pairs += [("source", s.name if s else "none") for s in self.sources]
        if self.temperature:
            pairs.append(("temperature", self.temperature))
        pairs += [("owner", u.username if u else "none") for u in self.owners]
        if self.active is not True:
            pairs.append(("active", {None: "all", False: "false"}[self.active]))
        for name in ("pending", "converted"):
            value = getattr(self, name)
            if value is not None:
                pairs.append((name, "true" if value else "false"))
        for name in ("created_after", "created_before"):
            day = getattr(self, name)
            if day:
                pairs.append((name, day.isoformat()))
        pairs += [("stage", stage) for stage in self.stages]
        if self.reached:
            pairs.append(("reached", self.reached))
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


def _by_names(entries: Iterable, names: list[str], param: str, view: LeadFilter,
              none_means_blank: bool = False) -> list:
    """The named entries; with `none_means_blank`, the word none (unless an entry is called
    that) stands for "not set" and comes back as None."""
    names = _split(names)
    if not names:
        return []
    known = {obj.name.lower(): obj for obj in entries}
    found, unknown = [], []
    for name in names:
        obj = known.get(name.lower())
        if obj is None and none_means_blank and name.lower() == "none":
            if None not in found:
                found.append(None)
        elif obj is None:
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
