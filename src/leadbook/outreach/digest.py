"""The daily follow-up digest: each owner's due and overdue follow-ups, by email."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone

from leadbook.accounts.models import User
from leadbook.leads.models import Lead


def digest_for(user: User) -> dict | None:
    """What the user's digest says, or None when nothing is due."""
    today = timezone.localdate()
    leads = list(Lead.objects.active().filter(owner=user).due_by(today)
                 .order_by("next_follow_up_on", "name")[:200])
    if not leads:
        return None
    overdue = [lead for lead in leads if lead.next_follow_up_on < today]
    due_today = [lead for lead in leads if lead.next_follow_up_on == today]
    return {"user": user, "overdue": overdue, "due_today": due_today, "today": today,
            "site_url": settings.SITE_URL}


def send_digests() -> int:
    """Email every active user with an address their due and overdue follow-ups.
    Returns how many emails were sent."""
    sent = 0
    for user in User.objects.filter(is_active=True).exclude(email=""):
        context = digest_for(user)
        if context is None:
            continue
        count = len(context["overdue"]) + len(context["due_today"])
        subject = f"{count} follow-up{'s' if count != 1 else ''} due today"
        body = render_to_string("outreach/digest_email.txt", context)
        send_mail(subject, body, None, [user.email])
        sent += 1
    return sent
