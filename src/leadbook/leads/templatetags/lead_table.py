from django import template
from django.middleware.csrf import get_token
from django.utils.html import format_html

from leadbook.leads.table_row import lead_url_pattern, render_row

register = template.Library()


@register.simple_tag(takes_context=True)
def lead_row(context, lead, *, just_changed: bool = False, out_of_band: bool = False):
    """The leads table's row for `lead` (see leads/table_row.py)."""
    return render_row(lead, **_page_values(context), just_changed=just_changed,
                      out_of_band=out_of_band)


def _page_values(context) -> dict:
    """What every row of one page shares, worked out once per page (render_context lives
    for one rendering of the template)."""
    shared = context.render_context.get("lead_row")
    if shared is None:
        request = context["request"]
        shared = context.render_context["lead_row"] = {
            "can_edit": request.user.can_edit,
            "csrf_input": format_html(
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">',
                get_token(request)),
            "return_to": request.get_full_path(),
            "url_pattern": lead_url_pattern(),
        }
    return shared
