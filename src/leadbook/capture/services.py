"""Web capture: a website's post becomes a lead (or a note on the lead it already is).

`capture_submission` is the one door: the public endpoint reads the request and hands the
posted fields over. Validation, normalisation, history and events are the lead services'
(`validate_lead`, `create_lead`, `update_lead`); "already a lead" is the matching engine's
email and phone keys. Web forms themselves change through the functions further down.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.text import slugify

from leadbook.accounts.models import User
from leadbook.leads import normalize
from leadbook.leads import services as lead_services
from leadbook.leads.matching import find_matches
from leadbook.leads.models import Lead, LeadType

from . import origins
from .fields import REQUIRABLE_FIELDS, Posted, read_post
from .models import Outcome, Submission, WebForm
from .spam import spam_reason

logger = logging.getLogger(__name__)

# The matching engine's reasons that make a post "the same person": a shared website or
# Instagram handle may well be a colleague, a similar name a namesake.
SAME_PERSON_REASONS = frozenset({"email", "phone"})


@dataclass(frozen=True)
class Visitor:
    """Who posted, as far as the request tells."""

    ip: str | None = None
    rate_key: str = ""
    origin: str = ""
    user_agent: str = ""


@dataclass(frozen=True)
class CaptureResult:
    submission: Submission
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def outcome(self) -> str:
        return self.submission.outcome

    @property
    def looks_accepted(self) -> bool:
        """What the poster is told: spam is answered like a real lead, so bots learn nothing."""
        return self.outcome != Outcome.INVALID


def capture_submission(*, form: WebForm, data: Mapping[str, Any],
                       visitor: Visitor | None = None) -> CaptureResult:
    """Record a post to `form` and make a lead of it.

    A bot's post (honeypot, too fast) is kept as spam. A post with missing or invalid fields
    is kept as invalid, with the errors. Otherwise, unless the form creates duplicates, a post
    from someone already in Leadbook (same email or phone) goes on that lead's timeline and
    fills only its empty fields; anyone else becomes a new, unread lead, and whoever should
    hear of it is emailed. Checks run the same way whether or not the lead exists, so the
    answer never tells a poster who is in Leadbook.
    """
    visitor = visitor or Visitor()
    data = dict(data)
    reason = spam_reason(form, data)
    if reason:
        return _record(form, data, visitor, Outcome.SPAM, spam_reason=reason)
    posted = read_post(data)
    fields, lead_types = lead_fields(form, posted)
    candidate, errors = _validated(form, posted, fields)
    if errors:
        return _record(form, data, visitor, Outcome.INVALID, errors=errors)
    try:
        with transaction.atomic():
            # On SQLite this transaction began IMMEDIATE: it holds the write lock from here,
            # so two posts from one person cannot both miss each other. PostgreSQL gets a
            # lock per match key instead.
            _lock_match_keys(candidate)
            existing = None if form.create_duplicates else existing_lead(candidate)
            filled: list[str] = []
            if existing is None:
                lead = lead_services.create_lead(actor=None, lead_types=lead_types, **fields)
                outcome = Outcome.CREATED
            else:
                lead, filled = _fill_empty_fields(existing, fields, lead_types)
                outcome = Outcome.MATCHED
            _mark_unread(lead)
            result = _record(form, data, visitor, outcome, lead=lead, filled=filled)
            if outcome == Outcome.CREATED:
                _notify_later(result.submission)
    except ValidationError as e:  # the lists changed under us (a status deleted meanwhile)
        return _record(form, data, visitor, Outcome.INVALID, errors=e.message_dict)
    return result


def lead_fields(form: WebForm, posted: Posted) -> tuple[dict[str, Any], list[LeadType]]:
    """create_lead's arguments for a post: what was posted over the form's defaults, the
    form's owner, and the notes with everything posted that is not a lead field."""
    fields = dict(posted.fields)
    if form.source_id and "source" not in fields:
        fields["source"] = form.source
    if form.status_id and "status" not in fields:
        fields["status"] = form.status
    if form.owner is not None and form.owner.is_active:
        fields["owner"] = form.owner
    notes = compose_notes(posted.fields.get("notes", ""), posted.extra)
    if notes:
        fields["notes"] = notes
    lead_types = list(form.lead_types.all())
    lead_types += [t for t in posted.lead_types if t not in lead_types]
    return fields, lead_types


