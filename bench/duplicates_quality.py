"""Quality and speed of the duplicate matching engine on a labelled data set.

    python bench/duplicates_quality.py [--leads 5000] [--duplicates 1000] [--negatives 1000]
                                       [--seed 7] [--scale 100000] [--scale-demo 100000]

Builds a throwaway SQLite database, inserts `--leads` distinct base leads, then asks
`find_matches` about
* known duplicates derived from base leads with the variations people really produce (email
  case and spaces, phone formats with or without +1, Instagram URL vs handle, website URL vs
  host, name typos with the same phone, "&" vs "and" and "LLC", partial records), and
* new leads that are not duplicates, many of them hard: other people at the same free-mail
  domain, the same first name at another business, a chain's branch in another city, at
  another street number or with its own phone and email, a namesake in the same city, a
  similar business name in the same city, shared social websites.

Scoring, per query: a duplicate counts as found (true positive) when its base lead is among
the matches; every other lead returned is a false positive. Precision = TP / (TP + FP),
recall = TP / duplicates. The same queries then go through `match_rows` in one batch (the
importer's path), and, inserted as leads, through `find_duplicate_groups` (pairs).
With --scale N, N more generated leads are added, and with --scale-demo N, N of leadbook's
demo leads (very repetitive names: a stress test); then lookups and the whole-database scan
are timed again. Prints a table and writes bench/results/duplicates.json.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "duplicates.json"

FIRST = [
    "Dana", "Sam", "Priya", "Lee", "Alex", "Jordan", "Maya", "Noah", "Emma", "Liam", "Olivia",
    "Ava", "Mia", "Lucas", "Ethan", "Zoe", "Chloe", "Leo", "Isla", "Omar", "Sofia", "Mateo",
    "Grace", "Ivy", "Ruby", "Theo", "Hana", "Kai", "Nina", "Felix", "Rosa", "Elena", "Marco",
    "Aisha", "Yuki", "Ines", "Tomas", "Clara", "Hugo", "Lina", "Aaron", "Bianca", "Caleb",
    "Daphne", "Elliot", "Farah", "Gideon", "Harper", "Imani", "Jasper", "Keira", "Lorenzo",
    "Marisol", "Nadia", "Oscar", "Paloma", "Quinn", "Rafael", "Selena", "Tobias", "Uma", "Vera",
    "Wesley", "Ximena", "Yara", "Zane", "Adele", "Bruno", "Cora", "Dmitri", "Esme", "Flynn",
    "Greta", "Hector", "Iris", "Joaquin", "Kenji", "Leona", "Miles", "Nora", "Otto", "Pia", "Reid",
    "Saanvi", "Tariq", "Ulla", "Vikram", "Willa", "Xavier", "Yasmin", "Zora", "Amara", "Beckett",
    "Celeste", "Dorian", "Eden", "Fiona", "Gus", "Helena", "Idris", "Juno", "Kofi", "Lucia",
    "Malik", "Nell", "Orla", "Pablo", "Rhea", "Silas", "Talia", "Victor", "Wren",
]
LAST = [
    "Reyes", "Ortiz", "Nair", "Park", "Kim", "Garcia", "Smith", "Johnson", "Brown", "Lee",
    "Martin", "Lopez", "Chen", "Patel", "Nguyen", "Silva", "Rossi", "Muller", "Novak", "Kowalski",
    "Haddad", "Tanaka", "Costa", "Moreau", "Jensen", "Walsh", "Murphy", "Bauer", "Ali", "Okafor",
    "Mensah", "Dubois", "Fischer", "Ivanova", "Romero", "Castillo", "Ward", "Abbott", "Barlow",
    "Carver", "Delgado", "Ellison", "Fairbanks", "Gallagher", "Holloway", "Iyer", "Jaramillo",
    "Kaplan", "Lindqvist", "Maddox", "Nakamura", "Oyelaran", "Pennington", "Quintero", "Rasmussen",
    "Sandoval", "Thackeray", "Underwood", "Valdez", "Whitaker", "Yamamoto", "Zielinski", "Achebe",
    "Bergstrom", "Cavanagh", "Dunmore", "Esposito", "Falkner", "Grimaldi", "Hargrove", "Ishikawa",
    "Jovanovic", "Kershaw", "Lachance", "Montoya", "Northcott", "Osei", "Prescott", "Quimby",
    "Redfern", "Sorensen", "Trujillo", "Ulrich", "Vasquez", "Wexler", "Yoon", "Zapata", "Ashford",
    "Blackwood", "Coleridge", "Drummond", "Everly", "Fontaine", "Greer", "Hastings", "Ingram",
    "Jessup", "Kingsley", "Lockhart", "Merriweather", "Nightingale", "Oakley", "Pemberton",
    "Radcliffe", "Stanhope", "Thornbury", "Vance", "Winslow",
]
ADJECTIVES = [
    "Golden", "Little", "Wild", "Copper", "Silver", "Blue", "Green", "Rosy", "Amber", "Velvet",
    "Salty", "Sunny", "Misty", "Rustic", "Humble", "Lucky", "Brave", "Quiet", "Bright", "Hidden",
    "Urban", "Coastal", "Northern", "Southern", "Painted", "Gilded", "Crimson", "Ivory", "Scarlet",
    "Honeyed", "Wandering", "Merry", "Noble", "Stormy", "Sweet", "Tiny", "Grand", "Happy",
    "Modern", "Vintage", "Cozy", "Bold", "Gentle", "Hollow", "Lazy", "Mighty", "Simple", "Twisted",
    "Sleepy", "Dapper", "Clever",
]
NOUNS = [
    "Juniper", "Vine", "Maple", "Willow", "Harbor", "Olive", "Saffron", "Cedar", "Linen", "Honey",
    "Fern", "Indigo", "Moss", "Pine", "Clover", "Birch", "Paper", "Ember", "Sparrow", "Fox",
    "Otter", "Heron", "Meadow", "River", "Canyon", "Orchard", "Lantern", "Anchor", "Thistle",
    "Magnolia", "Acorn", "Pebble", "Bramble", "Hazel", "Poppy", "Sage", "Lark", "Wren", "Finch",
    "Badger", "Rabbit", "Raven", "Oak", "Aspen", "Cypress", "Lotus", "Marigold", "Peony", "Quill",
    "Spindle", "Thimble", "Kettle", "Ladle", "Compass", "Beacon", "Harvest", "Prairie", "Bluff",
    "Summit", "Tide", "Coral", "Pearl", "Flint", "Slate", "Cobalt", "Garnet", "Jasper", "Ginger",
    "Nutmeg", "Clove", "Fig", "Plum", "Quince", "Rowan", "Hollyhock", "Larkspur",
]
KINDS = """Coffee|Goods|Mercantile|Market|Studio|Supply Co.|Boutique|House|Collective|Emporium|
Pantry|Apothecary|Outfitters|Books|Gallery|Bakery|Florist|Candle Co.|Ceramics|Tea House|
Wine Bar|General Store|Kitchen|Provisions|Trading Co.|Home|Threads|Jewelry|Skincare|
Plant Shop|Records|Toys|Yarn|Soap Co.|Cycles|Print Shop|Letterpress|Creamery|Chocolates|
Bottle Shop""".replace("\n", "").split("|")
PODCAST_KINDS = ["Podcast", "Radio", "Talk", "Stories", "Hour", "Show"]
STREETS = [
    "Main", "Oak", "Elm", "Lamar", "Congress", "Broadway", "Market", "Church", "Pearl", "Water",
    "Mill", "Spring", "Park", "Lake", "Hill", "Maple", "Cedar", "Walnut", "Chestnut", "Magnolia",
]
STREET_KINDS = ["St", "Ave", "Blvd", "Rd", "Ln", "Way"]
# (city, state, area code, zip prefix)
CITIES = [
    ("Austin", "TX", "512", "787"), ("Nashville", "TN", "615", "372"),
    ("Portland", "OR", "503", "972"), ("Denver", "CO", "303", "802"),
    ("Chicago", "IL", "312", "606"), ("Brooklyn", "NY", "718", "112"),
    ("Seattle", "WA", "206", "981"), ("Atlanta", "GA", "404", "303"),
    ("San Diego", "CA", "619", "921"), ("Minneapolis", "MN", "612", "554"),
    ("Asheville", "NC", "828", "288"), ("Savannah", "GA", "912", "314"),
    ("Boston", "MA", "617", "021"), ("Philadelphia", "PA", "215", "191"),
    ("Phoenix", "AZ", "602", "850"), ("Tucson", "AZ", "520", "857"),
    ("Kansas City", "MO", "816", "641"), ("St. Louis", "MO", "314", "631"),
    ("New Orleans", "LA", "504", "701"), ("Miami", "FL", "305", "331"),
    ("Tampa", "FL", "813", "336"), ("Charleston", "SC", "843", "294"),
    ("Richmond", "VA", "804", "232"), ("Pittsburgh", "PA", "412", "152"),
    ("Detroit", "MI", "313", "482"), ("Milwaukee", "WI", "414", "532"),
    ("Madison", "WI", "608", "537"), ("Salt Lake City", "UT", "801", "841"),
    ("Boise", "ID", "208", "837"), ("Albuquerque", "NM", "505", "871"),
    ("Santa Fe", "NM", "505", "875"), ("Oakland", "CA", "510", "946"),
    ("Sacramento", "CA", "916", "958"), ("Burlington", "VT", "802", "054"),
    ("Portland", "ME", "207", "041"), ("Louisville", "KY", "502", "402"),
    ("Columbus", "OH", "614", "432"), ("Cleveland", "OH", "216", "441"),
    ("Raleigh", "NC", "919", "276"), ("Durham", "NC", "919", "277"),
]
FREE_MAIL = ["gmail.com", "gmail.com", "gmail.com", "yahoo.com", "icloud.com", "outlook.com",
             "hotmail.com", "aol.com"]
PHONE_FORMATS = ["({a}) {b}-{c}", "{a}.{b}.{c}", "{a}-{b}-{c}", "+1 {a} {b} {c}",
                 "{a}{b}{c}", "1-{a}-{b}-{c}", "+1 ({a}) {b}-{c}", "1{a}{b}{c}", "{a} {b} {c}",
                 "+1{a}{b}{c}"]
SOCIAL_WEBSITES = ["https://www.facebook.com/{s}", "facebook.com/{s}", "linktr.ee/{s}",
                   "https://www.etsy.com/shop/{s}", "instagram.com/{s}"]
LEGAL_FORMS = [" LLC", ", LLC", " Inc.", " Co.", ", Inc", " L.L.C."]
KEYBOARD_NEIGHBOURS = {
    "a": "qsz", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj",
    "i": "uo", "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o",
    "q": "w", "r": "et", "s": "ad", "t": "ry", "u": "yi", "v": "cb", "w": "qe", "x": "zc",
    "y": "tu", "z": "x",
}
FIELDS = ("name", "first_name", "last_name", "company", "email", "phone", "instagram",
          "website", "address", "city", "state", "postal_code")
KEY_FIELDS = ("email", "phone", "instagram", "website")


def slug(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


@dataclass
class Person:
    first: str = ""
    last: str = ""

    @property
    def full(self) -> str:
        return " ".join(p for p in (self.first, self.last) if p)


@dataclass
class Query:
    """A lead to look up, with what it should match (None: nothing)."""

    kind: str
    fields: dict[str, str]
    expected: int | None = None  # the base lead's index (then id) it duplicates
    base_index: int | None = None


@dataclass
class Generator:
    """Realistic, distinct leads: one business per name per city, one owner per key."""

    rng: random.Random
    used_keys: set[tuple[str, str]] = field(default_factory=set)
    used_labels: set[tuple[str, str]] = field(default_factory=set)

    # -- pieces ------------------------------------------------------------------------
    def person(self) -> Person:
        return Person(self.rng.choice(FIRST), self.rng.choice(LAST))

    def business(self, person: Person) -> str:
        rng = self.rng
        pattern = rng.random()
        if pattern < 0.08:
            return f"The {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {rng.choice(PODCAST_KINDS)}"
        if pattern < 0.40:
            return f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {rng.choice(KINDS)}"
        if pattern < 0.55:
            first, second = rng.sample(NOUNS, 2)
            return f"{first} & {second}"
        if pattern < 0.67:
            return f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
        if pattern < 0.77:
            owner = rng.choice((person.first or rng.choice(FIRST), person.last or rng.choice(LAST)))
            return f"{owner}'s {rng.choice(KINDS)}"
        if pattern < 0.87:
            return f"The {rng.choice(NOUNS)} {rng.choice(KINDS)}"
        return f"{rng.choice(NOUNS)} {rng.choice(KINDS)}"

    def phone_digits(self, area: str) -> str:
        while True:
            digits = f"{area}{self.rng.randint(200, 999)}{self.rng.randint(0, 9999):04d}"
            if digits[3:6][1:] != "11" and self._claim("phone", digits):
                return digits

    def _claim(self, kind: str, value: str) -> bool:
        if (kind, value) in self.used_keys:
            return False
        self.used_keys.add((kind, value))
        return True

    def unique(self, kind: str, make) -> str:
        for _ in range(50):
            value = make()
            if self._claim(kind, value.lower()):
                return value
        raise RuntimeError(f"could not make a unique {kind}")

    # -- a whole lead -------------------------------------------------------------------
    def lead(self, *, person: Person | None = None, company: str | None = None,
             city: tuple | None = None, with_city: bool | None = None) -> dict[str, str]:
        """A new lead; what is not given is drawn. Its name is new in its city unless both
        the company and the city were given."""
        rng = self.rng
        if person is None:
            person = self.person() if rng.random() < 0.88 else Person()
        person_only = company is None and bool(person.full) and rng.random() < 0.12
        for _ in range(100):
            this_city = city or rng.choice(CITIES)
            has_city = with_city if with_city is not None else rng.random() < 0.9
            if company is not None:
                this_company = company
            else:
                this_company = "" if person_only else self.business(person)
            label = (slug(this_company or person.full), slug(this_city[0]) if has_city else "")
            if label not in self.used_labels or (company is not None and city is not None):
                self.used_labels.add(label)
                return self._contact_details(person, this_company, this_city, has_city)
        raise RuntimeError("could not make a lead with a new name")

    def _contact_details(self, person: Person, company: str, city: tuple,
                         has_city: bool) -> dict[str, str]:
        rng = self.rng
        city_name, state, area, zip3 = city
        brand = slug(company) or slug(person.full)
        lead = {
            "name": company if company and (not person.full or rng.random() < 0.8)
            else person.full,
            "first_name": person.first, "last_name": person.last, "company": company,
            "city": city_name if has_city else "", "state": state if has_city else "",
        }
        if rng.random() < 0.85:
            lead["email"] = self.email(person, brand)
        if rng.random() < 0.75:
            digits = self.phone_digits(area)
            lead["phone"] = rng.choice(PHONE_FORMATS[:4]).format(
                a=digits[:3], b=digits[3:6], c=digits[6:])
        if rng.random() < 0.5:
            lead["instagram"] = self.unique(
                "instagram", lambda: brand[:24] + rng.choice(("", "", "shop", "co", "_" + slug(
                    city_name)[:4], str(rng.randint(1, 99)))))
        if company and rng.random() < 0.4:
            lead["website"] = self.website(brand)
        if has_city and rng.random() < 0.6:
            lead["address"] = (f"{rng.randint(1, 9999)} {rng.choice(STREETS)} "
                               f"{rng.choice(STREET_KINDS)}")
        if has_city and rng.random() < 0.7:
            lead["postal_code"] = f"{zip3}{rng.randint(0, 99):02d}"
        return lead

    def email(self, person: Person, brand: str) -> str:
        rng = self.rng
        first, last = slug(person.first), slug(person.last)

        def make() -> str:
            if brand and rng.random() < 0.65:
                local = rng.choice([first or "hello", f"{first}.{last}" if last else "info",
                                    "hello", "info", "shop"])
                return f"{local}@{brand[:30]}.com"
            local = rng.choice([f"{first}.{last}", f"{first}{last}", f"{first}{last[:1]}",
                                f"{first}.{last}{rng.randint(1, 99)}"]) if first else brand
            return f"{local}@{rng.choice(FREE_MAIL)}"

        return self.unique("email", make)

    def website(self, brand: str) -> str:
        rng = self.rng
        pick = rng.random()
        if pick < 0.07:
            return self.unique("website", lambda: rng.choice(SOCIAL_WEBSITES).format(
                s=brand[:20] + str(rng.randint(1, 999))))
        # A business name seen in several cities needs more than a few spellings.
        tail = ("", "", "", "shop", "co", "hq", "online", str(rng.randint(2, 999)))
        if pick < 0.15:
            return self.unique("website", lambda: f"{brand[:20]}{rng.choice(tail)}"
                                                  ".myshopify.com")
        return self.unique("website", lambda: brand[:30] + rng.choice(tail) + rng.choice(
            (".com", ".com", ".co", ".shop", ".studio")))


# --- Variations of one lead -------------------------------------------------------------


def email_typed_loosely(email: str, rng: random.Random) -> str:
    typed = "".join(c.upper() if rng.random() < 0.35 else c for c in email)
    if rng.random() < 0.5:
        typed = rng.choice((" ", "  ", "\t")) + typed + rng.choice((" ", ""))
    if rng.random() < 0.25:
        at = typed.index("@")
        typed = typed[:at] + " " + typed[at:]
    return typed


def phone_typed_otherwise(phone: str, rng: random.Random) -> str:
    digits = "".join(c for c in phone if c.isdigit())[-10:]
    formats = [f for f in PHONE_FORMATS
               if f.format(a=digits[:3], b=digits[3:6], c=digits[6:]) != phone]
    return rng.choice(formats).format(a=digits[:3], b=digits[3:6], c=digits[6:])


def instagram_typed_otherwise(handle: str, rng: random.Random) -> str:
    return rng.choice([
        "https://www.instagram.com/{h}/", "instagram.com/{h}", "@{H}", "http://instagram.com/{h}",
        "https://instagram.com/{h}?igsh=MWx5cnV4bzNhZ", "www.instagram.com/{h}/", "@{h}",
    ]).format(h=handle, H=handle.capitalize())


def website_typed_otherwise(website: str, rng: random.Random) -> str:
    host = website.split("://")[-1].split("/")[0].removeprefix("www.")
    return rng.choice(["https://www.{h}/", "http://{h}", "https://{h}/shop", "www.{h}",
                       "{H}", "https://www.{h}/pages/about?utm_source=ig"]).format(
        h=host, H=host.upper())


def typo(word: str, rng: random.Random) -> str:
    """One realistic slip of the fingers, not on the first letter (people see that one)."""
    if len(word) < 4:
        return word
    i = rng.randint(1, len(word) - 2)
    kind = rng.choice(("swap", "swap", "drop", "double", "neighbour"))
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    neighbours = KEYBOARD_NEIGHBOURS.get(word[i].lower(), "")
    return word[:i] + (rng.choice(neighbours) if neighbours else word[i]) + word[i + 1:]


def name_with_typo(name: str, rng: random.Random) -> str:
    words = name.split()
    candidates = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not candidates:
        return name
    i = rng.choice(candidates)
    words[i] = typo(words[i], rng)
    return " ".join(words)


def name_restyled(name: str, rng: random.Random) -> str:
    """'&' vs 'and', a legal form added or dropped, 'The', case: what differs between
    a spreadsheet, a business card and a web form."""
    changes = rng.sample(["and", "legal", "the", "case"], k=rng.choice((1, 2)))
    if "and" in changes and ("&" in name or " and " in name):
        name = name.replace(" & ", " and ") if "&" in name else name.replace(" and ", " & ")
    elif "and" in changes or "legal" in changes:
        stripped = name.removesuffix(" Co.").removesuffix(" Co")
        name = stripped if stripped != name else name + rng.choice(LEGAL_FORMS)
    if "the" in changes:
        name = name[4:] if name.startswith("The ") else "The " + name
    if "case" in changes:
        name = rng.choice((name.upper(), name.lower(), name.title()))
    return name


def without_keys(lead: dict[str, str], keep: tuple[str, ...] = ()) -> dict[str, str]:
    return {k: v for k, v in lead.items() if k not in KEY_FIELDS or k in keep}


def fresh_personal_email(person: Person, rng: random.Random, gen: Generator) -> str:
    first = slug(person.first) or "hello"
    return gen.unique("email", lambda: f"{first}{rng.randint(100, 9999)}@{rng.choice(FREE_MAIL)}")


def make_duplicate(base: dict[str, str], kind: str, rng: random.Random,
                   gen: Generator) -> dict[str, str] | None:
    """A second record of `base` with the `kind` of variation, or None when `base` lacks
    what that variation needs."""
    person = Person(base.get("first_name", ""), base.get("last_name", ""))
    label = base.get("company") or base["name"]
    if kind == "email case/spaces":
        if not base.get("email"):
            return None
        dup = without_keys(base) if rng.random() < 0.7 else dict(base)
        dup["email"] = email_typed_loosely(base["email"], rng)
        if rng.random() < 0.3:
            dup["city"] = ""
        return dup
    if kind == "phone format":
        if not base.get("phone"):
            return None
        dup = without_keys(base)
        dup["phone"] = phone_typed_otherwise(base["phone"], rng)
        if rng.random() < 0.3:
            dup["email"] = fresh_personal_email(person, rng, gen)
        return dup
    if kind == "instagram url/handle":
        if not base.get("instagram"):
            return None
        dup = without_keys(base)
        dup["instagram"] = instagram_typed_otherwise(base["instagram"], rng)
        return dup
    if kind == "website url/host":
        if not base.get("website") or "facebook" in base["website"] or "/" in base["website"]:
            return None
        dup = without_keys(base)
        dup["website"] = website_typed_otherwise(base["website"], rng)
        return dup
    if kind == "name typo, same phone":
        if not base.get("phone"):
            return None
        dup = without_keys(base)
        dup["phone"] = phone_typed_otherwise(base["phone"], rng)
        typoed = name_with_typo(label, rng)
        dup["name"] = typoed
        dup["company"] = typoed if base.get("company") else ""
        if rng.random() < 0.4:
            dup["email"] = fresh_personal_email(person, rng, gen)
        return dup
    if kind == "name restyled (&/and, LLC), no key":
        if not base.get("company"):
            return None
        dup = without_keys(base)
        dup["company"] = dup["name"] = name_restyled(base["company"], rng)
        if rng.random() < 0.5:
            dup["email"] = fresh_personal_email(person, rng, gen)
        if rng.random() < 0.2:  # only the first name written down
            dup["last_name"] = ""
        return dup
    if kind == "name typo, same contact, no key":
        if not (base.get("company") and person.full):
            return None
        dup = without_keys(base)
        dup["company"] = dup["name"] = name_with_typo(base["company"], rng)
        if dup["company"] == base["company"]:
            return None
        dup["email"] = fresh_personal_email(person, rng, gen)
        return dup
    if kind == "same name & city, other email and phone":
        # The shop's landline and info@ address on one record, the owner's mobile and
        # personal address on the other.
        city = next((c for c in CITIES if c[0] == base.get("city")), None)
        if not (base.get("company") and city and base.get("email") and base.get("phone")):
            return None
        dup = without_keys(base)
        dup["email"] = fresh_personal_email(person, rng, gen)
        digits = gen.phone_digits(city[2])
        dup["phone"] = f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
        return dup
    if kind == "web form: first, last, email":
        if not (base.get("email") and person.full):
            return None
        return {"first_name": person.first, "last_name": person.last,
                "email": email_typed_loosely(base["email"], rng) if rng.random() < 0.5
                else base["email"]}
    if kind == "partial: name + one key":
        present = [k for k in KEY_FIELDS if base.get(k)]
        if not present:
            return None
        keep = rng.choice(present)
        return {"name": label if rng.random() < 0.5 else person.full or label,
                keep: base[keep]}
    if kind == "name only, city missing":
        return {"name": name_restyled(label, rng) if base.get("company") else label,
                "first_name": person.first}
    raise ValueError(kind)


DUPLICATE_KINDS = {  # kind: share of the duplicates
    "email case/spaces": 0.17,
    "phone format": 0.14,
    "instagram url/handle": 0.11,
    "website url/host": 0.06,
    "name typo, same phone": 0.12,
    "name restyled (&/and, LLC), no key": 0.12,
    "name typo, same contact, no key": 0.06,
    "same name & city, other email and phone": 0.03,
    "web form: first, last, email": 0.08,
    "partial: name + one key": 0.08,
    "name only, city missing": 0.03,
}


# --- Non-duplicates ---------------------------------------------------------------------


def make_negative(kind: str, base: dict[str, str], rng: random.Random,
                  gen: Generator) -> dict[str, str] | None:
    """A new lead that is *not* `base` but resembles it in the `kind` way."""
    city = next((c for c in CITIES if c[0] == base.get("city")), None)
    if kind == "new lead":
        return gen.lead()
    if kind == "same free-mail domain, other person":
        email = base.get("email", "")
        if email.split("@")[-1] not in FREE_MAIL:
            return None
        other = gen.person()
        lead = gen.lead(person=other, city=city)
        lead["email"] = gen.unique("email", lambda: f"{slug(other.first)}.{slug(other.last)}"
                                                    f"{rng.randint(1, 999)}@"
                                                    f"{email.split('@')[1]}")
        return lead
    if kind == "same first name, other business, same city":
        if not base.get("first_name") or not city:
            return None
        return gen.lead(person=Person(base["first_name"], rng.choice(LAST)), city=city)
    if kind == "same business, other city (chain)":
        if not base.get("company") or not city:
            return None
        other_city = rng.choice([c for c in CITIES if c[0] != city[0]])
        gen.used_labels.discard((slug(base["company"]), slug(other_city[0])))
        return gen.lead(company=base["company"], city=other_city, with_city=True)
    if kind == "same business, same city, other branch":
        # A chain's second shop in one city with its own phone and email, and nothing else
        # to tell it apart: half the time a contact person does, half the time nothing does.
        if not (base.get("company") and city):
            return None
        other = gen.person() if rng.random() < 0.5 else Person()
        lead = gen.lead(person=other, city=city, with_city=True)
        lead.update(name=base["company"], company=base["company"], address="",
                    postal_code="")
        return lead
    if kind == "namesake: same person name, same city":
        # Someone else with the same full name in the same city, no company on either.
        if base.get("company") or not base.get("last_name") or not city:
            return None
        person = Person(base["first_name"], base["last_name"])
        lead = gen.lead(person=person, company="", city=city, with_city=True)
        lead.update(address="", postal_code="")
        return lead
    if kind == "same business, same city, other street":
        if not (base.get("company") and city and base.get("address")):
            return None
        lead = gen.lead(city=city, with_city=True)
        number = int(base["address"].split()[0])
        lead.update(name=base["company"], company=base["company"], first_name="",
                    last_name="", address=f"{(number + rng.randint(10, 900)) % 9999 + 1} "
                                          f"{rng.choice(STREETS)} {rng.choice(STREET_KINDS)}")
        return lead
    if kind == "similar business name, same city":
        if not base.get("company") or not city:
            return None
        words = base["company"].split()
        replaceable = [i for i, w in enumerate(words) if w in NOUNS or w in ADJECTIVES
                       or " ".join(words[i:]) in KINDS]
        if not replaceable:
            return None
        i = rng.choice(replaceable)
        if words[i] in NOUNS:
            words[i] = rng.choice([n for n in NOUNS if n != words[i]])
        elif words[i] in ADJECTIVES:
            words[i] = rng.choice([a for a in ADJECTIVES if a != words[i]])
        else:
            words[i:] = rng.choice([k for k in KINDS if k != " ".join(words[i:])]).split()
        company = " ".join(words)
        if (slug(company), slug(city[0])) in gen.used_labels:
            return None
        person = gen.person() if rng.random() < 0.5 else Person()
        return gen.lead(company=company, city=city, with_city=True, person=person)
    if kind == "social website, other business":
        website = base.get("website", "")
        if not any(s in website for s in ("facebook", "linktr", "etsy", "instagram")):
            return None
        lead = gen.lead()
        lead["website"] = website.rsplit("/", 1)[0] + "/" + slug(lead["name"])[:20]
        return lead
    raise ValueError(kind)


NEGATIVE_KINDS = {
    "new lead": 0.30,
    "same free-mail domain, other person": 0.12,
    "same first name, other business, same city": 0.12,
    "same business, other city (chain)": 0.10,
    "same business, same city, other street": 0.07,
    "same business, same city, other branch": 0.04,
    "namesake: same person name, same city": 0.03,
    "similar business name, same city": 0.14,
    "social website, other business": 0.08,
}


# --- The run ----------------------------------------------------------------------------


def setup_django() -> str:
    data_dir = tempfile.mkdtemp(prefix="leadbook-dupbench-")
    os.environ["LEADBOOK_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "leadbook.settings"
    os.environ.pop("DATABASE_URL", None)  # always a throwaway SQLite database
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return data_dir


def insert_leads(records: list[dict[str, str]]) -> list[int]:
    """Insert leads as the services would store them (tidied, keys derived), in bulk."""
    from leadbook.leads import normalize
    from leadbook.leads.models import Lead
    from leadbook.leads.services import default_status

    status = default_status()
    leads = []
    for record in records:
        lead = Lead(status=status, **{k: normalize.clean_text(v) for k, v in record.items()})
        lead.name = lead.name or lead.contact_name or lead.company
        lead.email = lead.email.replace(" ", "")
        with contextlib.suppress(ValueError):  # as the services do: the handle, if any
            lead.instagram = normalize.instagram_handle(lead.instagram)
        lead.refresh_derived_fields()
        leads.append(lead)
    created = Lead.objects.bulk_create(leads, batch_size=2000)
    return [lead.pk for lead in created]


def build_dataset(args) -> tuple[list[dict], list[Query], list[Query], Generator]:
    rng = random.Random(args.seed)
    gen = Generator(rng)
    bases = [gen.lead() for _ in range(args.leads)]
    duplicates: list[Query] = []
    kinds, weights = zip(*DUPLICATE_KINDS.items(), strict=True)
    order = list(range(len(bases)))
    rng.shuffle(order)
    pool = iter(order)  # each base lead gets at most one known duplicate
    while len(duplicates) < args.duplicates:
        kind = rng.choices(kinds, weights)[0]
        for _ in range(20):
            index = next(pool)
            dup = make_duplicate(bases[index], kind, rng, gen)
            if dup is not None:
                duplicates.append(Query(kind, dup, base_index=index))
                break
    negatives: list[Query] = []
    kinds, weights = zip(*NEGATIVE_KINDS.items(), strict=True)
    while len(negatives) < args.negatives:
        kind = rng.choices(kinds, weights)[0]
        for _ in range(200):  # some kinds need a rare base lead (a social website...)
            lead = make_negative(kind, rng.choice(bases), rng, gen)
            if lead is not None:
                negatives.append(Query(kind, lead))
                break
    return bases, duplicates, negatives, gen


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    queries: int = 0
    fp_examples: list = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        result = {"queries": self.queries, "tp": self.tp, "fp": self.fp, "fn": self.fn,
                  "precision": round(precision, 4)}
        if self.tp + self.fn:
            recall = self.tp / (self.tp + self.fn)
            result["recall"] = round(recall, 4)
            result["f1"] = round(2 * precision * recall / (precision + recall), 4) if (
                precision + recall) else 0.0
        return result


def evaluate_lookups(queries: list[Query]) -> tuple[dict, dict, list[float], Counter]:
    from leadbook.leads.matching import find_matches

    overall, by_kind = Tally(), defaultdict(Tally)
    timings: list[float] = []
    reasons: Counter = Counter()
    for query in queries:
        started = time.perf_counter()
        matches = find_matches(query.fields, limit=None)
        timings.append((time.perf_counter() - started) * 1000)
        for tally in (overall, by_kind[query.kind]):
            tally.queries += 1
            found = [m for m in matches if m.lead_id == query.expected]
            wrong = [m for m in matches if m.lead_id != query.expected]
            tally.tp += bool(found)
            tally.fn += query.expected is not None and not found
            tally.fp += len(wrong)
            if wrong and len(tally.fp_examples) < 3 and tally is not overall:
                tally.fp_examples.append({"query": query.fields, "matched": [
                    (m.lead_id, m.reason, m.score, m.detail) for m in wrong]})
        reasons.update(m.reason for m in matches if m.lead_id == query.expected)
    return overall.as_dict(), {k: v.as_dict() | ({"false_positive_examples": v.fp_examples}
                                                 if v.fp_examples else {})
                               for k, v in sorted(by_kind.items())}, timings, reasons


def evaluate_batch(queries: list[Query], gen: Generator) -> dict:
    """The importer's path: every query as a row of one file."""
    from leadbook.leads.matching import match_rows

    started = time.perf_counter()
    found = match_rows([q.fields for q in queries])
    elapsed = time.perf_counter() - started
    tally = Tally(queries=len(queries))
    by_row = {m.row: m for m in found}
    for index, query in enumerate(queries):
        match = by_row.get(index)
        lead_id = match.lead_id if match else None
        if query.expected is not None:
            tally.tp += lead_id == query.expected
            tally.fn += lead_id != query.expected
        tally.fp += lead_id is not None and lead_id != query.expected
    result = tally.as_dict()
    result["within_file_duplicates"] = sum(1 for m in found if m.duplicate_of_row is not None)
    result["seconds"] = round(elapsed, 3)
    # At importer scale: a file of 10,000 rows never seen before (no cached phone parses).
    for fuzzy in (False, True):
        rows = [gen.lead() for _ in range(10_000)]
        started = time.perf_counter()
        match_rows(rows, fuzzy=fuzzy)
        label = "seconds_10k_rows" if fuzzy else "seconds_10k_rows_exact_only"
        result[label] = round(time.perf_counter() - started, 3)
    return result


