from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from leadbook.accounts.permissions import admin_required, member_required, viewer_required
from leadbook.audit.services import audit_record
from leadbook.core.forms import add_service_errors
from leadbook.core.http import safe_next_url
from leadbook.leads.models import Lead
from leadbook.transfer.export import cell, csv_response

from . import services
from .forms import DETAIL_FIELDS, ConvertChoiceForm, record_form_class
from .models import CONTACT_FIELDS, RECORD_MODELS
from .sections import SECTIONS, SECTIONS_BY_TARGET, Section, filtered_records


@member_required
def convert(request: HttpRequest, pk: int) -> HttpResponse:
    """Review the lead's details and the target's own fields, then convert."""
    lead = get_object_or_404(Lead.objects.visible_to(request.user), pk=pk)
    done = services.existing_records(lead)
    targets = [t for t in services.allowed_targets(lead) if t not in done]
    if not targets:
        messages.info(request, f"{lead.name} is already converted into everything its "
                               f"types allow.")
        return redirect(lead)
    data = request.POST if request.method == "POST" else None
    # Changing "Into" reloads the form with what was typed so far (sent as GET parameters).
    typed = request.GET if "target" in request.GET else None
    target = (data or typed or {}).get("target") or targets[0]
    if target not in targets:
        target = targets[0]
    won = services.won_status()
    choice = ConvertChoiceForm(data or typed, targets=targets, initial={
        "target": target, "status": won.pk if won else lead.status_id})
    RecordForm = record_form_class(target)
    form = RecordForm(data, initial={**services.conversion_initial_values(lead, target), **(
        {k: v for k, v in typed.items() if k in CONTACT_FIELDS} if typed else {})})
    if data is not None and choice.is_valid() and form.is_valid():
        try:
            record = services.convert_lead(
                lead=lead, actor=request.user, target=target, contact=form.contact(),
                details=form.details(), status=choice.cleaned_data["status"])
        except ValidationError as e:
            add_service_errors(form, e)
        except services.AlreadyConverted as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, f"{lead.name} is now a {record.target}.")
            if request.htmx and request.POST.get("origin") == "row":
                row = Lead.objects.for_table().get(pk=lead.pk)
                return render(request, "outreach/_row_updated.html", {"lead": row})
            if request.htmx:
                response = HttpResponse()
                response["HX-Redirect"] = record.get_absolute_url()
                return response
            return redirect(record)
    context = {
        "lead": lead, "choice": choice, "form": form, "target": target,
        "detail_fields": [form[name] for name in (*DETAIL_FIELDS[target], "notes")],
        "contact_fields": [form[name] for name in CONTACT_FIELDS],
        "already": done, "origin": request.POST.get("origin") or request.GET.get("origin", ""),
        "action": request.path,
    }
    template = "conversions/_convert_dialog.html" if request.htmx else \
        "conversions/convert_page.html"
    return render(request, template, context)


def _section_or_404(slug: str) -> Section:
    try:
        return SECTIONS[slug]
    except KeyError:
        raise Http404 from None


@viewer_required
def record_list(request: HttpRequest, section: str) -> HttpResponse:
    sect = _section_or_404(section)
    records, view = filtered_records(sect, request.GET)
    page = Paginator(records, 50).get_page(request.GET.get("page"))
    base = {k: v for k, v in view.items() if v and not (k == "ordering" and v == "name")}
    sort_links = [
        {"label": label, "key": key,
         "url": "?" + urlencode({**base, "ordering": f"-{key}" if view["ordering"] == key
                                 else key}),
         "sorted": ("descending" if view["ordering"].startswith("-") else "ascending")
         if view["ordering"].lstrip("-") == key else "none"}
        for label, key in [("Name", "name"), ("City", "city"), ("Added", "created"),
                           *[(label, k) for k, label in _extra_sort_labels(sect)]]
    ]
    return render(request, "conversions/list.html", {
        "section": sect, "page": page, "view": view, "sort_links": sort_links,
        "filter_choices": sect.filter_choices(), "today": timezone.localdate(),
        "export_query": urlencode(base), "has_any": sect.model.objects.exists(),
    })


def _extra_sort_labels(section: Section) -> list[tuple[str, str]]:
    labels = {"rent_due": "Rent due", "rent": "Rent", "commission": "Commission",
              "start": "Start", "end": "End", "followers": "Followers"}
    return [(key, labels[key]) for key in section.orderings if key in labels]


@viewer_required
def record_export(request: HttpRequest, section: str) -> StreamingHttpResponse:
    sect = _section_or_404(section)
    records, _ = filtered_records(sect, request.GET)
    audit_record(action=f"{sect.slug}.exported", actor=request.user, request=request,
                 view=request.GET.urlencode()[:500])
    fields = ["id", *CONTACT_FIELDS, *DETAIL_FIELDS[sect.target], "notes", "lead_id",
              "created_at"]
    paths = ["customer_group__name" if f == "customer_group" else f for f in fields]

    def rows():
        yield fields
        for values in records.values_list(*paths).iterator(chunk_size=2000):
            yield [cell(v) for v in values]

    return csv_response(rows(), filename_stem=sect.slug)


def _record_or_404(target: str, pk: int):
    if target not in RECORD_MODELS:
        raise Http404
    return get_object_or_404(RECORD_MODELS[target].objects.select_related("lead"), pk=pk)


@viewer_required
def record_detail(request: HttpRequest, target: str, pk: int) -> HttpResponse:
    record = _record_or_404(target, pk)
    fields = [(record._meta.get_field(name).verbose_name, record, name)
              for name in DETAIL_FIELDS[target]]
    return render(request, "conversions/detail.html", {
        "record": record, "section": SECTIONS_BY_TARGET[target], "fields": fields,
    })


@member_required
def record_edit(request: HttpRequest, target: str, pk: int) -> HttpResponse:
    record = _record_or_404(target, pk)
    form = record_form_class(target)(request.POST or None, instance=record)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_record(record=record, actor=request.user,
                                   **form.contact(), **form.details())
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, f"Saved {record.name}.")
            return redirect(record)
    return render(request, "conversions/edit.html", {
        "record": record, "form": form, "section": SECTIONS_BY_TARGET[target],
    })


@require_POST
@admin_required
def record_undo(request: HttpRequest, target: str, pk: int) -> HttpResponse:
    record = _record_or_404(target, pk)
    section = SECTIONS_BY_TARGET[target]
    lead = services.undo_conversion(record=record, actor=request.user)
    audit_record(action="conversion.undone", actor=request.user, request=request,
                 target=f"{target} #{pk}", lead_id=lead.pk if lead else 0)
    messages.success(request, f"Conversion undone: the {target} record is gone"
                              f"{' and the lead is back in the pipeline' if lead else ''}.")
    return redirect(safe_next_url(request, default=lead.get_absolute_url() if lead
                                  else f"/{section.slug}/"))