def compose_notes(notes: str, extra: Iterable[tuple[str, str]]) -> str:
    """The posted notes, then one 'Label: value' line per field Leadbook has no place for."""
    lines = [f"{label}: {value}" for label, value in extra]
    if not lines:
        return notes
    return "\n".join(([notes, ""] if notes else []) + lines)


def _validated(form: WebForm, posted: Posted, fields: dict[str, Any]
               ) -> tuple[Lead, dict[str, list[str]]]:
    """The lead as the services would save it (normalised), and every problem with it:
    the form's required fields, then the lead services' own rules."""
    errors: dict[str, list[str]] = dict(posted.errors)
    for name in form.required_fields:
        if not posted.has(name):
            errors.setdefault(name, []).append("This field is required.")
    candidate = Lead(**fields)
    try:
        if candidate.status_id is None:
            candidate.status = lead_services.default_status()
        lead_services.validate_lead(candidate)
    except ValidationError as e:
        for name, messages in e.message_dict.items():
            if name not in errors:
                errors[name] = messages
    return candidate, errors


def existing_lead(candidate: Lead) -> Lead | None:
    """The lead this person already is, by the matching engine's email and phone keys
    (the best match when there are several), else None."""
    keys = {"email": candidate.email, "phone": candidate.phone}
    if not any(keys.values()):
        return None
    # Only the email and phone keys are given, so the best match is by one of them.
    for match in find_matches(keys, fuzzy=False, limit=1):
        if match.reason in SAME_PERSON_REASONS:
            return Lead.objects.filter(pk=match.lead_id).first()
    return None


def _lock_match_keys(candidate: Lead) -> None:
    """Serialise posts that share a match key, so that two at once make one lead.

    SQLite needs nothing more: Leadbook's transactions there begin IMMEDIATE, one writer at
    a time. PostgreSQL runs writers side by side, so each key takes a transaction-scoped
    advisory lock (in sorted order: no deadlock between two posts sharing both keys)."""
    if connection.vendor != "postgresql":
        return
    keys = sorted(k for k in (normalize.email_key(candidate.email),
                              normalize.phone_key(candidate.phone)) if k)
    with connection.cursor() as cursor:
        for key in keys:
            digest = hashlib.blake2b(f"leadbook.capture:{key}".encode(), digest_size=8).digest()
            cursor.execute("SELECT pg_advisory_xact_lock(%s)",
                           [int.from_bytes(digest, "big", signed=True)])


def _fill_empty_fields(lead: Lead, fields: dict[str, Any], lead_types: list[LeadType]
                       ) -> tuple[Lead, list[str]]:
    """Give an existing lead what the post knows and the lead does not; change nothing it
    has. Returns the lead and the names of the fields filled."""
    fills = {name: value for name, value in fields.items()
             if value not in (None, "") and getattr(lead, name) in (None, "")}
    types = lead_types if lead_types and not lead.lead_types.exists() else None
    if not fills and types is None:
        return lead, []
    try:
        lead = lead_services.update_lead(lead=lead, actor=None, lead_types=types, **fills)
    except ValidationError as e:
        # The existing lead breaks a rule made after it was saved (say a required phone):
        # the post is still recorded on its timeline, only nothing is filled.
        logger.info("Web form post not merged into lead %s: %s", lead.pk, e.messages)
        return lead, []
    return lead, sorted(fills) + (["lead_types"] if types is not None else [])


def _mark_unread(lead: Lead) -> None:
    # Not an edit (no version bump, no history): a flag for the table until someone opens it.
    Lead.objects.filter(pk=lead.pk).update(is_unread=True)
    lead.is_unread = True


def _record(form: WebForm, data: dict, visitor: Visitor, outcome: str, *,
            lead: Lead | None = None, filled: list[str] | None = None,
            errors: dict[str, list[str]] | None = None, spam_reason: str = "") -> CaptureResult:
    submission = Submission.objects.create(
        form=form, lead=lead, outcome=outcome, data=data, filled_fields=filled or [],
        errors=errors or {}, spam_reason=spam_reason, ip=visitor.ip,
        rate_key=visitor.rate_key, origin=visitor.origin[:300],
        user_agent=visitor.user_agent[:300],
    )
    return CaptureResult(submission=submission, errors=errors or {})