def evaluate_groups(duplicates: list[Query], negatives: list[Query]) -> dict:
    """The Duplicates page: insert every query as a lead, then find the groups."""
    from leadbook.leads.matching import find_duplicate_groups

    dup_ids = insert_leads([q.fields for q in duplicates])
    insert_leads([q.fields for q in negatives])
    true_pairs = {tuple(sorted((q.expected, lead_id)))
                  for q, lead_id in zip(duplicates, dup_ids, strict=True)}
    started = time.perf_counter()
    groups = find_duplicate_groups()
    elapsed = time.perf_counter() - started
    predicted = set()
    for group in groups:
        ids = group.lead_ids
        predicted |= {(a, b) for i, a in enumerate(ids) for b in ids[i + 1:]}
    hits = len(predicted & true_pairs)
    precision = hits / len(predicted) if predicted else 1.0
    recall = hits / len(true_pairs)
    return {"groups": len(groups), "true_pairs": len(true_pairs),
            "predicted_pairs": len(predicted), "precision": round(precision, 4),
            "recall": round(recall, 4), "seconds": round(elapsed, 3)}


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(ordered[max(0, round(0.95 * len(ordered)) - 1)], 2),
            "mean_ms": round(statistics.fmean(ordered), 2), "n": len(ordered)}


