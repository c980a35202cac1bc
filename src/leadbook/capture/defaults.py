"""The web form a new workspace starts with: it takes every post that names no form."""

from leadbook.leads.models import Source

from .models import WebForm

DEFAULT_KEY = "website"


def ensure_default_form() -> None:
    """Create the default form when there is no form at all; forms an admin has set up stay."""
    if WebForm.objects.exists():
        return
    source = Source.objects.filter(name__iexact="Website").first()
    WebForm.objects.create(name="Website", key=DEFAULT_KEY, source=source, is_default=True,
                           required_fields=["email"], honeypot=True)
