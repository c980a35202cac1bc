"""Normalisation of contact details: what users type → what Leadbook stores and matches on.

Every door (form, API, capture endpoint, importer) goes through these functions, so
"Dana@Example.com ", "(512) 555-0142" and "https://instagram.com/dana/" mean the same
thing wherever they were typed.

The `*_key` functions give the values duplicate checks compare. They return '' for anything
that cannot identify a lead (an empty or malformed value, a shared host, a placeholder), and
'' never matches anything, so a key is either trustworthy or absent.
"""

import re
import unicodedata
from functools import lru_cache
from urllib.parse import urlsplit

import phonenumbers
from django.conf import settings

INSTAGRAM_HOSTS = {"instagram.com", "www.instagram.com", "m.instagram.com", "instagr.am"}
INSTAGRAM_HANDLE_RE = re.compile(r"^[A-Za-z0-9._]{1,30}$")
# Profile URLs that put something other than the handle first: instagram.com/stories/dana/123
# and instagram.com/_u/dana (the app's deep link) name dana; /p/, /reel/... name no profile.
INSTAGRAM_PREFIX_SEGMENTS = {"stories", "_u"}
INSTAGRAM_NON_PROFILE_SEGMENTS = {"p", "reel", "reels", "tv", "explore", "accounts", "direct"}
HOST_RE = re.compile(
    r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$", re.I
)
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# A North American number as people write it: "(512) 555-0142", "512.555.0142",
# "512-555-0142", "+1 512 555 0142", "1-512-555-0142". The area code starts with 2-9 (as
# phonenumbers requires of a US number), so a leading 1 is always the country code. ASCII
# digits only ([0-9], not \d): phonenumbers turns other digits into ASCII ones.
NANP_NUMBER_RE = re.compile(
    r"(?:\+?1[ .-]?)?(?:\(([2-9][0-9]{2})\) ?|([2-9][0-9]{2})[ .-]?)([0-9]{3})[ .-]?([0-9]{4})")

# Hosts that many unrelated people share: a match on them says nothing about the lead.
SHARED_HOSTS = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "ymail.com", "hotmail.com", "outlook.com",
    "live.com", "msn.com", "aol.com", "icloud.com", "me.com", "mac.com", "proton.me",
    "protonmail.com", "gmx.com", "gmx.de", "mail.com", "zoho.com", "yandex.com", "web.de",
    "instagram.com", "facebook.com", "fb.com", "tiktok.com", "twitter.com", "x.com",
    "linkedin.com", "youtube.com", "linktr.ee", "pinterest.com", "etsy.com", "shopify.com",
    "myshopify.com", "wixsite.com", "squarespace.com", "wordpress.com", "blogspot.com",
    "substack.com", "beacons.ai", "threads.net", "google.com", "sites.google.com",
    "square.site", "carrd.co",
})
SHARED_SUFFIXES = tuple("." + host for host in SHARED_HOSTS)
# Site builders that give each customer a sub-domain: juniper.myshopify.com is one shop's own
# address (a good key) even though myshopify.com itself is shared.
SITE_BUILDER_HOSTS = frozenset({
    "myshopify.com", "wixsite.com", "squarespace.com", "wordpress.com", "blogspot.com",
    "substack.com", "square.site", "carrd.co",
})
# What people type into a field they have nothing for; never a key.
PLACEHOLDERS = frozenset({
    "none", "na", "n/a", "nil", "null", "unknown", "tbd", "tba", "no", "nope", "-", "--", ".",
    "x",
})

# Words that do not tell two businesses apart: "Juniper & Vine LLC" is "Juniper and Vine".
NAME_STOPWORDS = frozenset({"the", "and"})
LEGAL_SUFFIXES = frozenset({
    "llc", "inc", "incorporated", "ltd", "limited", "co", "corp", "corporation", "company",
    "plc", "llp", "lp", "pllc", "gmbh",
})
CITY_ABBREVIATIONS = {"saint": "st", "sainte": "ste", "mount": "mt", "fort": "ft"}
JOINING_PUNCTUATION_RE = re.compile("['\u2019`.]")
WORD_SEPARATORS_RE = re.compile(r"[\W_]+")
# Name keys are cut to fit their column.
NAME_KEY_MAX_LENGTH = 120


