from django import template

from leadbook.capture.fields import (
    IGNORED_FIELDS,
    REQUIRABLE_FIELDS,
    api_name,
    as_text,
    field_label,
)
from leadbook.capture.models import Submission

register = template.Library()
KNOWN_FIELDS = frozenset(REQUIRABLE_FIELDS) | {"status", "source", "temperature"}


@register.filter
def posted_fields(submission: Submission) -> list[tuple[str, str]]:
    """(label, value) of what a submission posted, as people would name it."""
    rows = []
    for key, value in submission.data.items():
        name = api_name(key)
        text = as_text(value)
        if name in IGNORED_FIELDS or key in IGNORED_FIELDS or not text:
            continue
        rows.append((field_label(name) if name in KNOWN_FIELDS else key, text))
    return rows


@register.filter
def field_labels(names: list[str]) -> list[str]:
    return [field_label(name) for name in names]


@register.filter
def posted_who(submission: Submission) -> str:
    """Who a submission says it is from: name and email as posted."""
    data = {api_name(key): as_text(value) for key, value in submission.data.items()}
    person = " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p)
    name = person or data.get("name") or data.get("company") or ""
    return " · ".join(p for p in (name, data.get("email") or data.get("phone")) if p)


@register.filter
def error_summary(errors: dict[str, list[str]]) -> str:
    return "; ".join(f"{field_label(name)}: {' '.join(messages)}"
                     for name, messages in errors.items())
