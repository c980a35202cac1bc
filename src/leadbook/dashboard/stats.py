"""The dashboard's figures: reads only, a handful of aggregate queries however many leads.

Which leads count: every lead in the book (active and inactive, not in the trash or merged)
added in the chosen period. An inactive lead was still added that week and still reached
the stages it reached. Follow-ups are the exception: they are about today, for active leads.

Each figure has a leads-table view behind it built from the same conditions (the table's
`created_after`, `created_before`, `source`, `stage`, `reached`, `lead_type` and
`temperature` filters with `active=all`), and the tests hold every figure to the count of
its table.

Speed: at 100k leads the cost is reading lead rows, so the period's leads are read once for
the funnel, outcomes, temperatures and the weekly columns together (`tally`, where only Lost
leads look into their status history) and once more with their types. The dashboard keeps
what it draws from them under `cache_key`, which changes with every recorded change.
"""

from __future__ import annotations

import datetime
import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db.models import (
    Case,
    Count,
    Expression,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from leadbook.conversions.models import RECORD_MODELS
from leadbook.leads.filters import STAGE_ORDER, start_of_day
from leadbook.leads.models import Lead, LeadType, Source, Stage, Status, Temperature

# ---- The period ------------------------------------------------------------------------

PERIODS: dict[str, str] = {
    "30d": "30 days", "90d": "90 days", "12m": "12 months", "all": "All time",
}
DEFAULT_PERIOD = "90d"


@dataclass(frozen=True)
class Period:
    key: str
    label: str
    start: datetime.date | None  # the first day counted; None for all time
    today: datetime.date

    @property
    def phrase(self) -> str:
        """'the last 90 days', for sentences; '' for all time."""
        return "" if self.start is None else f"the last {self.label.lower()}"


def period_from(key: str | None, today: datetime.date | None = None) -> Period:
    """The period a URL names (?period=30d|90d|12m|all), or the default. Periods end today
    and count whole days in the workspace's time zone, as the table's created_after does."""
    key = key if key in PERIODS else DEFAULT_PERIOD
    today = today or timezone.localdate()
    if key == "all":
        start = None
    elif key == "12m":
        start = _year_before(today) + datetime.timedelta(days=1)
    else:
        start = today - datetime.timedelta(days=int(key.removesuffix("d")) - 1)
    return Period(key, PERIODS[key], start, today)


def _year_before(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


# Up to this many days, SQLite finds the period's leads faster through the created_at index
# than by reading the whole table; for a longer period it reads the table.
INDEXED_DAYS = 120


def added_in(period: Period) -> QuerySet[Lead]:
    """The leads added in the period, active and inactive."""
    leads = Lead.objects.all()
    if period.start is not None:
        leads = leads.filter(created_at__gte=start_of_day(period.start))
        if (period.today - period.start).days < INDEXED_DAYS:
            # Looks redundant; lets SQLite use the (is_active, created_at, id) index.
            leads = leads.filter(is_active__in=[True, False])
    return leads


# ---- Buckets of time: weeks, or months over a long span -----------------------------------

MAX_WEEKS = 106  # about two years of weekly columns; longer spans are counted by month


@dataclass(frozen=True)
class Bucket:
    """A week or month of the chart: the first and last day it counts, both included."""

    first: datetime.date
    last: datetime.date


def buckets_for(period: Period, leads: QuerySet[Lead]) -> tuple[str, list[Bucket]]:
    """("week" or "month", the buckets) from the period's first day to today. Weeks run
    Monday to Sunday, except the first, which starts on the period's first day: each
    bucket's dates are exactly the leads it counts."""
    start = period.start
    if start is None:
        first = leads.order_by().aggregate(first=Min("created_at"))["first"]
        start = min(timezone.localtime(first).date(), period.today) if first else period.today
    weekly = (period.today - start).days < MAX_WEEKS * 7
    starts = [start]
    if weekly:
        day = start + datetime.timedelta(days=7 - start.weekday())  # the next Monday
        step = lambda d: d + datetime.timedelta(weeks=1)  # noqa: E731
    else:
        day = _next_month(start)
        step = _next_month
    while day <= period.today:
        starts.append(day)
        day = step(day)
    lasts = [later - datetime.timedelta(days=1) for later in starts[1:]] + [period.today]
    unit = "week" if weekly else "month"
    return unit, [Bucket(first, last) for first, last in zip(starts, lasts, strict=True)]


def _next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


def bucket_index(field: str, boundaries: list[datetime.datetime]) -> Expression:
    """Which bucket a row's `field` falls in: i where boundaries[i] <= value <
    boundaries[i + 1] (the last bucket is open-ended; values are >= boundaries[0]).

    A balanced tree of CASEs: about log2(n) plain comparisons a row on any database, with
    the boundaries worked out here in the workspace's time zone. (SQLite knows no time
    zones: Django's TruncWeek calls into Python for every row, which is slow at 100k.)
    """
    def subtree(low: int, high: int) -> Expression:
        if high - low == 1:
            return Value(low)
        middle = (low + high) // 2
        return Case(When(**{f"{field}__lt": boundaries[middle]}, then=subtree(low, middle)),
                    default=subtree(middle, high), output_field=IntegerField())

    return subtree(0, len(boundaries))


# ---- One read of the period's leads ------------------------------------------------------

# (bucket index, source id or None, status id, temperature, lost lead's furthest stage)
Cell = tuple[int, int | None, int, str, int | None]


@dataclass(frozen=True)
class Tally:
    """The period's leads counted by bucket, source, status and temperature, and for Lost
    leads by the furthest stage they reached before (its place in STAGE_ORDER; None when
    the history shows none past the first)."""

    unit: str
    buckets: tuple[Bucket, ...]
    cells: dict[Cell, int]

    @property
    def total(self) -> int:
        return sum(self.cells.values())

    def by_status(self) -> Counter[int]:
        return self._sum(lambda cell: cell[2])

    def by_temperature(self) -> Counter[str]:
        return self._sum(lambda cell: cell[3])

    def by_source_and_bucket(self) -> dict[int | None, list[int]]:
        """Source id (None: no source) → a count per bucket."""
        counts: dict[int | None, list[int]] = defaultdict(lambda: [0] * len(self.buckets))
        for (bucket, source_id, *_), n in self.cells.items():
            counts[source_id][bucket] += n
        return dict(counts)

    def _sum(self, key) -> Counter:
        counts: Counter = Counter()
        for cell, n in self.cells.items():
            counts[key(cell)] += n
        return counts


def tally(period: Period, leads: QuerySet[Lead] | None = None) -> Tally:
    """Count the period's leads in one grouped query (see Tally)."""
    leads = added_in(period) if leads is None else leads
    unit, buckets = buckets_for(period, leads)
    boundaries = [start_of_day(bucket.first) for bucket in buckets]
    # Every grouping value is an annotation, so the GROUP BY starts with the bucket: were it
    # to start with source_id, SQLite would walk the source index to save a sort, reading
    # the table's rows in random order (several times slower at 100k).
    rows = (leads.order_by()
            .annotate(bucket=bucket_index("created_at", boundaries), source_=F("source_id"),
                      status_=F("status_id"), temperature_=F("temperature"),
                      lost_rank=_lost_leads_furthest_rank())
            .values_list("bucket", "source_", "status_", "temperature_", "lost_rank")
            .annotate(n=Count("id")))
    return Tally(unit, tuple(buckets), {tuple(row[:5]): row[5] for row in rows})


def _lost_leads_furthest_rank() -> Expression:
    """For a Lost lead, the furthest stage its status history shows past the first (its
    place in STAGE_ORDER), else NULL. Only Lost leads read their history rows (the CASE),
    one indexed lookup each. The same rule as the table's `reached` filter."""
    later = {pk: STAGE_ORDER.index(stage) for pk, stage in
             Status.objects.filter(stage__in=STAGE_ORDER[1:]).values_list("id", "stage")}
    lost = list(Status.objects.filter(stage=Stage.LOST).values_list("id", flat=True))
    if not later or not lost:
        return Value(None, output_field=IntegerField())
    rank = Case(*[When(status=pk, then=Value(r)) for pk, r in later.items()],
                output_field=IntegerField())
    furthest = (Lead.history.model.objects.filter(id=OuterRef("pk"), status__in=list(later))
                .order_by().values("id").annotate(r=Max(rank)).values("r"))
    return Case(When(status__in=lost, then=Subquery(furthest)), output_field=IntegerField())


# ---- New leads by source -----------------------------------------------------------------

TOP_SOURCES = 7  # beyond this the rest share one series (the chart palette has 8 colours)


@dataclass(frozen=True)
class SourceSeries:
    name: str
    sources: tuple[Source | None, ...]  # None stands for "no source"
    counts: tuple[int, ...]  # one per bucket


def new_leads_by_source(period_tally: Tally) -> list[SourceSeries]:
    """The tally's leads per bucket, a series per source in the settings' order, the
    smallest merged when there are many, and leads without a source last."""
    counts = period_tally.by_source_and_bucket()
    sources = {source.pk: source for source in Source.objects.all()}
    order = list(sources)
    present = sorted((pk for pk in counts if pk in sources),
                     key=lambda pk: (-sum(counts[pk]), order.index(pk)))
    shown, rest = present[:TOP_SOURCES], present[TOP_SOURCES:]
    if len(rest) == 1:  # a series of its own beats one called "1 more"
        shown, rest = present, []
    series = [SourceSeries(sources[pk].name, (sources[pk],), tuple(counts[pk]))
              for pk in sorted(shown, key=order.index)]
    if rest:
        merged = tuple(map(sum, zip(*(counts[pk] for pk in rest), strict=True)))
        series.append(SourceSeries(f"{len(rest)} more sources",
                                   tuple(sources[pk] for pk in sorted(rest, key=order.index)),
                                   merged))
    if None in counts:
        series.append(SourceSeries("No source", (None,), tuple(counts[None])))
    return series


# ---- The funnel and the outcomes -----------------------------------------------------------


@dataclass(frozen=True)
class Funnel:
    reached: dict[str, int]  # stage on the lifecycle path → leads that reached it
    won: int  # leads whose status is in the Won stage now
    lost: int  # ... in the Lost stage now


def funnel(period_tally: Tally) -> Funnel:
    """How many of the period's leads reached each stage of Lead → Qualified → Opportunity
    → Won: by their status now, and for Lost leads by the furthest status they had before
    they were lost (from the status history). Same rule as the table's `reached` filter."""
    stage_of = dict(Status.objects.values_list("id", "stage"))
    furthest: Counter[int] = Counter()  # place on the path → leads that got that far
    won = lost = 0
    for (_, _, status_id, _, lost_rank), n in period_tally.cells.items():
        stage = stage_of[status_id]
        if stage == Stage.LOST:
            lost += n
            furthest[lost_rank or 0] += n
        else:
            furthest[STAGE_ORDER.index(stage)] += n
            won += n if stage == Stage.WON else 0
    reached = {stage: sum(n for r, n in furthest.items() if r >= index)
               for index, stage in enumerate(STAGE_ORDER)}
    return Funnel(reached, won, lost)


# ---- Lead types by temperature ----------------------------------------------------------


@dataclass(frozen=True)
class TypeCounts:
    lead_type: LeadType
    temperature: dict[str, int]


def types_by_temperature(leads: QuerySet[Lead]) -> list[TypeCounts]:
    """Leads of each type, cold and warm; a lead with two types counts under both. One
    grouped query over the leads and their types."""
    rows = leads.order_by().values_list("lead_types", "temperature").annotate(n=Count("id"))
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(Temperature.values, 0))
    for type_id, temperature, n in rows:
        if type_id is not None:  # leads without a type (the join is an outer one)
            counts[type_id][temperature] += n
    return [TypeCounts(t, counts[t.pk]) for t in LeadType.objects.all() if t.pk in counts]


# ---- Conversions ---------------------------------------------------------------------------


def conversions_by_target(period: Period) -> dict[str, int]:
    """Customer, Retailer, Podcast and Collab records created in the period."""
    since = Q() if period.start is None else Q(created_at__gte=start_of_day(period.start))
    return {target: model.objects.filter(since).count()
            for target, model in RECORD_MODELS.items()}


# ---- The period's figures -----------------------------------------------------------------

CACHE_SECONDS = 600  # a safety net: cache_key changes with every recorded change


@dataclass(frozen=True)
class PeriodFigures:
    tally: Tally
    funnel: Funnel
    types: list[TypeCounts]
    conversions: dict[str, int]


def period_figures(period: Period) -> PeriodFigures:
    """Everything the charts show for a period. At 100k leads this reads every lead row of
    the period (on SQLite it has to: the trash and merge marks live on the row), so the
    dashboard keeps what it builds from it under `cache_key`."""
    leads = added_in(period)
    period_tally = tally(period, leads)
    return PeriodFigures(period_tally, funnel(period_tally), types_by_temperature(leads),
                         conversions_by_target(period))


def cache_key(period: Period) -> str:
    """Where the period's figures (and what is drawn from them) may be kept: the key
    changes with the day and with every change to what they count (`data_version`)."""
    return f"leadbook:dashboard:{period.key}:{period.today.isoformat()}:{data_version()}"


def data_version() -> str:
    """A fingerprint of what the figures are made of, from a few indexed lookups: every
    change made through the lead services (edits, moves, trash, merges, types) adds a
    status-history row; new leads take new ids; records are counted; and the statuses,
    sources and lead types are small lists."""
    parts = [
        Lead.all_objects.aggregate(n=Max("id"))["n"],
        Lead.history.model.objects.aggregate(n=Max("history_id"))["n"],
        *(tuple(model.objects.aggregate(n=Count("id"), last=Max("id")).values())
          for model in RECORD_MODELS.values()),
        *(tuple(model.objects.values_list("id", *fields))
          for model, fields in ((Status, ("stage", "name", "position")),
                                (Source, ("name", "position")),
                                (LeadType, ("name", "position")))),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:24]


# ---- Follow-ups due ------------------------------------------------------------------------


@dataclass(frozen=True)
class FollowUps:
    overdue: int
    today: int
    soonest: list[Lead]  # the longest overdue first, a handful


def follow_ups_due(today: datetime.date | None = None, *, limit: int = 6) -> FollowUps:
    """Active leads whose follow-up date is today or has passed, everyone's."""
    today = today or timezone.localdate()
    due = Lead.objects.active().due_by(today)
    row = due.order_by().aggregate(overdue=Count("id", filter=Q(next_follow_up_on__lt=today)),
                                   today=Count("id", filter=Q(next_follow_up_on=today)))
    soonest = list(due.for_table().order_by("next_follow_up_on", "name", "id")[:limit])
    return FollowUps(row["overdue"], row["today"], soonest)
