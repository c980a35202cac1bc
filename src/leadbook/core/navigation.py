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


NAVIGATION: tuple[NavItem, ...] = (
    NavItem("Dashboard", "dashboard"),
    NavItem("Leads", "leads:list", also=("leads:detail", "leads:edit", "leads:create"),
            children=()),
    NavItem("Settings", "settings", role="admin",
            also=("settings_list", "user_list", "user_create", "user_edit")),
)


def nav_for(request) -> list[dict]:
    """The entries this user may see, each marked current when the page belongs to it."""
    user = request.user
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""

    def build(item: NavItem) -> dict | None:
        if not user.has_role(item.role):
            return None
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            return None
        children = [c for c in (build(child) for child in item.children) if c]
        return {
            "label": item.label, "url": url, "children": children,
            "current": current == item.url_name or current in item.also,
        }

    return [entry for entry in (build(item) for item in NAVIGATION) if entry]
