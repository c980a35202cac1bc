import pytest
from django.core.exceptions import ValidationError

from leadbook.core.models import ContactRequirement, WorkspaceSettings
from leadbook.leads import services
from leadbook.leads.models import Lead, LeadType, Source, Status


def test_it_creates_a_lead_with_defaults(make_lead, admin):
    lead = make_lead(actor=admin, name="Corner Cup Coffee")
    assert lead.status == Status.objects.get(name="New")
    assert lead.temperature == "cold"
    assert lead.is_active and lead.version == 1
    assert lead.history.get().history_user == admin


def test_it_makes_the_name_from_first_and_last_name(make_lead):
    lead = make_lead(name="", first_name=" Dana ", last_name="Reyes")
    assert lead.name == "Dana Reyes"


def test_it_falls_back_to_the_company_for_the_name(make_lead):
    assert make_lead(name="", company="Kit & Kin").name == "Kit & Kin"


def test_it_requires_a_name(make_lead):
    with pytest.raises(ValidationError) as e:
        make_lead(name="  ")
    assert "name" in e.value.message_dict


def test_it_normalises_contact_details(make_lead):
    lead = make_lead(email="Dana@Example.com ", phone="(512) 555-0142",
                     instagram="https://instagram.com/juniperandvine/",
                     website="juniper.example.com")
    assert lead.instagram == "juniperandvine"
    assert lead.email_key == "dana@example.com"
    assert lead.phone == "(512) 555-0142"  # kept as typed
    assert lead.phone_key == "+15125550142"
    assert lead.instagram_key == "juniperandvine"
    assert lead.website_key == "juniper.example.com"


@pytest.mark.parametrize("field,value", [
    ("email", "not-an-email"), ("instagram", "https://example.com/x"),
    ("website", "not a website"), ("phone", "call me"), ("name", "x" * 201),
])
def test_it_rejects_bad_values_with_a_field_error(make_lead, field, value):
    with pytest.raises(ValidationError) as e:
        make_lead(**{field: value})
    assert field in e.value.message_dict


def test_it_applies_the_workspace_contact_requirement(make_lead):
    WorkspaceSettings.objects.update_or_create(
        pk=1, defaults={"contact_requirement": ContactRequirement.EMAIL_OR_PHONE})
    with pytest.raises(ValidationError) as e:
        make_lead(name="No Contact")
    assert "email" in e.value.message_dict
    assert make_lead(name="Has phone", phone="512 555 0100").pk


def test_it_sets_lead_types_and_their_label_in_list_order(make_lead):
    lead = make_lead(lead_types=["Wholesale", "Consignment"])
    assert set(lead.lead_types.values_list("name", flat=True)) == {"Consignment", "Wholesale"}
    assert lead.lead_types_label == "Consignment, Wholesale"


def test_it_updates_and_bumps_the_version(make_lead, member):
    lead = make_lead()
    updated = services.update_lead(lead=lead, actor=member, expected_version=1, city="Austin")
    assert updated.city == "Austin" and updated.version == 2
    assert "austin" in updated.search_text


def test_it_refuses_a_stale_edit_and_says_what_changed(make_lead, admin, member):
    lead = make_lead(actor=admin)
    services.update_lead(lead=lead, actor=admin, expected_version=1, city="Austin")
    with pytest.raises(services.LeadConflict) as e:
        services.update_lead(lead=lead, actor=member, expected_version=1, city="Dallas")
    assert Lead.objects.get().city == "Austin"
    change = e.value.changes[0]
    assert (change["field"], change["old"], change["new"], change["who"]) == (
        "city", "—", "Austin", "Dana Reyes")


def test_it_does_not_write_an_invalid_update(make_lead):
    lead = make_lead(email="dana@example.com")
    with pytest.raises(ValidationError):
        services.update_lead(lead=lead, actor=None, email="nope")
    lead.refresh_from_db()
    assert lead.email == "dana@example.com" and lead.version == 1


def test_it_refuses_fields_that_have_their_own_actions(make_lead):
    lead = make_lead()
    with pytest.raises(TypeError):
        services.update_lead(lead=lead, actor=None, is_active=False)


def test_it_sets_a_lead_inactive_and_back_keeping_its_data(make_lead, member):
    lead = make_lead(email="dana@example.com")
    services.set_lead_active(lead=lead, actor=member, active=False)
    assert not Lead.objects.active().exists()
    assert Lead.objects.inactive().get().email == "dana@example.com"
    services.set_lead_active(lead=lead, actor=member, active=True)
    assert Lead.objects.active().count() == 1
    assert lead.history.count() == 3


def test_default_lists_are_loaded(db):
    assert list(Status.objects.values_list("name", flat=True)) == [
        "New", "Contacted", "In Progress", "Qualified", "Proposal Sent", "Negotiation", "Won",
        "Lost"]
    assert LeadType.objects.get(name="Wholesale").target == "retailer"
    assert Source.objects.filter(name="Website").exists()


def test_names_of_lists_are_unique_regardless_of_case(db):
    from django.db import IntegrityError, transaction
    with pytest.raises(IntegrityError), transaction.atomic():
        Source.objects.create(name="website")


def test_a_deleted_lead_goes_to_the_trash_and_comes_back(make_lead, member):
    lead = make_lead(email="dana@example.com")
    services.delete_lead(lead=lead, actor=member)
    assert not Lead.objects.exists()
    assert Lead.all_objects.get().deleted_at is not None
    services.restore_lead(lead=lead, actor=member)
    assert Lead.objects.get().email == "dana@example.com"
