"""Website origins ("https://example.com") as a web form's allowed list holds them.

An origin is a scheme, a host and a port: what a browser sends in its Origin header. Admins
may type a bare host ("example.com": https is assumed), paste a page address (its path is
dropped), list every subdomain ("https://*.example.com") or any website ("*").
"""

from urllib.parse import urlsplit

ANY = "*"


def normalise(value: str) -> str:
    """The origin in canonical form ('https://Example.com:443/x' -> 'https://example.com'),
    or '' when `value` is not a web origin (the browser's 'null' is not one)."""
    value = value.strip()
    if value == ANY:
        return ANY
    if not value or value == "null":
        return ""
    if "://" not in value:
        value = "https://" + value
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return ""
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host or parts.username or " " in host:
        return ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    default_port = 443 if parts.scheme == "https" else 80
    netloc = host if port in (None, default_port) else f"{host}:{port}"
    return f"{parts.scheme}://{netloc}"


def parse_lines(text: str) -> list[str]:
    """The origins of a one-per-line (or comma separated) list; invalid lines are left out
    (the settings form refuses them before they are stored)."""
    items = text.replace(",", "\n").splitlines()
    return [origin for item in items if (origin := normalise(item))]


def invalid_lines(text: str) -> list[str]:
    items = text.replace(",", "\n").splitlines()
    return [item.strip() for item in items if item.strip() and not normalise(item)]


def matches(origin: str, allowed: list[str]) -> bool:
    """Whether `origin` is one of `allowed` (with '*' and 'https://*.example.com')."""
    origin = normalise(origin)
    if not origin or origin == ANY:
        return ANY in allowed
    scheme, _, netloc = origin.partition("://")
    for entry in allowed:
        if entry in (ANY, origin):
            return True
        entry_scheme, _, entry_netloc = entry.partition("://")
        if entry_netloc.startswith("*.") and entry_scheme == scheme and \
                netloc.endswith(entry_netloc[1:]):
            return True
    return False
