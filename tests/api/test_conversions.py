"""Converting leads and the converted records through the API."""

import pytest

from leadbook.conversions.models import Collab, Customer, CustomerGroup, Retailer
from leadbook.leads.models import Lead


@pytest.fixture
def shop(make_lead):
    return make_lead(name="Juniper & Vine", email="dana@juniper.example.com", city="Austin",
                     lead_types=["Wholesale", "Collab"], collab_type="Reel", followers=1200)


def test_it_converts_a_lead_into_a_retailer(api_member, shop):
    response = api_member.post(f"/leads/{shop.pk}/convert", {
        "target": "retailer", "kind": "consignment", "rent": "250", "commission_rate": 30.5,
        "rent_due_date": "2026-12-01", "contact": {"city": "Dallas"}})
    assert response.status_code == 201, response.json()
    record = response.json()
    assert (record["target"], record["lead_id"], record["name"]) == (
        "retailer", shop.pk, "Juniper & Vine")
    assert (record["rent"], record["commission_rate"], record["city"]) == (
        "250.00", "30.50", "Dallas")
    assert Retailer.objects.get().kind == "consignment"
    lead = api_member.get(f"/leads/{shop.pk}").json()
    assert lead["converted"] is True and lead["status"] == "Won"


def test_a_collab_takes_the_leads_collab_details_by_default(api_member, shop):
    record = api_member.post(f"/leads/{shop.pk}/convert", {"target": "collab"}).json()
    assert (record["collab_type"], record["starting_followers"]) == ("Reel", 1200)


def test_converting_twice_is_409_and_a_target_not_allowed_is_422(api_member, shop):
    assert api_member.post(f"/leads/{shop.pk}/convert", {"target": "customer"}
                           ).status_code == 201
    response = api_member.post(f"/leads/{shop.pk}/convert", {"target": "customer"})
    assert response.status_code == 409
    assert response.json()["record_id"] == Customer.objects.get().pk
    response = api_member.post(f"/leads/{shop.pk}/convert", {"target": "podcast"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "target"
    response = api_member.post(f"/leads/{shop.pk}/convert", {"target": "spaceship"})
    assert response.status_code == 422


def test_customer_group_and_status_are_names(api_member, shop):
    CustomerGroup.objects.create(name="Wholesale buyers")
    response = api_member.post(f"/leads/{shop.pk}/convert", {
        "target": "customer", "customer_group": "wholesale BUYERS", "status": "qualified"})
    assert response.status_code == 201
    assert response.json()["customer_group"] == "Wholesale buyers"
    assert Lead.objects.get(pk=shop.pk).status.name == "Qualified"
    bad = api_member.post(f"/leads/{shop.pk}/convert", {"target": "retailer",
                                                        "status": "Nope"})
    assert bad.status_code == 422 and "Won" in bad.json()["errors"][0]["valid"]


def test_fields_of_another_target_are_refused(api_member, shop):
    response = api_member.post(f"/leads/{shop.pk}/convert", {"target": "customer", "rent": 5})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "rent"
    response = api_member.post(f"/leads/{shop.pk}/convert", {"target": "customer",
                                                             "contact": {"colour": "red"}})
    assert response.json()["errors"][0]["field"] == "contact.colour"
    assert not Customer.objects.exists()


@pytest.mark.parametrize("rent", [-1, "12.345", "abc", 1e12, True])
def test_amounts_are_checked(api_member, shop, rent):
    response = api_member.post(f"/leads/{shop.pk}/convert", {"target": "retailer", "rent": rent})
    assert response.status_code == 422
    assert not Retailer.objects.exists()


def test_records_list_read_change_and_undo(api_member, api_admin, shop):
    record = api_member.post(f"/leads/{shop.pk}/convert", {"target": "collab"}).json()
    listing = api_member.get("/collabs", search="junip").json()
    assert listing["count"] == 1 and listing["items"][0]["id"] == record["id"]
    assert api_member.get(f"/collabs/{record['id']}").json()["discount_code"] == ""
    response = api_member.patch(f"/collabs/{record['id']}", {"discount_code": "JUNI10",
                                                             "start_date": "2026-01-10",
                                                             "end_date": "2026-01-01"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "end_date"
    response = api_member.patch(f"/collabs/{record['id']}", {"discount_code": "JUNI10"})
    assert response.json()["discount_code"] == "JUNI10"
    assert api_member.delete(f"/collabs/{record['id']}").status_code == 403  # admins only
    assert api_admin.delete(f"/collabs/{record['id']}").status_code == 204
    assert not Collab.objects.exists()
    assert Lead.objects.get(pk=shop.pk).converted_at is None
    assert api_member.get(f"/collabs/{record['id']}").status_code == 404
    assert api_member.get("/retailers/1").status_code == 404


def test_the_lists_of_names(api_viewer, db):
    statuses = api_viewer.get("/statuses").json()
    assert statuses["count"] == len(statuses["items"]) >= 8
    assert statuses["items"][0] == {"id": statuses["items"][0]["id"], "name": "New",
                                    "stage": "lead", "position": statuses["items"][0]["position"]}
    types = {t["name"]: t["target"] for t in api_viewer.get("/lead-types").json()["items"]}
    assert types["Wholesale"] == "retailer"
    assert "Referral" in [s["name"] for s in api_viewer.get("/sources").json()["items"]]
    assert "Email" in [k["name"] for k in api_viewer.get("/outreach-kinds").json()["items"]]
    assert api_viewer.get("/customer-groups").status_code == 200
    me = api_viewer.get("/me").json()
    assert (me["username"], me["role"], me["token"]["name"]) == ("vic", "viewer", "Tests")
