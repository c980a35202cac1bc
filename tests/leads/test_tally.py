"""The tallies the database keeps for cheap counts (leads/tally.py).

Every test that uses the database also ends with the tallies checked against a recount
(tests/conftest.py); these walk each write path on purpose and check the counts the table
and the API read from them."""

import datetime
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadbook.accounts.models import User
from leadbook.conversions.services import convert_lead
from leadbook.core.models import WorkspaceSettings
from leadbook.leads import services, tally, trash
from leadbook.leads.filters import LeadFilter
from leadbook.leads.merging import merge_leads, undo_merge
from leadbook.leads.models import Lead, LeadMerge, LeadTally, LeadType, Source, Status
from leadbook.outreach.models import OutreachKind
from leadbook.outreach.services import log_outreach
from leadbook.transfer import services as transfer


def assert_in_step() -> None:
    assert tally.tally_differences(connection) == {}


def count_of(view: LeadFilter, user) -> int:
    """What the tallies say, after checking they are used for this view."""
    counted = tally.tallied_count(view, user)
    assert counted is not None
    return counted


def test_it_follows_every_write_path(make_lead, admin, member):
    wholesale = LeadType.objects.by_name("Wholesale")
    lead = make_lead(name="Saffron Pantry", lead_types=["Wholesale", "Collab"], owner=member)
    other = make_lead(name="Saffron Pantry Ltd", email="ivy@saffron.example.com")
    assert_in_step()

    services.update_lead(lead=lead, actor=admin, status=Status.objects.by_name("Qualified"),
                         temperature="warm", source=Source.objects.by_name("Referral"),
                         lead_types=[wholesale])
    assert_in_step()
    services.set_lead_active(lead=lead, actor=admin, active=False)
    services.set_lead_active(lead=lead, actor=admin, active=True)
    assert_in_step()
    log_outreach(lead=lead, actor=admin, kind=OutreachKind.objects.first(),
                 follow_up_on=datetime.date.today() + datetime.timedelta(days=3))
    assert Lead.objects.get(pk=lead.pk).next_follow_up_on  # now pending
    assert_in_step()
    convert_lead(lead=Lead.objects.get(pk=lead.pk), actor=admin, target="retailer")
    assert_in_step()

    services.delete_lead(lead=other, actor=admin)  # to the trash: out of every count
    assert_in_step()
    services.restore_lead(lead=Lead.all_objects.get(pk=other.pk), actor=admin)
    assert_in_step()

    merge_leads(survivor=Lead.objects.get(pk=lead.pk), others=[Lead.objects.get(pk=other.pk)],
                actor=admin, values={"name": "Saffron Pantry"})
    assert_in_step()
    undo_merge(merge=LeadMerge.objects.get(), actor=admin)
    assert_in_step()

    User.objects.filter(pk=member.pk).delete()  # owned leads lose their owner
    Lead.objects.update(status=Status.objects.by_name("Lost"))  # a bulk update
    assert_in_step()
    services.delete_lead(lead=Lead.objects.get(pk=other.pk), actor=admin)
    trash.erase_lead(lead=Lead.all_objects.get(pk=other.pk), actor=admin)
    Lead.all_objects.all().delete()
    assert_in_step()
    assert not LeadTally.objects.exclude(leads=0).exists()


def test_it_follows_imports_and_their_undo(make_lead, admin):
    make_lead(name="Ember Books", email="lee@ember.example.com")
    csv = (b"Name,Email,Status,Lead Type,Temperature\n"
           b"Velvet Apothecary,kim@velvet.example.com,Qualified,\"Wholesale, Collab\",warm\n"
           b"Ember Books,lee@ember.example.com,Won,Consignment,cold\n"
           b"Fig & Thistle,,,Podcast Guest,\n")
    job = transfer.import_file(actor=admin, data=csv, filename="leads.csv",
                               on_duplicate="update")
    assert (job.created, job.updated) == (2, 1), transfer.import_report(job)
    assert_in_step()
    everyone = LeadFilter()
    assert count_of(everyone, admin) == 3
    assert count_of(LeadFilter(lead_types=[LeadType.objects.by_name("Collab")]), admin) == 1

    transfer.undo_import(job=job, actor=admin)
    assert_in_step()
    assert count_of(everyone, admin) == 1
    assert count_of(LeadFilter(statuses=[Status.objects.by_name("Won")]), admin) == 0


def test_an_import_tallies_in_bulk_and_leaves_the_row_triggers_in_place(make_lead, admin):
    from django.db import transaction

    csv = b"Name,Lead Type\n" + b"".join(b"Juniper Shop %d,Wholesale\n" % n for n in range(30))
    transfer.import_file(actor=admin, data=csv, filename="many.csv")
    assert_in_step()
    wholesale = LeadFilter(lead_types=[LeadType.objects.by_name("Wholesale")])
    assert count_of(wholesale, admin) == 30
    make_lead(name="Quince Corner", lead_types=["Wholesale"])  # the row triggers are back
    assert count_of(wholesale, admin) == 31
    # A batch that fails half-way takes the dropped triggers back with it.
    with pytest.raises(RuntimeError), transaction.atomic(), \
            tally.tallied_in_bulk(connection, 10**9, 10**9 + 1):
        raise RuntimeError
    make_lead(name="Rowan Hall", lead_types=["Wholesale"])
    assert count_of(wholesale, admin) == 32
    assert_in_step()


