"""Lead.owner_name, the owner's username kept on the lead for the table's owner sort: the sort
keeps the order the join on users gave, and every way an owner or a username changes keeps
the stored name in step (lead services, merges and their undo, the demo seed, renaming and
deleting users, the migration that fills it)."""

import types
from importlib import import_module

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.db.models.lookups import IsNull
from django.test.utils import CaptureQueriesContext

from leadbook.leads import demo
from leadbook.leads.filters import LeadFilter
from leadbook.leads.merging import merge_leads, undo_merge
from leadbook.leads.models import Lead
from leadbook.leads.services import delete_lead, update_lead

pytestmark = pytest.mark.django_db


def owner_name(lead: Lead) -> str | None:
    return Lead.all_objects.values_list("owner_name", flat=True).get(pk=lead.pk)


def table_order(ordering: str) -> list[int]:
    view = LeadFilter.from_params({"ordering": ordering})
    return list(view.apply(Lead.objects.for_table()).values_list("id", flat=True))


def joined_order(descending: bool) -> list[int]:
    """The order the table gave before owner_name: by the joined username, no owner last."""
    empty, name = IsNull(F("owner__username"), True), F("owner__username")
    keys = [empty.desc(), name.desc(), F("id").desc()] if descending else \
        [empty.asc(), name.asc(), F("id").asc()]
    return list(Lead.objects.active().order_by(*keys).values_list("id", flat=True))


# --- The sort -------------------------------------------------------------------------------


@pytest.fixture
def owned_book(make_lead, admin, member, viewer):
    """Leads whose ids do not follow their owners' names, with ties and unassigned leads."""
    owners = [viewer, None, admin, member, admin, None, viewer, member, admin]
    return [make_lead(name=f"Lead {i}", owner=owner) for i, owner in enumerate(owners)]


def test_sorting_by_owner_orders_by_username_then_id_with_unassigned_last(owned_book):
    expected = sorted(owned_book, key=lambda lead: (
        lead.owner is None, lead.owner.username if lead.owner else "", lead.pk))
    assert table_order("owner") == [lead.pk for lead in expected]
    assert table_order("-owner") == [lead.pk for lead in reversed(expected)]
    # dana (admin) < sam (member) < vic (viewer), then nobody's.
    names = [owner_name(lead) for lead in expected]
    assert names == ["dana"] * 3 + ["sam"] * 2 + ["vic"] * 2 + [None] * 2


@pytest.mark.parametrize("descending", [False, True])
def test_the_owner_sort_keeps_the_order_of_the_join_on_users(owned_book, descending):
    assert table_order("-owner" if descending else "owner") == joined_order(descending)


def test_the_owner_sort_reads_no_users_table(owned_book):
    view = LeadFilter.from_params({"ordering": "owner"})
    queryset = view.apply(Lead.objects.all())
    with CaptureQueriesContext(connection) as captured:
        list(queryset)
    assert "accounts_user" not in captured.captured_queries[0]["sql"]


# --- Kept in step by the lead services --------------------------------------------------------


def test_a_new_lead_stores_its_owners_username(make_lead, admin):
    assert owner_name(make_lead(name="Fern Studio", owner=admin)) == "dana"
    assert owner_name(make_lead(name="Moss Goods")) is None


def test_reassigning_a_lead_stores_the_new_owners_username(make_lead, admin, member):
    lead = make_lead(name="Fern Studio", owner=admin)
    update_lead(lead=lead, actor=admin, owner=member)
    assert owner_name(lead) == "sam"
    update_lead(lead=lead, actor=admin, owner=None)
    assert owner_name(lead) is None
    update_lead(lead=lead, actor=admin, owner=admin)
    assert owner_name(lead) == "dana"


def test_an_edit_that_leaves_the_owner_keeps_the_name(make_lead, admin):
    lead = make_lead(name="Fern Studio", owner=admin)
    Lead.all_objects.filter(pk=lead.pk).update(owner_name="stale")
    updated = update_lead(lead=Lead.objects.get(pk=lead.pk), actor=admin, city="Austin")
    assert updated.owner_name == owner_name(lead) == "dana"  # read from the owner, not kept


def test_a_merge_stores_the_kept_owners_username_and_undo_puts_it_back(make_lead, admin,
                                                                         member):
    survivor = make_lead(name="Corner Cup", owner=admin)
    other = make_lead(name="Corner Cup Coffee", owner=member)
    merge = merge_leads(survivor=survivor, others=[other], actor=admin,
                        values={"owner": member})
    assert owner_name(survivor) == "sam"
    undo_merge(merge=merge, actor=admin)
    assert owner_name(survivor) == "dana"
    assert owner_name(other) == "sam"


