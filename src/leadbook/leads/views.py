import datetime

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from leadbook.accounts.models import User
from leadbook.accounts.permissions import member_required, viewer_required
from leadbook.audit.services import audit_record
from leadbook.capture.services import mark_lead_read
from leadbook.core.forms import add_service_errors
from leadbook.core.http import safe_next_url
from leadbook.core.paging import CappedPaginator
from leadbook.core.timeline import timeline_for
from leadbook.transfer.export import export_response

from . import duplicate_views, services
from .filters import ORDERINGS, LeadFilter
from .forms import LeadForm
from .models import Lead, LeadType, Source, Status, Temperature

COLUMNS = [
    # (label, ordering key or None)
    ("Name", "name"), ("Status", "status"), ("Temp", "temperature"),
    ("Lead type", "lead_types"), ("Contact", "contact"), ("Email", "email"),
    ("Phone", "phone"), ("Instagram", "instagram"), ("Last outreach", "last_outreach"),
    ("Pending", "pending"), ("Owner", "owner"),
]


def _view_url(pairs: list[tuple[str, str]], *, url_name: str = "leads:list", **extra) -> str:
    query = urlencode(pairs + list(extra.items()))
    return reverse(url_name) + (f"?{query}" if query else "")


def _chip_date(value: str) -> str:
    day = datetime.date.fromisoformat(value)
    return f"{day.day} {day:%b %Y}"


def _chips(view: LeadFilter, url_name: str = "leads:list") -> list[dict]:
    """One removable chip per active filter, each with the URL of the view without it
    (on the page `url_name`: the table, or the board, which shares its filters)."""
    pairs = view.to_params()
    labels = {
        "search": "Search", "status": "Status", "lead_type": "Type", "source": "Source",
        "temperature": "Temp", "owner": "Owner", "active": "Showing", "pending": "Pending",
        "converted": "Converted", "created_after": "Added from",
        "created_before": "Added until", "stage": "Stage", "reached": "Reached",
    }
    chips = []
    for i, (key, value) in enumerate(pairs):
        if key == "ordering":
            continue
        shown = {"active": {"all": "Active and inactive", "false": "Inactive"}.get(value, value),
                 "temperature": value.capitalize(),
                 "pending": "Yes" if value == "true" else "No",
                 "converted": "Yes" if value == "true" else "No",
                 "stage": value.capitalize(), "reached": value.capitalize()}.get(key, value)
        if key in ("created_after", "created_before"):
            shown = _chip_date(value)
        if key == "owner" and value == "none":
            shown = "Nobody"
        if key == "source" and value == "none":
            shown = "None"
        chips.append({
            "label": labels[key], "value": shown,
            "remove_url": _view_url(pairs[:i] + pairs[i + 1:], url_name=url_name),
        })
    return chips


def _sort_links(view: LeadFilter) -> list[dict]:
    base = [p for p in view.to_params() if p[0] != "ordering"]
    links = []
    for label, key in COLUMNS:
        current = view.ordering.lstrip("-") == key
        descending = view.ordering.startswith("-")
        next_order = f"-{key}" if current and not descending else key
        links.append({
            "label": label, "key": key, "url": _view_url(base, ordering=next_order),
            "sorted": ("descending" if descending else "ascending") if current else "none",
        })
    return links


@viewer_required
def lead_list(request: HttpRequest) -> HttpResponse:
    view = LeadFilter.from_params(request.GET)
    leads = view.apply(Lead.objects.visible_to(request.user).for_table())
    paginator = CappedPaginator(leads, settings.LEADS_PER_PAGE,
                                wanted_page=request.GET.get("page"))
    page = paginator.get_page(request.GET.get("page"))
    total_leads = Lead.objects.visible_to(request.user).exists()
    context = {
        "view": view,
        "page": page,
        "chips": _chips(view),
        "columns": _sort_links(view),
        "errors": view.errors,
        "has_any_lead": total_leads,
        "page_url": lambda n: _view_url(view.to_params(), page=n),
        "export_url": reverse("leads:export") + "?" + urlencode(view.to_params()),
        "statuses": Status.objects.all(),
        "lead_types": LeadType.objects.all(),
        "sources": Source.objects.all(),
        "temperatures": Temperature.choices,
        "owners": User.objects.filter(is_active=True),
        "orderings": ORDERINGS,
    }
    context["prev_url"] = _view_url(view.to_params(), page=page.number - 1) \
        if page.has_previous() else ""
    context["next_url"] = _view_url(view.to_params(), page=page.number + 1) \
        if page.has_next() else ""
    if request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request:
        response = render(request, "leads/_table.html", context)
        # The address bar shows the view in its shortest form, ready to share or bookmark.
        response["HX-Push-Url"] = _view_url(view.to_params(), **(
            {"page": str(page.number)} if page.number > 1 else {}))
        return response
    return render(request, "leads/list.html", context)


