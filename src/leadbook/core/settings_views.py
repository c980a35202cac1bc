"""Settings pages (admins): workspace rules and the editable lists."""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from leadbook.accounts.permissions import admin_required
from leadbook.conversions.models import CustomerGroup
from leadbook.leads.models import LeadType, Source, Status
from leadbook.outreach.models import OutreachKind

from . import services
from .forms import add_service_errors
from .models import WorkspaceSettings


@dataclass(frozen=True)
class EditableList:
    slug: str
    title: str
    model: type[models.Model]
    extra_fields: tuple[str, ...]
    help: str

    def form_class(self) -> type[forms.ModelForm]:
        return forms.modelform_factory(self.model, fields=("name", *self.extra_fields))


EDITABLE_LISTS = {
    item.slug: item
    for item in [
        EditableList("statuses", "Statuses", Status, ("stage",),
                     "The pipeline, in order. Each status sits on a stage of the lifecycle; "
                     "the stage gives its badge colour and its place on the dashboard funnel."),
        EditableList("lead-types", "Lead types", LeadType, ("target",),
                     "A lead can have several types. Each type says what the lead converts "
                     "into; any lead can also become a Customer."),
        EditableList("sources", "Sources", Source, (),
                     "Where leads come from."),
        EditableList("outreach-kinds", "Outreach kinds", OutreachKind, (),
                     "How a contact attempt was made."),
        EditableList("customer-groups", "Customer groups", CustomerGroup, (),
                     "Groups a lead can join when it becomes a customer."),
    ]
}


class WorkspaceForm(forms.ModelForm):
    class Meta:
        model = WorkspaceSettings
        fields = ["contact_requirement", "first_outreach_moves_to_contacted",
                  "members_see_own_leads_only"]
        labels = {"contact_requirement": "A lead needs",
                  "first_outreach_moves_to_contacted": "First outreach moves a New lead to "
                                                       "Contacted",
                  "members_see_own_leads_only": "Members see only the leads they own"}
        widgets = {"contact_requirement": forms.RadioSelect}


def _settings_context(**extra) -> dict:
    return {"lists": EDITABLE_LISTS.values(), **extra}


@admin_required
def general(request: HttpRequest) -> HttpResponse:
    form = WorkspaceForm(request.POST or None, instance=WorkspaceSettings.load())
    if request.method == "POST" and form.is_valid():
        services.update_workspace_settings(actor=request.user, **form.cleaned_data)
        messages.success(request, "Settings saved.")
        return redirect("settings")
    return render(request, "settings/general.html", _settings_context(form=form,
                                                                      section="general"))


def _list_or_404(slug: str) -> EditableList:
    try:
        return EDITABLE_LISTS[slug]
    except KeyError:
        raise Http404 from None


@admin_required
def edit_list(request: HttpRequest, slug: str) -> HttpResponse:
    """Show a list with a form per entry; POST adds an entry or saves one (by `pk`)."""
    editable = _list_or_404(slug)
    Form = editable.form_class()
    objects = list(editable.model._default_manager.order_by("position", "id"))
    forms_by_pk = {obj.pk: Form(instance=obj, prefix=f"e{obj.pk}") for obj in objects}
    new_form = Form(prefix="new")
    if request.method == "POST":
        pk = request.POST.get("pk")
        obj = get_object_or_404(editable.model, pk=pk) if pk else None
        form = Form(request.POST, instance=obj, prefix=f"e{pk}" if pk else "new")
        if form.is_valid():
            extra = {f: form.cleaned_data[f] for f in editable.extra_fields}
            try:
                if obj is None:
                    obj = services.choice_create(editable.model, name=form.cleaned_data["name"],
                                                 actor=request.user, **extra)
                    messages.success(request, f"Added “{obj}”.")
                else:
                    services.choice_update(obj, name=form.cleaned_data["name"],
                                           actor=request.user, **extra)
                    messages.success(request, f"Saved “{obj}”.")
                return redirect("settings_list", slug=slug)
            except ValidationError as e:
                add_service_errors(form, e)
        if obj is None:
            new_form = form
        else:
            forms_by_pk[obj.pk] = form
    rows = [(obj, forms_by_pk[obj.pk]) for obj in objects]
    return render(request, "settings/list.html", _settings_context(
        editable=editable, rows=rows, new_form=new_form, section=slug))


@require_POST
@admin_required
def move_entry(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    editable = _list_or_404(slug)
    obj = get_object_or_404(editable.model, pk=pk)
    services.choice_move(obj, step=-1 if request.POST.get("direction") == "up" else 1)
    return redirect("settings_list", slug=slug)


@require_POST
@admin_required
def delete_entry(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    editable = _list_or_404(slug)
    obj = get_object_or_404(editable.model, pk=pk)
    try:
        services.choice_delete(obj, actor=request.user)
    except ValidationError as e:
        messages.error(request, e.messages[0])
    else:
        messages.success(request, f"Deleted “{obj}”.")
    return redirect("settings_list", slug=slug)
