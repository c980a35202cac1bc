"""Realistic demo leads with outreach history, made fast with bulk inserts.

Used by `leadbook seed_demo` for demos and by the benchmarks. Data goes in through
`Lead.refresh_derived_fields`, the same normalisation the services use, but bulk-inserted
without per-lead history rows: it is sample data, not anybody's edits.
"""

import datetime
import random
from collections.abc import Iterator

from django.db import transaction
from django.utils import timezone

from leadbook.accounts.models import User
from leadbook.outreach.models import Outreach, OutreachKind

from .models import Lead, LeadType, Source, Status, Temperature

FIRST = (
    "Dana", "Sam", "Priya", "Lee", "Alex", "Jordan", "Maya", "Noah", "Emma", "Liam",
    "Olivia", "Ava", "Mia", "Lucas", "Ethan", "Zoe", "Chloe", "Leo", "Isla", "Omar",
    "Sofia", "Mateo", "Grace", "Ivy", "Ruby", "Theo", "Hana", "Kai", "Nina", "Felix",
    "Rosa", "Elena", "Marco", "Aisha", "Yuki", "Ines", "Tomas", "Clara", "Hugo", "Lina",
)
LAST = (
    "Reyes", "Ortiz", "Nair", "Park", "Kim", "Garcia", "Smith", "Johnson", "Brown", "Lee",
    "Martin", "Lopez", "Chen", "Patel", "Nguyen", "Silva", "Rossi", "Muller", "Novak",
    "Kowalski", "Haddad", "Tanaka", "Costa", "Moreau", "Jensen", "Walsh", "Murphy",
    "Bauer", "Ali", "Okafor", "Mensah", "Dubois", "Fischer", "Ivanova", "Romero",
    "Castillo", "Ward",
)
SHOP_A = (
    "Juniper", "Corner", "Maple", "Copper", "Willow", "Harbor", "Golden", "Little",
    "Wild", "Olive", "Saffron", "Cedar", "Linen", "Honey", "Fern", "Indigo", "Salt",
    "Amber", "Moss", "Pine", "Clover", "Birch", "Velvet", "Paper", "Ember",
)
SHOP_B = (
    "& Vine", "Cup Coffee", "Goods", "Mercantile", "Market", "Studio", "Supply Co.",
    "Boutique", "& Kin", "House", "Collective", "Emporium", "Pantry", "Apothecary",
    "Outfitters", "Books", "Gallery", "Trading Co.",
)
PODCASTS = (
    "The Makers Hour", "Small Shop Talk", "Brand Builders", "Indie Founders",
    "Craft & Commerce", "Side Hustle Stories", "The Retail Room", "Good Business",
    "Local Legends",
)
CITIES = [("Austin", "TX", "787"), ("Nashville", "TN", "372"), ("Portland", "OR", "972"),
          ("Denver", "CO", "802"), ("Chicago", "IL", "606"), ("Brooklyn", "NY", "112"),
          ("Seattle", "WA", "981"), ("Atlanta", "GA", "303"), ("San Diego", "CA", "921"),
          ("Minneapolis", "MN", "554"), ("Asheville", "NC", "288"), ("Savannah", "GA", "314")]
AREA = {"TX": "512", "TN": "615", "OR": "503", "CO": "303", "IL": "312", "NY": "718",
        "WA": "206", "GA": "404", "CA": "619", "MN": "612", "NC": "828"}
PHONE_FORMATS = ("({a}) {b}-{c}", "{a}.{b}.{c}", "{a}-{b}-{c}", "+1 {a} {b} {c}")
NOTES = ("Met at spring market", "Asked for the wholesale line sheet", "Follow up after the "
         "holidays", "Loves the new collection", "Wants samples first", "Prefers email", "")
COLLAB_TYPES = ("Giveaway", "Sponsored post", "Co-branded product", "Takeover")
OUTREACH_NOTES = ("Sent line sheet", "Left a voicemail", "Dropped by the shop", "DM'd about "
                  "the collab", "Sent samples", "Followed up on pricing", "Intro email")


