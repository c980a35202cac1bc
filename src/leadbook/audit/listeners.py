"""Business events and sign-in signals that belong in the audit log."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from leadbook.core.events import event_emitted

from . import services

AUDITED_EVENTS = {"lead.deleted", "lead.merged"}


@receiver(event_emitted)
def audit_event(sender, name, actor, payload, **kwargs) -> None:
    if name not in AUDITED_EVENTS:
        return
    lead = payload.get("lead")
    services.audit_record(action=name, actor=actor, target=f"lead #{lead.pk}" if lead else "",
                          **{k: v for k, v in payload.items() if isinstance(v, str | int)})


@receiver(user_login_failed)
def record_failed_sign_in(sender, credentials, request=None, **kwargs) -> None:
    services.sign_in_failed(username=str(credentials.get("username", "")),
                            ip=services.client_ip(request))


@receiver(user_logged_in)
def clear_failed_sign_ins(sender, request, user, **kwargs) -> None:
    services.sign_in_succeeded(username=user.get_username())
