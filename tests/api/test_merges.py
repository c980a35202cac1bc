"""POST /api/v2/leads/{id}/merge and POST /api/v2/merges/{id}/undo (leads.merging)."""

import pytest

from leadbook.leads.models import Lead, LeadMerge
from leadbook.outreach.models import Outreach, OutreachKind
from leadbook.outreach.services import log_outreach


@pytest.fixture
def pair(make_lead, admin):
    """One shop entered twice: the older with an email, the newer with a phone, each with
    outreach of its own."""
    old = make_lead(name="Juniper & Vine", email="dana@juniper.example.com",
                    lead_types=["Wholesale"], city="Austin")
    new = make_lead(name="Juniper and Vine", phone="+1 512 555 0142",
                    lead_types=["Consignment"], city="Austin")
    kind = OutreachKind.objects.first()
    log_outreach(lead=old, actor=admin, kind=kind, notes="First call")
    log_outreach(lead=new, actor=admin, kind=kind, notes="Second call")
    return old, new


def test_merging_moves_everything_to_the_survivor(api_member, pair):
    old, new = pair
    response = api_member.post(f"/leads/{old.pk}/merge", {"merge_ids": [new.pk]})
    assert response.status_code == 200, response.json()
    lead = response.json()
    assert lead["id"] == old.pk
    assert response["ETag"] == f'"{lead["version"]}"'
    # Newest non-empty values win; lead types are united.
    assert lead["email"] == "dana@juniper.example.com" and lead["phone"]
    assert lead["name"] == "Juniper and Vine"
    assert lead["lead_types"] == ["Consignment", "Wholesale"]
    # The merged lead has left the book; its outreach went with the survivor.
    assert api_member.get(f"/leads/{new.pk}").status_code == 404
    notes = [o["notes"] for o in api_member.get(f"/leads/{old.pk}/outreach").json()["items"]]
    assert sorted(notes) == ["First call", "Second call"]
    assert Lead.all_objects.get(pk=new.pk).merged_into_id == old.pk
    merge = LeadMerge.objects.get()
    assert response["Merge-Id"] == str(merge.pk)


def test_chosen_values_are_kept_with_names_in_any_case(api_member, pair, member):
    old, new = pair
    response = api_member.post(f"/leads/{old.pk}/merge", {
        "merge_ids": [new.pk],
        "values": {"name": "Juniper & Vine", "status": "qualified", "owner": "SAM",
                   "source": "referral", "temperature": "warm"}})
    assert response.status_code == 200, response.json()
    lead = response.json()
    assert (lead["name"], lead["status"], lead["owner"], lead["source"],
            lead["temperature"]) == ("Juniper & Vine", "Qualified", "sam", "Referral", "warm")


def test_an_unknown_name_in_values_is_a_422_naming_the_field(api_member, pair):
    old, new = pair
    response = api_member.post(f"/leads/{old.pk}/merge", {
        "merge_ids": [new.pk], "values": {"status": "Nope"}})
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "values.status" and "Qualified" in error["valid"]
    assert not LeadMerge.objects.exists()


def test_values_the_lead_rules_refuse_are_a_422(api_member, pair):
    old, new = pair
    response = api_member.post(f"/leads/{old.pk}/merge", {
        "merge_ids": [new.pk], "values": {"email": "not an address"}})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "email"
    assert not LeadMerge.objects.exists()


def test_lead_types_and_unknown_fields_cannot_be_chosen(api_member, pair):
    old, new = pair
    for values in ({"lead_types": ["Collab"]}, {"is_active": False}, {"id": 3}):
        response = api_member.post(f"/leads/{old.pk}/merge",
                                   {"merge_ids": [new.pk], "values": values})
        assert response.status_code == 422, values


def test_leads_not_in_the_book_are_a_422_and_an_unknown_survivor_a_404(api_member, pair):
    old, new = pair
    response = api_member.post(f"/leads/{old.pk}/merge", {"merge_ids": [new.pk, 999999]})
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "merge_ids.1" and "999999" in error["message"]
    assert api_member.post("/leads/999999/merge", {"merge_ids": [old.pk]}).status_code == 404
    response = api_member.post(f"/leads/{old.pk}/merge", {"merge_ids": [old.pk]})
    assert response.status_code == 422
    assert api_member.post(f"/leads/{old.pk}/merge", {"merge_ids": []}).status_code == 422
    assert not LeadMerge.objects.exists()


def test_a_lead_already_merged_cannot_be_merged_again(api_member, pair, make_lead):
    old, new = pair
    third = make_lead(name="Juniper Vine")
    api_member.post(f"/leads/{old.pk}/merge", {"merge_ids": [new.pk]})
    response = api_member.post(f"/leads/{third.pk}/merge", {"merge_ids": [new.pk]})
    assert response.status_code == 422  # it left the book with the first merge


def test_a_stale_if_match_is_a_412_and_nothing_is_merged(api_member, pair):
    old, new = pair
    etag = api_member.get(f"/leads/{old.pk}")["ETag"]
    api_member.patch(f"/leads/{old.pk}", {"city": "Round Rock"})
    response = api_member.post(f"/leads/{old.pk}/merge", {"merge_ids": [new.pk]},
                               headers={"If-Match": etag})
    assert response.status_code == 412
    assert response.json()["changes"][0]["field"]
    assert not LeadMerge.objects.exists()
    fresh = api_member.get(f"/leads/{old.pk}")["ETag"]
    response = api_member.post(f"/leads/{old.pk}/merge", {"merge_ids": [new.pk]},
                               headers={"If-Match": fresh})
    assert response.status_code == 200


def test_a_merge_error_from_the_service_is_a_409(api_member, pair, monkeypatch):
    from leadbook.leads import merging

    old, new = pair

    def gone(**kwargs):
        raise merging.MergeError("A lead to merge is no longer in the book.")

    monkeypatch.setattr(merging, "merge_leads", gone)
    response = api_member.post(f"/leads/{old.pk}/merge", {"merge_ids": [new.pk]})
    assert response.status_code == 409
    assert "no longer" in response.json()["detail"]


def test_a_viewer_cannot_merge_and_no_token_is_a_401(api_viewer, api_anonymous, pair):
    old, new = pair
    assert api_viewer.post(f"/leads/{old.pk}/merge",
                           {"merge_ids": [new.pk]}).status_code == 403
    assert api_anonymous.post(f"/leads/{old.pk}/merge",
                              {"merge_ids": [new.pk]}).status_code == 401
    assert not LeadMerge.objects.exists()


def test_undo_brings_the_merged_lead_and_its_outreach_back(api_member, api_viewer, pair):
    old, new = pair
    merge_id = api_member.post(f"/leads/{old.pk}/merge", {"merge_ids": [new.pk]})["Merge-Id"]
    assert api_viewer.post(f"/merges/{merge_id}/undo").status_code == 403
    response = api_member.post(f"/merges/{merge_id}/undo")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["survivor"]["id"] == old.pk and data["survivor"]["name"] == "Juniper & Vine"
    assert data["survivor"]["lead_types"] == ["Wholesale"]
    assert [lead["id"] for lead in data["restored"]] == [new.pk]
    assert data["kept_later_changes"] == []
    assert api_member.get(f"/leads/{new.pk}").status_code == 200
    assert Outreach.objects.get(notes="Second call").lead_id == new.pk
    # Twice is a conflict; an unknown merge a 404.
    assert api_member.post(f"/merges/{merge_id}/undo").status_code == 409
    assert api_member.post("/merges/999999/undo").status_code == 404
