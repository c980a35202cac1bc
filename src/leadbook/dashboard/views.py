from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from leadbook.accounts.permissions import viewer_required
from leadbook.leads.models import Lead

from . import charts, panels, stats


@viewer_required
def home(request: HttpRequest) -> HttpResponse:
    """The dashboard: the lifecycle funnel, new leads by source, types and temperature,
    outcomes and conversions for a chosen period, and the follow-ups due today."""
    period = stats.period_from(request.GET.get("period"))
    context = {
        "period": period,
        "periods": [{"key": key, "label": label, "current": key == period.key,
                     "url": "?" + urlencode({"period": key})}
                    for key, label in stats.PERIODS.items()],
        "has_leads": Lead.objects.exists(),
    }
    if context["has_leads"]:
        context.update(_figures(period))
    return render(request, "dashboard/home.html", context)


def _figures(period: stats.Period) -> dict:
    """The charts and figures of the period, kept in the cache until the data changes, and
    the follow-ups due, which are about today and always read fresh."""
    key = stats.cache_key(period)
    content = cache.get(key)
    if content is None:
        content = _charts(stats.period_figures(period), period)
        cache.set(key, content, stats.CACHE_SECONDS)
    return {
        **content,
        "follow_ups": stats.follow_ups_due(period.today),
        "follow_ups_url": reverse("outreach:follow_ups") + "?who=all",
    }


def _charts(figures: stats.PeriodFigures, period: stats.Period) -> dict:
    tally, funnel = figures.tally, figures.funnel
    return {
        "tally": tally,
        "funnel": funnel,
        "conversions_total": sum(figures.conversions.values()),
        "win_rate": charts.format_rate(funnel.won, funnel.won + funnel.lost),
        "qualified_rate": charts.format_rate(funnel.reached["qualified"], tally.total),
        "added_url": panels.table_url(period),
        "won_url": panels.table_url(period, stages=["won"]),
        "charts": {
            "funnel": panels.funnel_chart(period, funnel),
            "win_loss": panels.win_loss_chart(period, funnel),
            "new_leads": panels.new_leads_chart(period, tally,
                                                stats.new_leads_by_source(tally)),
            "types": panels.types_chart(period, tally, figures.types),
            "conversions": panels.conversions_chart(period, figures.conversions),
        },
    }
