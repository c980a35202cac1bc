"""Telling someone a web form brought in a lead: the lead's owner (the form's default
owner), or the admins when nobody owns it; each only while their own switch is on
(User.notify_new_web_leads, on their profile page) and they have an email address."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from leadbook.accounts.models import Role, User
from leadbook.leads.models import Lead

from .fields import field_label
from .models import Submission

SHOWN_FIELDS = ("email", "phone", "company", "position", "city", "state", "country",
                "website", "instagram")


def recipients(lead: Lead) -> list[User]:
    owner = lead.owner
    if owner is not None and owner.is_active:
        candidates = [owner]
    else:
        candidates = list(User.objects.filter(role=Role.ADMIN, is_active=True))
    return [user for user in candidates if user.notify_new_web_leads and user.email]


def send_new_web_lead_email(submission: Submission) -> int:
    """Email the people who should hear of the submission's new lead; how many were sent."""
    lead = submission.lead
    if lead is None:
        return 0
    context = {
        "lead": lead, "form": submission.form, "site_url": settings.SITE_URL,
        "lead_url": settings.SITE_URL + lead.get_absolute_url(),
        "profile_url": settings.SITE_URL + reverse("profile"),
        "details": [(field_label(name), getattr(lead, name)) for name in SHOWN_FIELDS
                    if getattr(lead, name)],
    }
    form_name = submission.form.name if submission.form else "web"
    subject = f"New web lead: {lead.name} ({form_name} form)"
    sent = 0
    for user in recipients(lead):
        body = render_to_string("capture/new_lead_email.txt", {**context, "user": user})
        sent += send_mail(subject, body, None, [user.email])
    return sent
