"""Similar values: "Austin", "austin" and "Austn" in City; "TX", "tx" and "Texas" in State.

For each column holding a place or a category (city, state, country, position, collab type),
the spellings in the file are grouped with each other and with the spellings already stored
on leads, and each group gets a suggested spelling to use. Two spellings belong together when

* they are the same once case, accents, punctuation and spacing are set aside ("St. Louis" =
  "Saint Louis" for cities), or name the same state or country (pycountry: "TX" = "Texas",
  "USA" = "United States"; bare state codes are read in the default phone region's country);
* or they differ by a typo after the first letter: one letter in words of 5 to 9 letters,
  two from 10 on (Nashville is not Asheville; never for two spellings that are known states
  or countries: Niger is not Nigeria).

The suggestion is the spelling most used on stored leads (the book's own habit), else the
one most used in the file; an all-lowercase winner gives way to its capitalised twin.
Only groups in which the file has something to change are returned.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from functools import lru_cache

import numpy as np
import pycountry
from django.conf import settings
from django.db.models import Count
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from leadbook.leads import normalize
from leadbook.leads.models import Lead

SIMILAR_FIELDS = ("city", "state", "country", "position", "collab_type")
# Spellings already stored that are compared, most used first.
MAX_STORED_SPELLINGS = 20_000
FUZZY_MIN_LENGTH = 5
CDIST_ROWS = 500
NON_WORD = re.compile(r"[\W_]+")
COUNTRY_ALIASES = {
    "usa": "US", "us": "US", "u s": "US", "u s a": "US", "america": "US",
    "united states of america": "US", "uk": "GB", "u k": "GB", "england": "GB",
    "great britain": "GB", "britain": "GB", "scotland": "GB", "wales": "GB",
}


def group_similar(field: str, in_file: Counter, stored: Counter) -> list[dict]:
    """Groups of spellings of one column that mean the same:
    [{"field", "values": [...], "suggested", "counts": {spelling: [in file, stored]}}],
    the groups touching most rows first."""
    in_file = Counter({v: n for v, n in in_file.items() if v})
    spellings = list(dict.fromkeys([*in_file, *stored]))
    if len(in_file) == 0 or len(spellings) < 2:
        return []
    keys = {s: _key(field, s) for s in spellings}
    parent = {s: s for s in spellings}

    def root(s: str) -> str:
        while parent[s] != s:
            parent[s] = parent[parent[s]]
            s = parent[s]
        return s

    def join(a: str, b: str) -> None:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[rb] = ra

    first_with_key: dict[str, str] = {}
    for s in spellings:
        if keys[s]:
            join(first_with_key.setdefault(keys[s], s), s)
    for a, b in _typo_pairs(field, list(in_file), spellings, keys):
        join(a, b)

    members: dict[str, list[str]] = defaultdict(list)
    for s in spellings:
        members[root(s)].append(s)
    groups = []
    for values in members.values():
        if len(values) < 2 or not any(v in in_file for v in values):
            continue
        suggested = _suggest(values, in_file, stored)
        if not any(v != suggested for v in values if v in in_file):
            continue  # the file already uses the suggested spelling throughout
        values.sort(key=lambda v: (-stored.get(v, 0) - in_file.get(v, 0), v))
        groups.append({
            "field": field, "values": values, "suggested": suggested,
            "counts": {v: [in_file.get(v, 0), stored.get(v, 0)] for v in values},
        })
    groups.sort(key=lambda g: (-sum(n for n, _ in g["counts"].values()), g["suggested"]))
    return groups


def stored_spellings(field: str) -> Counter:
    """How often each spelling of `field` is used on the leads of the book."""
    rows = (Lead.objects.exclude(**{field: ""}).order_by().values_list(field)
            .annotate(n=Count("id")).order_by("-n")[:MAX_STORED_SPELLINGS])
    return Counter(dict(rows))


# --- Keys ----------------------------------------------------------------------------------


def _key(field: str, value: str) -> str:
    if field == "city":
        return normalize.city_key(value)
    if field == "state":
        return state_code(value) or _plain(value)
    if field == "country":
        return country_code(value) or _plain(value)
    return _plain(value)


def _plain(value: str) -> str:
    return NON_WORD.sub(" ", normalize.fold(value)).strip()


def _known(field: str, value: str) -> str | None:
    if field == "state":
        return state_code(value)
    if field == "country":
        return country_code(value)
    return None


@lru_cache(maxsize=8192)
def state_code(value: str) -> str | None:
    """The ISO code of the state, province or region `value` names ("US-TX"), if known."""
    text = _plain(value)
    return _subdivisions(settings.DEFAULT_PHONE_REGION).get(text)


@lru_cache(maxsize=4)
def _subdivisions(home_country: str) -> dict[str, str]:
    """Folded name or code -> ISO code: every country's full codes ("us tx") and names that
    are not ambiguous, and the home country's bare codes ("tx")."""
    names: dict[str, set[str]] = defaultdict(set)
    lookup: dict[str, str] = {}
    for sub in pycountry.subdivisions:
        names[_plain(sub.name)].add(sub.code)
        lookup[_plain(sub.code)] = sub.code
        if sub.country_code == home_country:
            lookup[_plain(sub.code.split("-", 1)[1])] = sub.code
    for name, codes in names.items():
        home = [c for c in codes if c.startswith(home_country + "-")]
        if len(codes) == 1 or len(home) == 1:
            lookup.setdefault(name, home[0] if home else next(iter(codes)))
    return lookup


