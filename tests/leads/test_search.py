"""The table's search: indexed (SQLite FTS5 trigram, PostgreSQL pg_trgm), the same answers as
the plain substring match it replaced, and in step with every way a lead is written."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadbook.accounts.models import User
from leadbook.leads import search as lead_search
from leadbook.leads import services
from leadbook.leads.merging import merge_leads, undo_merge
from leadbook.leads.models import Lead, LeadMerge
from leadbook.transfer import services as transfer

LEADS = [
    dict(name="Juniper & Vine", first_name="Dana", last_name="Reyes",
         email="dana.reyes@junipervine.example.com", phone="(512) 555-0142", city="Austin",
         instagram="junipervine"),
    dict(name="Corner Cup Coffee", first_name="Sam", last_name="O'Brien",
         email="sam@cornercup.example.com", phone="+1 615 555 0199", city="Nashville"),
    dict(name="Maple Goods", company="Maple Goods Mercantile", email="hello@maple.example.com",
         city="Portland"),
    dict(name="Zoë Ångström", email="zoe@example.com", phone="503.555.7788"),
    dict(name="100% Linen_Studio", email="linen_studio@example.com", city="San Diego"),
    dict(name='The "Quoted" Shop', first_name="Priya", last_name="Nair", city="Austin"),
    dict(name="Little Market", first_name="Dana", last_name="Park",
         email="dana.park@littlemarket.example.com", city="Seattle"),
]
QUERIES = [
    "junip", "JUNIPER", "dana", "dana reyes", "reyes", "  Dana   Reyes ", "@example.com",
    "dana.reyes@junipervine.example.com", "cornercup", "o'brien", "512", "(512) 555-0142",
    "5125550142", "555", "austin", "maple goods", "goods merc", "zoë", "ångström", "ström",
    "100%", "%", "_studio", "linen_", '"quoted"', '"', "quoted\" shop", "nowhere-to-be-found",
    "a", "da", "ne", "x", "tle mar", "e\nm", "austin\nju",
]


@pytest.fixture
def leads(make_lead):
    return [make_lead(**fields) for fields in LEADS]


def substring_matches(query: str) -> set[int]:
    """The old meaning, in Python: the search text contains the normalised query."""
    wanted = lead_search.normalise_query(query)
    return {lead.pk for lead in Lead.objects.all() if wanted in lead.search_text}


@pytest.mark.parametrize("query", QUERIES)
def test_indexed_search_finds_exactly_what_a_substring_match_finds(leads, query):
    found = set(Lead.objects.search(query).values_list("pk", flat=True))
    assert found == substring_matches(query)
    # And the database's own LIKE scan agrees too (the fallback for short queries).
    wanted = lead_search.normalise_query(query)
    if wanted:
        assert found == set(Lead.objects.filter(search_text__contains=wanted)
                            .values_list("pk", flat=True))


def test_typical_queries_do_find_leads(leads):
    assert Lead.objects.search("junip").get().name == "Juniper & Vine"
    assert Lead.objects.search("(512) 555-0142").get().name == "Juniper & Vine"
    assert set(Lead.objects.search("dana").values_list("name", flat=True)) == {
        "Juniper & Vine", "Little Market"}
    assert Lead.objects.search("nowhere").count() == 0


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 index")
def test_sqlite_search_of_three_characters_or_more_reads_the_fts_index(leads):
    with CaptureQueriesContext(connection) as queries:
        list(Lead.objects.search("junip"))
    assert "leads_lead_fts MATCH" in queries[-1]["sql"]
    with CaptureQueriesContext(connection) as queries:
        list(Lead.objects.search("ju"))  # too short for a trigram: the plain scan
    assert "leads_lead_fts" not in queries[-1]["sql"]
    assert "LIKE" in queries[-1]["sql"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's pg_trgm index")
def test_postgresql_has_a_trigram_index_on_the_search_text(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s",
                       [lead_search.PG_INDEX])
        (definition,) = cursor.fetchone()
    assert "gin_trgm_ops" in definition
    assert "search_text" in definition


def assert_in_step() -> None:
    """Every live and dead lead is found by its own search text, and the index holds
    nothing else (SQLite: FTS5's integrity check against leads_lead)."""
    lead_search.check_search_index(connection)
    for lead in Lead.all_objects.all():
        probe = lead.search_text.split("\n")[0]
        if len(probe) >= lead_search.MIN_INDEXED_LENGTH:
            assert lead.pk in set(Lead.all_objects.search(probe).values_list("pk", flat=True))


def test_search_follows_creates_edits_and_deletes(make_lead, admin):
    lead = make_lead(name="Saffron Pantry", email="ivy@saffron.example.com")
    assert list(Lead.objects.search("saffron")) == [lead]

    services.update_lead(lead=lead, actor=admin, name="Cedar Pantry",
                         email="ivy@cedar.example.com")
    assert not Lead.objects.search("saffron").exists()
    assert list(Lead.objects.search("cedar pan")) == [lead]

    # A save that leaves the text alone keeps it findable (the trigger only re-indexes on
    # a change of text).
    services.set_lead_active(lead=lead, actor=admin, active=False)
    assert list(Lead.all_objects.search("cedar pan")) == [lead]

    Lead.all_objects.filter(pk=lead.pk).delete()
    assert not Lead.all_objects.search("cedar").exists()
    assert_in_step()


def test_search_follows_bulk_imports_and_their_undo(db, admin):
    csv = (b"Name,Email,City\n"
           b"Velvet Apothecary,kim@velvet.example.com,Denver\n"
           b"Ember Books,lee@ember.example.com,Chicago\n")
    job = transfer.import_file(actor=admin, data=csv, filename="leads.csv")
    assert job.created == 2, transfer.import_report(job)
    assert Lead.objects.search("velvet apo").get().email == "kim@velvet.example.com"
    assert Lead.objects.search("ember.example").get().name == "Ember Books"
    assert_in_step()

    transfer.undo_import(job=job, actor=admin)
    assert not Lead.objects.search("velvet").exists()
    assert_in_step()


def test_an_import_indexes_in_bulk_and_leaves_the_row_trigger_in_place(db, admin, make_lead):
    from django.db import transaction

    csv = b"Name\n" + b"".join(b"Juniper Shop %d\n" % n for n in range(30))
    transfer.import_file(actor=admin, data=csv, filename="many.csv")
    assert Lead.objects.search("juniper shop").count() == 30
    later = make_lead(name="Quince Corner")  # the per-row trigger is back
    assert list(Lead.objects.search("quince cor")) == [later]
    # A batch that fails half-way takes the dropped trigger back with it.
    with pytest.raises(RuntimeError), transaction.atomic(), \
            lead_search.indexed_in_bulk(connection, 10**9, 10**9 + 1):
        raise RuntimeError
    assert list(Lead.objects.search("quince")) == [later]
    assert list(Lead.objects.search("quince")) == list(
        Lead.objects.filter(search_text__contains="quince"))
    assert make_lead(name="Rowan Hall") in Lead.objects.search("rowan h")
    assert_in_step()


def test_search_follows_merges_and_their_undo(make_lead, admin):
    survivor = make_lead(name="Olive Market", email="olive@market.example.com")
    other = make_lead(name="Olive Mkt", email="buyer@olivemkt.example.com")
    merge_leads(survivor=survivor, others=[other], actor=admin,
                values={"name": "Olive Market", "email": "buyer@olivemkt.example.com"})
    assert not Lead.objects.search("olive mkt").exists()  # merged: out of every list
    assert list(Lead.objects.search("buyer@olivemkt")) == [survivor]
    assert_in_step()

    undo_merge(merge=LeadMerge.objects.get(), actor=admin)
    assert list(Lead.objects.search("olive mkt")) == [Lead.objects.get(pk=other.pk)]
    assert list(Lead.objects.search("olive market")) == [survivor]
    assert_in_step()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's triggers")
def test_a_rebuilt_leads_table_gets_its_triggers_and_index_back(make_lead):
    """Django rebuilds a SQLite table for most column changes, and the triggers go with the
    old table: after every migrate the search index is repaired (leads/apps.py)."""
    lead = make_lead(name="Honey House")
    with connection.cursor() as cursor:
        for name in lead_search.TRIGGERS:
            cursor.execute(f"DROP TRIGGER {name}")
    Lead.objects.filter(pk=lead.pk).update(search_text="clover collective")
    assert not Lead.objects.search("clover").exists()  # nothing kept the index in step

    assert lead_search.ensure_search_index(connection) is True
    assert list(Lead.objects.search("clover")) == [lead]
    assert lead_search.ensure_search_index(connection) is False  # nothing left to repair
    Lead.objects.filter(pk=lead.pk).update(search_text="birch boutique")
    assert list(Lead.objects.search("birch")) == [lead]
    assert_in_step()


def test_search_through_the_table_page_and_the_api(leads, admin_client, admin):
    from tests.api.conftest import ApiClient, token_for

    page = admin_client.get("/leads/", {"search": "dana re"})
    assert [lead.name for lead in page.context["page"]] == ["Juniper & Vine"]
    api = ApiClient(token_for(User.objects.get(pk=admin.pk)))
    body = api.get("/leads", search="@littlemarket").json()
    assert [item["name"] for item in body["items"]] == ["Little Market"]


def test_a_search_page_is_read_by_id_where_the_database_sorts_every_match(leads):
    """SQLite finds a search's matches through FTS and sorts them all: the page is sorted by
    id and sort value only, then read whole (keyset.read_after `by_id`). PostgreSQL walks
    the sort index and stops at the page's end; a count in that query would make it walk
    the whole index."""
    from leadbook.leads.filters import LeadFilter

    base = Lead.objects.all()
    by_id = LeadFilter(search="market").by_id(base)
    assert LeadFilter().by_id(base) is None
    if connection.vendor == "sqlite":
        assert by_id is base
    else:
        assert by_id is None


def test_a_search_is_broad_past_a_number_of_matches_on_sqlite_only(leads, monkeypatch):
    monkeypatch.setattr(lead_search, "BROAD_MATCHES", 1)
    sqlite = connection.vendor == "sqlite"
    assert lead_search.is_broad("dana", "default") is sqlite  # 2 matches
    assert not lead_search.is_broad("junip", "default")  # 1
    assert not lead_search.is_broad("da", "default")  # too short for the index: a scan


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 index")
def test_a_broad_search_walks_the_sort_index(leads, monkeypatch):
    """A broad search's page is read along the sort index, each lead checked against the
    FTS matches (`+id IN (...)`: SQLite cannot look the matches up by id, so it does not
    sort them all); its count reads the matches by id, which stops sooner."""
    from leadbook.leads.filters import LeadFilter

    monkeypatch.setattr(lead_search, "BROAD_MATCHES", 1)
    base = Lead.objects.all()
    view = LeadFilter(search="dana")
    assert view.by_id(base) is None
    walked = str(view.pages(base)[:51].query)
    assert '+"leads_lead"."id" IN (SELECT rowid FROM leads_lead_fts' in walked
    with connection.cursor() as cursor:
        sql, params = view.pages(base)[:51].query.sql_with_params()
        plan = " ".join(row[-1] for row in cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params))
    assert "lead_live_name" in plan and "TEMP B-TREE" not in plan  # walked, not sorted
    counted = str(view.apply(base).query)  # what the count reads: the matches by id
    assert '"leads_lead"."id" IN (SELECT rowid' in counted and "+" not in counted


@pytest.mark.parametrize("ordering", ["name", "-name", "last_outreach", "-pending", "status",
                                      "owner", "-created"])
def test_a_broad_search_gives_the_same_pages_as_a_narrow_one(leads, make_lead, admin,
                                                             monkeypatch, ordering):
    from tests.api.conftest import ApiClient, token_for
    from tests.api.test_cursor import walk

    api_admin = ApiClient(token_for(User.objects.get(pk=admin.pk)))

    for i in range(12):
        make_lead(name=f"Dana's Shop {i % 4}", owner=admin if i % 2 else None)
    narrow = walk(api_admin, limit=5, search="dana", ordering=ordering)
    narrow_page = api_admin.get("/leads", search="dana", ordering=ordering, offset=6).json()
    monkeypatch.setattr(lead_search, "BROAD_MATCHES", 1)
    assert walk(api_admin, limit=5, search="dana", ordering=ordering) == narrow
    broad_page = api_admin.get("/leads", search="dana", ordering=ordering, offset=6).json()
    assert broad_page == narrow_page
    assert narrow_page["count"] == 14 and len(narrow[0]) == 14
