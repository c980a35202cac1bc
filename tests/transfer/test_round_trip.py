"""Any lead exported to CSV and imported again comes back field for field."""

import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from leadbook.leads.models import Lead, LeadType, Source, Status
from leadbook.leads.services import create_lead
from leadbook.transfer import services
from leadbook.transfer.export import iter_export
from leadbook.transfer.models import ImportJob

# Text as people type it into a form: any printable characters (the form strips the ends).
TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn")), max_size=40)
NOTES = st.text(st.characters(blacklist_categories=("Cs", "Co", "Cn"),
                              blacklist_characters="\x00\x0b\x0c\x1c\x1d\x1e\x1f\x85"),
                max_size=120).map(str.strip)
HOST = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,12}[a-z0-9])?\.(com|org|example|shop)",
                     fullmatch=True)
EMAIL = st.builds(lambda user, host: f"{user}@{host}",
                  st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,15}", fullmatch=True), HOST)
PHONE = st.from_regex(r"\+?[0-9][0-9 ().-]{5,18}[0-9]", fullmatch=True)
HANDLE = st.from_regex(r"@?[A-Za-z0-9._]{1,30}", fullmatch=True)

COMPARED = ("name", "first_name", "last_name", "company", "position", "email", "phone",
            "instagram", "website", "address", "city", "state", "postal_code", "country",
            "collab_type", "followers", "notes", "temperature", "status_id", "source_id",
            "owner_id", "lead_types_label", "email_key", "phone_key", "instagram_key",
            "website_key", "name_key", "name_alt_key", "search_text")


@st.composite
def leads(draw):
    fields = {name: draw(TEXT) for name in (
        "name", "first_name", "last_name", "company", "position", "address", "city", "state",
        "postal_code", "country", "collab_type")}
    fields["email"] = draw(st.one_of(st.just(""), EMAIL))
    fields["phone"] = draw(st.one_of(st.just(""), PHONE))
    fields["instagram"] = draw(st.one_of(st.just(""), HANDLE))
    fields["website"] = draw(st.one_of(st.just(""), HOST, HOST.map("https://{}/shop".format)))
    fields["notes"] = draw(NOTES)
    fields["followers"] = draw(st.one_of(st.none(), st.integers(0, 2_147_483_647)))
    fields["temperature"] = draw(st.sampled_from(["cold", "warm"]))
    fields["status"] = draw(st.sampled_from(list(Status.objects.all())))
    fields["source"] = draw(st.one_of(st.none(), st.sampled_from(list(Source.objects.all()))))
    types = draw(st.lists(st.sampled_from(list(LeadType.objects.all())), unique=True,
                          max_size=3))
    return fields, types


def as_csv(queryset) -> bytes:
    return "".join(iter_export(queryset)).encode("utf-8")


@pytest.mark.django_db
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_an_exported_lead_imports_back_field_for_field(data, admin):
    fields, types = data.draw(leads())
    fields["owner"] = data.draw(st.sampled_from([None, admin]))
    try:
        lead = create_lead(actor=admin, lead_types=types, **fields)
    except ValidationError:
        assume(False)
    before = {name: getattr(lead, name) for name in COMPARED}
    type_names = sorted(lead.lead_types.values_list("name", flat=True))
    exported = as_csv(Lead.objects.filter(pk=lead.pk))
    Lead.all_objects.all().delete()
    try:
        job = services.import_file(actor=admin, data=exported, filename="export.csv",
                                   mapping_overrides=["ID="])
        assert services.import_report(job)["errors"] == []
        again = Lead.objects.get()
        assert {name: getattr(again, name) for name in COMPARED} == before
        assert sorted(again.lead_types.values_list("name", flat=True)) == type_names
    finally:
        Lead.all_objects.all().delete()
        ImportJob.objects.all().delete()


@pytest.mark.django_db
def test_an_export_imported_with_its_ids_changes_nothing(make_lead, admin):
    make_lead(name="Juniper & Vine", email="dana@juniper.example", lead_types=["Wholesale"],
              followers=12500, notes="=SUM(A1)\nsecond line", city="Austin")
    make_lead(name="Corner Cup", phone="(512) 555-0187", temperature="warm")
    before = list(Lead.objects.order_by("id").values(*COMPARED, "version"))
    job = services.import_file(actor=admin, data=as_csv(Lead.objects.all()),
                               filename="export.csv")
    assert (job.created, job.updated, job.failed) == (0, 2, 0)
    after = list(Lead.objects.order_by("id").values(*COMPARED, "version"))
    assert [{k: v for k, v in row.items() if k != "version"} for row in after] == \
        [{k: v for k, v in row.items() if k != "version"} for row in before]


def teardown_module(module):
    shutil.rmtree(Path(django_settings.MEDIA_ROOT) / "imports", ignore_errors=True)
