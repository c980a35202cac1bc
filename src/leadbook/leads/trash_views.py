"""Deleting a lead, and Leads → Trash: restore, or (admins) erase personal data for good."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from leadbook.accounts.permissions import admin_required, member_required

from . import services, trash
from .models import Lead


@require_POST
@member_required
def lead_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a lead to the trash (restorable there for 30 days)."""
    lead = get_object_or_404(Lead.objects.visible_to(request.user), pk=pk)
    services.delete_lead(lead=lead, actor=request.user)
    messages.success(request, f"{lead.name} is in the trash. Restore it from Leads → Trash "
                              f"within {trash.TRASH_DAYS} days.")
    return redirect("leads:list")


@member_required
def trash_list(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(trash.trashed_leads(request.user), settings.LEADS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "leads/trash.html", {
        "page": page,
        "entries": trash.trash_entries(list(page.object_list)),
        "trash_days": trash.TRASH_DAYS,
    })


def _trashed_or_404(request: HttpRequest, pk: int) -> Lead:
    return get_object_or_404(trash.trashed_leads(request.user), pk=pk)


@require_POST
@member_required
def trash_restore(request: HttpRequest, pk: int) -> HttpResponse:
    lead = services.restore_lead(lead=_trashed_or_404(request, pk), actor=request.user)
    messages.success(request, f"{lead.name} is back in the leads.")
    return redirect(lead)


@require_POST
@admin_required
def trash_erase(request: HttpRequest, pk: int) -> HttpResponse:
    """Erase a person's data for good (GDPR). The form has a confirmation box to tick, so a
    slip of the mouse erases nothing."""
    lead = _trashed_or_404(request, pk)
    if request.POST.get("confirm") != "yes":
        messages.error(request, f"Tick “Erase for good” to erase {lead.name}'s data.")
        return redirect("leads:trash")
    trash.erase_lead(lead=lead, actor=request.user)
    messages.success(request, f"Lead #{lead.pk}'s personal data is erased for good.")
    return redirect("leads:trash")