def _notify_later(submission: Submission) -> None:
    """Queue the new-lead email, in this transaction: sent once the lead is saved, never
    for a lead rolled back, and not lost if the server stops before it goes."""
    from . import notifications
    from .tasks import notify_new_web_lead

    if submission.lead is not None and notifications.recipients(submission.lead):
        notify_new_web_lead.enqueue(submission.pk)


# --- Reading ----------------------------------------------------------------------------------


def mark_lead_read(*, lead: Lead) -> None:
    """Someone opened the lead: it is no longer new. No history, no version bump."""
    if lead.is_unread:
        Lead.objects.filter(pk=lead.pk, is_unread=True).update(is_unread=False)
        lead.is_unread = False


def set_web_lead_notifications(*, user: User, enabled: bool) -> User:
    """A user's own switch for the new-web-lead emails."""
    User.objects.filter(pk=user.pk).update(notify_new_web_leads=enabled)
    user.notify_new_web_leads = enabled
    return user


# --- Web forms --------------------------------------------------------------------------------

WEB_FORM_FIELDS = frozenset({
    "name", "key", "source", "status", "owner", "redirect_url", "allowed_origins",
    "required_fields", "honeypot", "min_fill_seconds", "create_duplicates", "is_active",
})


def _check_web_form(form: WebForm) -> None:
    errors: dict[str, list[str]] = {}
    form.name = " ".join(form.name.split())
    form.key = slugify(form.key or form.name)[:50]
    if not form.key:
        errors["key"] = ["Enter a key: letters, digits and hyphens."]
    elif WebForm.objects.filter(key=form.key).exclude(pk=form.pk).exists():
        errors["key"] = [f"Another form already has the key “{form.key}”."]
    invalid = origins.invalid_lines(form.allowed_origins)
    if invalid:
        errors["allowed_origins"] = [f"Not a website address: {', '.join(invalid)}. "
                                     "Write them like https://example.com."]
    else:
        form.allowed_origins = "\n".join(dict.fromkeys(origins.parse_lines(form.allowed_origins)))
    if form.redirect_url and urlsplit(form.redirect_url).scheme not in ("http", "https"):
        errors["redirect_url"] = ["Enter a web address starting with https:// or http://."]
    unknown = set(form.required_fields) - set(REQUIRABLE_FIELDS)
    if unknown:
        errors["required_fields"] = [f"Not a lead field: {', '.join(sorted(unknown))}."]
    try:
        form.full_clean(exclude=["key", "allowed_origins", "required_fields"],
                        validate_unique=False)
    except ValidationError as e:
        for name, messages in e.message_dict.items():
            errors.setdefault(name, messages)
    if errors:
        raise ValidationError(errors)


def _apply(form: WebForm, values: dict[str, Any], lead_types: Iterable[LeadType] | None
           ) -> WebForm:
    unknown = set(values) - WEB_FORM_FIELDS
    if unknown:
        raise TypeError(f"Not a web form setting: {', '.join(sorted(unknown))}")
    for name, value in values.items():
        setattr(form, name, value)
    _check_web_form(form)
    with transaction.atomic():
        form.save()
        if lead_types is not None:
            form.lead_types.set(lead_types)
    return form


def create_web_form(*, lead_types: Iterable[LeadType] = (), **values: Any) -> WebForm:
    """A new web form; its key is made from its name when none is given."""
    return _apply(WebForm(), values, lead_types)


def update_web_form(*, form: WebForm, lead_types: Iterable[LeadType] | None = None,
                    **values: Any) -> WebForm:
    return _apply(form, values, lead_types)


def make_default_web_form(*, form: WebForm) -> WebForm:
    """Posts that name no form go to `form` from now on."""
    with transaction.atomic():
        WebForm.objects.filter(is_default=True).exclude(pk=form.pk).update(is_default=False)
        WebForm.objects.filter(pk=form.pk).update(is_default=True)
    form.is_default = True
    return form


def delete_web_form(*, form: WebForm) -> None:
    """Delete a form; its submissions stay on their leads' timelines. The default form
    stays (make another the default first)."""
    if form.is_default:
        raise ValidationError("This is the default form: make another form the default "
                              "first, or switch this one off.")
    form.delete()
