"""The dashboard's charts: the figures from `stats`, drawn by `charts`, each element linked to
the leads table filtered to exactly the leads it counts."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.urls import reverse
from django.utils.http import urlencode

from leadbook.conversions.sections import SECTIONS
from leadbook.leads.filters import STAGE_ORDER, LeadFilter
from leadbook.leads.models import ConversionTarget, Source, Stage, Temperature

from . import charts, stats
from .charts import Chart, Point, Series

FUNNEL_LABELS = {
    Stage.LEAD: "Lead", Stage.QUALIFIED: "Qualified lead", Stage.OPPORTUNITY: "Opportunity",
    Stage.WON: "Customer (won)",
}


def table_url(period: stats.Period, *, path: str = "", **view) -> str:
    """The leads table showing the period's leads (active and inactive, as the dashboard
    counts them) narrowed by `view`: LeadFilter fields such as stages=["won"]. Pass the
    table's `path` when making hundreds of links: reversing it is the slow part."""
    view.setdefault("created_after", period.start)
    pairs = LeadFilter(active=None, **view).to_params()
    return (path or reverse("leads:list")) + "?" + urlencode(pairs)


def period_phrase(period: stats.Period) -> str:
    """'added in the last 90 days' / 'added so far' for chart descriptions."""
    return f"added in {period.phrase}" if period.phrase else "added so far"


def funnel_chart(period: stats.Period, funnel: stats.Funnel) -> Chart:
    points = [
        Point(FUNNEL_LABELS[stage], funnel.reached[stage],
              table_url(period, reached="" if stage == Stage.LEAD else stage),
              charts.STAGE_COLOURS[stage])
        for stage in STAGE_ORDER
    ]
    return charts.funnel_chart(
        points, chart_id="funnel", title="Lifecycle funnel",
        description=f"Leads {period_phrase(period)}, by the furthest stage they reached: "
                    "their status now or, for a lost lead, the furthest one it had before "
                    "(from its status history).",
        empty_text=_nothing_added(period),
    )


def win_loss_chart(period: stats.Period, funnel: stats.Funnel) -> Chart:
    return charts.win_loss_chart(
        ("Won", funnel.won, table_url(period, stages=[Stage.WON])),
        ("Lost", funnel.lost, table_url(period, stages=[Stage.LOST])),
        chart_id="win-loss", title="Won vs lost",
        description=f"Leads {period_phrase(period)} whose status is Won or Lost now.",
    )


def new_leads_chart(period: stats.Period, tally: stats.Tally,
                    series: Sequence[stats.SourceSeries]) -> Chart:
    buckets = tally.buckets
    weekly = tally.unit == "week"

    path = reverse("leads:list")

    def bucket_url(bucket: stats.Bucket, sources: Sequence[Source | None] = ()) -> str:
        return table_url(period, path=path, created_after=bucket.first,
                         created_before=bucket.last, sources=list(sources))

    categories: list[str | datetime.date] = [
        bucket.first if weekly else f"{bucket.first:%b %Y}" for bucket in buckets]
    first_day = charts.format_day(buckets[0].first, with_year=True) if buckets else ""
    return charts.column_chart(
        categories,
        [Series(item.name, item.counts, [bucket_url(b, item.sources) for b in buckets])
         for item in series],
        chart_id="new-leads", category_name=tally.unit.capitalize(),
        title=f"New leads per {tally.unit}, by source",
        description=(f"Weeks start on Monday; the first counts from {first_day}."
                     if weekly else "Counted by calendar month."),
        category_urls=[bucket_url(bucket) for bucket in buckets],
        empty_text=_nothing_added(period),
    )


def types_chart(period: stats.Period, tally: stats.Tally,
                types: Sequence[stats.TypeCounts]) -> Chart:
    temperatures = tally.by_temperature()
    rows = [("All leads", dict(temperatures), {})]
    rows += [(item.lead_type.name, item.temperature, {"lead_types": [item.lead_type]})
             for item in types]
    series = [
        Series(label, [counts.get(value, 0) for _, counts, _ in rows],
               [table_url(period, temperature=value, **view) for _, _, view in rows],
               charts.TEMPERATURE_COLOURS[value])
        for value, label in Temperature.choices
    ]
    return charts.multi_bar_chart(
        [name for name, _, _ in rows], series, chart_id="types",
        title="Leads by type and temperature", category_name="Lead type",
        description=f"Leads {period_phrase(period)}. A lead with two types counts under both.",
        category_urls=[table_url(period, **view) for _, _, view in rows],
        empty_text=_nothing_added(period),
    )


def conversions_chart(period: stats.Period, counts: dict[str, int]) -> Chart:
    """Records are not leads: each bar opens its section, newest first."""
    by_target = {section.target: section for section in SECTIONS.values()}
    points = [
        Point(by_target[target].title, counts.get(target, 0),
              reverse("conversions:list", args=[by_target[target].slug]) + "?" + urlencode(
                  {"ordering": "-created"}))
        for target in ConversionTarget.values
    ]
    return charts.bar_chart(
        points, chart_id="conversions", title="Conversions by target",
        category_name="Converted into", value_name="Records",
        description=f"Customer, retailer, podcast and collab records created "
                    f"{'in ' + period.phrase if period.phrase else 'so far'}.",
        empty_text="No conversions yet" if period.start is None
        else f"No conversions in {period.phrase}",
    )


def _nothing_added(period: stats.Period) -> str:
    return "No leads yet" if period.start is None else \
        f"No leads added in {period.phrase}"
