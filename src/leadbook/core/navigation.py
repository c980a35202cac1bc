"""The sidebar: one list that each part of Leadbook adds its pages to."""

from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    role: str = "viewer"
    children: tuple["NavItem", ...] = field(default_factory=tuple)
    # The url names that count as being on this page, besides `url_name`.
    also: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    # The name of a function in COUNTERS giving a number to show beside the label.
    count: str = ""


NAVIGATION: tuple[NavItem, ...] = (
    NavItem("Dashboard", "dashboard"),
    NavItem("Leads", "leads:list", also=("leads:detail", "leads:edit", "leads:create"),
            children=(
                NavItem("Board", "leads:board", also=("leads:board_column",)),
                NavItem("Import", "transfer:import", role="member",
                        also=("transfer:job", "transfer:mapping", "transfer:review")),
                NavItem("Duplicates", "leads:duplicates", also=("leads:merge",)),
                NavItem("Trash", "leads:trash", role="member"),
            )),
    NavItem("Follow-ups", "outreach:follow_ups", count="due_follow_ups"),
    NavItem("Customers", "conversions:list", args=("customers",)),
    NavItem("Retailers", "conversions:list", args=("retailers",)),
    NavItem("Podcasts", "conversions:list", args=("podcasts",)),
    NavItem("Collabs", "conversions:list", args=("collabs",)),
    NavItem("Settings", "settings", role="admin",
            also=("settings_list", "user_list", "user_create", "user_edit",
                  "capture:forms", "capture:form_create", "capture:form_edit",
                  "capture:form_embed", "webhooks:list", "webhooks:create",
                  "webhooks:detail", "webhooks:delivery")),
)


NAV_COUNT_LIMIT = 99


def due_follow_ups(user) -> tuple[int | str, str]:
    from django.utils import timezone

    from leadbook.leads.models import Lead

    # Counted only up to the badge's limit: on a big book an owner may have tens of
    # thousands due, and this runs on every page.
    due = Lead.objects.active().filter(owner=user).due_by(timezone.localdate())
    count = due.order_by()[:NAV_COUNT_LIMIT + 1].count()
    if count > NAV_COUNT_LIMIT:
        return f"{NAV_COUNT_LIMIT}+", f"More than {NAV_COUNT_LIMIT} of your follow-ups due " \
                                      "today or overdue"
    return count, f"{count} of your follow-ups due today or overdue"


COUNTERS = {"due_follow_ups": due_follow_ups}


def nav_for(request) -> list[dict]:
    """The entries this user may see, each marked current when the page belongs to it."""
    user = request.user
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    current_path = request.path

    def build(item: NavItem) -> dict | None:
        if not user.has_role(item.role):
            return None
        try:
            url = reverse(item.url_name, args=item.args)
        except NoReverseMatch:
            return None
        children = [c for c in (build(child) for child in item.children) if c]
        entry = {
            "label": item.label, "url": url, "children": children,
            "current": (current_path.startswith(url) if item.args else current == item.url_name)
            or current in item.also,
        }
        if item.count:
            entry["count"], entry["count_title"] = COUNTERS[item.count](user)
        return entry

    return [entry for entry in (build(item) for item in NAVIGATION) if entry]


# Settings sections after General; entries whose page does not exist yet are skipped.
SETTINGS_SECTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Users", "user_list", ()),
    ("Statuses", "settings_list", ("statuses",)),
    ("Lead types", "settings_list", ("lead-types",)),
    ("Sources", "settings_list", ("sources",)),
    ("Outreach kinds", "settings_list", ("outreach-kinds",)),
    ("Customer groups", "settings_list", ("customer-groups",)),
    ("Web forms", "capture:forms", ()),
    ("Webhooks", "webhooks:list", ()),
    ("Audit log", "audit:log", ()),
)


def settings_sections(request) -> list[dict]:
    sections = []
    for label, url_name, args in SETTINGS_SECTIONS:
        try:
            url = reverse(url_name, args=args)
        except NoReverseMatch:
            continue
        sections.append({"label": label, "url": url, "current": request.path.startswith(url)})
    return sections
