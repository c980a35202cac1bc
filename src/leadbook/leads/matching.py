"""Duplicate matching: which existing leads a new or edited lead is probably the same as.

One engine for every door: the lead form and the API ask `find_matches` about one lead, the
importer asks `match_rows` about a whole file at once, the Duplicates page asks
`find_duplicate_groups` about the whole database.

Two kinds of evidence, strongest first:

* Exact keys, stored and indexed on every lead (see `normalize`): the same email (score 100),
  phone (95), Instagram handle (90) or website host (80). A key is only set when it can
  identify someone: free-mail and social hosts, placeholders and phone numbers without an
  area code have none, and '' never matches.
* Similar names, only for leads that share no key: the lead's company (or its name when it
  has no company) compared with rapidfuzz among the leads of its two *name blocks*
  (`Lead.name_key`, `Lead.name_alt_key`: letters of the first two words + the city). The
  blocks keep the fuzzy part to a handful of indexed rows instead of a table scan, and mean
  a name match is always in the same city (or both leads have none). Name scores stay
  below every exact key (at most 75).

The name rules favour precision: a false "duplicate" nags people and can get two customers
merged, a missed one costs a second look.

* A name alone is never enough: the leads must also share their city, or both name the
  same contact person.
* The names must be the same once normalised ("Juniper & Vine LLC" = "The Juniper and
  Vine"); only when the contact person agrees may they differ by a typo (ratio ≥ 88) or one
  be contained in the other ("Juniper & Vine" / "Juniper & Vine Boutique").
* When both leads name a contact, the contacts must agree (token set ratio ≥ 90: "Dana"
  agrees with "Dana Reyes", "Sam Reyes" does not): two people at one shop are two leads.
* Different street numbers or postal codes are different branches of a chain.
* Contact details that disagree tell leads apart. A person known only by name is told
  apart from a namesake by any one (their own email or phone). A business may well have
  two emails or two phones, so it takes two kinds disagreeing (say both email and phone),
  and none count when the same contact person vouches for it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from multiprocessing.pool import AsyncResult
from typing import Any, NamedTuple

import numpy as np
from django.db import connection
from django.db.models import Count, Q, QuerySet
from rapidfuzz import fuzz, process

from leadbook.core.forking import forked_pool

from . import normalize
from .models import Lead

# Exact keys, strongest first: (reason, Lead field, score, what the detail calls it).
KEY_RULES: tuple[tuple[str, str, float, str], ...] = (
    ("email", "email_key", 100.0, "email"),
    ("phone", "phone_key", 95.0, "phone"),
    ("instagram", "instagram_key", 90.0, "Instagram"),
    ("website", "website_key", 80.0, "website"),
)
KEY_FIELDS = tuple(field for _, field, _, _ in KEY_RULES)
NAME_BLOCK_FIELDS = ("name_key", "name_alt_key")

# Name evidence (0..100) is scaled into 0..FUZZY_MAX_SCORE, so an exact key (80 and more)
# always ranks above a similar name.
FUZZY_MAX_SCORE = 75.0
# Two leads that both lack a city are weaker evidence than two in the same city.
NO_CITY_PENALTY = 5.0
# Name similarity (rapidfuzz ratio of the normalised names) that passes for a typo when the
# contact person agrees: one wrong or swapped letter in a name of 9 characters or more, two
# from 17 on; "moss goods" vs "mass goods" (10) passes only with the same contact person.
NAME_TYPO_MIN = 88.0
# Contact persons agree from this token set ratio on: "Dana" ~ "Dana Reyes" (100),
# "Dana Reyes" ~ "Dana Reys" (95); "Dana Reyes" vs "Dana Ortiz" is about 60.
PERSON_MIN = 90.0
# Caps that bound one lookup whatever the data (a phone shared by thousands of leads, a
# huge name block); matches are then looked for among the rows read.
MAX_EXACT_ROWS = 200
MAX_BLOCK_ROWS = 1000
# Values per `__in` query: under SQLite's old limit of 999 variables.
IN_CHUNK = 900
# Name blocks of this many leads are pre-filtered with vectorised rapidfuzz.cdist, with a
# looser bar for contacts than PERSON_MIN (the filter uses a plain ratio on sorted words,
# which can score a little below the token set ratio the rule uses).
VECTOR_BLOCK_MIN = 6
VECTOR_PAIRS_MIN = 16
PERSON_PREFILTER_MIN = 80.0

# What the name part reads of a stored lead.
BLOCK_FIELDS = ("id", "name", "first_name", "last_name", "company", "address", "city",
                "postal_code", *KEY_FIELDS, *NAME_BLOCK_FIELDS)
# The house number an address starts with ("1200 Lamar Blvd"); a suite number later on
# ("88 Congress Ave, Suite 200") is not one.
STREET_NUMBER_RE = re.compile(r"\d+")


@dataclass(frozen=True)
class Match:
    """An existing lead that is probably the same as the candidate."""

    lead_id: int
    reason: str  # "email" | "phone" | "instagram" | "website" | "name": the strongest
    score: float  # 0..100: 100 email, 95 phone, 90 Instagram, 80 website, ≤ 75 name
    detail: str  # for people: "Same email dana@x.com and phone +1 512-555-0142"


@dataclass(frozen=True)
class RowMatch:
    """A row of a batch (an import file) that duplicates an existing lead or an earlier row.

    `row` and `duplicate_of_row` index the list given to `match_rows`; exactly one of
    `lead_id` and `duplicate_of_row` is set.
    """

    row: int
    reason: str
    score: float
    detail: str
    lead_id: int | None = None
    duplicate_of_row: int | None = None


@dataclass(frozen=True)
class DuplicateGroup:
    """Leads of the database that are probably one lead recorded more than once."""

    lead_ids: tuple[int, ...]  # ascending: the oldest (usually the original) first
    reason: str  # the strongest evidence linking two of them
    score: float
    detail: str
    reasons: tuple[str, ...]  # every kind of evidence in the group, strongest first


class Profile(NamedTuple):
    """What matching compares about one lead or row, normalised once. A named tuple: an
    import makes one per row and sends them between processes as plain tuples."""

    email_key: str = ""
    phone_key: str = ""
    instagram_key: str = ""
    website_key: str = ""
    name_key: str = ""
    name_alt_key: str = ""
    label: str = ""  # normalised words of the company, else the name
    label_text: str = ""  # the same as typed, for details
    person: str = ""  # normalised words of first + last name
    label_is_person: bool = False  # no company, and the name is the contact's
    city: str = ""
    street_number: str = ""
    postal_code: str = ""

    def exact_keys(self) -> Iterator[tuple[str, str, float, str, str]]:
        """(reason, field, score, noun, value) of every exact key this profile has."""
        for reason, field, score, noun in KEY_RULES:
            value = getattr(self, field)
            if value:
                yield reason, field, score, noun, value

    def blocks(self) -> Iterator[tuple[str, str]]:
        """(field, value) of the name blocks this profile is in."""
        for field in NAME_BLOCK_FIELDS:
            value = getattr(self, field)
            if value:
                yield field, value


# --- Profiles ------------------------------------------------------------------------------


def _value(candidate: Lead | Mapping[str, Any], field: str) -> str:
    """A field as text ('' for None). Not tidied further: every normaliser ignores stray
    spaces, and this runs for every lead of the Duplicates page."""
    # dict first: isinstance() against the Mapping ABC is slow, and rows are dicts
    if type(candidate) is dict or isinstance(candidate, Mapping):
        raw = candidate.get(field)
    else:
        raw = getattr(candidate, field)
    return "" if raw is None else str(raw)


def _instagram_key(value: str) -> str:
    try:
        return normalize.instagram_key(normalize.instagram_handle(value))
    except ValueError:
        return ""


def _website_key(value: str) -> str:
    try:
        return normalize.website_key(normalize.website_host(value))
    except ValueError:
        return ""


def _names_part(candidate: Lead | Mapping[str, Any],
                stored_blocks: tuple[str, str] | None = None) -> dict[str, Any]:
    """The name side of a profile: all that the name comparison needs. A lead read from
    the database brings its `stored_blocks` (name_key, name_alt_key)."""
    name, company = _value(candidate, "name").strip(), _value(candidate, "company").strip()
    person_text = " ".join(
        p for p in (_value(candidate, "first_name").strip(),
                    _value(candidate, "last_name").strip()) if p
    )
    # A lead is known by its company when it has one (its name is then often the person),
    # else by its name, which the services fill from the person when it is left blank.
    label_text = company or name or person_text
    label_words = normalize.name_words(label_text)
    person_words = normalize.name_words(person_text) if person_text else []
    city = _value(candidate, "city").strip()
    name_key, name_alt_key = stored_blocks or normalize.name_blocks(label_words, city)
    street = STREET_NUMBER_RE.match(_value(candidate, "address").lstrip())
    return {
        "name_key": name_key,
        "name_alt_key": name_alt_key,
        "label": " ".join(label_words),
        "label_text": label_text,
        "person": " ".join(person_words),
        "label_is_person": not company and sorted(label_words) == sorted(person_words),
        "city": city,
        "street_number": street.group() if street else "",
        "postal_code": normalize.fold(_value(candidate, "postal_code")).replace(" ", "")[:5],
    }


def _stored_profile(row: Mapping[str, Any]) -> Profile:
    """The profile of a lead read from the database: its keys as stored."""
    blocks = (row["name_key"], row["name_alt_key"])
    return Profile(**{field: row[field] for field in KEY_FIELDS}, **_names_part(row, blocks))


def profile_of_keyed(lead: Lead) -> Profile:
    """`profile_of` for a lead whose match keys are up to date (`refresh_derived_fields` has
    just run, as in the importer): read from those keys, as for a stored lead, rather than
    computed a second time."""
    return _stored_profile(vars(lead))


def profile_of(candidate: Lead | Mapping[str, Any], *, names: bool = True) -> Profile:
    """Normalise a lead (saved or not) or a mapping of lead fields for matching; without
    `names`, only the exact keys (all that matching without the name part needs).

    Always computed from the typed fields, never from stored keys, so a form not yet saved
    and an import row are read exactly as a saved lead is.
    """
    return Profile(
        email_key=normalize.email_key(_value(candidate, "email")),
        phone_key=normalize.phone_key(_value(candidate, "phone")),
        instagram_key=_instagram_key(_value(candidate, "instagram")),
        website_key=_website_key(_value(candidate, "website")),
        **(_names_part(candidate) if names else {}),
    )


# --- Evidence -------------------------------------------------------------------------------


def _key_match(lead_id: int, hits: list[tuple[str, float, str, str]]) -> Match:
    """One Match from the keys a lead shares: the strongest gives the reason, all are told."""
    hits = sorted(hits, key=lambda hit: -hit[1])
    reason, score, _, _ = hits[0]
    shown = [f"{noun} {_shown_value(hit_reason, value)}" for hit_reason, _, noun, value in hits]
    return Match(lead_id, reason, score, "Same " + " and ".join(shown))


def _shown_value(reason: str, value: str) -> str:
    if reason == "phone":
        return normalize.phone_display(value)
    if reason == "instagram":
        return "@" + value
    return value


def _conflict(a: str, b: str) -> bool:
    return bool(a and b and a != b)


def name_evidence(a: Profile, b: Profile) -> tuple[float, str] | None:
    """(score, detail) when two profiles sharing a name block look like one lead by name,
    else None. The rules are in the module docstring."""
    if not a.label or not b.label:
        return None
    if _conflict(a.street_number, b.street_number) or _conflict(a.postal_code, b.postal_code):
        return None  # same name at another address: another branch
    persons_known = bool(a.person and b.person)
    person_score = fuzz.token_set_ratio(a.person, b.person) if persons_known else 0.0
    if persons_known and person_score < PERSON_MIN:
        return None  # two different contacts
    has_city = bool(normalize.city_key(a.city or b.city))
    if not has_city and not persons_known:
        return None  # a name alone is not enough
    if _contact_details_disagree(a, b, persons_known):
        return None
    name_score = _name_score(a, b)
    if name_score < 100 and not persons_known:
        return None  # without a contact person to vouch, only the very same name will do
    if name_score < NAME_TYPO_MIN:
        return None
    evidence = (name_score + person_score) / 2 if persons_known else name_score
    score = FUZZY_MAX_SCORE * evidence / 100 - (0 if has_city else NO_CITY_PENALTY)
    return round(score, 1), _name_detail(a, b, name_score, persons_known)


def _contact_details_disagree(a: Profile, b: Profile, persons_known: bool) -> bool:
    """Whether the leads' own emails, phones, Instagram handles or websites tell them apart.
    A person known only by name: one kind disagreeing does (a namesake has their own email).
    A business may well have two emails or two phones: two kinds must disagree, and not
    even that when the same contact person vouches for it."""
    disagreeing = sum(_conflict(getattr(a, field), getattr(b, field)) for field in KEY_FIELDS)
    if a.label_is_person or b.label_is_person:
        return disagreeing > 0
    return not persons_known and disagreeing > 1


def _name_score(a: Profile, b: Profile) -> float:
    """How alike two names are. Word order counts for businesses ("Fox & Fig" is not
    "Fig & Fox") but not for people ("Reyes Dana"); a name of two or more words contained
    in the other counts as the same ("Juniper Vine" in "Juniper Vine Boutique")."""
    scorer = fuzz.token_sort_ratio if a.label_is_person or b.label_is_person else fuzz.ratio
    score = scorer(a.label, b.label)
    if score < 100 and a.person and b.person:
        shorter, longer = sorted((a.label.split(), b.label.split()), key=len)
        if len(shorter) >= 2 and f" {' '.join(shorter)} " in f" {' '.join(longer)} ":
            score = 100.0
    return score


def _name_detail(a: Profile, b: Profile, name_score: float, persons_known: bool) -> str:
    same = "Same name" if name_score == 100 else "Similar name"
    contact = " and contact" if persons_known else ""
    city = b.city or a.city
    where = f" in {city}" if city else ""
    return f"{same}{contact}{where}: {b.label_text}"


def _best_first(matches: Iterable[Match]) -> list[Match]:
    return sorted(matches, key=lambda m: (-m.score, m.lead_id))


# --- One lead -------------------------------------------------------------------------------


def find_matches(
    candidate: Lead | Mapping[str, Any],
    *,
    exclude_ids: Iterable[int] = (),
    limit: int | None = 5,
    fuzzy: bool = True,
) -> list[Match]:
    """Existing leads that are probably the same as `candidate`, best first, one per lead.

    `candidate` is a Lead (saved or not; a saved one never matches itself) or a mapping of
    lead fields (name, first_name, last_name, company, email, phone, instagram, website,
    address, city, postal_code). Inactive leads count: a duplicate of an inactive lead is
    still a duplicate; leads merged into another or in the trash do not (Lead.objects leaves
    them out). At most two indexed queries: the exact keys, then, only when no key matched,
    the candidate's name blocks.
    """
    profile = profile_of(candidate, names=fuzzy)
    excluded = set(exclude_ids)
    if isinstance(candidate, Lead) and candidate.pk is not None:
        excluded.add(candidate.pk)
    matches = _exact_matches(profile, excluded)
    if not matches and fuzzy:
        matches = _name_matches(profile, excluded)
    ranked = _best_first(matches)
    return ranked if limit is None else ranked[:limit]


def _any_of(pairs: Iterable[tuple[str, str]]) -> Q | None:
    """An OR of indexed equalities, which SQLite and PostgreSQL both answer with one index
    lookup per term."""
    query = None
    for field, value in pairs:
        term = Q(**{field: value})
        query = term if query is None else query | term
    return query


def _leads_where(condition: Q, *, excluded: Iterable[int] = (), limit: int | None = None
                 ) -> QuerySet[Lead]:
    """The leads of the book (Lead.objects: not merged, not in the trash) that meet an
    indexed `condition`, unordered.

    Written as `id IN (subquery)`: next to the manager's `merged_into IS NULL`, SQLite
    (without ANALYZE statistics) answers `key IN (...)` or `key = ? OR key = ?` from the
    merged_into index, nearly every row, instead of the key indexes. The subquery keeps the
    key indexes; the manager's condition is then checked row by row through its index.
    """
    ids = Lead._base_manager.filter(condition).exclude(pk__in=excluded).order_by().values("pk")
    return Lead.objects.filter(pk__in=ids if limit is None else ids[:limit]).order_by()


def _exact_matches(profile: Profile, excluded: set[int]) -> list[Match]:
    keys = list(profile.exact_keys())
    query = _any_of((field, value) for _, field, _, _, value in keys)
    if query is None:
        return []
    rows = _leads_where(query, excluded=excluded, limit=MAX_EXACT_ROWS).values_list(
        "id", *KEY_FIELDS)
    matches = []
    for lead_id, *lead_keys in rows:
        stored = dict(zip(KEY_FIELDS, lead_keys, strict=True))
        hits = [(reason, score, noun, value) for reason, field, score, noun, value in keys
                if stored[field] == value]
        matches.append(_key_match(lead_id, hits))
    return matches


def _name_matches(profile: Profile, excluded: set[int]) -> list[Match]:
    query = _any_of(profile.blocks())
    if query is None:
        return []
    rows = _leads_where(query, excluded=excluded, limit=MAX_BLOCK_ROWS).values(*BLOCK_FIELDS)
    matches = []
    for row in rows:
        evidence = name_evidence(profile, _stored_profile(row))
        if evidence:
            matches.append(Match(row["id"], "name", *evidence))
    return matches


# --- A batch of rows (the importer) ---------------------------------------------------------


def match_rows(rows: Sequence[Mapping[str, Any]], *, fuzzy: bool = True) -> list[RowMatch]:
    """Rows that duplicate an existing lead or an earlier row: one RowMatch (the best) per
    such row, in row order. Rows are mappings of lead fields, as for find_matches.

    The database is read in bulk (chunked `__in` queries per key), never row by row. On
    equal scores an existing lead wins over an earlier row, so the importer can skip or
    update it.
    """
    return match_profiles([profile_of(row, names=fuzzy) for row in rows], fuzzy=fuzzy)


def match_profiles(profiles: Sequence[Profile], *, fuzzy: bool = True,
                   parallel: bool = False) -> list[RowMatch]:
    """`match_rows` for rows already made into profiles with `profile_of` (the importer
    makes them in worker processes, beside the rest of each row's checks).

    With `parallel`, the rows are compared with each other in a forked process while this
    one compares them with the book: the two halves do not depend on each other, and each
    takes seconds for a big file."""
    profiles = list(profiles)
    if parallel:
        with _forked(partial(_batch_matches, profiles, fuzzy=fuzzy)) as pending:
            in_database = _database_matches(profiles, fuzzy=fuzzy)
            in_batch = pending.get()
    else:
        in_database = _database_matches(profiles, fuzzy=fuzzy)
        in_batch = _batch_matches(profiles, fuzzy=fuzzy)
    results = []
    for index in range(len(profiles)):
        lead_match, row_match = in_database.get(index), in_batch.get(index)
        if lead_match and (not row_match or lead_match.score >= row_match.score):
            results.append(RowMatch(index, lead_match.reason, lead_match.score,
                                    lead_match.detail, lead_id=lead_match.lead_id))
        elif row_match:
            results.append(row_match)
    return results


# In a process started by `_forked`: the work it does.
_forked_work: Callable[[], Any] | None = None


def _remember_work(work: Callable[[], Any]) -> None:
    global _forked_work
    _forked_work = work


def _do_remembered_work() -> Any:
    assert _forked_work is not None
    return _forked_work()


@contextmanager
def _forked(work: Callable[[], Any]) -> Iterator[AsyncResult]:
    """work() run in a forked process meanwhile (its result comes back pickled). The process
    inherits the work's arguments, with the rest of this process's memory, rather than
    receiving a copy; it must not use the database (its connection is this process's)."""
    pool = forked_pool(1, initializer=_remember_work, initargs=(work,))
    try:
        yield pool.apply_async(_do_remembered_work)
    finally:
        pool.terminate()
        pool.join()


def _chunks(values: Iterable[str], size: int = IN_CHUNK) -> Iterator[list[str]]:
    """The distinct values, in lists of `size`. Not sorted: the database sorts an IN list
    itself, and sorting a whole file's keys here cost a good part of the lookup."""
    distinct = list(dict.fromkeys(values))
    for start in range(0, len(distinct), size):
        yield distinct[start:start + size]


def _leads_with(field: str, values: Iterable[str], columns: Sequence[str]) -> Iterator[tuple]:
    """`columns` of the book's leads (`_leads_where`) whose `field` is one of `values`, read
    with chunked `IN` queries. Django prepares each value of an `IN` list in Python, which
    for a whole import file cost several times what running the queries did: a query is
    compiled once per chunk size and run with each chunk's values. For text and id columns
    only: rows come as the database driver gives them, without Django's converters."""
    compiled: dict[int, str] = {}
    with connection.cursor() as cursor:
        for chunk in _chunks(values):
            if len(chunk) not in compiled:
                query = _leads_where(Q(**{f"{field}__in": chunk})).values_list(*columns)
                sql, params = query.query.sql_with_params()
                if list(params) != chunk:
                    raise AssertionError("The chunk's values must be the only parameters.")
                compiled[len(chunk)] = sql
            cursor.execute(compiled[len(chunk)], chunk)
            yield from cursor.fetchall()


def _database_matches(profiles: list[Profile], *, fuzzy: bool) -> dict[int, Match]:
    """The best existing-lead match of each row index: by exact key, else by name."""
    leads_by_key: dict[tuple[str, str], list[int]] = defaultdict(list)
    for field in KEY_FIELDS:
        values = (value for p in profiles if (value := getattr(p, field)))
        for value, lead_id in _leads_with(field, values, (field, "id")):
            leads_by_key[field, value].append(lead_id)
    best: dict[int, Match] = {}
    for index, profile in enumerate(profiles):
        hits: dict[int, list[tuple[str, float, str, str]]] = defaultdict(list)
        for reason, field, score, noun, value in profile.exact_keys():
            for lead_id in leads_by_key.get((field, value), ()):
                hits[lead_id].append((reason, score, noun, value))
        if hits:
            best[index] = _best_first(_key_match(i, h) for i, h in hits.items())[0]
    if fuzzy:
        unmatched = {i: p for i, p in enumerate(profiles) if i not in best}
        best.update(_database_name_matches(unmatched))
    return best


def _database_name_matches(profiles: dict[int, Profile]) -> dict[int, Match]:
    stored: dict[int, Profile] = {}
    members: dict[tuple[str, str], list[int]] = defaultdict(list)
    for field in NAME_BLOCK_FIELDS:
        values = (value for p in profiles.values() if (value := getattr(p, field)))
        for columns in _leads_with(field, values, BLOCK_FIELDS):
            row = dict(zip(BLOCK_FIELDS, columns, strict=True))
            if row["id"] not in stored:
                stored[row["id"]] = _stored_profile(row)
            members[field, row[field]].append(row["id"])
    best: dict[int, Match] = {}
    for index, profile in profiles.items():
        lead_ids = {lead_id for block in profile.blocks() for lead_id in members.get(block, ())}
        matches = [Match(lead_id, "name", *evidence) for lead_id in lead_ids
                   if (evidence := name_evidence(profile, stored[lead_id]))]
        if matches:
            best[index] = _best_first(matches)[0]
    return best


ANY_POSTAL_CODE = None  # every row of a block, whatever its postal code


def _batch_matches(profiles: list[Profile], *, fuzzy: bool) -> dict[int, RowMatch]:
    """The best earlier-row match of each row index. A key belongs to the first row that
    has it; a row is compared by name with the earlier rows of its blocks.

    A row with a postal code is compared only with the rows of its blocks that have the
    same postal code or none: name_evidence takes two postal codes that differ for two
    branches, and in a big file a block holds many (a city's shops with names alike)."""
    first_row: dict[tuple[str, str], int] = {}
    # (block field, block value, postal code or ANY_POSTAL_CODE) -> earlier rows
    earlier_in_block: dict[tuple[str, str, str | None], list[int]] = defaultdict(list)
    best: dict[int, RowMatch] = {}
    for index, profile in enumerate(profiles):
        hits: dict[int, list[tuple[str, float, str, str]]] = defaultdict(list)
        for reason, field, score, noun, value in profile.exact_keys():
            earlier = first_row.setdefault((field, value), index)
            if earlier != index:
                hits[earlier].append((reason, score, noun, value))
        if hits:
            # Ranked like leads, with the earlier row's index in place of a lead id.
            match = _best_first(_key_match(row, h) for row, h in hits.items())[0]
            best[index] = RowMatch(index, match.reason, match.score, match.detail,
                                   duplicate_of_row=match.lead_id)
        elif fuzzy:
            postal_codes = (profile.postal_code, "") if profile.postal_code else (ANY_POSTAL_CODE,)
            candidates: set[int] = set()
            for field, value in profile.blocks():
                for postal in postal_codes:
                    if rows := earlier_in_block.get((field, value, postal)):
                        candidates.update(rows[-MAX_BLOCK_ROWS:])
            earlier_rows = sorted(candidates)
            if len(earlier_rows) > PREFILTER_MIN_ROWS:
                earlier_rows = _could_match_by_name(profile, earlier_rows, profiles)
            for earlier in earlier_rows:
                evidence = name_evidence(profile, profiles[earlier])
                if evidence and (index not in best or evidence[0] > best[index].score):
                    best[index] = RowMatch(index, "name", *evidence, duplicate_of_row=earlier)
        for block in profile.blocks():
            earlier_in_block[(*block, ANY_POSTAL_CODE)].append(index)
            earlier_in_block[(*block, profile.postal_code)].append(index)
    return best


# Past this many earlier rows to compare a row with (a big file fills its name blocks), the
# rows its name could match are first picked out by rapidfuzz's own loop, in C: a pair that
# fails these cutoffs fails name_evidence too, and name_evidence costs microseconds a pair.
PREFILTER_MIN_ROWS = 24


def _could_match_by_name(profile: Profile, rows: list[int], profiles: Sequence[Profile]
                         ) -> list[int]:
    """The rows, among `rows`, that name_evidence could find alike: their names within a
    typo of each other (by `_name_score`'s scorers) or, with contact persons on both sides,
    the persons alike (the rule that counts a contained name as the same)."""
    labels = [profiles[row].label for row in rows]
    picked = {index for scorer in (fuzz.ratio, fuzz.token_sort_ratio)
              for _, _, index in process.extract(profile.label, labels, scorer=scorer,
                                                 score_cutoff=NAME_TYPO_MIN, limit=None)}
    if profile.person:
        persons = [profiles[row].person or None for row in rows]  # None: skipped
        picked.update(index for _, _, index in process.extract(
            profile.person, persons, scorer=fuzz.token_set_ratio, score_cutoff=PERSON_MIN,
            limit=None))
    return [rows[index] for index in sorted(picked)]


# --- The whole database (the Duplicates page) -----------------------------------------------


def find_duplicate_groups(*, fuzzy: bool = True, limit: int | None = None
                          ) -> list[DuplicateGroup]:
    """Groups of leads that are probably one lead, best first (by score, then size).

    Exact keys: a GROUP BY ... HAVING COUNT(*) > 1 per key, answered from its index. Names:
    only the name blocks holding more than one lead are read, and leads are compared within
    their blocks. Leads linked by any chain of evidence form one group.
    """
    links = _Links()
    for reason, field, score, noun in KEY_RULES:
        rows = (_leads_where(Q(**{f"{field}__in": _shared_values(field)}))
                .order_by(field, "id").values_list(field, "id"))
        current, first_id = None, 0
        for value, lead_id in rows.iterator(chunk_size=2000):  # ordered by value, then id
            if value != current:
                current, first_id = value, lead_id
            else:
                detail = f"Same {noun} {_shown_value(reason, value)}"
                links.add(first_id, lead_id, reason, score, detail)
    if fuzzy:
        for a, b, score, detail in _name_pairs():
            links.add(a, b, "name", score, detail)
    groups = links.groups()
    return groups if limit is None else groups[:limit]


def _shared_values(field: str) -> QuerySet[Lead, dict[str, Any]]:
    """The values of `field` that more than one lead has (a subquery). Counted over every
    row (the base manager) so that the index alone answers it; merged and trashed leads
    are left out afterwards, by `_leads_where`."""
    return (Lead._base_manager.exclude(**{field: ""}).order_by().values(field)
            .annotate(leads=Count("id")).filter(leads__gt=1).values(field))


def _name_pairs() -> Iterator[tuple[int, int, float, str]]:
    """Every pair of leads that share a name block and match by name:
    (older id, newer id, score, detail). Only leads in a block of two or more are read, once
    each, however many blocks they share."""
    in_shared_block = Q(name_key__in=_shared_values("name_key")) | Q(
        name_alt_key__in=_shared_values("name_alt_key"))
    rows = _leads_where(in_shared_block).order_by("id").values(*BLOCK_FIELDS)
    profiles: dict[int, Profile] = {}
    blocks: dict[tuple[str, str], list[int]] = defaultdict(list)
    for row in rows.iterator(chunk_size=2000):
        profiles[row["id"]] = _stored_profile(row)
        for field in NAME_BLOCK_FIELDS:
            if row[field]:
                blocks[field, row[field]].append(row["id"])
    compared: set[tuple[int, int]] = set()
    for ids in blocks.values():
        if len(ids) < 2:
            continue  # the lead was read for its other block
        members = [profiles[lead_id] for lead_id in ids]
        for i, j in _candidate_pairs(members):
            if (ids[i], ids[j]) in compared:
                continue
            compared.add((ids[i], ids[j]))
            evidence = name_evidence(members[j], members[i])
            if evidence:
                yield ids[i], ids[j], *evidence


def _candidate_pairs(profiles: list[Profile]) -> Iterator[tuple[int, int]]:
    """Index pairs (i < j) of one block worth a full comparison: a pre-filter looser than
    the rules, so that most pairs of a big block never reach Python. The block's distinct
    names are compared first (a big block repeats a few names); then, between two groups of
    alike names, only the pairs whose contacts may agree (alike, one inside the other, or
    one unknown) are kept."""
    n = len(profiles)
    if n < VECTOR_BLOCK_MIN:
        yield from ((i, j) for i in range(n) for j in range(i + 1, n))
        return
    by_label: dict[str, list[int]] = defaultdict(list)
    for index, profile in enumerate(profiles):
        by_label[profile.label].append(index)
    labels = list(by_label)
    people_names = any(p.label_is_person for p in profiles)
    for g, h in _alike_pairs(labels, NAME_TYPO_MIN, any_order=people_names, with_self=True):
        rows, columns = by_label[labels[g]], by_label[labels[h]]
        for i, j in _contacts_may_agree(profiles, rows, columns):
            if i != j:
                yield min(i, j), max(i, j)


def _alike_pairs(texts: list[str], cutoff: float, *, any_order: bool = False,
                 with_self: bool = False) -> list[tuple[int, int]]:
    """Index pairs (i ≤ j) of texts that are alike (ratio ≥ cutoff, in any word order when
    `any_order`) or whose words are all among the other's."""
    alike = _alike(texts, texts, cutoff) | _word_subsets([t.split() for t in texts])
    if any_order:
        ordered = [_sorted_words(text) for text in texts]
        alike |= _alike(ordered, ordered, cutoff)
    pairs = np.argwhere(np.triu(alike, k=0 if with_self else 1))
    return [(int(i), int(j)) for i, j in pairs]


def _contacts_may_agree(profiles: list[Profile], rows: list[int], columns: list[int]
                        ) -> Iterator[tuple[int, int]]:
    """(row, column) index pairs whose contact persons may agree. With a row and a column
    list of the same name group, each pair comes twice; the caller keeps i < j."""
    if len(rows) * len(columns) <= VECTOR_PAIRS_MIN:
        yield from ((i, j) for i in rows for j in columns)
        return
    row_people = [_sorted_words(profiles[i].person) for i in rows]
    column_people = [_sorted_words(profiles[j].person) for j in columns]
    unknown = np.logical_or.outer(np.array([not p for p in row_people]),
                                  np.array([not p for p in column_people]))
    subsets = _word_subsets([p.split() for p in row_people + column_people])
    may_agree = (unknown | _alike(row_people, column_people, PERSON_PREFILTER_MIN)
                 | subsets[:len(rows), len(rows):])
    for r, c in np.argwhere(may_agree):
        yield rows[r], columns[c]


def _sorted_words(text: str) -> str:
    return " ".join(sorted(text.split()))


def _alike(texts: list[str], others: list[str], cutoff: float) -> np.ndarray:
    """len(texts)×len(others): which are alike (rapidfuzz ratio ≥ cutoff), at C speed."""
    return process.cdist(texts, others, scorer=fuzz.ratio, dtype=np.uint8,
                         score_cutoff=cutoff) > 0


def _word_subsets(word_lists: list[list[str]]) -> np.ndarray:
    """n×n: pairs where the words of one are a strict part of the other's. (The same words
    in any order are left to `_alike` on sorted words.) Worked out once per distinct set of
    words, since a big block repeats the same names."""
    members: dict[frozenset[str], list[int]] = defaultdict(list)
    for index, words in enumerate(word_lists):
        if words:
            members[frozenset(words)].append(index)
    holders_of: dict[str, set[frozenset[str]]] = defaultdict(set)
    for word_set in members:
        for word in word_set:
            holders_of[word].add(word_set)
    subsets = np.zeros((len(word_lists), len(word_lists)), dtype=bool)
    for word_set, rows in members.items():
        for holder in set.intersection(*(holders_of[word] for word in word_set)) - {word_set}:
            subsets[np.ix_(rows, members[holder])] = True
    return subsets | subsets.T


class _Links:
    """Union-find over lead ids that remembers the strongest evidence of each group."""

    NONE = (-1.0, "", "")

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}
        self.best: dict[int, tuple[float, str, str]] = {}
        self.reasons: dict[int, set[str]] = defaultdict(set)

    def _root(self, lead_id: int) -> int:
        root = self.parent.setdefault(lead_id, lead_id)
        while root != self.parent[root]:
            root = self.parent[root]
        while lead_id != root:  # path compression
            self.parent[lead_id], lead_id = root, self.parent[lead_id]
        return root

    def add(self, a: int, b: int, reason: str, score: float, detail: str) -> None:
        root_a, root_b = self._root(a), self._root(b)
        if root_a != root_b:
            self.parent[root_b] = root_a
            self.reasons[root_a] |= self.reasons.pop(root_b, set())
            other = self.best.pop(root_b, self.NONE)
            if other[0] > self.best.get(root_a, self.NONE)[0]:
                self.best[root_a] = other
        self.reasons[root_a].add(reason)
        if score > self.best.get(root_a, self.NONE)[0]:
            self.best[root_a] = (score, reason, detail)

    def groups(self) -> list[DuplicateGroup]:
        members: dict[int, list[int]] = defaultdict(list)
        for lead_id in list(self.parent):
            members[self._root(lead_id)].append(lead_id)
        strength = {reason: position for position, (reason, *_) in enumerate(KEY_RULES)}
        groups = []
        for root, ids in members.items():
            score, reason, detail = self.best[root]
            reasons = tuple(sorted(self.reasons[root], key=lambda r: strength.get(r, 99)))
            groups.append(DuplicateGroup(tuple(sorted(ids)), reason, score, detail, reasons))
        return sorted(groups, key=lambda g: (-g.score, -len(g.lead_ids), g.lead_ids[0]))