def _slug(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


class DemoData:
    def __init__(self, seed: int | None = None):
        self.rng = random.Random(seed)
        self.statuses = list(Status.objects.all())
        self.types = list(LeadType.objects.all())
        self.sources = list(Source.objects.all())
        self.kinds = list(OutreachKind.objects.all())
        self.owners = list(User.objects.filter(is_active=True)) or [None]
        self.now = timezone.now()

    def lead(self, n: int) -> tuple[Lead, list[LeadType], list[Outreach]]:
        rng = self.rng
        first, last = rng.choice(FIRST), rng.choice(LAST)
        types = rng.sample(self.types, k=rng.choice((1, 1, 1, 2))) if self.types else []
        targets = {t.target for t in types}
        if "podcast" in targets:
            business = rng.choice(PODCASTS)
        else:
            business = f"{rng.choice(SHOP_A)} {rng.choice(SHOP_B)}"
        city, state, zip3 = rng.choice(CITIES)
        domain = f"{_slug(business)}{n}.example.com"
        phone = rng.choice(PHONE_FORMATS).format(
            a=AREA[state], b=f"{rng.randint(200, 999)}", c=f"{rng.randint(0, 9999):04d}")
        created = self.now - datetime.timedelta(days=rng.randint(0, 540),
                                                minutes=rng.randint(0, 1440))
        lead = Lead(
            name=business if rng.random() < 0.85 else f"{first} {last}",
            first_name=first, last_name=last, company=business,
            position=rng.choice(("Owner", "Buyer", "Host", "Founder", "Manager", "")),
            email=f"{first.lower()}.{last.lower()}{n}@{domain}" if rng.random() < 0.9 else "",
            phone=phone if rng.random() < 0.8 else "",
            instagram=f"{_slug(business)}{n}"[:30] if rng.random() < 0.6 else "",
            website=domain if rng.random() < 0.5 else "",
            address=f"{rng.randint(1, 9999)} {rng.choice(SHOP_A)} St",
            city=city, state=state, postal_code=f"{zip3}{rng.randint(0, 99):02d}", country="US",
            source=rng.choice(self.sources) if self.sources else None,
            status=rng.choice(self.statuses),
            temperature=rng.choice((Temperature.COLD, Temperature.COLD, Temperature.WARM)),
            collab_type=rng.choice(COLLAB_TYPES) if "collab" in targets else "",
            followers=rng.randint(500, 250_000) if "collab" in targets else None,
            notes=rng.choice(NOTES), owner=rng.choice(self.owners),
            is_active=rng.random() < 0.93,
        )
        lead.created_at = created
        lead.updated_at = created
        outreach = self._outreach(created)
        if outreach:
            latest = max(outreach, key=lambda o: o.happened_at)
            lead.last_outreach_at = latest.happened_at
            lead.next_follow_up_on = latest.follow_up_on
        lead.refresh_derived_fields([t.name for t in sorted(types, key=lambda t: t.position)])
        return lead, types, outreach

    def _outreach(self, created: datetime.datetime) -> list[Outreach]:
        rng = self.rng
        if not self.kinds or rng.random() < 0.35:
            return []
        entries = []
        for _ in range(rng.randint(1, 4)):
            when = created + (self.now - created) * rng.random()
            follow_up = None
            if rng.random() < 0.45:
                follow_up = (when + datetime.timedelta(days=rng.randint(2, 21))).date()
            entries.append(Outreach(kind=rng.choice(self.kinds), happened_at=when,
                                    notes=rng.choice(OUTREACH_NOTES), follow_up_on=follow_up,
                                    by=rng.choice(self.owners)))
        return entries


def _batches(count: int, size: int) -> Iterator[range]:
    for start in range(0, count, size):
        yield range(start, min(start + size, count))


def seed_demo(count: int, *, seed: int | None = None, batch_size: int = 2000,
              progress=None) -> int:
    """Insert `count` demo leads (with types and outreach); returns how many were made."""
    demo = DemoData(seed)
    offset = Lead.objects.count()
    Through = Lead.lead_types.through
    made = 0
    for batch in _batches(count, batch_size):
        rows = [demo.lead(offset + n) for n in batch]
        with transaction.atomic():
            leads = Lead.objects.bulk_create([lead for lead, _, _ in rows])
            Through.objects.bulk_create(
                Through(lead_id=lead.pk, leadtype_id=t.pk)
                for lead, (_, types, _) in zip(leads, rows, strict=True) for t in types
            )
            entries = []
            for lead, (_, _, outreach) in zip(leads, rows, strict=True):
                for entry in outreach:
                    entry.lead_id = lead.pk
                    entries.append(entry)
            Outreach.objects.bulk_create(entries)
        made += len(rows)
        if progress:
            progress(made, count)
    return made
