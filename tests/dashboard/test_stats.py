"""The dashboard's figures against the known book (conftest.book) and against counts taken
straight from the database."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone

from leadbook.dashboard import stats
from leadbook.leads import services
from leadbook.leads.filters import STAGE_ORDER, start_of_day
from leadbook.leads.models import Lead, Stage, Status
from tests.dashboard.conftest import days_ago

# ---- Periods and buckets -------------------------------------------------------------


@pytest.mark.parametrize("key,today,start", [
    ("30d", datetime.date(2026, 3, 31), datetime.date(2026, 3, 2)),
    ("90d", datetime.date(2026, 3, 31), datetime.date(2026, 1, 1)),
    ("12m", datetime.date(2026, 3, 31), datetime.date(2025, 4, 1)),
    ("12m", datetime.date(2028, 2, 29), datetime.date(2027, 3, 1)),
    ("all", datetime.date(2026, 3, 31), None),
    ("nonsense", datetime.date(2026, 3, 31), datetime.date(2026, 1, 1)),  # the default
])
def test_a_period_ends_today_and_counts_whole_days(key, today, start):
    period = stats.period_from(key, today)
    assert period.start == start and period.today == today


def test_weeks_run_monday_to_sunday_and_the_first_starts_with_the_period(db):
    period = stats.period_from("30d", datetime.date(2026, 3, 31))  # a Tuesday
    unit, buckets = stats.buckets_for(period, Lead.objects.none())
    assert unit == "week"
    assert buckets[0] == stats.Bucket(datetime.date(2026, 3, 2), datetime.date(2026, 3, 8))
    assert all(b.first.weekday() == 0 for b in buckets[1:])
    assert buckets[-1] == stats.Bucket(datetime.date(2026, 3, 30), datetime.date(2026, 3, 31))
    days = sum((b.last - b.first).days + 1 for b in buckets)
    assert days == 30  # every day of the period in exactly one bucket


def test_all_time_over_years_counts_by_month(make_lead):
    lead = make_lead(name="Old timer")
    Lead.objects.filter(pk=lead.pk).update(created_at=days_ago(1200))
    period = stats.period_from("all")
    unit, buckets = stats.buckets_for(period, stats.added_in(period))
    assert unit == "month"
    assert all(b.first.day == 1 for b in buckets[1:])
    assert buckets[-1].last == period.today


def test_bucket_index_follows_local_midnight_across_a_daylight_saving_change(make_lead,
                                                                             settings):
    settings.TIME_ZONE = "America/Chicago"
    chicago = zoneinfo.ZoneInfo("America/Chicago")
    with timezone.override(chicago):
        # 2026-03-08 is a Sunday and the clocks go forward that night in Chicago; a lead
        # added at 00:30 on Monday the 9th belongs to the week starting that Monday.
        today = datetime.date(2026, 3, 20)
        period = stats.period_from("30d", today)
        monday = datetime.datetime(2026, 3, 9, 0, 30, tzinfo=chicago)
        sunday = datetime.datetime(2026, 3, 8, 23, 30, tzinfo=chicago)
        for name, when in (("Monday", monday), ("Sunday", sunday)):
            lead = make_lead(name=name)
            Lead.objects.filter(pk=lead.pk).update(created_at=when)
        figures = stats.tally(period)
        weeks = {bucket.first: sum(n for cell, n in figures.cells.items()
                                   if cell[0] == index)
                 for index, bucket in enumerate(figures.buckets)}
        assert weeks[datetime.date(2026, 3, 9)] == 1
        assert weeks[datetime.date(2026, 3, 2)] == 1


# ---- The known book ----------------------------------------------------------------------


def test_the_funnel_counts_each_lead_at_the_furthest_stage_it_reached(book):
    figures = stats.period_figures(stats.period_from("90d"))
    # Fresh, Juniper, Podcast Pals, Corner Cup, Kit & Kin, Salt Supply, Sleepy Shop, Moved
    # Back: not Last Year's or Ancient (too old) nor Binned (in the trash).
    assert figures.tally.total == 8
    assert figures.funnel.reached == {
        "lead": 8,
        "qualified": 5,  # Juniper, Podcast Pals, Corner Cup, Kit & Kin (lost), Sleepy Shop
        "opportunity": 4,  # Podcast Pals, Corner Cup, Kit & Kin (lost after a proposal), Sleepy
        "won": 1,  # Corner Cup
    }
    assert (figures.funnel.won, figures.funnel.lost) == (1, 2)


def test_the_figures_equal_counts_taken_from_the_database(book):
    """Each figure recomputed the slow, obvious way: lead by lead, history row by row."""
    period = stats.period_from("90d")
    figures = stats.period_figures(period)
    since = Lead.objects.filter(created_at__gte=start_of_day(period.start))
    leads = list(since.prefetch_related("lead_types"))
    stage_of = {s.pk: s.stage for s in Status.objects.all()}

    def furthest(lead):
        stage = stage_of[lead.status_id]
        if stage != Stage.LOST:
            return STAGE_ORDER.index(stage)
        past = [STAGE_ORDER.index(stage_of[h.status_id]) for h in lead.history.all()
                if stage_of[h.status_id] in STAGE_ORDER]
        return max(past, default=0)

    assert figures.tally.total == len(leads)
    for index, stage in enumerate(STAGE_ORDER):
        assert figures.funnel.reached[stage] == sum(furthest(x) >= index for x in leads)
    assert figures.funnel.lost == sum(stage_of[x.status_id] == Stage.LOST for x in leads)
    for temperature in ("cold", "warm"):
        assert figures.tally.by_temperature()[temperature] == sum(
            x.temperature == temperature for x in leads)
    for item in figures.types:
        for temperature, n in item.temperature.items():
            assert n == sum(item.lead_type in x.lead_types.all() and
                            x.temperature == temperature for x in leads)
    by_source = figures.tally.by_source_and_bucket()
    for source_id in {x.source_id for x in leads}:
        assert sum(by_source[source_id]) == sum(x.source_id == source_id for x in leads)
    assert figures.conversions == {"customer": 1, "retailer": 0, "podcast": 0, "collab": 0}


def test_types_count_a_lead_under_each_of_its_types(book):
    figures = stats.period_figures(stats.period_from("30d"))
    types = {item.lead_type.name: item.temperature for item in figures.types}
    assert types == {
        "Wholesale": {"cold": 1, "warm": 1}, "Consignment": {"cold": 0, "warm": 1},
        "Podcast Guest": {"cold": 0, "warm": 1}, "Collab": {"cold": 1, "warm": 0},
    }


def test_new_leads_by_source_lists_sources_in_order_and_no_source_last(book):
    figures = stats.period_figures(stats.period_from("90d"))
    series = stats.new_leads_by_source(figures.tally)
    assert [(s.name, sum(s.counts)) for s in series] == [
        ("Website", 4), ("Phone", 1), ("Referral", 2), ("No source", 1)]
    assert len(series[0].counts) == len(figures.tally.buckets)


def test_many_sources_share_a_series(make_lead):
    from leadbook.leads.models import Source

    for n in range(10):
        source = Source.objects.create(name=f"Fair {n}", position=100 + n)
        for _ in range(n + 1):
            make_lead(name=f"Lead {n}", source=source)
    series = stats.new_leads_by_source(stats.tally(stats.period_from("30d")))
    assert len(series) == stats.TOP_SOURCES + 1
    assert series[-1].name == "3 more sources"
    assert {s.name for s in series[-1].sources} == {"Fair 0", "Fair 1", "Fair 2"}
    assert sum(series[-1].counts) == 1 + 2 + 3


def test_the_periods_widen(book):
    totals = {key: stats.period_figures(stats.period_from(key)).tally.total
              for key in stats.PERIODS}
    assert totals == {"30d": 6, "90d": 8, "12m": 9, "all": 10}


def test_follow_ups_due_counts_active_leads_overdue_and_today(book):
    due = stats.follow_ups_due()
    assert (due.overdue, due.today) == (1, 1)
    assert [lead.name for lead in due.soonest] == ["Juniper", "Podcast Pals"]


# ---- The fingerprint the dashboard caches its figures under ---------------------------------


def test_the_cache_key_changes_with_a_change_through_the_services(book, admin):
    period = stats.period_from("90d")
    before = stats.cache_key(period)
    services.update_lead(lead=book["podcast"], actor=admin, notes="Call after lunch")
    assert stats.cache_key(period) != before


def test_the_cache_key_changes_with_a_new_lead_or_a_renamed_source(book, make_lead):
    from leadbook.leads.models import Source

    period = stats.period_from("90d")
    keys = [stats.cache_key(period)]
    Lead.objects.bulk_create([Lead(name="Bulk", status=Status.objects.first())])
    keys.append(stats.cache_key(period))
    Source.objects.filter(name="Phone").update(name="Telephone")
    keys.append(stats.cache_key(period))
    assert len(set(keys)) == 3


def test_the_cache_key_is_per_period_and_day(book):
    assert stats.cache_key(stats.period_from("30d")) != stats.cache_key(
        stats.period_from("90d"))
    today = timezone.localdate()
    assert stats.cache_key(stats.period_from("30d", today)) != stats.cache_key(
        stats.period_from("30d", today - datetime.timedelta(days=1)))
