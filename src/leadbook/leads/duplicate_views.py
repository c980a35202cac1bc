"""Pages for duplicates: the Duplicates page (groups found by the whole-book check), "not a
duplicate" answers, the merge page and its undo, and the lead form's duplicate warning."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from leadbook.accounts.permissions import member_required, viewer_required
from leadbook.core.forms import add_service_errors
from leadbook.core.http import safe_next_url

from . import duplicates, merging, services
from .forms import LeadForm
from .merge_form import MergeForm
from .models import DuplicateScanGroup, Lead, LeadMerge, ScanState

GROUPS_PER_PAGE = 20
# The most leads one merge page compares side by side.
MAX_MERGE = 8
REASONS = {"email": "Email", "phone": "Phone", "instagram": "Instagram", "website": "Website",
           "name": "Name"}


def lead_ids(values: Iterable[str]) -> list[int]:
    """Lead ids from query or form values, each '12' or '12,13', in order, once each."""
    ids = []
    for value in values:
        for part in str(value).split(","):
            if part.strip().isdigit():
                ids.append(int(part))
    return list(dict.fromkeys(ids))


def merge_url(ids: Iterable[int], next_url: str = "") -> str:
    query = {"ids": ",".join(str(i) for i in ids)}
    if next_url:
        query["next"] = next_url
    return reverse("leads:merge") + "?" + urlencode(query)


# --- The Duplicates page --------------------------------------------------------------------


@viewer_required
def duplicate_list(request: HttpRequest) -> HttpResponse:
    result = duplicates.latest_result()
    running = duplicates.scan_in_progress()
    failure = duplicates.latest_failure()
    if result is None and running is None and failure is None:
        # Never checked: check now (a background job; the page follows its progress).
        duplicates.start_scan(actor=request.user)
        result, running = duplicates.latest_result(), duplicates.scan_in_progress()
    reason = request.GET.get("reason", "")
    reason = reason if reason in REASONS else ""
    page = groups = None
    prev_url = next_url = ""
    counts: dict[str, int] = {}
    if result is not None:
        counts = duplicates.reason_counts(result)
        paginator = Paginator(duplicates.open_groups(result, reason), GROUPS_PER_PAGE)
        page = paginator.get_page(request.GET.get("page"))
        groups = duplicates.with_leads(page.object_list)
        if page.has_previous():
            prev_url = _page_url(reason, page.previous_page_number())
        if page.has_next():
            next_url = _page_url(reason, page.next_page_number())
    return render(request, "leads/duplicates.html", {
        "result": result, "running": running, "failure": failure, "page": page,
        "groups": groups, "reason": reason, "here": request.get_full_path(),
        "prev_url": prev_url, "next_url": next_url,
        "reasons": [{"key": key, "label": label, "count": counts.get(key, 0),
                     "url": reverse("leads:duplicates") + "?" + urlencode({"reason": key})}
                    for key, label in REASONS.items() if counts.get(key)],
        "open_count": sum(counts.values()),
    })


def _page_url(reason: str, number: int) -> str:
    query = {"reason": reason} if reason else {}
    if number > 1:
        query["page"] = str(number)
    return reverse("leads:duplicates") + ("?" + urlencode(query) if query else "")


@viewer_required
def duplicate_scan_status(request: HttpRequest) -> HttpResponse:
    """The progress line the page polls while a check runs; once it is over, the page
    reloads to show the new result."""
    running = duplicates.scan_in_progress()
    if running is None:
        if request.htmx:
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        return redirect("leads:duplicates")
    return render(request, "leads/_scan_status.html", {"running": running})


@require_POST
@member_required
def duplicate_scan_start(request: HttpRequest) -> HttpResponse:
    scan = duplicates.start_scan(actor=request.user)
    if scan.state == ScanState.DONE:
        messages.success(request, f"Checked {scan.lead_count:,} leads: "
                                  f"{scan.group_count:,} groups of likely duplicates.")
    elif scan.state == ScanState.FAILED:
        messages.error(request, "The check for duplicates failed. Try again in a moment.")
    return redirect("leads:duplicates")


def _group_response(request: HttpRequest, group_id: str, **context) -> HttpResponse:
    """A group of the page as it is now, after an answer about it (or an undo)."""
    group = DuplicateScanGroup.objects.filter(pk=group_id if group_id.isdigit() else 0).first()
    views = duplicates.with_leads([group]) if group is not None and group.is_open else []
    return render(request, "leads/_duplicate_group.html", {
        "view": views[0] if views else None, "group_id": group_id,
        "here": safe_next_url(request, default=reverse("leads:duplicates")), **context})


@require_POST
@member_required
def duplicate_dismiss(request: HttpRequest) -> HttpResponse:
    """'Not duplicates': the leads of a group (or one lead of it, against the others) are
    remembered as different and not suggested together again."""
    ids = lead_ids(request.POST.getlist("leads"))
    single = lead_ids([request.POST.get("lead", "")])
    if single:
        pairs = [(single[0], other) for other in ids if other != single[0]]
    else:
        pairs = duplicates.group_pairs(ids)
    if not pairs:
        messages.error(request, "Choose the leads that are not duplicates.")
        return redirect(safe_next_url(request, default=reverse("leads:duplicates")))
    created = duplicates.dismiss_pairs(pairs=pairs, actor=request.user)
    if request.htmx and request.POST.get("group"):
        name = Lead.objects.filter(pk=single[0]).values_list("name", flat=True).first() \
            if single else ""
        return _group_response(request, request.POST["group"], dismissed=created,
                               dismissed_name=name)
    messages.success(request, "Marked as not duplicates.")
    return redirect(safe_next_url(request, default=reverse("leads:duplicates")))


@require_POST
@member_required
def duplicate_undismiss(request: HttpRequest) -> HttpResponse:
    duplicates.undo_dismissals(dismissal_ids=lead_ids(request.POST.getlist("dismissal")),
                               actor=request.user)
    if request.htmx and request.POST.get("group"):
        return _group_response(request, request.POST["group"])
    messages.success(request, "Suggested as duplicates again.")
    return redirect(safe_next_url(request, default=reverse("leads:duplicates")))


# --- Merge ----------------------------------------------------------------------------------


def _leads_to_merge(request: HttpRequest) -> tuple[list[Lead], int]:
    """The leads named in the address still in the book, oldest first (at most MAX_MERGE),
    and how many more were named."""
    ids = lead_ids(request.GET.getlist("ids"))
    leads = Lead.objects.for_table().filter(pk__in=ids[:MAX_MERGE]).order_by("created_at", "pk")
    return list(leads), max(0, len(ids) - MAX_MERGE)


@member_required
def lead_merge(request: HttpRequest) -> HttpResponse:
    leads, left_out = _leads_to_merge(request)
    back = safe_next_url(request, default=reverse("leads:duplicates"))
    if len(leads) < 2:
        messages.error(request, "Choose at least two leads to merge (one of them may have "
                                "been merged or deleted meanwhile).")
        return redirect(back)
    form = MergeForm(leads, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            merge = merging.merge_leads(
                survivor=form.survivor, others=form.others, actor=request.user,
                values=form.values(), expected_versions=form.expected_versions())
        except ValidationError as error:
            add_service_errors(form, error)
        except merging.MergeError as error:
            form.add_error(None, str(error))
        except services.LeadConflict as conflict:
            # Show the values as they are now, keeping the choices made.
            data = form.data.copy()
            for lead in leads:
                data[f"version_{lead.pk}"] = str(lead.version)
            form = MergeForm(leads, data)
            form.is_valid()
            form.add_error(None, f"{conflict.lead.name} was changed by someone else while you "
                                 "were choosing. The values below are now up to date: check "
                                 "them and merge again.")
        else:
            count = len(merge.merged_lead_ids) + 1
            messages.success(request, f"Merged {count} leads into {merge.survivor.name}. "
                                      "Its timeline can undo the merge.")
            # Back to the Duplicates page when the merge started there, to carry on; else
            # to the merged lead.
            came_from = safe_next_url(request, default="")
            if came_from.startswith(reverse("leads:duplicates")):
                return redirect(came_from)
            return redirect(merge.survivor)
    chosen = str(form["survivor"].value())
    survivor = next((lead for lead in leads if str(lead.pk) == chosen), leads[0])
    others = [lead for lead in leads if lead != survivor]
    lead_types = sorted({t for lead in leads for t in lead.lead_types.all()},
                        key=lambda t: (t.position, t.pk))
    moves = merging.moves_preview(survivor, others)
    return render(request, "leads/merge.html", {
        "form": form, "leads": leads, "back": back, "lead_types": lead_types,
        "moves": moves, "survivor": survivor, "left_out": left_out,
        "moving": ", ".join(f"{m['moving']} {m['label']}" for m in moves if m["moving"]),
    })


@require_POST
@member_required
def merge_undo(request: HttpRequest, pk: int) -> HttpResponse:
    merge = get_object_or_404(LeadMerge, pk=pk)
    try:
        result = merging.undo_merge(merge=merge, actor=request.user)
    except merging.MergeError as error:
        messages.error(request, str(error))
        return redirect(safe_next_url(request, default=reverse("leads:duplicates")))
    names = ", ".join(lead.name for lead in result.restored)
    text = f"Merge undone: {names} {'is' if len(result.restored) == 1 else 'are'} back."
    if result.kept_later_changes:
        text += (f" {', '.join(result.kept_later_changes)} changed since the merge and "
                 "kept the newer value.")
    messages.success(request, text)
    return redirect(result.survivor)


# --- Pieces other lead pages use ------------------------------------------------------------


def merged_lead_redirect(request: HttpRequest, pk: int) -> HttpResponse:
    """A lead merged into another is kept: its old address leads to the survivor."""
    merged = Lead.all_objects.filter(pk=pk, merged_into__isnull=False,
                                     deleted_at__isnull=True).first()
    survivor = merged
    while survivor is not None and survivor.merged_into_id is not None:
        survivor = Lead.all_objects.filter(pk=survivor.merged_into_id).first()
    if merged is None or survivor is None or survivor.deleted_at is not None:
        raise Http404("No such lead.")
    messages.info(request, f"{merged.name} (#{merged.pk}) was merged into this lead.")
    return redirect(survivor)


def held_for_duplicates(form: LeadForm, lead: Lead | None) -> bool:
    """Before a lead form is saved: when the values typed look like leads already in the
    book and the user has not chosen to save anyway, show those leads on the form (with
    everything typed kept) and hold the save. 'Save anyway' resubmits with the leads seen
    in a hidden field, so only a different likely duplicate warns again."""
    confirmed = set(lead_ids([form.cleaned_data.get("confirm_duplicates") or ""]))
    found = duplicates.new_duplicates_for_form(form.service_fields(), lead, confirmed)
    if not found:
        return False
    form.likely_duplicates = found  # type: ignore[attr-defined]
    data = form.data.copy()
    data["confirm_duplicates"] = ",".join(
        str(i) for i in sorted(confirmed | {d.lead.pk for d in found}))
    form.data = data
    return True


def possible_duplicates(lead: Lead) -> list[duplicates.LikelyDuplicate]:
    """For the lead page: leads this one is probably a duplicate of."""
    return duplicates.likely_duplicates(lead, lead=lead)

