"""The importer writes Lead.owner_name (the owner's username, for the table's owner sort)
with every owner it writes: new leads, updated leads, a row updating a lead made earlier in
the same batch, and the undo that gives leads their owner back."""

import pytest

from leadbook.leads.models import Lead
from leadbook.transfer import importer, services
from tests.transfer.test_importing import run

pytestmark = pytest.mark.django_db

HEADER = ["Name", "Email", "Owner"]


def stored(name: str) -> tuple[str | None, str | None]:
    """(the owner's username by the join, owner_name) of the lead called `name`."""
    return Lead.objects.values_list("owner__username", "owner_name").get(name=name)


def test_new_leads_store_their_owners_username(admin, member):
    job = run([HEADER, ["Fern Studio", "fern@studio.example", "Sam"],  # by any spelling
               ["Moss Goods", "moss@goods.example", "dana@example.com"],
               ["Corner Cup", "cup@corner.example", ""]], actor=admin)
    assert job.created == 3
    assert stored("Fern Studio") == ("sam", "sam")
    assert stored("Moss Goods") == ("dana", "dana")
    assert stored("Corner Cup") == (None, None)


def test_an_update_stores_the_new_owners_username(make_lead, admin, member):
    make_lead(name="Fern Studio", email="fern@studio.example", owner=admin)
    make_lead(name="Moss Goods", email="moss@goods.example", owner=admin)
    job = run([HEADER, ["Fern Studio", "fern@studio.example", "sam"]], on_duplicate="update",
              actor=admin)
    assert job.updated == 1
    assert stored("Fern Studio") == ("sam", "sam")
    assert stored("Moss Goods") == ("dana", "dana")


def test_an_update_without_an_owner_column_keeps_the_name(make_lead, admin):
    make_lead(name="Fern Studio", email="fern@studio.example", owner=admin)
    run([["Name", "Email", "City"], ["Fern Studio", "fern@studio.example", "Austin"]],
        on_duplicate="update", actor=admin)
    assert stored("Fern Studio") == ("dana", "dana")


def test_a_later_row_updating_a_lead_of_the_same_batch_sets_its_owner_name(admin, member):
    job = run([HEADER, ["Fern Studio", "fern@studio.example", "dana"],
               ["Fern Studio", "fern@studio.example", "sam"]], on_duplicate="update",
              actor=admin)
    assert (job.created, job.updated) == (1, 1)
    assert stored("Fern Studio") == ("sam", "sam")


def test_a_rename_between_the_check_and_the_import_is_written_with_the_new_name(admin,
                                                                                member):
    job = services.create_import(actor=admin, filename="x.csv", data=b"Name,Owner\n"
                                 b"Fern Studio,sam\n")
    services.check_import(job=job)
    member.username = "Sam"  # names are looked up without regard to case: the check holds
    member.save()
    job.refresh_from_db()
    assert job.check_key == importer.check_key(job, importer.build_context(job))  # no recheck
    services.start_import(job=job)
    assert stored("Fern Studio") == ("Sam", "Sam")


def test_undoing_an_import_gives_back_the_owner_and_its_name(make_lead, admin, member):
    make_lead(name="Fern Studio", email="fern@studio.example", owner=admin)
    job = run([HEADER, ["Fern Studio", "fern@studio.example", "sam"]], on_duplicate="update",
              actor=admin)
    assert stored("Fern Studio") == ("sam", "sam")
    services.undo_import(job=job, actor=admin)
    assert stored("Fern Studio") == ("dana", "dana")
