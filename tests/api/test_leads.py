"""/api/v2/leads: list, create, get, PUT, PATCH, DELETE through the lead services."""

import pytest

from leadbook.leads.models import Lead


@pytest.fixture
def shop(make_lead, member):
    return make_lead(name="Juniper & Vine", email="dana@juniper.example.com", city="Austin",
                     first_name="Dana", lead_types=["Wholesale"], owner=member)


def test_it_lists_leads_with_a_count_and_pages(api_member, make_lead):
    for i in range(5):
        make_lead(name=f"Shop {i}")
    response = api_member.get("/leads", limit=2, offset=1, ordering="-name")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 5
    assert [lead["name"] for lead in data["items"]] == ["Shop 3", "Shop 2"]


def test_it_filters_like_the_table_with_names_in_any_case(api_member, shop, make_lead):
    make_lead(name="Corner Cup", lead_types=["Consignment"])
    data = api_member.get("/leads", lead_type="wholesale", status="new", search="junip").json()
    assert [lead["name"] for lead in data["items"]] == ["Juniper & Vine"]
    assert api_member.get("/leads", owner="SAM").json()["count"] == 1
    assert api_member.get("/leads", owner="none").json()["count"] == 1


def test_a_lead_reads_with_names_and_the_derived_flags(api_member, shop):
    response = api_member.get(f"/leads/{shop.pk}")
    assert response.status_code == 200
    lead = response.json()
    assert lead["status"] == "New" and lead["lead_types"] == ["Wholesale"]
    assert lead["owner"] == "sam" and lead["source"] is None
    assert lead["temperature"] == "cold"
    assert lead["pending"] is False and lead["converted"] is False
    assert response["ETag"] == f'"{lead["version"]}"'


def test_unknown_filter_names_are_a_422_listing_the_valid_ones(api_member, db):
    response = api_member.get("/leads", status="Nope")
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "status" and error["location"] == "query"
    assert "New" in error["message"] and "Contacted" in error["message"]


def test_it_creates_a_lead_with_names_matched_without_case(api_member, admin):
    response = api_member.post("/leads", {
        "first_name": "Dana", "last_name": "Reyes", "company": "Juniper & Vine",
        "email": "dana@juniper.example.com", "status": "qualified", "source": "REFERRAL",
        "lead_types": ["wholesale", "Consignment"], "owner": "Dana", "temperature": "warm",
    })
    assert response.status_code == 201, response.json()
    lead = response.json()
    assert lead["name"] == "Dana Reyes"
    assert (lead["status"], lead["source"], lead["owner"]) == ("Qualified", "Referral", "dana")
    assert lead["lead_types"] == ["Consignment", "Wholesale"]
    assert response["Location"] == f"/api/v2/leads/{lead['id']}"
    assert response["ETag"] == '"1"'
    assert Lead.objects.get(pk=lead["id"]).history.first().history_user.username == "sam"


def test_unknown_names_on_create_are_listed_together(api_member, db):
    response = api_member.post("/leads", {"name": "X", "status": "Hot", "lead_types": ["Nope"],
                                          "owner": "ghost"})
    assert response.status_code == 422
    errors = {e["field"]: e for e in response.json()["errors"]}
    assert set(errors) == {"status", "lead_types", "owner"}
    assert "Qualified" in errors["status"]["valid"]
    assert "Wholesale" in errors["lead_types"]["valid"]
    assert not Lead.objects.exists()


def test_service_validation_comes_back_per_field(api_member, db):
    response = api_member.post("/leads", {"email": "not an email"})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"name", "email"}


def test_a_probable_duplicate_is_a_409_unless_allowed(api_member, shop):
    body = {"name": "Juniper and Vine", "email": "DANA@juniper.example.com"}
    response = api_member.post("/leads", body)
    assert response.status_code == 409
    duplicate = response.json()["duplicates"][0]
    assert duplicate["lead_id"] == shop.pk and duplicate["reason"] == "email"
    assert duplicate["score"] == 100 and duplicate["detail"]
    assert Lead.objects.count() == 1
    response = api_member.post("/leads?allow_duplicate=true", body)
    assert response.status_code == 201
    assert Lead.objects.count() == 2


def test_put_replaces_and_patch_changes_only_what_is_sent(api_member, shop):
    response = api_member.patch(f"/leads/{shop.pk}", {"city": "Dallas", "temperature": "warm"})
    assert response.status_code == 200
    lead = response.json()
    assert (lead["city"], lead["temperature"], lead["email"]) == (
        "Dallas", "warm", "dana@juniper.example.com")
    assert lead["lead_types"] == ["Wholesale"] and lead["owner"] == "sam"
    response = api_member.put(f"/leads/{shop.pk}", {"name": "Juniper & Vine", "city": "Waco"})
    lead = response.json()
    assert response.status_code == 200
    assert (lead["city"], lead["email"], lead["lead_types"], lead["owner"]) == (
        "Waco", "", [], None)
    assert lead["temperature"] == "cold" and lead["status"] == "New"


def test_is_active_goes_through_its_own_action(api_member, shop):
    response = api_member.patch(f"/leads/{shop.pk}", {"is_active": False})
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert not Lead.objects.get(pk=shop.pk).is_active
    assert api_member.get("/leads").json()["count"] == 0
    assert api_member.get("/leads", active="false").json()["count"] == 1


def test_a_stale_if_match_is_412_and_nothing_is_written(api_member, api_admin, shop):
    etag = api_member.get(f"/leads/{shop.pk}")["ETag"]
    assert api_admin.patch(f"/leads/{shop.pk}", {"city": "Dallas"},
                           headers={"If-Match": etag}).status_code == 200
    response = api_member.patch(f"/leads/{shop.pk}", {"city": "Waco", "is_active": False},
                                headers={"If-Match": etag})
    assert response.status_code == 412
    body = response.json()
    assert body["current_version"] == 2
    assert any(c["field"] == "city" and c["new"] == "Dallas" for c in body["changes"])
    lead = Lead.objects.get(pk=shop.pk)
    assert (lead.city, lead.is_active, lead.version) == ("Dallas", True, 2)
    # PUT too, and a PATCH changing only is_active.
    assert api_member.put(f"/leads/{shop.pk}", {"name": "X"},
                          headers={"If-Match": etag}).status_code == 412
    assert api_member.patch(f"/leads/{shop.pk}", {"is_active": False},
                            headers={"If-Match": etag}).status_code == 412
    assert Lead.objects.get(pk=shop.pk).is_active


def test_a_current_if_match_saves_and_returns_the_new_etag(api_member, shop):
    etag = api_member.get(f"/leads/{shop.pk}")["ETag"]
    response = api_member.patch(f"/leads/{shop.pk}", {"city": "Dallas"},
                                headers={"If-Match": etag})
    assert response.status_code == 200
    assert response["ETag"] == '"2"'
    assert api_member.patch(f"/leads/{shop.pk}", {"city": "Waco"},
                            headers={"If-Match": "*"}).status_code == 200


def test_delete_moves_the_lead_to_the_trash(api_member, shop):
    response = api_member.delete(f"/leads/{shop.pk}")
    assert response.status_code == 204
    assert Lead.all_objects.get(pk=shop.pk).deleted_at is not None
    assert api_member.get(f"/leads/{shop.pk}").status_code == 404
    assert api_member.delete(f"/leads/{shop.pk}").status_code == 404