@viewer_required
def lead_export(request: HttpRequest) -> HttpResponse:
    view = LeadFilter.from_params(request.GET)
    audit_record(action="leads.exported", actor=request.user, request=request,
                 view=request.GET.urlencode()[:500])
    return export_response(view.apply(Lead.objects.visible_to(request.user)),
                           filename_stem="leads")


@viewer_required
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lead = Lead.objects.visible_to(request.user).for_table().filter(pk=pk).first()
    if lead is None:
        return duplicate_views.merged_lead_redirect(request, pk)  # else 404
    mark_lead_read(lead=lead)  # a new web lead stops being "new" once someone opens it
    return render(request, "leads/detail.html", {
        "lead": lead,
        "lead_types": lead.lead_types.all(),
        "timeline": timeline_for(lead),
        "possible_duplicates": duplicate_views.possible_duplicates(lead),
    })


def _save_form(request: HttpRequest, form: LeadForm, lead: Lead | None) -> Lead | None:
    """Hand a valid form to the lead services; put their objections back on the form."""
    fields = form.service_fields()
    if duplicate_views.held_for_duplicates(form, lead):
        return None
    try:
        if lead is None:
            return services.create_lead(
                actor=request.user, lead_types=form.cleaned_data["lead_types"], **fields
            )
        return services.update_lead(
            lead=lead, actor=request.user, expected_version=form.cleaned_data["version"],
            lead_types=form.cleaned_data["lead_types"], **fields,
        )
    except ValidationError as e:
        add_service_errors(form, e)
    except services.LeadConflict as conflict:
        form.conflict = conflict.changes
        # Resubmitting now means "I have seen what changed and still want my version".
        data = form.data.copy()
        data["version"] = str(conflict.lead.version)
        form.data = data
        form.add_error(None, "Someone else changed this lead while you were editing it. "
                             "Your changes are kept below: check them and save again.")
    return None


@member_required
def lead_create(request: HttpRequest) -> HttpResponse:
    form = LeadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        lead = _save_form(request, form, None)
        if lead is not None:
            messages.success(request, f"Added {lead.name}.")
            if "add_another" in request.POST:
                return redirect("leads:create")
            return redirect(lead)
    return render(request, "leads/form.html", {"form": form, "lead": None})


@member_required
def lead_edit(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_object_or_404(Lead.objects.visible_to(request.user), pk=pk)
    form = LeadForm(request.POST or None, instance=lead)
    if request.method == "POST" and form.is_valid():
        saved = _save_form(request, form, lead)
        if saved is not None:
            messages.success(request, f"Saved {saved.name}.")
            return redirect(saved)
    return render(request, "leads/form.html", {"form": form, "lead": lead})


@require_POST
@member_required
def lead_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_object_or_404(Lead.objects.visible_to(request.user), pk=pk)
    active = request.POST.get("active") == "true"
    lead = services.set_lead_active(lead=lead, actor=request.user, active=active)
    if active:
        messages.success(request, f"{lead.name} is active again.")
    else:
        messages.success(request, f"{lead.name} is inactive. Find it under Showing → Inactive.")
    if request.htmx:
        row = Lead.objects.for_table().get(pk=lead.pk)
        return render(request, "leads/_row.html",
                      {"lead": row, "just_changed": True, "oob_messages": True})
    return redirect(safe_next_url(request, default=lead.get_absolute_url()))