def clean_text(value: object) -> str:
    """Strip and collapse the inner whitespace of a free-text value; None becomes ''."""
    if value is None:
        return ""
    return " ".join(str(value).split())


# How mail programs and contact exports write an address: "Dana Reyes <dana@example.com>",
# "mailto:dana@example.com".
NAMED_ADDRESS_RE = re.compile(r"<([^<>]*@[^<>]*)>\s*$")
MAILTO_RE = re.compile(r"^mailto:", re.IGNORECASE)


def email_address(typed: str) -> str:
    """The address in what was typed into an email field: white space dropped, the address taken
    from "Name <address>" and a "mailto:" before it removed; anything else is left for the
    email check to judge."""
    named = NAMED_ADDRESS_RE.search(typed)
    if named:
        typed = named.group(1)
    return MAILTO_RE.sub("", "".join(typed.split()))


def email_key(email: str) -> str:
    """Emails compare without case and without stray spaces; '' unless it looks like one.

    Idempotent: email_key(email_key(x)) == email_key(x). Nothing else is rewritten (no
    dropping of Gmail dots or +tags): two addresses that differ otherwise may be two people.
    """
    key = email_address(email).lower()
    return key if EMAIL_RE.match(key) else ""


def phone_key(phone: str, region: str | None = None) -> str:
    """E.164 form of a phone number ('+15125550142'), or '' when it cannot be read as one.

    Numbers typed without a country code are read in the default region, so "(512) 555-0142",
    "512.555.0142", "1-512-555-0142" and "+1 512 555 0142" all give one key. A number too short
    to be complete (a 7-digit local number), too long, or a placeholder gives ''.
    """
    return _phone_key(phone, region or settings.DEFAULT_PHONE_REGION)


# Cached because imports see the same numbers again and again and parsing is the slow part.
# The region is part of the cache key, so a changed default region is never served stale.
@lru_cache(maxsize=65536)
def _phone_key(phone: str, region: str) -> str:
    if region == "US":
        # Nearly every number a US workspace sees has one of these shapes; reading them with
        # a regular expression gives the key phonenumbers would (tests/leads/test_normalize.py
        # compares the two) some 30 times faster, and an import has one number per row.
        nanp = NANP_NUMBER_RE.fullmatch(phone)
        if nanp:
            national = "".join(part for part in nanp.groups() if part)
            return "" if _is_placeholder_number(national) else "+1" + national
    return _parsed_phone_key(phone, region)


def _parsed_phone_key(phone: str, region: str) -> str:
    if not phone or sum(map(str.isdigit, phone)) < 5:
        return ""
    try:
        number = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return ""
    # IS_POSSIBLE_LOCAL_ONLY (555-0142 without its area code) is not enough: it would match
    # the same seven digits in every area code.
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        return ""
    if _is_placeholder_number(str(number.national_number)):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _is_placeholder_number(national: str) -> bool:
    """0000000000, 5555555555, 1234567890 and the like: typed to get past a required field."""
    return len(set(national)) <= 2 or national in "01234567890" or national in "9876543210"


@lru_cache(maxsize=4096)
def phone_display(key: str) -> str:
    """A phone key written for people: '+1 512-555-0142'."""
    try:
        number = phonenumbers.parse(key, None)
    except phonenumbers.NumberParseException:
        return key
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


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
        if segments and segments[0].lower() in INSTAGRAM_PREFIX_SEGMENTS:
            segments = segments[1:]
        if segments and segments[0].lower() in INSTAGRAM_NON_PROFILE_SEGMENTS:
            raise ValueError("That link is an Instagram post, not a profile.")
        value = segments[0] if segments else ""
    value = value.lstrip("@")
    if not INSTAGRAM_HANDLE_RE.match(value):
        raise ValueError(
            "An Instagram handle has up to 30 letters, digits, dots or underscores."
        )
    return value


