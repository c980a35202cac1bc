"""Background work of the capture app (django-tasks; `leadbook serve` runs the worker)."""

from django_tasks import task

from .models import Submission
from .notifications import send_new_web_lead_email


@task()
def notify_new_web_lead(submission_id: int) -> int:
    """Email the new lead a web form brought in to whoever should hear of it."""
    submission = (Submission.objects.select_related("lead", "lead__owner", "form")
                  .filter(pk=submission_id).first())
    if submission is None:
        return 0
    return send_new_web_lead_email(submission)
