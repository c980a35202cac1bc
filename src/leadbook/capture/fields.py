"""What a post to /api/create-lead says about a lead, in the lead services' terms.

A website posts lead fields by their API names (`first_name`, `email`, `phone`, `company`,
`notes`, `lead_types`...), in any case and with spaces or hyphens for underscores
("First Name", "lead-type"). Statuses, sources, lead types and temperature are given by
name. Anything else, and a choice Leadbook does not have, is kept for the lead's notes:
nothing a visitor typed is lost. The owner is the form's to choose, never the poster's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import FieldDoesNotExist

from leadbook.leads.models import (
    CONTACT_FIELDS,
    MAX_FOLLOWERS,
    Lead,
    LeadType,
    Source,
    Status,
    Temperature,
)

# Fields of the capture machinery itself: never lead data.
FORM_KEY_FIELD = "form"
HONEYPOT_FIELD = "lb_hp"
TIMESTAMP_FIELD = "lb_ts"
IGNORED_FIELDS = frozenset({
    FORM_KEY_FIELD, HONEYPOT_FIELD, TIMESTAMP_FIELD, "csrfmiddlewaretoken", "submit",
    "g-recaptcha-response", "h-captcha-response", "cf-turnstile-response",
})

TEXT_FIELDS = (*CONTACT_FIELDS, "collab_type")
CHOICE_MODELS: dict[str, type[Status] | type[Source]] = {"status": Status, "source": Source}
# Other names website forms give the lead's fields: form builders' defaults (Contact Form 7's
# "your-name", "your-email"), and the usual spellings without underscores.
ALIASES = {
    "lead_type": "lead_types", "leadtype": "lead_types", "leadtypes": "lead_types",
    "your_name": "name", "full_name": "name", "fullname": "name",
    "firstname": "first_name", "given_name": "first_name",
    "lastname": "last_name", "surname": "last_name", "family_name": "last_name",
    "your_email": "email", "email_address": "email", "e_mail": "email",
    "your_phone": "phone", "phone_number": "phone", "telephone": "phone", "tel": "phone",
    "company_name": "company", "organization": "company", "organisation": "company",
    "job_title": "position", "website_url": "website", "url": "website",
    "zip": "postal_code", "zip_code": "postal_code", "postcode": "postal_code",
}
# The fields a web form may insist on, in the order the settings page lists them.
REQUIRABLE_FIELDS = (*TEXT_FIELDS, "followers", "notes", "lead_types")


def field_label(name: str) -> str:
    """How pages name a lead field: 'first_name' -> 'First name'."""
    if name == "lead_types":
        return "Lead type"
    try:
        label = str(getattr(Lead._meta.get_field(name), "verbose_name", name))
    except FieldDoesNotExist:
        return name
    return label[:1].upper() + label[1:]


def api_name(posted_key: str) -> str:
    """The lead field a posted name stands for ('First Name' -> 'first_name'), or the key
    lower-cased when it names none."""
    key = "_".join(str(posted_key).strip().lower().replace("-", " ").split())
    return ALIASES.get(key, key)


def as_text(value: Any) -> str:
    """A posted value as text: lists joined by commas, JSON objects as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(text for item in value if (text := as_text(item)))
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value).strip()


def _names(value: Any) -> list[str]:
    """A list of choice names from a list or a comma-separated text."""
    items = value if isinstance(value, list | tuple) else [value]
    return [name.strip() for item in items for name in as_text(item).split(",") if name.strip()]


@dataclass
class Posted:
    """A post read into lead terms."""

    fields: dict[str, Any] = field(default_factory=dict)  # create_lead keyword arguments
    lead_types: list[LeadType] = field(default_factory=list)
    extra: list[tuple[str, str]] = field(default_factory=list)  # (label, value) for notes
    errors: dict[str, list[str]] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        if name == "lead_types":
            return bool(self.lead_types)
        value = self.fields.get(name)
        return value is not None and value != ""


def read_post(data: Mapping[str, Any]) -> Posted:
    """Sort what was posted into lead fields, lead types, extras for the notes and errors."""
    posted = Posted()
    for key, value in data.items():
        name = api_name(key)
        if name in IGNORED_FIELDS or key in IGNORED_FIELDS:
            continue
        text = as_text(value)
        if not text:
            continue
        if name in posted.fields or (name == "lead_types" and posted.lead_types):
            posted.extra.append((str(key), text))  # the same field twice: keep the second
        elif name in TEXT_FIELDS:
            posted.fields[name] = text
        elif name == "notes":
            posted.fields["notes"] = "\n".join(as_text(v) for v in value) \
                if isinstance(value, list) else text
        elif name in CHOICE_MODELS:
            _read_choice(posted, name, text)
        elif name == "temperature":
            _read_temperature(posted, text)
        elif name == "lead_types":
            _read_lead_types(posted, value)
        elif name == "followers":
            _read_followers(posted, text)
        else:
            posted.extra.append((str(key), text))
    return posted


def _read_choice(posted: Posted, name: str, text: str) -> None:
    model = CHOICE_MODELS[name]
    try:
        posted.fields[name] = model.objects.by_name(text)
    except model.DoesNotExist:
        posted.extra.append((field_label(name), text))


def _read_temperature(posted: Posted, text: str) -> None:
    values = {v.lower(): v for v in Temperature.values} | \
        {str(label).lower(): v for v, label in Temperature.choices}
    if text.lower() in values:
        posted.fields["temperature"] = values[text.lower()]
    else:
        posted.extra.append(("Temperature", text))


def _read_lead_types(posted: Posted, value: Any) -> None:
    known = {t.name.lower(): t for t in LeadType.objects.all()}
    for name in _names(value):
        lead_type = known.get(name.lower())
        if lead_type is None:
            posted.extra.append(("Lead type", name))
        elif lead_type not in posted.lead_types:
            posted.lead_types.append(lead_type)


def _read_followers(posted: Posted, text: str) -> None:
    digits = text.replace(",", "").replace(" ", "").replace("_", "")
    # ASCII digits only: "²" and other Unicode digits pass isdigit() but not int(); and
    # not thousands of them, which int() refuses.
    if digits.isascii() and digits.isdigit() and len(digits.lstrip("0")) <= 10 \
            and int(digits) <= MAX_FOLLOWERS:
        posted.fields["followers"] = int(digits)
    else:
        posted.errors["followers"] = [f"Enter a whole number up to {MAX_FOLLOWERS:,}, "
                                      "e.g. 12500."]
