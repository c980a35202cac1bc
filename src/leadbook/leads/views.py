import datetime
from collections.abc import Callable
from contextlib import suppress
from dataclasses import replace

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page
from django.db.models import QuerySet
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
from leadbook.core.paging import CappedPaginator, page_number
from leadbook.core.timeline import timeline_for
from leadbook.transfer.export import export_response

from . import duplicate_views, keyset, services
from .filters import ORDERINGS, LeadFilter
from .forms import LeadForm
from .models import Lead, LeadType, Source, Status, Temperature
from .tally import tallied_count

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


def _table_page(params, view: LeadFilter, base: QuerySet[Lead], count: int | None,
                read: Callable[[QuerySet[Lead]], list[Lead]] = list) -> dict:
    """The page of the table that `params` asks for, and the links to its neighbours.

    Next and Previous carry a cursor (the sort values of the last or first lead shown), so
    that any page they lead to is read from the sort index as cheaply as the first one; a
    page asked for by its number alone (a typed or old link) is read with OFFSET. The
    count is `count` when known (leads/tally.py), else it goes only as far as the cap
    (CappedPaginator). `read` reads the page's leads from a queryset."""
    per_page = settings.LEADS_PER_PAGE
    number = page_number(params.get("page"))
    after, before = params.get("after"), params.get("before")
    leads = view.apply(base)
    by_cursor = bool(after or before) and number > 1
    if not by_cursor:
        after = before = None
    rows, more = None, False
    paginator = CappedPaginator(leads, per_page, wanted_page=1 if by_cursor else number,
                                count=count)
    if count is None and view.by_id(base) is None:  # else the page's query counts it
        paginator.count_beside()
    if by_cursor or number == 1:
        # An edited or outdated link gives the page by its number instead. A first page
        # read from its sorted ids counts them on the way, as far as the paginator would.
        with suppress(keyset.InvalidCursor):
            rows, more = _rows_by_cursor(
                view, base, after, before, per_page, read=read,
                on_count=paginator.counted if count is None else None,
                count_upto=paginator.limit)
    if count is None and rows is not None and not by_cursor and not more:
        paginator.counted(len(rows))  # the whole list is on the first page
    if rows is None:
        page = paginator.get_page(number)
        number, rows, more = page.number, read(page.object_list), page.has_next()
    pairs = view.to_params()
    links = {"prev_url": "", "next_url": ""}
    if rows and more:
        links["next_url"] = _view_url(pairs, page=number + 1, after=keyset.make_cursor(
            view.ordering, rows[-1].pk, lead=rows[-1]))
    if rows and number > 2:
        links["prev_url"] = _view_url(pairs, page=number - 1, before=keyset.make_cursor(
            keyset.reverse_ordering(view.ordering), rows[0].pk, lead=rows[0]))
    elif number == 2:
        links["prev_url"] = _view_url(pairs)
    here = {"page": str(number), **({"after": after} if after else {}),
            **({"before": before} if before else {})} if number > 1 else {}
    return {"page": Page(rows, number, paginator), "here_url": _view_url(pairs, **here),
            **links}


def _rows_by_cursor(view: LeadFilter, base: QuerySet[Lead], after: str | None,
                    before: str | None, per_page: int, *,
                    read: Callable[[QuerySet[Lead]], list[Lead]],
                    on_count: Callable[[int], object] | None,
                    count_upto: int) -> tuple[list[Lead], bool]:
    """The page after a cursor (Next; the first page without one) of the view applied to
    `base`, or before one (Previous: the view read backwards, then turned round). Returns
    the leads and whether more follow them; `on_count` may be given how many leads the view
    holds, counted up to `count_upto` + 1 (keyset.read_after)."""
    if not before:
        rows = keyset.read_after(view.pages(base), view.ordering, after, limit=per_page + 1,
                                 read=read, within=view.whole_list(base),
                                 by_id=view.by_id(base), on_count=on_count,
                                 count_upto=count_upto)
        return rows[:per_page], len(rows) > per_page
    backwards = replace(view, ordering=keyset.reverse_ordering(view.ordering))
    rows = keyset.read_after(backwards.pages(base), backwards.ordering, before,
                             limit=per_page, read=read, within=backwards.whole_list(base),
                             by_id=backwards.by_id(base))
    return rows[::-1], True  # the page Previous was pressed on follows


def _with_names(leads: list[Lead], *, statuses: list[Status], sources: list[Source],
                users: list[User]) -> list[Lead]:
    """`leads`, each given its status, source and owner from those lists (an owner not in
    `users`, one deactivated, is read)."""
    by_id = {
        "status": {s.pk: s for s in statuses}, "source": {s.pk: s for s in sources},
        "owner": {u.pk: u for u in users},
    }
    missing = {lead.owner_id for lead in leads} - by_id["owner"].keys() - {None}
    by_id["owner"].update(User.objects.in_bulk(missing) if missing else {})
    for lead in leads:
        for name, known in by_id.items():
            related_id = getattr(lead, f"{name}_id")
            if related_id in known:  # else (one added since the lists were read) read lazily
                setattr(lead, name, known[related_id])
    return leads


@viewer_required
def lead_list(request: HttpRequest) -> HttpResponse:
    # The filters list every status, lead type, source and active user: the view's names
    # are matched against those lists, and the rows take theirs from them, instead of a
    # query each (Lead.objects.for_table()).
    statuses, sources = list(Status.objects.all()), list(Source.objects.all())
    lead_types = list(LeadType.objects.all())
    owners = list(User.objects.filter(is_active=True))
    view = LeadFilter.from_params(request.GET, statuses=statuses, lead_types=lead_types,
                                  sources=sources)
    base = Lead.objects.visible_to(request.user)

    def read(leads: QuerySet[Lead]) -> list[Lead]:
        return _with_names(list(leads), statuses=statuses, sources=sources, users=owners)

    table = _table_page(request.GET, view, base, tallied_count(view, request.user), read)
    context = {
        "view": view,
        **table,
        "chips": _chips(view),
        "columns": _sort_links(view),
        "errors": view.errors,
        "has_any_lead": bool(table["page"].object_list) or base.exists(),
        "export_url": reverse("leads:export") + "?" + urlencode(view.to_params()),
        "statuses": statuses,
        "lead_types": lead_types,
        "sources": sources,
        "temperatures": Temperature.choices,
        "owners": owners,
        "orderings": ORDERINGS,
    }
    if request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request:
        response = render(request, "leads/_table.html", context)
        # The address bar shows the view in its shortest form, ready to share or bookmark.
        response["HX-Push-Url"] = table["here_url"]
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