def test_a_merge_keeping_no_owner_clears_the_name(make_lead, admin):
    survivor = make_lead(name="Corner Cup", owner=admin)
    other = make_lead(name="Corner Cup Coffee")
    merge_leads(survivor=survivor, others=[other], actor=admin, values={"owner": None})
    assert owner_name(survivor) is None


# --- Kept in step when users change -----------------------------------------------------------


def test_renaming_a_user_renames_every_lead_they_own(make_lead, admin, member):
    mine = make_lead(name="Fern Studio", owner=member)
    trashed = make_lead(name="Moss Goods", owner=member)
    delete_lead(lead=trashed, actor=admin)
    others = make_lead(name="Corner Cup", owner=admin)
    member.username = "samuel"
    member.save()
    assert owner_name(mine) == owner_name(trashed) == "samuel"
    assert owner_name(others) == "dana"
    assert table_order("owner") == [others.pk, mine.pk]


def test_saving_a_user_without_renaming_touches_no_lead(make_lead, member):
    lead = make_lead(name="Fern Studio", owner=member)
    Lead.all_objects.filter(pk=lead.pk).update(owner_name="untouched")
    member.first_name = "Samantha"
    member.save()
    with CaptureQueriesContext(connection) as captured:
        member.save(update_fields=["last_login"])  # what signing in saves
    assert len(captured.captured_queries) == 1  # the save alone: no username read
    assert owner_name(lead) == "untouched"


def test_deleting_a_user_clears_the_name_with_the_owner(make_lead, admin, member):
    lead = make_lead(name="Fern Studio", owner=member)
    kept = make_lead(name="Corner Cup", owner=admin)
    member.delete()
    lead.refresh_from_db()
    assert (lead.owner_id, lead.owner_name) == (None, None)
    assert owner_name(kept) == "dana"


# --- Written by the demo seed -----------------------------------------------------------------


def test_seed_demo_stores_each_owners_username(admin, member):
    demo.seed_demo(120, seed=4)
    rows = list(Lead.objects.values_list("owner__username", "owner_name"))
    assert {joined for joined, _ in rows} == {"dana", "sam", None}
    assert all(joined == stored for joined, stored in rows)


# --- The migration ------------------------------------------------------------------------------


def test_the_migration_fills_every_leads_owner_name_in_one_statement(make_lead, admin, member):
    leads = [make_lead(name="Fern Studio", owner=admin), make_lead(name="Moss Goods"),
             make_lead(name="Corner Cup", owner=member)]
    delete_lead(lead=leads[2], actor=admin)
    Lead.all_objects.update(owner_name=None)  # as the new column starts
    migration = import_module("leadbook.leads.migrations.0007_lead_owner_name")
    with CaptureQueriesContext(connection) as captured, connection.cursor() as cursor:
        editor = types.SimpleNamespace(quote_name=connection.ops.quote_name,
                                       execute=cursor.execute)
        migration.fill_owner_names(apps, editor)
    assert len(captured.captured_queries) == 1
    assert [owner_name(lead) for lead in leads] == ["dana", None, "sam"]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's table rebuilds")
@pytest.mark.django_db(transaction=True)  # SQLite's schema editor refuses a transaction
def test_the_migration_adds_the_column_without_rebuilding_the_leads_table(capsys):
    call_command("sqlmigrate", "leads", "0007")
    sql = capsys.readouterr().out
    assert 'ADD COLUMN "owner_name"' in sql
    assert "new__leads_lead" not in sql


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's planner statistics")
def test_the_migration_measures_the_new_index_when_the_table_has_statistics(make_lead, admin):
    make_lead(name="Fern Studio", owner=admin)
    migration = import_module("leadbook.leads.migrations.0007_lead_owner_name")
    editor = types.SimpleNamespace(connection=connection, quote_name=connection.ops.quote_name)

    def measured() -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM sqlite_stat1 WHERE idx = %s", [migration.INDEX])
            return cursor.fetchone() is not None

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leads_lead")  # a book with statistics, but none for the index
        cursor.execute("DELETE FROM sqlite_stat1 WHERE idx = %s", [migration.INDEX])
    migration.measure_new_index(apps, editor)
    assert measured()  # else SQLite would take the unmeasured index for every sort

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'leads_lead'")
    migration.measure_new_index(apps, editor)
    assert not measured()  # a book without statistics is left to SQLite's own guesses
