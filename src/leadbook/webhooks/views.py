"""Settings → Webhooks (admins): register URLs, see each delivery and its response."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from leadbook.accounts.permissions import admin_required
from leadbook.core.forms import add_service_errors

from . import services, signing
from .forms import WebhookForm
from .models import EVENT_CHOICES, Delivery, DeliveryState, Webhook
from .tasks import MAX_ATTEMPTS, payload_preview


@admin_required
def webhook_list(request: HttpRequest) -> HttpResponse:
    webhooks = Webhook.objects.annotate(
        delivered=Count("deliveries", filter=Q(deliveries__state=DeliveryState.DELIVERED)),
        failed=Count("deliveries", filter=Q(deliveries__state=DeliveryState.FAILED)),
        retrying=Count("deliveries", filter=Q(deliveries__state=DeliveryState.RETRYING)),
        last_delivery_at=Max("deliveries__created_at"),
    )
    return render(request, "webhooks/list.html", {
        "webhooks": webhooks, "event_labels": dict(EVENT_CHOICES),
    })


@admin_required
def webhook_create(request: HttpRequest) -> HttpResponse:
    form = WebhookForm(request.POST or None, initial={"events": ["lead.created"]})
    if request.method == "POST" and form.is_valid():
        try:
            webhook = services.create_webhook(actor=request.user, **form.cleaned_data)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, "Webhook added. Its secret is below: use it to check "
                                      "the signature of each delivery.")
            return redirect("webhooks:detail", webhook.pk)
    return render(request, "webhooks/form.html", {"form": form, "webhook": None})


@admin_required
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The webhook's settings, its secret, and its delivery log (latest first)."""
    webhook = get_object_or_404(Webhook, pk=pk)
    form = WebhookForm(request.POST or None, instance=webhook)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_webhook(webhook=webhook, actor=request.user, **form.cleaned_data)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, "Webhook saved.")
            return redirect("webhooks:detail", webhook.pk)
    deliveries = Paginator(webhook.deliveries.all(), 50).get_page(request.GET.get("page"))
    return render(request, "webhooks/detail.html", {
        "webhook": webhook, "form": form, "deliveries": deliveries,
        "signature_header": signing.SIGNATURE_HEADER,
        "timestamp_header": signing.TIMESTAMP_HEADER, "max_attempts": MAX_ATTEMPTS,
    })


@require_POST
@admin_required
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    webhook = get_object_or_404(Webhook, pk=pk)
    services.send_test(webhook=webhook, actor=request.user)
    messages.success(request, "Test event queued: its delivery appears in the log below.")
    return redirect("webhooks:detail", webhook.pk)


@require_POST
@admin_required
def webhook_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    webhook = get_object_or_404(Webhook, pk=pk)
    services.rotate_secret(webhook=webhook, actor=request.user)
    messages.success(request, "New secret made: update the receiver, the old one no longer "
                              "signs deliveries.")
    return redirect("webhooks:detail", webhook.pk)


@require_POST
@admin_required
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    webhook = get_object_or_404(Webhook, pk=pk)
    services.delete_webhook(webhook=webhook, actor=request.user)
    messages.success(request, f"Webhook {webhook.url} deleted.")
    return redirect("webhooks:list")


def _delivery_or_404(pk: int, delivery_pk: int) -> Delivery:
    return get_object_or_404(Delivery.objects.select_related("webhook"), pk=delivery_pk,
                             webhook_id=pk)


@admin_required
def delivery_detail(request: HttpRequest, pk: int, delivery_pk: int) -> HttpResponse:
    delivery = _delivery_or_404(pk, delivery_pk)
    return render(request, "webhooks/delivery.html", {
        "delivery": delivery, "webhook": delivery.webhook,
        "payload": payload_preview(delivery), "max_attempts": MAX_ATTEMPTS,
    })


@require_POST
@admin_required
def delivery_redeliver(request: HttpRequest, pk: int, delivery_pk: int) -> HttpResponse:
    delivery = _delivery_or_404(pk, delivery_pk)
    services.redeliver(delivery=delivery, actor=request.user)
    messages.success(request, "Delivery queued again: it appears at the top of the log.")
    return redirect("webhooks:detail", pk)
