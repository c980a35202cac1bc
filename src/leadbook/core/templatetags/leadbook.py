import datetime
from functools import lru_cache
from html import escape

from django import template
from django.utils import dateformat, timezone, translation
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


def _days_phrase(days: int) -> str:
    if days >= 60:
        return f"{days // 30} months"
    if days >= 14:
        return f"{days // 7} weeks"
    return f"{days} day{'s' if days != 1 else ''}"


@register.filter
def ago(value: datetime.datetime | None) -> str:
    """A past moment as people say it ('3 days ago'), with the exact time on hover."""
    if value is None:
        return ""
    now = timezone.now()
    local = timezone.localtime(value)
    delta = now - value
    if delta < datetime.timedelta(minutes=1):
        text = "just now"
    elif delta < datetime.timedelta(hours=1):
        text = f"{delta.seconds // 60} min ago"
    elif (days_back := (timezone.localdate(now) - local.date()).days) == 0:
        text = f"today {local:%H:%M}"
    elif days_back == 1:
        text = "yesterday"
    elif delta.days < 0:
        text = f"{local:%b %-d}"
    else:
        text = _days_phrase(delta.days) + " ago"
    # Plain escaping rather than format_html: the leads table shows this on every row.
    title = f"{local:%a %-d %b %Y, %H:%M}"
    return mark_safe(f'<time datetime="{escape(local.isoformat())}" title="{escape(title)}">'
                     f"{escape(text)}</time>")


def due_state(day: datetime.date | None) -> str:
    """'overdue', 'today' or 'later' for a follow-up date; '' when none is set."""
    if day is None:
        return ""
    return _due_state(day, timezone.localdate())


def _due_state(day: datetime.date, today: datetime.date) -> str:
    return "overdue" if day < today else "today" if day == today else "later"


@register.filter
def due(day: datetime.date | None) -> str:
    """A follow-up date as people say it: 'due today', 'due tomorrow', 'overdue 3 days'."""
    if day is None:
        return ""
    days = (day - timezone.localdate()).days
    if days < 0:
        return "overdue " + _days_phrase(-days)
    return {0: "due today", 1: "due tomorrow"}.get(days, f"due in {_days_phrase(days)}")


register.filter("due_state", due_state)

# The badges below are tags rather than included templates: the leads table shows several
# per row, and an include costs a template lookup and a context push each time (a fifth of
# the page's rendering at 50 rows). Each is made once per distinct value and remembered
# (a page of 50 rows has a handful of statuses and follow-up days): building them was a
# third of the rows' rendering.

DUE_WORDS = {"overdue": "Overdue", "today": "Due today", "later": "Pending"}


@register.simple_tag
def status_badge(status) -> str:
    """A status as a coloured badge; its colour says its stage."""
    return _status_badge(status.stage, status.name)


@lru_cache(maxsize=1024)
def _status_badge(stage: str, name: str) -> SafeString:
    from leadbook.leads.models import Stage

    label = dict(Stage.choices).get(stage, stage)  # as Status.get_stage_display() has it
    return format_html('<span class="lb-badge lb-stage-{}" title="Stage: {}">{}</span>',
                       stage, label, name)


@register.simple_tag
def temp_badge(temperature: str) -> str:
    return _temp_badge("warm" if temperature == "warm" else "cold")


@lru_cache(maxsize=2)
def _temp_badge(word: str) -> SafeString:
    return format_html('<span class="lb-badge lb-temp-{}">{}</span>', word, word.capitalize())


@register.simple_tag
def pending_badge(day: datetime.date | None) -> str:
    """A follow-up date as a badge: Overdue, Due today or Pending, the date on hover."""
    if day is None:
        return ""
    state = due_state(day)
    return format_html('<span class="lb-badge lb-pending {} no-dot" title="Follow up on {}">'
                       "{}</span>", state, dateformat.format(day, "D j M Y"), DUE_WORDS[state])


@register.simple_tag
def pending_dot(day: datetime.date | None) -> str:
    """The table's compact form of `pending_badge`: a dot and the day."""
    if day is None:
        return ""
    return _pending_dot(day, timezone.localdate(), translation.get_language())


@lru_cache(maxsize=4096)
def _pending_dot(day: datetime.date, today: datetime.date, language: str | None) -> SafeString:
    state = _due_state(day, today)
    lead_in = {"overdue": "Overdue: ", "today": "Due today: "}.get(state, "Follow up ")
    short = dateformat.format(day, "j M")
    return format_html(
        '<span class="lb-dot lb-dot-{}" title="{}{}" aria-label="{}, {}">{}</span>'
        '<span class="lb-dot-text">{}</span>',
        state, lead_in, dateformat.format(day, "D j M Y"), DUE_WORDS[state], short,
        "!" if state == "overdue" else "", short)


@register.filter
def get_item(mapping, key):
    return mapping.get(key)


@register.filter
def get_attr(obj, name: str):
    return getattr(obj, name, None)
