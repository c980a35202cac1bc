"""One row of the leads table, as HTML.

Written in Python rather than as a template: a page shows 50 rows of a dozen cells and a
menu each, and Django's template engine spent ~60 ms a page resolving those ~3,000 variables
(most of the whole request at a million leads). Plain f-strings build the same markup in a
few milliseconds; `format_html` would cost five times more (every argument goes through the
lazy-string checks of `conditional_escape`). So the rule here is simple and strict: **every
value from the database or the request goes through `esc()`**; only literal markup and the
badges (which escape their own values) go in unescaped. tests/leads/test_table_row.py checks
each cell with a value full of markup.

Used through the `{% lead_row lead %}` tag (leads/templatetags/lead_table.py): by the table
and by the partials that swap in one changed row.
"""

import html
from functools import lru_cache

from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe

from leadbook.core.templatetags.leadbook import ago, pending_dot, status_badge, temp_badge

from .models import Lead


def esc(value: object) -> str:
    """A value escaped for HTML text and attribute values (quotes too), as autoescape does."""
    return html.escape(str(value))


# A lead page's address is reversed once per page with this id, then each lead's id put in
# its place (lead_url_pattern): reverse() for every row was a tenth of the rows' rendering.
ID_MARK = "2147483647"


def lead_url_pattern() -> str:
    """The address of a lead's page, with ID_MARK where its id goes."""
    return reverse("leads:detail", args=[int(ID_MARK)])


def render_row(lead: Lead, *, can_edit: bool, csrf_input: str, return_to: str,
               url_pattern: str | None = None, just_changed: bool = False,
               out_of_band: bool = False) -> SafeString:
    """The `<tr>` of one lead. `csrf_input` is the hidden CSRF field the row's forms carry,
    `return_to` the table's address (where the row's actions come back to), `url_pattern`
    the lead_url_pattern() of the page."""
    url = esc(url_pattern.replace(ID_MARK, str(lead.pk)) if url_pattern
              else lead.get_absolute_url())
    classes = " ".join(c for c in ("" if lead.is_active else "lb-inactive",
                                   "lb-flash" if just_changed else "") if c)
    owner = lead.owner
    phone_target = lead.phone_key or lead.phone
    cells = [
        _name_cell(lead, url, can_edit=can_edit, csrf_input=csrf_input,
                   just_changed=just_changed),
        f'<td data-label="Status">{status_badge(lead.status)}</td>',
        f'<td data-label="Temp">{temp_badge(lead.temperature)}</td>',
        _cell("Type", lead.lead_types_label, esc(lead.lead_types_label), "lb-col-types"),
        _cell("Contact", lead.contact_name, esc(lead.contact_name), "lb-col-contact"),
        _cell("Email", lead.email,
              f'<a href="mailto:{esc(lead.email)}">{esc(lead.email)}</a>', "lb-col-email"),
        _cell("Phone", lead.phone,
              f'<a href="tel:{esc(phone_target)}">{esc(lead.phone)}</a>'),
        _cell("Instagram", lead.instagram,
              f'<a href="https://instagram.com/{esc(lead.instagram)}" rel="noopener noreferrer"'
              f' target="_blank">@{esc(lead.instagram)}</a>', "lb-col-instagram"),
        _cell("Last outreach", lead.last_outreach_at, ago(lead.last_outreach_at),
              empty='<span class="lb-muted">—</span>'),
        _cell("Pending", lead.next_follow_up_on, pending_dot(lead.next_follow_up_on)),
        _cell("Owner", owner, f'<span title="{esc(owner.display_name)}">'
                              f'{esc(owner.short_name)}</span>' if owner else ""),
        _menu(lead, url, can_edit=can_edit, csrf_input=csrf_input, return_to=return_to),
    ]
    attributes = (' hx-swap-oob="true"' if out_of_band else "") + (
        f' class="{classes}"' if classes else "")
    body = "\n".join(cells)
    return mark_safe(f'<tr id="lead-{lead.pk}"{attributes}>\n{body}\n</tr>')


