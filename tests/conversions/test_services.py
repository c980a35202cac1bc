import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import ValidationError

from leadbook.conversions import services
from leadbook.conversions.models import Collab, Customer, CustomerGroup, Podcast, Retailer
from leadbook.leads.models import Lead, Status


@pytest.fixture
def shop(make_lead):
    return make_lead(name="Juniper & Vine", first_name="Dana", last_name="Reyes",
                     email="dana@juniper.example.com", city="Austin",
                     lead_types=["Consignment", "Wholesale", "Collab"], collab_type="Giveaway",
                     followers=12500)


def reload(lead) -> Lead:
    return Lead.objects.get(pk=lead.pk)


def test_it_allows_customer_always_and_the_rest_by_lead_type(make_lead, shop):
    assert services.allowed_targets(shop) == ["retailer", "collab", "customer"]
    assert services.allowed_targets(make_lead(name="Plain")) == ["customer"]


def test_it_converts_a_lead_into_a_retailer(shop, member):
    record = services.convert_lead(
        lead=shop, actor=member, target="retailer", contact={"name": "Juniper & Vine Co."},
        details={"kind": "consignment", "rent": Decimal("250.00"),
                 "rent_due_date": datetime.date(2026, 12, 1), "commission_rate": Decimal(30)})
    assert isinstance(record, Retailer) and record.lead == shop
    assert record.name == "Juniper & Vine Co." and record.email == "dana@juniper.example.com"
    assert record.created_by == member and record.previous_status.name == "New"
    lead = reload(shop)
    assert lead.converted and lead.converted_by == member
    assert lead.status.stage == "won"


def test_a_lead_with_several_types_converts_to_each_target_once(shop):
    services.convert_lead(lead=shop, actor=None, target="retailer")
    services.convert_lead(lead=shop, actor=None, target="collab",
                          details={"discount_code": "JUNIPER10"})
    with pytest.raises(services.AlreadyConverted):
        services.convert_lead(lead=shop, actor=None, target="retailer")
    assert Retailer.objects.count() == 1 and Collab.objects.get().discount_code == "JUNIPER10"
    assert set(services.existing_records(shop)) == {"retailer", "collab"}


def test_it_refuses_a_target_the_types_do_not_allow(shop):
    with pytest.raises(ValidationError) as e:
        services.convert_lead(lead=shop, actor=None, target="podcast")
    assert "target" in e.value.message_dict
    assert not Podcast.objects.exists() and not reload(shop).converted


@pytest.mark.parametrize("target,details,field", [
    ("retailer", {"commission_rate": Decimal(130)}, "commission_rate"),
    ("retailer", {"rent": Decimal(-5)}, "rent"),
    ("retailer", {"kind": "franchise"}, "kind"),
    ("collab", {"start_date": datetime.date(2026, 5, 1), "end_date": datetime.date(2026, 4, 1)},
     "end_date"),
    ("customer", {}, "email"),
])
def test_each_target_validates_its_fields(shop, target, details, field):
    contact = {"email": "not-an-email"} if field == "email" else {}
    with pytest.raises(ValidationError) as e:
        services.convert_lead(lead=shop, actor=None, target=target, contact=contact,
                              details=details)
    assert field in e.value.message_dict
    assert not reload(shop).converted


def test_a_failure_leaves_neither_record_nor_converted_lead(shop):
    with mock.patch("leadbook.conversions.services.update_lead",
                    side_effect=RuntimeError("boom")), pytest.raises(RuntimeError):
        services.convert_lead(lead=shop, actor=None, target="customer")
    assert not Customer.objects.exists()
    lead = reload(shop)
    assert not lead.converted and lead.status.name == "New"


def test_the_user_can_choose_the_status_after_conversion(shop):
    negotiation = Status.objects.get(name="Negotiation")
    services.convert_lead(lead=shop, actor=None, target="customer", status=negotiation,
                          details={"customer_group": CustomerGroup.objects.get(name="VIP")})
    assert reload(shop).status == negotiation


def test_undo_removes_the_record_and_restores_the_lead(shop, admin):
    retailer = services.convert_lead(lead=shop, actor=None, target="retailer")
    collab = services.convert_lead(lead=shop, actor=None, target="collab")
    services.undo_conversion(record=collab, actor=admin)
    assert reload(shop).converted  # still a retailer
    services.undo_conversion(record=retailer, actor=admin)
    lead = reload(shop)
    assert not lead.converted and lead.status.name == "New"
    assert not Retailer.objects.exists() and not Collab.objects.exists()
