import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from leadbook.accounts.permissions import member_required, viewer_required
from leadbook.core.forms import add_service_errors
from leadbook.core.http import safe_next_url
from leadbook.leads.models import Lead

from . import services
from .forms import OutreachForm, RescheduleForm
from .models import Outreach

FOLLOW_UPS_PER_PAGE = 100


def _after_change(request: HttpRequest, lead: Lead) -> HttpResponse:
    """Where a successful change leads: the updated table row in place (from the leads
    table), a refreshed page (from elsewhere, with htmx), or back where the user was."""
    if request.htmx:
        if request.POST.get("origin") == "row":
            row = Lead.objects.for_table().get(pk=lead.pk)
            return render(request, "outreach/_row_updated.html", {"lead": row})
        response = HttpResponse()
        response["HX-Refresh"] = "true"
        return response
    return redirect(safe_next_url(request, default=lead.get_absolute_url()))


def _form_response(request: HttpRequest, context: dict) -> HttpResponse:
    template = "outreach/_dialog.html" if request.htmx else "outreach/form_page.html"
    return render(request, template, context)


@member_required
def log(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_object_or_404(Lead.objects.visible_to(request.user), pk=pk)
    form = OutreachForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.log_outreach(lead=lead, actor=request.user, **form.service_fields())
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, f"Logged outreach with {lead.name}.")
            return _after_change(request, lead)
    return _form_response(request, {
        "form": form, "lead": lead, "title": f"Log outreach — {lead.name}",
        "action": request.path, "submit": "Log it",
        "origin": request.POST.get("origin") or request.GET.get("origin", ""),
        "next": safe_next_url(request, default=""),
    })


@member_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    outreach = get_object_or_404(Outreach.objects.select_related("lead").filter(
        lead__in=Lead.objects.visible_to(request.user)), pk=pk)
    form = OutreachForm(request.POST or None, instance=outreach)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_outreach(outreach=outreach, actor=request.user,
                                     **form.service_fields())
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, "Outreach saved.")
            return _after_change(request, outreach.lead)
    return _form_response(request, {
        "form": form, "lead": outreach.lead, "outreach": outreach,
        "title": f"Edit outreach — {outreach.lead.name}", "action": request.path,
        "submit": "Save", "origin": "", "next": safe_next_url(request, default=""),
    })


@require_POST
@member_required
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    outreach = get_object_or_404(Outreach.objects.select_related("lead").filter(
        lead__in=Lead.objects.visible_to(request.user)), pk=pk)
    lead = outreach.lead
    services.delete_outreach(outreach=outreach, actor=request.user)
    messages.success(request, "Outreach deleted.")
    return _after_change(request, lead)


@require_POST
@member_required
def follow_up_done(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_object_or_404(Lead.objects.visible_to(request.user), pk=pk)
    try:
        services.complete_follow_up(lead=lead, actor=request.user)
    except ValidationError as e:
        messages.error(request, e.messages[0])
    else:
        messages.success(request, f"Follow-up with {lead.name} done.")
    return _after_change(request, lead)


@require_POST
@member_required
def follow_up_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_object_or_404(Lead.objects.visible_to(request.user), pk=pk)
    form = RescheduleForm(request.POST)
    if form.is_valid():
        try:
            services.reschedule_follow_up(lead=lead, actor=request.user,
                                          follow_up_on=form.cleaned_data["follow_up_on"])
        except ValidationError as e:
            messages.error(request, e.messages[0])
        else:
            messages.success(request, f"Follow-up with {lead.name} moved to "
                                      f"{form.cleaned_data['follow_up_on']:%a %-d %b}.")
    else:
        messages.error(request, "Choose the new follow-up date.")
    return _after_change(request, lead)


@viewer_required
def follow_ups(request: HttpRequest) -> HttpResponse:
    """Follow-ups due today and overdue (and, on request, the coming week): mine or all."""
    everyone = request.GET.get("who") == "all"
    horizon = 7 if request.GET.get("when") == "week" else 0
    today = timezone.localdate()
    leads = Lead.objects.visible_to(request.user).active().due_by(
        today + datetime.timedelta(days=horizon))
    if not everyone:
        leads = leads.filter(owner=request.user)
    totals = leads.aggregate(
        overdue=Count("pk", filter=Q(next_follow_up_on__lt=today)),
        today=Count("pk", filter=Q(next_follow_up_on=today)),
        coming=Count("pk", filter=Q(next_follow_up_on__gt=today)))
    # A page at a time: a team back from holiday may have thousands overdue.
    paginator = Paginator(leads.for_table().order_by("next_follow_up_on", "name", "pk"),
                          FOLLOW_UPS_PER_PAGE)
    paginator.count = sum(totals.values())  # already counted above: no second COUNT
    page = paginator.get_page(request.GET.get("page"))
    groups: dict[str, list[Lead]] = {"Overdue": [], "Today": [], "Coming up": []}
    for lead in page:
        due = lead.next_follow_up_on
        key = "Overdue" if due < today else "Today" if due == today else "Coming up"
        groups[key].append(lead)
    return render(request, "outreach/follow_ups.html", {
        "groups": groups, "everyone": everyone, "horizon": horizon, "today": today,
        "page": page,
        "pager_query": "".join(f"{p}&" for p in (everyone and "who=all", horizon and "when=week")
                               if p),
        "group_totals": {"Overdue": totals["overdue"], "Today": totals["today"],
                                       "Coming up": totals["coming"]},
        "reschedule_form": RescheduleForm(),
    })
