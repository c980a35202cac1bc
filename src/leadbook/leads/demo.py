"""Realistic demo leads with outreach history, made fast: a million in a few minutes.

Used by `leadbook seed_demo` for demos and by the benchmarks (bench/). Every lead's derived
fields (match keys, lead types label, search text) come from `Lead.refresh_derived_fields`,
the very code the services run, applied to a light stand-in for the model instance (making
a million model instances would take longer than writing them). Rows then go in with
`leadbook.core.bulk` (one prepared `executemany` per batch) on SQLite and with `COPY ... FROM
STDIN` (text format, so an empty string stays an empty string and only None becomes NULL)
on PostgreSQL. No per-lead history rows: it is sample data, not anybody's edits.

What the data looks like: business names made of ~25 x 18 common words plus a made-up word
in half of them (so a name fragment like "junip" finds a few per cent of the book, as a real
search would), 15% leads named after a person, 40 cities, statuses weighted towards the early
stages, a third warm, 1-2 lead types, 90% with an email, 80% with a phone (typed in four
styles), 65% with 1-4 outreach entries (and so a last outreach date, and a pending follow-up
for about a third of those), 7% inactive, 3% converted into a customer.
"""

from __future__ import annotations

import contextlib
import datetime
import multiprocessing
import os
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from leadbook.accounts.models import User
from leadbook.conversions.models import Customer
from leadbook.core import bulk
from leadbook.core.ahead import in_order
from leadbook.core.forking import forked_pool
from leadbook.outreach.models import Outreach, OutreachKind

from . import search, tally
from .models import CONTACT_FIELDS, Lead, LeadType, Source, Stage, Status, Temperature

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
SYLLABLES = ("ka", "lo", "mi", "ren", "ta", "vo", "sel", "dun", "bri", "ash", "mor", "quin",
             "pa", "zel", "tor", "ni", "wy", "fen", "gal", "hes", "jo", "lin", "ver", "os")
PODCASTS = (
    "The Makers Hour", "Small Shop Talk", "Brand Builders", "Indie Founders",
    "Craft & Commerce", "Side Hustle Stories", "The Retail Room", "Good Business",
    "Local Legends",
)
CITIES = [("Austin", "TX", "787"), ("Nashville", "TN", "372"), ("Portland", "OR", "972"),
          ("Denver", "CO", "802"), ("Chicago", "IL", "606"), ("Brooklyn", "NY", "112"),
          ("Seattle", "WA", "981"), ("Atlanta", "GA", "303"), ("San Diego", "CA", "921"),
          ("Minneapolis", "MN", "554"), ("Asheville", "NC", "288"), ("Savannah", "GA", "314"),
          ("Boston", "MA", "021"), ("Philadelphia", "PA", "191"), ("Pittsburgh", "PA", "152"),
          ("Miami", "FL", "331"), ("Tampa", "FL", "336"), ("Orlando", "FL", "328"),
          ("New Orleans", "LA", "701"), ("Houston", "TX", "770"), ("Dallas", "TX", "752"),
          ("Phoenix", "AZ", "850"), ("Tucson", "AZ", "857"), ("Santa Fe", "NM", "875"),
          ("Salt Lake City", "UT", "841"), ("Boise", "ID", "837"), ("Los Angeles", "CA", "900"),
          ("Oakland", "CA", "946"), ("Sacramento", "CA", "958"), ("Madison", "WI", "537"),
          ("Milwaukee", "WI", "532"), ("Detroit", "MI", "482"), ("Columbus", "OH", "432"),
          ("Louisville", "KY", "402"), ("Richmond", "VA", "232"), ("Charleston", "SC", "294"),
          ("Burlington", "VT", "054"), ("Portland", "ME", "041"), ("Kansas City", "MO", "641"),
          ("St. Louis", "MO", "631")]
AREA = {"TX": "512", "TN": "615", "OR": "503", "CO": "303", "IL": "312", "NY": "718",
        "WA": "206", "GA": "404", "CA": "619", "MN": "612", "NC": "828", "MA": "617",
        "PA": "215", "FL": "305", "LA": "504", "AZ": "602", "NM": "505", "UT": "801",
        "ID": "208", "WI": "608", "MI": "313", "OH": "614", "KY": "502", "VA": "804",
        "SC": "843", "VT": "802", "ME": "207", "MO": "816"}