def test_the_lead_types_count_in_either_order(make_lead):
    """Type rows written before their lead (the database checks keys at commit) count too."""
    collab = LeadType.objects.by_name("Collab")
    lead = make_lead(name="Quince Corner", lead_types=[collab])
    through = Lead.lead_types.through
    Lead.all_objects.filter(pk=lead.pk).delete()  # the lead first, its type rows after
    assert_in_step()
    assert not through.objects.filter(lead_id=lead.pk).exists()


@pytest.fixture
def book(make_lead, admin, member):
    """Leads over every combination the tallies keep, a few of them gone (trash, merge)."""
    statuses = list(Status.objects.all())[::3]  # New, Qualified, Negotiation: three stages
    types = list(LeadType.objects.all()[:3])
    sources = [None, *Source.objects.all()[:2]]
    owners = [None, admin, member]
    combos = itertools.product(statuses, ["cold", "warm"], sources, owners)
    for n, (status, temperature, source, owner) in enumerate(combos):
        lead = make_lead(name=f"Shop {n}", status=status, temperature=temperature,
                         source=source, owner=owner, lead_types=types[:n % 4])
        if n % 5 == 0:
            services.set_lead_active(lead=lead, actor=admin, active=False)
        if n % 3 == 0:
            Lead.objects.filter(pk=lead.pk).update(
                next_follow_up_on=datetime.date(2026, 1, 1))
        if n % 7 == 0:
            Lead.objects.filter(pk=lead.pk).update(converted_at=lead.created_at)
        if n % 11 == 0:
            services.delete_lead(lead=lead, actor=admin)
    return {"statuses": statuses, "types": types, "sources": sources, "owners": owners}


def views(book) -> list[LeadFilter]:
    statuses, types = book["statuses"], book["types"]
    return [
        LeadFilter(), LeadFilter(active=None), LeadFilter(active=False),
        LeadFilter(statuses=statuses[:1]), LeadFilter(statuses=statuses[:2], lead_types=types[:1]),
        LeadFilter(lead_types=types[1:2], temperature="warm"),
        LeadFilter(sources=[None]), LeadFilter(sources=book["sources"][1:], owners=[None]),
        LeadFilter(owners=book["owners"][1:2], pending=True),
        LeadFilter(pending=False, converted=True), LeadFilter(converted=False, active=None),
        LeadFilter(stages=["lead"]), LeadFilter(stages=["qualified"], statuses=statuses[:1]),
    ]


def test_tallied_counts_agree_with_counting(book, admin):
    for view in views(book):
        assert count_of(view, admin) == view.apply(Lead.objects.all()).count(), view


def test_a_member_who_sees_only_their_leads_counts_only_theirs(book, member):
    settings = WorkspaceSettings.load()
    settings.members_see_own_leads_only = True
    settings.save()
    for view in views(book):
        assert count_of(view, member) == view.apply(Lead.objects.visible_to(member)).count()


def test_views_the_tallies_do_not_keep_are_counted_the_plain_way(book, admin):
    from tests.api.conftest import ApiClient, token_for

    api = ApiClient(token_for(User.objects.get(pk=admin.pk)))
    types = book["types"]
    for params in [{"search": "shop 1"}, {"lead_type": [t.name for t in types[:2]]},
                   {"created_after": "2020-01-01"}, {"reached": "qualified"},
                   {"search": "shop", "ordering": "-last_outreach"}]:
        view = LeadFilter.from_params(params)
        assert tally.tallied_count(view, admin) is None
        expected = view.apply(Lead.objects.all()).count()
        assert api.get("/leads", **params, limit=2).json()["count"] == expected, params
        # A later page by offset counts too (a search counts with its page, see keyset).
        assert api.get("/leads", **params, offset=3).json()["count"] == expected, params
    assert api.get("/leads", search="shop", offset=10_000).json()["count"] == \
        Lead.objects.active().search("shop").count() > 0  # past the end: counted apart


def test_the_table_and_the_api_count_from_the_tallies(book, admin, admin_client):
    from tests.api.conftest import ApiClient, token_for

    expected = LeadFilter(statuses=book["statuses"][:1]).apply(Lead.objects.all()).count()
    name = book["statuses"][0].name
    api = ApiClient(token_for(User.objects.get(pk=admin.pk)))
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/leads", status=name).json()["count"] == expected
        page = admin_client.get("/leads/", {"status": name})
    assert page.context["page"].paginator.count == expected
    counts = [q["sql"] for q in queries.captured_queries
              if "COUNT(" in q["sql"].upper() and "status_id" in q["sql"]]
    assert counts == [], counts  # the view's leads were not counted one by one


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's triggers")
def test_a_rebuilt_table_gets_its_triggers_back_and_is_recounted(make_lead):
    """Django rebuilds a SQLite table for most column changes, and its triggers go with it:
    after every migrate the tallies are repaired (leads/apps.py)."""
    make_lead(name="Honey House")
    with connection.cursor() as cursor:
        for name in tally.SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER {name}")
    make_lead(name="Birch Boutique")  # not tallied: nothing kept them in step
    assert tally.tally_differences(connection)

    assert tally.ensure_tallies(connection) is True
    assert_in_step()
    assert tally.ensure_tallies(connection) is False  # nothing left to repair
    make_lead(name="Clover Collective")
    assert count_of(LeadFilter(), None) == 3