def evaluate_scale(count: int, seed: int, gen: Generator, *, demo: bool) -> dict:
    """Add `count` leads, made by this script's generator (realistic variety), or with
    `demo` by leadbook's demo data (a few hundred business names repeated in 12 cities: a
    stress test for the name blocks), then time lookups and the whole-database scan."""
    from django.db.models import Count

    from leadbook.leads.demo import seed_demo
    from leadbook.leads.matching import find_duplicate_groups, find_matches
    from leadbook.leads.models import Lead

    started = time.perf_counter()
    if demo:
        seed_demo(count, seed=seed)
    else:
        for start in range(0, count, 10_000):
            insert_leads([gen.lead() for _ in range(min(10_000, count - start))])
    seeded = time.perf_counter() - started
    rng = random.Random(seed)
    sample = list(Lead.objects.order_by("?").values(*FIELDS)[:300])
    key_timings, name_timings = [], []
    for lead in sample:
        started = time.perf_counter()
        find_matches(lead)
        key_timings.append((time.perf_counter() - started) * 1000)
        name_only = {"name": name_restyled(lead["company"] or lead["name"], rng),
                     "city": lead["city"], "first_name": lead["first_name"]}
        started = time.perf_counter()
        find_matches(name_only)
        name_timings.append((time.perf_counter() - started) * 1000)
    blocks = {}
    for key in ("name_key", "name_alt_key"):
        sizes = sorted((row["n"] for row in Lead.objects.exclude(**{key: ""}).order_by()
                        .values(key).annotate(n=Count("id"))), reverse=True)
        blocks[key] = {"count": len(sizes), "largest": sizes[0] if sizes else 0,
                         "median": statistics.median(sizes) if sizes else 0}
    started = time.perf_counter()
    groups = find_duplicate_groups(fuzzy=False)
    exact_seconds = time.perf_counter() - started
    started = time.perf_counter()
    groups = find_duplicate_groups()
    elapsed = time.perf_counter() - started
    return {
        "source": "leadbook demo data" if demo else "this script's generator",
        "leads": Lead.objects.count(), "added_in_seconds": round(seeded, 1),
        "find_matches_with_keys": percentiles(key_timings),
        "find_matches_name_only": percentiles(name_timings),
        "name_blocks": blocks,
        "find_duplicate_groups": {"seconds": round(elapsed, 2),
                                  "seconds_keys_only": round(exact_seconds, 2),
                                  "groups": len(groups)},
    }