PHONE_FORMATS = ("({a}) {b}-{c}", "{a}.{b}.{c}", "{a}-{b}-{c}", "+1 {a} {b} {c}")
NOTES = ("Met at spring market", "Asked for the wholesale line sheet", "Follow up after the "
         "holidays", "Loves the new collection", "Wants samples first", "Prefers email", "")
COLLAB_TYPES = ("Giveaway", "Sponsored post", "Co-branded product", "Takeover")
OUTREACH_NOTES = ("Sent line sheet", "Left a voicemail", "Dropped by the shop", "DM'd about "
                  "the collab", "Sent samples", "Followed up on pricing", "Intro email")
POSITIONS = ("Owner", "Buyer", "Host", "Founder", "Manager", "")
# How often each default status is drawn (by position), earliest stages most often.
STATUS_WEIGHTS = (30, 22, 14, 10, 7, 5, 0, 6)
CONVERTED_SHARE = 0.03


def _slug(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


class _Draft:
    """What `Lead.refresh_derived_fields` reads and writes, without a model instance.

    Its attributes are named after Lead's columns (attnames); making one costs a dict copy,
    where a Lead instance costs ~70 µs of field descriptors."""

    contact_name = Lead.contact_name


class _Table:
    """The columns of one model as the seed writes them: every concrete column except the
    primary key (when the database makes it) and generated ones, at its default unless
    given."""

    def __init__(self, model: type[models.Model], *, with_pk: bool):
        self.model = model
        fields = [f for f in model._meta.concrete_fields
                  if not getattr(f, "generated", False) and (with_pk or not f.primary_key)]
        self.attnames = [f.attname for f in fields]
        self.defaults = {f.attname: None if f.primary_key else f.get_default() for f in fields}
        # Dates and times are converted to what the database takes (SQLite: text); the rest
        # is text, numbers, booleans and None, which both drivers take as they are.
        self.convert = [(i, _converter(model, f)) for i, f in enumerate(fields)
                        if isinstance(f, models.DateField | models.DecimalField)]

    def row(self, values: dict[str, Any]) -> list[Any]:
        row = [values[name] for name in self.attnames]
        for i, convert in self.convert:
            if row[i] is not None:
                row[i] = convert(row[i])
        return row


def _sqlite_datetime(value: datetime.datetime) -> str:
    return str(value.astimezone(datetime.UTC).replace(tzinfo=None))


def _converter(model: type[models.Model], field: models.Field) -> Callable[[Any], Any]:
    """`bulk.converter`, with a shortcut for SQLite's dates and times (Django's own way costs
    ~20 µs a value, a fifth of the whole seed): checked against Django's on a sample value."""
    slow = bulk.converter(model, field.attname)
    fast: Callable[[Any], Any] | None = None
    if connection.vendor == "postgresql" and isinstance(field, models.DateField):
        fast = _same  # psycopg adapts dates and aware datetimes itself
    elif connection.vendor == "sqlite" and isinstance(field, models.DateTimeField):
        fast = _sqlite_datetime
    elif connection.vendor == "sqlite" and isinstance(field, models.DateField):
        fast = datetime.date.isoformat
    if fast is None:
        return slow
    probe = timezone.now() if isinstance(field, models.DateTimeField) else timezone.localdate()
    return fast if fast(probe) == slow(probe) else slow


def _same(value: Any) -> Any:
    return value


def write_rows(model: type[models.Model], attnames: Sequence[str],
               rows: Iterable[Sequence[Any]]) -> None:
    """Insert rows (values in `attnames` order): COPY on PostgreSQL, executemany elsewhere."""
    if connection.vendor != "postgresql":
        bulk.insert_rows(model, attnames, rows)
        return
    table = model._meta.db_table
    names = ", ".join(f'"{column}"' for column in bulk.columns(model, attnames))
    # Text format: None is written as \N (NULL) and '' stays ''; no CSV quoting rules.
    with connection.cursor() as cursor, \
            cursor.cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)