@lru_cache(maxsize=4096)
def country_code(value: str) -> str | None:
    """The ISO 3166 alpha-2 code of the country `value` names, if known."""
    text = _plain(value)
    if text in COUNTRY_ALIASES:
        return COUNTRY_ALIASES[text]
    try:
        return pycountry.countries.lookup(value.strip()).alpha_2
    except LookupError:
        pass
    for country in pycountry.countries:
        if text in (_plain(getattr(country, "common_name", "") or ""),
                    _plain(getattr(country, "official_name", "") or "")):
            return country.alpha_2
    return None


# --- Typos ---------------------------------------------------------------------------------


def _typo_pairs(field: str, file_values: list[str], spellings: list[str],
                keys: dict[str, str]) -> list[tuple[str, str]]:
    """Pairs (file spelling, any spelling) whose texts differ by a typo."""
    texts = {s: _plain(s) for s in spellings}
    # One representative per text; short texts and numbers are left out.
    candidates = [s for s in dict.fromkeys(spellings)
                  if len(texts[s]) >= FUZZY_MIN_LENGTH and not texts[s].isdigit()]
    by_text = {texts[s]: s for s in reversed(candidates)}
    all_texts = list(by_text)
    file_texts = list(dict.fromkeys(texts[s] for s in file_values if texts[s] in by_text))
    if not file_texts or len(all_texts) < 2:
        return []
    pairs = []
    for start in range(0, len(file_texts), CDIST_ROWS):
        rows = file_texts[start:start + CDIST_ROWS]
        distances = process.cdist(rows, all_texts, scorer=Levenshtein.distance,
                                  score_cutoff=2, dtype=np.uint8, workers=-1)
        for i, j in np.argwhere(distances <= 2):
            a, b = rows[i], all_texts[j]
            if a == b or a[0] != b[0] or distances[i, j] > _allowed_typos(min(len(a), len(b))):
                continue
            left, right = by_text[a], by_text[b]
            known_a, known_b = _known(field, left), _known(field, right)
            if known_a and known_b and known_a != known_b:
                continue  # two real places
            if keys[left] == keys[right]:
                continue
            pairs.append((left, right))
    return pairs


def _allowed_typos(length: int) -> int:
    return 1 if length < 10 else 2


# --- The suggestion ------------------------------------------------------------------------


def _suggest(values: list[str], in_file: Counter, stored: Counter) -> str:
    best = max(values, key=lambda v: (stored.get(v, 0), in_file.get(v, 0), _looks_tidy(v), v))
    if best.islower():
        for other in values:
            if other != best and other.casefold() == best and not other.islower():
                return other
    return best


def _looks_tidy(value: str) -> int:
    """Capitalised words or a code in capitals beat all-lowercase or all-caps words."""
    if value.isupper():
        return 2 if len(value) <= 3 else 0
    return 1 if value[:1].isupper() else 0
