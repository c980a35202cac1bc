import datetime

from django import template
from django.utils import dateformat, timezone
from django.utils.html import format_html

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
    local = timezone.localtime(value)
    delta = timezone.now() - value
    if delta < datetime.timedelta(minutes=1):
        text = "just now"
    elif delta < datetime.timedelta(hours=1):
        text = f"{delta.seconds // 60} min ago"
    elif local.date() == timezone.localdate():
        text = f"today {local:%H:%M}"
    elif local.date() == timezone.localdate() - datetime.timedelta(days=1):
        text = "yesterday"
    elif delta.days < 0:
        text = f"{local:%b %-d}"
    else:
        text = _days_phrase(delta.days) + " ago"
    return format_html('<time datetime="{}" title="{}">{}</time>', local.isoformat(),
                       f"{local:%a %-d %b %Y, %H:%M}", text)


def due_state(day: datetime.date | None) -> str:
    """'overdue', 'today' or 'later' for a follow-up date; '' when none is set."""
    if day is None:
        return ""
    today = timezone.localdate()
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
# the page's rendering at 50 rows).

DUE_WORDS = {"overdue": "Overdue", "today": "Due today", "later": "Pending"}


@register.simple_tag
def status_badge(status) -> str:
    """A status as a coloured badge; its colour says its stage."""
    return format_html('<span class="lb-badge lb-stage-{}" title="Stage: {}">{}</span>',
                       status.stage, status.get_stage_display(), status.name)


@register.simple_tag
def temp_badge(temperature: str) -> str:
    word = "warm" if temperature == "warm" else "cold"
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
    state = due_state(day)
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
