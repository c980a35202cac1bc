"""Settings → Web forms (admins), and each user's new-web-lead email switch."""

from typing import cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from leadbook.accounts.models import User
from leadbook.accounts.permissions import admin_required, own_account_required
from leadbook.core.forms import add_service_errors

from . import embed, services
from .forms import NotificationsForm, WebFormForm
from .models import ACCEPTED, Outcome, Submission, WebForm

RECENT_SUBMISSIONS = 20


def _with_counts(queryset):
    return queryset.annotate(
        accepted_count=Count("submissions", filter=Q(submissions__outcome__in=ACCEPTED)),
        last_submission_at=Max("submissions__created_at",
                               filter=Q(submissions__outcome__in=ACCEPTED)),
    )


@admin_required
def form_list(request: HttpRequest) -> HttpResponse:
    forms = _with_counts(WebForm.objects.select_related("source", "owner"))
    return render(request, "capture/form_list.html", {"forms": forms})


def _save(request: HttpRequest, form: WebFormForm, web_form: WebForm | None) -> WebForm | None:
    try:
        if web_form is None:
            return services.create_web_form(lead_types=form.cleaned_data["lead_types"],
                                            **form.service_fields())
        return services.update_web_form(form=web_form, lead_types=form.cleaned_data["lead_types"],
                                        **form.service_fields())
    except ValidationError as e:
        add_service_errors(form, e)  # type: ignore[arg-type]
    return None


@admin_required
def form_create(request: HttpRequest) -> HttpResponse:
    form = WebFormForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        web_form = _save(request, form, None)
        if web_form is not None:
            messages.success(request, f"Added the web form “{web_form.name}”. Paste its code "
                                      "into your website.")
            return redirect(web_form)
    return render(request, "capture/form_edit.html", {"form": form, "web_form": None})


@admin_required
def form_edit(request: HttpRequest, pk: int) -> HttpResponse:
    web_form = get_object_or_404(WebForm, pk=pk)
    form = WebFormForm(request.POST or None, instance=web_form)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, web_form)
        if saved is not None:
            messages.success(request, f"Saved the web form “{saved.name}”.")
            return redirect(saved)
    return render(request, "capture/form_edit.html", {"form": form, "web_form": web_form})


@admin_required
def form_embed(request: HttpRequest, pk: int) -> HttpResponse:
    """The code to paste, how a script posts, and what the form has brought in."""
    web_form = get_object_or_404(_with_counts(WebForm.objects.select_related(
        "source", "status", "owner")), pk=pk)
    by_outcome = dict(Submission.objects.filter(form=web_form).order_by()
                      .values_list("outcome").annotate(n=Count("id")))
    recent = (Submission.objects.filter(form=web_form)
              .select_related("lead")[:RECENT_SUBMISSIONS])
    return render(request, "capture/embed.html", {
        "web_form": web_form,
        "embed_code": embed.embed_code(web_form),
        "fetch_example": embed.fetch_example(web_form),
        "curl_example": embed.curl_example(web_form),
        "endpoint_url": embed.endpoint_url(web_form),
        "counts": [(label, by_outcome.get(value, 0)) for value, label in Outcome.choices],
        "recent": recent,
    })


@require_POST
@admin_required
def form_make_default(request: HttpRequest, pk: int) -> HttpResponse:
    web_form = services.make_default_web_form(form=get_object_or_404(WebForm, pk=pk))
    messages.success(request, f"Posts that name no form now go to “{web_form.name}”.")
    return redirect("capture:forms")


@require_POST
@admin_required
def form_delete(request: HttpRequest, pk: int) -> HttpResponse:
    web_form = get_object_or_404(WebForm, pk=pk)
    try:
        services.delete_web_form(form=web_form)
    except ValidationError as e:
        messages.error(request, e.messages[0])
        return redirect(web_form)
    messages.success(request, f"Deleted the web form “{web_form.name}”. Its posts stay on "
                              "their leads.")
    return redirect("capture:forms")


@require_POST
@own_account_required
def notification_switch(request: HttpRequest) -> HttpResponse:
    """A user turns their own new-web-lead emails on or off (on the profile page)."""
    form = NotificationsForm(request.POST)
    form.is_valid()  # a lone checkbox: unticked (absent) means off
    enabled = bool(form.cleaned_data.get("notify_new_web_leads"))
    services.set_web_lead_notifications(user=cast(User, request.user), enabled=enabled)
    messages.success(request, "You will be emailed about new web leads." if enabled else
                     "You will not be emailed about new web leads.")
    return redirect("profile")
