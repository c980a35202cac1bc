"""Normalisation of contact details: what users type → what Leadbook stores and matches on.

Every door (form, API, capture endpoint, importer) goes through these functions, so
"Dana@Example.com ", "(512) 555-0142" and "https://instagram.com/dana/" mean the same
thing wherever they were typed.
"""

import re
from functools import lru_cache
from urllib.parse import urlsplit

import phonenumbers
from django.conf import settings

INSTAGRAM_HOSTS = {"instagram.com", "www.instagram.com", "m.instagram.com", "instagr.am"}
INSTAGRAM_HANDLE_RE = re.compile(r"^[A-Za-z0-9._]{1,30}$")
HOST_RE = re.compile(
    r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$", re.I
)

# Hosts that many unrelated people share: a match on them says nothing about the lead.
SHARED_HOSTS = frozenset(
    """
    gmail.com googlemail.com yahoo.com ymail.com hotmail.com outlook.com live.com msn.com
    aol.com icloud.com me.com mac.com proton.me protonmail.com gmx.com gmx.de mail.com
    zoho.com yandex.com web.de
    instagram.com facebook.com fb.com tiktok.com twitter.com x.com linkedin.com youtube.com
    linktr.ee pinterest.com etsy.com shopify.com myshopify.com wixsite.com squarespace.com
    wordpress.com blogspot.com substack.com beacons.ai threads.net google.com sites.google.com
    """.split()
)


def clean_text(value: object) -> str:
    """Strip and collapse the inner whitespace of a free-text value; None becomes ''."""
    if value is None:
        return ""
    return " ".join(str(value).split())


def email_key(email: str) -> str:
    """Emails compare without case and without stray spaces."""
    return "".join(email.split()).lower()


@lru_cache(maxsize=65536)
def phone_key(phone: str, region: str | None = None) -> str:
    """E.164 form of a phone number ('+15125550142'), or '' when it cannot be read as one.

    Numbers typed without a country code are read in the default region. Cached because
    imports see the same numbers again and again and parsing is the slow part.
    """
    if not phone or sum(c.isdigit() for c in phone) < 5:
        return ""
    try:
        number = phonenumbers.parse(phone, region or settings.DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def instagram_handle(value: str) -> str:
    """The bare handle from '@handle', 'handle' or any instagram.com profile URL.

    Returns '' for an empty value and raises ValueError for something that is not a handle.
    """
    value = value.strip()
    if not value:
        return ""
    if "/" in value or value.lower().startswith(("instagram.com", "www.instagram.com")):
        url = value if "://" in value else "https://" + value
        parts = urlsplit(url)
        if (parts.hostname or "").lower() not in INSTAGRAM_HOSTS:
            raise ValueError("Enter an Instagram handle like @name or an instagram.com link.")
        segments = [s for s in parts.path.split("/") if s]
        value = segments[0] if segments else ""
    value = value.lstrip("@")
    if not INSTAGRAM_HANDLE_RE.match(value):
        raise ValueError(
            "An Instagram handle has up to 30 letters, digits, dots or underscores."
        )
    return value


def instagram_key(handle: str) -> str:
    return handle.lower()


def website_host(value: str) -> str:
    """The host of a website given as a bare domain or a URL, lower-cased, without 'www.'.

    Raises ValueError when the value has no usable host name.
    """
    value = value.strip()
    if not value:
        return ""
    url = value if "://" in value else "http://" + value
    try:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        host = ""
    if not HOST_RE.match(host):
        raise ValueError("Enter a website like example.com or https://example.com.")
    return host.removeprefix("www.")


def website_key(host: str) -> str:
    """A host worth matching on: '' for shared hosts (free mail, social networks)."""
    if not host or host in SHARED_HOSTS or any(host.endswith("." + s) for s in SHARED_HOSTS):
        return ""
    return host


def digits(value: str) -> str:
    return "".join(c for c in value if c.isdigit())
