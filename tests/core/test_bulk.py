"""core.bulk: executemany inserts and updates with reserved ids."""

import pytest
from django.db import transaction
from django.utils import timezone

from leadbook.core import bulk
from leadbook.leads.models import Lead, LeadType, Status
from leadbook.outreach.models import Outreach, OutreachKind


def test_reserved_ids_follow_every_id_ever_used(make_lead):
    first = make_lead(name="First")
    gone = make_lead(name="Gone")
    Lead.all_objects.filter(pk=gone.pk).delete()
    with transaction.atomic():
        ids = bulk.reserve_ids(Lead, 3)
    assert len(ids) == 3 and min(ids) > gone.pk > first.pk
    assert ids == list(range(ids[0], ids[0] + 3))
    assert bulk.reserve_ids(Lead, 0) == []


def test_rows_are_inserted_updated_and_deleted_in_one_statement_each(db):
    status = Status.objects.first()
    types = list(LeadType.objects.all()[:2])
    with transaction.atomic():
        ids = bulk.reserve_ids(Lead, 2)
        lead = Lead(name="x", status=status, updated_at=timezone.now())
        fields = [f.attname for f in Lead._meta.concrete_fields if not f.primary_key]
        rows = [[pk, *(bulk.db_value(Lead, f, getattr(lead, f)) for f in fields)]
                for pk in ids]
        for row, name in zip(rows, ("Juniper", "Corner Cup"), strict=True):
            row[1 + fields.index("name")] = name
        bulk.insert_rows(Lead, ["id", *fields], rows)
        bulk.insert_rows(Lead.lead_types.through, ["lead_id", "leadtype_id"],
                         [(ids[0], t.pk) for t in types])
        bulk.update_rows(Lead, ["city", "version"], [("Austin", 2, ids[0])])
    juniper = Lead.objects.get(pk=ids[0])
    assert (juniper.name, juniper.city, juniper.version) == ("Juniper", "Austin", 2)
    assert juniper.lead_types.count() == 2
    assert Lead.objects.get(pk=ids[1]).name == "Corner Cup"
    with transaction.atomic():
        bulk.delete_where_in(Lead.lead_types.through, "lead_id", [ids[0]])
    assert juniper.lead_types.count() == 0


def test_insert_objects_writes_instances_as_bulk_create_would(make_lead, admin):
    lead = make_lead(name="Juniper")
    kind = OutreachKind.objects.first()
    entries = [Outreach(lead=lead, kind=kind, notes=f"note {n}", by=admin) for n in range(3)]
    with transaction.atomic():
        bulk.insert_objects(entries)
    assert all(e.pk for e in entries)
    saved = Outreach.objects.get(pk=entries[1].pk)
    assert (saved.notes, saved.by, saved.lead) == ("note 1", admin, lead)
    assert saved.happened_at is not None and saved.created_at is not None


@pytest.mark.django_db(transaction=True)
def test_bulk_writes_get_their_sqlite_settings_and_give_them_back():
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's write-ahead log and temporary storage")

    def pragmas() -> tuple[int, int]:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint")
            autocheckpoint = cursor.fetchone()[0]
            cursor.execute("PRAGMA temp_store")
            return autocheckpoint, cursor.fetchone()[0]

    before = pragmas()
    with bulk.sqlite_bulk_writes(connection):
        assert pragmas() == (0, 2)  # no checkpoints; temporary storage in memory
    assert pragmas() == before and before[0] > 0
    with pytest.raises(RuntimeError), bulk.sqlite_bulk_writes(connection):
        raise RuntimeError
    assert pragmas() == before
    with transaction.atomic(), bulk.sqlite_bulk_writes(connection):
        assert pragmas() == (0, before[1])  # SQLite keeps its temporary storage in one
    assert pragmas() == before
