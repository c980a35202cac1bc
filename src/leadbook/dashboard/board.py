"""The pipeline board at /leads/board/: a column per status, a card per lead.

The board takes the leads table's filters (LeadFilter, the same filter bar and chips). The
page itself carries only the column heads and their counts; each column fetches its cards
when it scrolls into view (htmx), a page at a time, so a board over 100k leads opens as fast
as one over ten. Without JavaScript a column's cards open as a page of their own.

A card moves by drag and drop (app.js) or from its menu's "Move to…" buttons, which are a
plain POST form: both end in `board_move`, which changes the status through
`leads.services.update_lead`, so history, events and the version check apply.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from leadbook.accounts.models import User
from leadbook.accounts.permissions import member_required, viewer_required
from leadbook.core.http import safe_next_url
from leadbook.core.paging import page_number
from leadbook.leads import services
from leadbook.leads.filters import LeadFilter
from leadbook.leads.models import Lead, LeadType, Source, Status, Temperature
from leadbook.leads.views import _chips

CARDS_PER_PAGE = 20


def _view_query(view: LeadFilter) -> str:
    return urlencode(view.to_params())


def _columns(view: LeadFilter) -> list[Status]:
    """The statuses shown as columns, in order: all of them, or those the view asks for."""
    statuses = Status.objects.all()
    if view.statuses:
        statuses = statuses.filter(pk__in=[s.pk for s in view.statuses])
    if view.stages:
        statuses = statuses.filter(stage__in=view.stages)
    return list(statuses)


def _counts(view: LeadFilter, user: User, only: set[int] | None = None) -> dict[int, int]:
    """Leads in the view per status id (of the statuses `only`, if given): one query."""
    leads = view.apply(Lead.objects.visible_to(user)).order_by()
    if only is not None:
        leads = leads.filter(status__in=only)
    return dict(leads.values_list("status_id").annotate(n=Count("id")))


def _board_context(request: HttpRequest, view: LeadFilter) -> dict:
    columns = _columns(view)
    counts = _counts(view, request.user)
    query = _view_query(view)
    return {
        "view": view,
        "view_query": query,
        "columns": [{"status": status, "count": counts.get(status.pk, 0)} for status in columns],
        "total": sum(counts.values()),
        "has_any_lead": Lead.objects.exists(),
        "chips": _chips(view, url_name="leads:board"),
        "errors": view.errors,
        "table_url": reverse("leads:list") + (f"?{query}" if query else ""),
        "filter_url": reverse("leads:board"),
        "filter_target": "#board",
        # The filter bar's choices, as the table has them.
        "statuses": Status.objects.all(),
        "lead_types": LeadType.objects.all(),
        "sources": Source.objects.all(),
        "temperatures": Temperature.choices,
        "owners": User.objects.filter(is_active=True),
    }


@viewer_required
def board(request: HttpRequest) -> HttpResponse:
    view = LeadFilter.from_params(request.GET)
    context = _board_context(request, view)
    if request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request:
        response = render(request, "dashboard/_board.html", {**context, "oob": True})
        query = context["view_query"]
        response["HX-Push-Url"] = reverse("leads:board") + (f"?{query}" if query else "")
        return response
    return render(request, "dashboard/board.html", context)


def _column_leads(view: LeadFilter, status: Status, user: User) -> QuerySet[Lead]:
    return view.apply(Lead.objects.visible_to(user).for_table()).filter(status=status)


@viewer_required
def board_column(request: HttpRequest, status_id: int) -> HttpResponse:
    """A column's cards, a page at a time: the fragment a column loads into itself, or,
    opened as a page (no JavaScript), the column on its own with page links."""
    status = get_object_or_404(Status, pk=status_id)
    view = LeadFilter.from_params(request.GET)
    page = page_number(request.GET.get("page"))
    start = (page - 1) * CARDS_PER_PAGE
    # One more than a page tells whether there is a next page, without counting them all.
    found = list(_column_leads(view, status, request.user)[start:start + CARDS_PER_PAGE + 1])
    query = _view_query(view)
    column_url = reverse("leads:board_column", args=[status.pk])
    context = {
        "status": status,
        "leads": found[:CARDS_PER_PAGE],
        "page": page,
        "next_url": f"{column_url}?{urlencode([*view.to_params(), ('page', page + 1)])}"
        if len(found) > CARDS_PER_PAGE else "",
        "previous_url": f"{column_url}?{urlencode([*view.to_params(), ('page', page - 1)])}"
        if page > 1 else "",
        "view": view,
        "view_query": query,
        "move_statuses": Status.objects.all(),
        "board_url": reverse("leads:board") + (f"?{query}" if query else ""),
    }
    if request.htmx:
        # After a move without htmx (should it come to that), back to the whole board.
        context["next_path"] = context["board_url"]
        return render(request, "dashboard/_board_cards.html", context)
    context["next_path"] = request.get_full_path()
    return render(request, "dashboard/board_column.html", context)


@require_POST
@member_required
def board_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a card: set the lead's status. The card says which version of the lead it
    showed; if someone changed the status since, the move is refused with a message and the
    card comes back showing where the lead is now."""
    lead = get_object_or_404(Lead.objects.visible_to(request.user), pk=pk)
    try:
        status = Status.objects.get(pk=int(request.POST.get("status", "")))
        version = int(request.POST.get("version", ""))
    except (Status.DoesNotExist, ValueError):
        return HttpResponseBadRequest("Choose a status to move the lead to.")

    # The columns whose counts a move changes: where the card was shown, where the lead
    # was (they differ for a stale card), and where it is now.
    touched = {status.pk, lead.status_id}
    if request.POST.get("shown_status", "").isdigit():
        touched.add(int(request.POST["shown_status"]))
    lead, error = _move(lead, status, version, request.user)
    touched.add(lead.status_id)
    if error:
        messages.error(request, error)
    elif lead.status_id == status.pk:
        messages.success(request, f"Moved {lead.name} to {status.name}.")
    if not request.htmx:
        return redirect(safe_next_url(request, default=reverse("leads:board")))

    view = LeadFilter.from_params(QueryDict(request.POST.get("view", "")))
    counts = _counts(view, request.user, only=touched)
    card = Lead.objects.for_table().get(pk=lead.pk)
    query = _view_query(view)
    return render(request, "dashboard/_board_moved.html", {
        "lead": card, "view": view, "view_query": query,
        "next_path": reverse("leads:board") + (f"?{query}" if query else ""),
        "move_statuses": Status.objects.all(),
        "counts": [(column.pk, counts.get(column.pk, 0)) for column in _columns(view)
                   if column.pk in touched],
        "refused": bool(error), "oob_messages": True,
    })


