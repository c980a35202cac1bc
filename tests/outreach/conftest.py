import pytest

from leadbook.outreach.models import OutreachKind


@pytest.fixture
def email_kind(db):
    return OutreachKind.objects.get(name="Email")


@pytest.fixture
def log(email_kind):
    """log(lead, when=..., follow_up=...) through the service."""
    from leadbook.outreach.services import log_outreach

    def make(lead, actor=None, **kwargs):
        kwargs.setdefault("kind", email_kind)
        return log_outreach(lead=lead, actor=actor, **kwargs)

    return make