def _cell(label: str, value, content: str, css: str = "", empty: str = "") -> str:
    """A cell that is marked empty (for the narrow layout), and holds `empty`, when `value`
    is empty. `content` is markup (escaped by the caller)."""
    css = " ".join(c for c in (css, "" if value else "lb-empty-cell") if c)
    css_attribute = f' class="{css}"' if css else ""
    return f'<td data-label="{label}"{css_attribute}>{content if value else empty}</td>'


def _name_cell(lead: Lead, url: str, *, can_edit: bool, csrf_input: str,
               just_changed: bool) -> str:
    parts = []
    if lead.is_unread:
        parts.append('<span class="lb-unread-dot" title="New from a web form: not opened yet">'
                     '<span class="visually-hidden">New:</span></span>')
    parts.append(f'<a href="{url}">{esc(lead.name)}</a>')
    if lead.company and lead.company != lead.name:
        parts.append(f"<small>{esc(lead.company)}</small>")
    if lead.converted_at:
        day = dateformat.format(timezone.localtime(lead.converted_at), "j M Y")
        parts.append(f' <span class="lb-badge lb-converted no-dot" title="Converted {esc(day)}">'
                     "Converted</span>")
    if not lead.is_active:
        parts.append(' <span class="lb-badge lb-stage-lead no-dot">Inactive</span>')
        if just_changed and can_edit:
            parts.append(
                f'<form class="d-inline" method="post" action="{url}active/" '
                f'hx-post="{url}active/" hx-target="#lead-{lead.pk}" hx-swap="outerHTML" '
                f'hx-push-url="false">{csrf_input}<input type="hidden" name="active" '
                'value="true"><button class="btn btn-link btn-sm p-0 ms-1" type="submit">Undo'
                "</button></form>")
    unread = " lb-unread" if lead.is_unread else ""
    return f'<td class="lb-name{unread}" data-label="Name">{"".join(parts)}</td>'


@lru_cache(maxsize=64)
def _next_query(return_to: str) -> str:
    """`next=<the table's address>`, escaped: the same for every row of a page."""
    return esc(urlencode({"next": return_to}))


def _menu(lead: Lead, url: str, *, can_edit: bool, csrf_input: str, return_to: str) -> str:
    items = f'<li><a class="dropdown-item" href="{url}">Open</a></li>'
    if can_edit:
        active, label = ("false", "Set Inactive") if lead.is_active else ("true", "Reactivate")
        items += (
            f'<li><a class="dropdown-item" href="{url}edit/">Edit</a></li>'
            f'<li><a class="dropdown-item" href="{url}outreach/?'
            f'{_next_query(return_to)}" hx-get="{url}outreach/?origin=row" '
            'hx-target="#modal" hx-push-url="false">Outreach</a></li>'
            f'<li><a class="dropdown-item" href="{url}convert/" hx-get="{url}convert/?origin=row"'
            ' hx-target="#modal" hx-push-url="false">Convert</a></li>'
            '<li><hr class="dropdown-divider"></li>'
            f'<li><form method="post" action="{url}active/" hx-post="{url}active/" '
            f'hx-target="#lead-{lead.pk}" hx-swap="outerHTML" hx-push-url="false">{csrf_input}'
            f'<input type="hidden" name="next" value="{esc(return_to)}">'
            f'<input type="hidden" name="active" value="{active}">'
            f'<button class="dropdown-item" type="submit">{label}</button></form></li>')
    return ('<td class="lb-rowmenu"><div class="dropdown"><button class="btn btn-sm" '
            'type="button" data-bs-toggle="dropdown" aria-expanded="false" '
            f'aria-label="Actions for {esc(lead.name)}">⋯</button>'
            f'<ul class="dropdown-menu dropdown-menu-end">{items}</ul></div></td>')