def _move(lead: Lead, status: Status, version: int, actor: User,
          retried: bool = False) -> tuple[Lead, str]:
    """(the lead as it is now, an error message or '')."""
    if lead.status_id == status.pk:
        return lead, ""  # dropped where it was
    try:
        return services.update_lead(lead=lead, actor=actor, expected_version=version,
                                    status=status), ""
    except services.LeadConflict as conflict:
        current = conflict.lead
        status_moved = any(change["field"] == "status" for change in conflict.changes)
        if status_moved or current.status_id != lead.status_id:
            who = next((c["who"] for c in reversed(conflict.changes) if c["field"] == "status"),
                       "Someone")
            return current, (f"{who} moved {current.name} to {current.status.name} while "
                             "this board was open, so it was not moved. Its card now shows "
                             "where it is.")
        if retried:
            return current, f"{current.name} keeps changing; try moving it again."
        # Others changed other fields (a note, a phone number): moving the card overwrites
        # none of that, so it goes ahead on the current version.
        return _move(current, status, current.version, actor, retried=True)
    except ValidationError as e:
        problems = " ".join(" ".join(errors) for errors in e.message_dict.values())
        return Lead.objects.get(pk=lead.pk), (
            f"{lead.name} could not be moved: {problems} Edit the lead to fix it first.")