def instagram_key(handle: str) -> str:
    """Handles compare without case; a placeholder such as 'n/a' or 'none' is no key."""
    key = handle.lower()
    return "" if key in PLACEHOLDERS else key


# Cached (a little): validating a lead's website and making its key both read it.
@lru_cache(maxsize=256)
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
    if not host.isascii():
        # An international name (bücher.de) is compared and checked as the DNS spells it
        # (xn--bcher-kva.de), so both spellings are one website.
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            host = ""
    if not HOST_RE.match(host):
        raise ValueError("Enter a website like example.com or https://example.com.")
    return host.removeprefix("www.")


def website_key(host: str) -> str:
    """A host worth matching on: '' for shared hosts (free mail, social networks), but a
    customer's own sub-domain of a site builder (juniper.myshopify.com) is kept."""
    if not host or host in SHARED_HOSTS:
        return ""
    if not host.endswith(SHARED_SUFFIXES):  # one C call for the usual case: no shared host
        return host
    for shared in SHARED_HOSTS:
        if host.endswith("." + shared):
            subdomain = host.removesuffix("." + shared)
            own_site = shared in SITE_BUILDER_HOSTS and subdomain not in {"www", "m", "shop"}
            return host if own_site else ""
    return host


def digits(value: str) -> str:
    return "".join(filter(str.isdigit, value))


def fold(text: str) -> str:
    """Lower case without accents: 'Café Élan' → 'cafe elan'."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def name_words(text: str) -> list[str]:
    """The words that identify a business or person name, in order.

    'The Juniper & Vine, L.L.C.' → ['juniper', 'vine']: case, accents and punctuation go,
    '&' and '+' read as 'and', 'the'/'and' and trailing legal forms (LLC, Inc., Co.) go.
    Apostrophes and dots join their word ("Dana's" → 'danas'), other punctuation splits.
    """
    return list(_name_words(text))


# Cached: the Duplicates page reads every lead's name, and names repeat.
@lru_cache(maxsize=65536)
def _name_words(text: str) -> tuple[str, ...]:
    text = JOINING_PUNCTUATION_RE.sub("", fold(text).replace("&", " and ").replace("+", " and "))
    words = [w for w in WORD_SEPARATORS_RE.split(text) if w and w not in NAME_STOPWORDS]
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    return tuple(words)


@lru_cache(maxsize=4096)
def city_key(city: str) -> str:
    """A city to compare: 'St. Louis', 'Saint Louis' and 'st louis' give 'stlouis'."""
    words = WORD_SEPARATORS_RE.split(fold(city).replace(".", ""))
    return "".join(CITY_ABBREVIATIONS.get(w, w) for w in words)


def name_key(name: str, city: str) -> str:
    """The first block a lead's name is compared in for fuzzy duplicates: the first two
    letters of its first two words, and its city. '' when the name has no words.

    'The Juniper & Vine LLC' in Austin → 'juvi|austin'. Leads are only compared by name with
    leads sharing a block, so the fuzzy check never scans the table, and a name match always
    means the same city (or both leads without one). The word parts are sorted, so
    'Reyes Dana' and 'Dana Reyes' share a block. A typo in the first two letters moves a
    lead out of this block, hence `name_alt_key`.
    """
    return name_blocks(name_words(name), city)[0]


def name_alt_key(name: str, city: str) -> str:
    """The second block: the first and the last two letters of the first two words, and the
    city ('Juniper & Vine' in Austin → 'jervne|austin'). Spelled from other letters than
    `name_key`, so one typo inside a word of five letters or more never moves a lead out of
    both blocks."""
    return name_blocks(name_words(name), city)[1]


def name_blocks(words: list[str], city: str) -> tuple[str, str]:
    """(name_key, name_alt_key) from a name's words (see `name_words`) and its city."""
    if not words:
        return "", ""
    place = city_key(city)
    prefixes = "".join(sorted(word[:2] for word in words[:2]))
    outlines = "".join(sorted(word[:1] + word[-2:] for word in words[:2]))
    return (f"{prefixes}|{place}"[:NAME_KEY_MAX_LENGTH],
            f"{outlines}|{place}"[:NAME_KEY_MAX_LENGTH])
