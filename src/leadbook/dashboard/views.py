import datetime

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from leadbook.accounts.permissions import viewer_required
from leadbook.leads.models import Lead


@viewer_required
def home(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    week_ago = timezone.now() - datetime.timedelta(days=7)
    active = Lead.objects.active()
    figures = active.aggregate(
        total=Count("id"),
        warm=Count("id", filter=Q(temperature="warm")),
        new_this_week=Count("id", filter=Q(created_at__gte=week_ago)),
        due=Count("id", filter=Q(next_follow_up_on__lte=today)),
    )
    due_leads = active.due_by(today).for_table().order_by("next_follow_up_on", "name")[:8]
    recent = active.for_table().order_by("-created_at", "-id")[:8]
    return render(request, "dashboard/home.html", {
        "figures": figures, "due_leads": due_leads, "recent": recent,
    })