def print_report(results: dict) -> None:
    lookups = results["find_matches"]
    print(f"\nDuplicate matching on {results['base_leads']:,} leads: "
          f"{results['duplicates']:,} known duplicates, {results['non_duplicates']:,} "
          f"non-duplicates\n")
    header = f"{'':44} {'queries':>7} {'TP':>5} {'FP':>4} {'FN':>4} {'precision':>9} {'recall':>7}"
    print(header)
    print("-" * len(header))

    def row(label: str, m: dict) -> None:
        recall = f"{m['recall']:.1%}" if "recall" in m else "-"
        print(f"{label[:44]:44} {m['queries']:>7} {m['tp']:>5} {m['fp']:>4} {m['fn']:>4} "
              f"{m['precision']:>9.1%} {recall:>7}")

    row("ALL (find_matches)", lookups["overall"])
    for kind, m in lookups["duplicates_by_kind"].items():
        row("  dup: " + kind, m)
    for kind, m in lookups["non_duplicates_by_kind"].items():
        row("  non-dup: " + kind, m)
    row("ALL (match_rows, one batch)", results["match_rows"])
    print(f"\nF1 {lookups['overall']['f1']:.3f}; found by: {lookups['found_by_reason']}")
    t = lookups["timing"]
    print(f"find_matches: p50 {t['p50_ms']} ms, p95 {t['p95_ms']} ms, mean {t['mean_ms']} ms "
          f"(n={t['n']})")
    b = results["match_rows"]
    print(f"match_rows: {b['queries']} rows in {b['seconds']} s; 10,000 rows in "
          f"{b['seconds_10k_rows']} s ({b['seconds_10k_rows_exact_only']} s exact keys only)")
    g = results["find_duplicate_groups"]
    print(f"find_duplicate_groups: {g['groups']} groups, pair precision {g['precision']:.1%}, "
          f"pair recall {g['recall']:.1%}, {g['seconds']} s")
    for run in results.get("scale", []):
        timing = run["find_duplicate_groups"]
        print(f"\nAt {run['leads']:,} leads (added: {run['source']}): find_matches with keys "
              f"p50 {run['find_matches_with_keys']['p50_ms']} ms / p95 "
              f"{run['find_matches_with_keys']['p95_ms']} ms; by name only p50 "
              f"{run['find_matches_name_only']['p50_ms']} ms / p95 "
              f"{run['find_matches_name_only']['p95_ms']} ms; find_duplicate_groups "
              f"{timing['seconds']} s ({timing['seconds_keys_only']} s for the keys alone, "
              f"{timing['groups']:,} groups); name blocks {run['name_blocks']}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=5000, help="distinct base leads")
    parser.add_argument("--duplicates", type=int, default=1000, help="known duplicates")
    parser.add_argument("--negatives", type=int, default=1000, help="new non-duplicate leads")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", type=int, default=0,
                        help="then add this many generated leads and time lookups again")
    parser.add_argument("--scale-demo", type=int, default=0,
                        help="then add this many of leadbook's demo leads and time again")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    setup_django()
    bases, duplicates, negatives, gen = build_dataset(args)
    base_ids = insert_leads(bases)
    for query in duplicates:
        query.expected = base_ids[query.base_index]
    queries = duplicates + negatives

    overall, by_kind, timings, reasons = evaluate_lookups(queries)
    dup_kinds = set(DUPLICATE_KINDS)
    results: dict[str, Any] = {
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform()},
        "seed": args.seed, "base_leads": len(bases), "duplicates": len(duplicates),
        "non_duplicates": len(negatives),
        "find_matches": {
            "overall": overall,
            "duplicates_by_kind": {k: v for k, v in by_kind.items() if k in dup_kinds},
            "non_duplicates_by_kind": {k: v for k, v in by_kind.items() if k not in dup_kinds},
            "found_by_reason": dict(reasons.most_common()),
            "timing": percentiles(timings),
        },
    }
    results["match_rows"] = evaluate_batch(queries, gen)
    results["find_duplicate_groups"] = evaluate_groups(duplicates, negatives)
    results["scale"] = []
    if args.scale:
        results["scale"].append(evaluate_scale(args.scale, args.seed, gen, demo=False))
    if args.scale_demo:
        results["scale"].append(evaluate_scale(args.scale_demo, args.seed, gen, demo=True))
    print_report(results)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nWrote {args.output}")


if __name__ == "__main__":
    sys.exit(main())