class DemoData:
    """Draws demo leads, reproducibly for a given seed."""

    def __init__(self, seed: int | None = None):
        self.seed = random.randrange(2**32) if seed is None else seed
        self.rng = random.Random(self.seed)
        self.statuses = list(Status.objects.order_by("position", "id"))
        self.won = next((s for s in self.statuses if s.stage == Stage.WON), None)
        self.status_weights = [STATUS_WEIGHTS[i] if i < len(STATUS_WEIGHTS) else 3
                               for i in range(len(self.statuses))]
        if not any(self.status_weights):
            self.status_weights = [1] * len(self.statuses)
        self.types = list(LeadType.objects.order_by("position", "id"))
        self.sources = [s.pk for s in Source.objects.all()]
        self.kinds = [k.pk for k in OutreachKind.objects.all()]
        users = list(User.objects.filter(is_active=True).order_by("pk"))
        owners = [u.pk for u in users]
        self.usernames = {u.pk: u.username for u in users}  # for Lead.owner_name
        # One lead in ten has no owner.
        self.owners: list[int | None] = owners + [None] * max(1, len(owners) // 9)
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.lead_table = _Table(Lead, with_pk=True)
        self.outreach_table = _Table(Outreach, with_pk=False)
        self.customer_table = _Table(Customer, with_pk=False)
        self._status_draws: list[Status] = []
        # Converted lead id -> its status before it was converted (the current batch's).
        self.previous_status: dict[int, int] = {}

    def reseed(self, batch_no: int) -> None:
        """Start batch `batch_no`'s own random sequence."""
        self.rng = random.Random(f"{self.seed}:{batch_no}")
        self._status_draws = []
        self.previous_status = {}

    def _status(self) -> Status:
        if not self._status_draws:
            self._status_draws = self.rng.choices(self.statuses, self.status_weights, k=4096)
        return self._status_draws.pop()

    def _word(self) -> str:
        rng = self.rng
        return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()

    def lead(self, lead_id: int, n: int) -> tuple[dict, list[LeadType], list[dict]]:
        """Lead number `n` (unique in its email, handle and domain) with id `lead_id`: its
        column values, its lead types, its outreach entries (column values)."""
        rng = self.rng
        first, last = rng.choice(FIRST), rng.choice(LAST)
        types = rng.sample(self.types, k=rng.choice((1, 1, 1, 2))) if self.types else []
        types.sort(key=lambda t: (t.position, t.pk))
        targets = {t.target for t in types}
        shape = rng.random()
        if "podcast" in targets:
            business = rng.choice(PODCASTS)
        elif shape < 0.45:
            business = f"{rng.choice(SHOP_A)} {rng.choice(SHOP_B)}"
        elif shape < 0.75:
            business = f"{rng.choice(SHOP_A)} {self._word()} {rng.choice(SHOP_B)}"
        else:
            business = f"{self._word()} {rng.choice(SHOP_B)}"
        city, state, zip3 = rng.choice(CITIES)
        domain = f"{_slug(business)}{n}.example.com"
        created = self.now - datetime.timedelta(days=rng.randint(0, 540),
                                                minutes=rng.randint(0, 1440))
        status = self._status()
        d = _Draft()
        values = d.__dict__
        values.update(self.lead_table.defaults)
        values.update(
            id=lead_id,
            name=business if rng.random() < 0.85 else f"{first} {last}",
            first_name=first, last_name=last, company=business,
            position=rng.choice(POSITIONS),
            email=(f"{first.lower()}.{last.lower()}{n}@{domain}" if rng.random() < 0.9
                   else ""),
            phone=(rng.choice(PHONE_FORMATS).format(
                a=AREA[state], b=rng.randint(200, 999), c=f"{rng.randint(0, 9999):04d}")
                if rng.random() < 0.8 else ""),
            instagram=f"{_slug(business)}{n}"[:30] if rng.random() < 0.6 else "",
            website=domain if rng.random() < 0.5 else "",
            address=f"{rng.randint(1, 9999)} {rng.choice(SHOP_A)} St",
            city=city, state=state, postal_code=f"{zip3}{rng.randint(0, 99):02d}",
            country="US",
            source_id=rng.choice(self.sources) if self.sources else None,
            status_id=status.pk,
            temperature=Temperature.WARM if rng.random() < 0.33 else Temperature.COLD,
            collab_type=rng.choice(COLLAB_TYPES) if "collab" in targets else "",
            followers=rng.randint(500, 250_000) if "collab" in targets else None,
            notes=rng.choice(NOTES), owner_id=rng.choice(self.owners),
            is_active=rng.random() < (0.5 if status.stage == Stage.LOST else 0.95),
            created_at=created, updated_at=created, version=1,
        )
        values["owner_name"] = self.usernames.get(values["owner_id"])
        outreach = self._outreach(lead_id, created, values["owner_id"])
        if outreach:
            latest = max(outreach, key=lambda o: o["happened_at"])
            values["last_outreach_at"] = latest["happened_at"]
            values["next_follow_up_on"] = latest["follow_up_on"]
            values["updated_at"] = latest["happened_at"]
        if self.won is not None and rng.random() < CONVERTED_SHARE:
            values["status_id"] = self.won.pk
            values["converted_at"] = created + (self.now - created) * rng.random()
            values["converted_by_id"] = values["owner_id"]
            self.previous_status[lead_id] = status.pk
        Lead.refresh_derived_fields(d, [t.name for t in types])  # type: ignore[arg-type]
        return values, types, outreach

    def _outreach(self, lead_id: int, created: datetime.datetime,
                  owner_id: int | None) -> list[dict]:
        rng = self.rng
        if not self.kinds or rng.random() < 0.35:
            return []
        entries = []
        span = self.now - created
        for _ in range(rng.randint(1, 4)):
            when = created + span * rng.random()
            follow_up = None
            if rng.random() < 0.45:
                follow_up = (when + datetime.timedelta(days=rng.randint(2, 21))).date()
            entry = dict(self.outreach_table.defaults)
            entry.update(lead_id=lead_id, kind_id=rng.choice(self.kinds), happened_at=when,
                         notes=rng.choice(OUTREACH_NOTES), follow_up_on=follow_up,
                         by_id=owner_id if rng.random() < 0.8 else rng.choice(self.owners),
                         created_at=when, updated_at=when)
            entries.append(entry)
        return entries


def _customer_rows(demo: DemoData, leads: list[dict]) -> list[list[Any]]:
    """A Customer record for each converted lead, as `convert_lead` makes it: the lead's
    contact details, a link back, the status it had before."""
    rows = []
    for values in leads:
        record = dict(demo.customer_table.defaults)
        record.update({field: values[field] for field in CONTACT_FIELDS})
        record.update(lead_id=values["id"], created_by_id=values["converted_by_id"],
                      created_at=values["converted_at"], updated_at=values["converted_at"],
                      previous_status_id=demo.previous_status.get(values["id"]))
        rows.append(demo.customer_table.row(record))
    return rows


def _make_batch(task: tuple[int, int, int]) -> dict[str, list]:
    """Leads number `first` to `stop - 1` as rows ready to write, drawn from batch
    `batch_no`'s own random sequence (so the data does not depend on how many processes
    made it). Lead ids are placeholders, 0 to n - 1, replaced by `_assign_ids`."""
    batch_no, first, stop = task
    demo = _DEMO
    assert demo is not None
    demo.reseed(batch_no)
    leads, links, outreach = [], [], []
    for index, n in enumerate(range(first, stop)):
        values, types, entries = demo.lead(index, n)
        leads.append(values)
        links.extend((index, t.pk) for t in types)
        outreach.extend(demo.outreach_table.row(e) for e in entries)
    return {
        "leads": [demo.lead_table.row(v) for v in leads],
        "links": links,
        "outreach": outreach,
        "customers": _customer_rows(demo, [v for v in leads if v["converted_at"] is not None]),
    }


def _assign_ids(demo: DemoData, batch: dict[str, list], ids: list[int]) -> None:
    for table, rows in ((demo.lead_table, batch["leads"]),
                        (demo.outreach_table, batch["outreach"]),
                        (demo.customer_table, batch["customers"])):
        position = table.attnames.index("id" if table is demo.lead_table else "lead_id")
        for row in rows:
            row[position] = ids[row[position]]
    batch["links"] = [(ids[index], type_id) for index, type_id in batch["links"]]


# The DemoData worker processes draw from (set before they are forked).
_DEMO: DemoData | None = None
# Below this many leads, one process does everything.
PARALLEL_FROM = 20_000


def seed_demo(count: int, *, seed: int | None = None, batch_size: int = 5000,
              workers: int | None = None,
              progress: Callable[[int, int], None] | None = None) -> int:
    """Insert `count` demo leads (with types, outreach and a few conversions); returns how
    many were made.

    From PARALLEL_FROM leads on, `workers` processes (default: one per CPU) draw the leads
    while this one writes them; the data is the same for a given seed either way.
    """
    global _DEMO
    demo = _DEMO = DemoData(seed)
    offset = Lead.all_objects.count()
    tasks = [(number, start, min(start + batch_size, count))
             for number, start in enumerate(range(0, count, batch_size))]
    tasks = [(number, offset + start, offset + stop) for number, start, stop in tasks]
    workers = (os.cpu_count() or 1) if workers is None else workers
    made = 0
    parallel = workers if count >= PARALLEL_FROM else 0
    with _fast_writes(count), _batch_maker(tasks, parallel) as made_batches:
        for (_, first, stop), batch in zip(tasks, made_batches, strict=True):
            with transaction.atomic():
                _assign_ids(demo, batch, bulk.reserve_ids(Lead, stop - first))
                write_rows(Lead, demo.lead_table.attnames, batch["leads"])
                write_rows(Lead.lead_types.through, ["lead_id", "leadtype_id"], batch["links"])
                write_rows(Outreach, demo.outreach_table.attnames, batch["outreach"])
                write_rows(demo.customer_table.model, demo.customer_table.attnames,
                           batch["customers"])
            made += stop - first
            if progress:
                progress(made, count)
    _after_bulk_load()
    return made


@contextlib.contextmanager
def _batch_maker(tasks: list[tuple[int, int, int]], workers: int) -> Iterator[Iterator[dict]]:
    """The batches, made here (`workers` 0) or by forked worker processes, a few ahead of
    the writer (never all at once: a million leads' rows would not fit in memory)."""
    if workers <= 0 or "fork" not in multiprocessing.get_all_start_methods():
        yield (_make_batch(task) for task in tasks)
        return
    pool = forked_pool(workers)
    try:
        yield in_order(lambda task: pool.apply_async(_make_batch, (task,)).get, tasks,
                       ahead=2 * workers + 1)
    finally:
        pool.terminate()
        pool.join()


class _fast_writes:
    """Writing many leads at once on SQLite: a bigger page cache (the leads table's indexes
    are updated in random order, and 32 MB of cache makes that re-read pages), and the search
    index and the tallies built once at the end rather than by their triggers row by row
    (3x faster: the triggers cost two thirds of the writing time). `ensure_search_index` and
    `ensure_tallies` put the triggers back, rebuild the index and recount; they also run
    after every `migrate`, so even a seed killed half-way leaves nothing broken once
    Leadbook is restarted."""

    def __init__(self, count: int):
        self.sqlite = connection.vendor == "sqlite"
        self.rebuild_search = self.sqlite and count >= PARALLEL_FROM and \
            not connection.in_atomic_block

    def __enter__(self):
        if self.sqlite:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size=-512000")
        if self.rebuild_search:
            search.uninstall(connection)
            tally.uninstall(connection)
        return self

    def __exit__(self, *exc):
        if self.rebuild_search:
            search.ensure_search_index(connection)
            tally.ensure_tallies(connection)
        if self.sqlite:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size=-32000")
        return False


def _after_bulk_load() -> None:
    """Refresh the planner's statistics after a big load; on PostgreSQL also mark the new
    rows all-visible (VACUUM), as autovacuum would soon after: until then an index-only scan
    (a count, a deep page) still visits the table for each of them."""
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:  # (VACUUM cannot run inside a transaction)
        cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
