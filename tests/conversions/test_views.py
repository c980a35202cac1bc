import csv
import io

import pytest

from leadbook.conversions import services
from leadbook.conversions.models import Retailer


@pytest.fixture
def shop(make_lead):
    return make_lead(name="Juniper & Vine", email="dana@juniper.example.com", city="Austin",
                     lead_types=["Wholesale", "Podcast Guest"])


def convert_data(**overrides):
    from leadbook.leads.models import Status
    data = {"target": "retailer", "status": Status.objects.get(name="Won").pk,
            "name": "Juniper & Vine", "email": "dana@juniper.example.com", "city": "Austin",
            "kind": "wholesale", "rent": "250", "rent_due_date": "2026-12-01",
            "commission_rate": "30", "notes": ""}
    data.update(overrides)
    return data


def test_outsiders_and_viewers_cannot_convert(client, viewer_client, shop):
    url = f"/leads/{shop.pk}/convert/"
    assert client.get(url).status_code == 302
    assert viewer_client.get(url).status_code == 403
    assert viewer_client.post(url, convert_data()).status_code == 403
    assert not Retailer.objects.exists()


@pytest.mark.parametrize("url", ["/customers/", "/retailers/", "/podcasts/", "/collabs/",
                                 "/retailers/export.csv"])
def test_sections_need_a_signed_in_user(client, viewer_client, db, url):
    assert client.get(url).status_code == 302
    assert viewer_client.get(url).status_code == 200


def test_the_dialog_offers_the_targets_of_the_lead_types(member_client, shop):
    html = member_client.get(f"/leads/{shop.pk}/convert/?origin=row",
                             headers={"HX-Request": "true"}).content.decode()
    assert html.lstrip().startswith("<dialog")
    assert '<option value="customer"' in html and '<option value="retailer"' in html
    assert '<option value="podcast"' in html and '<option value="collab"' not in html
    assert 'value="dana@juniper.example.com"' in html  # contact details to review
    assert "Commission rate" in html  # the lead's own target comes first: Retailer


def test_changing_the_target_keeps_typed_contact_details(member_client, shop):
    html = member_client.get(f"/leads/{shop.pk}/convert/?target=podcast&name=Typed+Name",
                             headers={"HX-Request": "true"}).content.decode()
    assert 'value="Typed Name"' in html and "Start date" in html


def test_it_converts_and_shows_the_record(member_client, shop, member):
    response = member_client.post(f"/leads/{shop.pk}/convert/", convert_data())
    retailer = Retailer.objects.get()
    assert response["Location"] == f"/records/retailer/{retailer.pk}/"
    page = member_client.get(response["Location"]).content.decode()
    assert "Juniper &amp; Vine" in page and "$250.00" in page and "30%" in page
    assert f"/leads/{shop.pk}/" in page
    table = member_client.get("/leads/?converted=true").content.decode()
    assert "Converted" in table and "Juniper" in table


def test_a_conversion_with_errors_keeps_what_was_typed(member_client, shop):
    response = member_client.post(f"/leads/{shop.pk}/convert/",
                                  convert_data(commission_rate="130", rent="99"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 100." in html
    assert 'value="99"' in html and 'value="130"' in html
    assert not Retailer.objects.exists()


def test_converting_twice_is_refused(member_client, shop):
    member_client.post(f"/leads/{shop.pk}/convert/", convert_data())
    html = member_client.post(f"/leads/{shop.pk}/convert/", convert_data()).content.decode()
    assert '<option value="retailer"' not in html  # no longer offered
    assert Retailer.objects.count() == 1


def test_from_the_table_the_row_shows_converted(member_client, shop):
    response = member_client.post(f"/leads/{shop.pk}/convert/",
                                  convert_data(origin="row"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert f'<tr id="lead-{shop.pk}" hx-swap-oob="true"' in html and "Converted" in html


def test_sections_list_search_filter_sort_and_export(member_client, make_lead):
    for name, kind, due in (("Alpha Shop", "wholesale", "2020-01-01"),
                            ("Beta Shop", "consignment", "2099-01-01")):
        lead = make_lead(name=name, lead_types=["Wholesale"], city="Austin")
        services.convert_lead(lead=lead, actor=None, target="retailer",
                              details={"kind": kind, "rent_due_date": due})
    html = member_client.get("/retailers/?filter=consignment").content.decode()
    assert "Beta Shop" in html and "Alpha Shop" not in html
    html = member_client.get("/retailers/?rent_due=overdue").content.decode()
    assert "Alpha Shop" in html and "Beta Shop" not in html
    html = member_client.get("/retailers/?ordering=-name").content.decode()
    assert html.index("Beta Shop") < html.index("Alpha Shop")
    assert "Alpha Shop" not in member_client.get("/retailers/?search=beta").content.decode()
    body = b"".join(member_client.get("/retailers/export.csv?filter=wholesale")
                    .streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert [r["name"] for r in rows] == ["Alpha Shop"] and rows[0]["kind"] == "wholesale"


def test_members_edit_records_and_only_admins_undo(member_client, admin_client, shop):
    record = services.convert_lead(lead=shop, actor=None, target="retailer")
    member_client.post(f"/records/retailer/{record.pk}/edit/", convert_data(
        name="Juniper Renamed", rent="300"))
    record.refresh_from_db()
    assert record.name == "Juniper Renamed" and record.rent == 300
    assert member_client.post(f"/records/retailer/{record.pk}/undo/").status_code == 403
    response = admin_client.post(f"/records/retailer/{record.pk}/undo/")
    assert response["Location"] == f"/leads/{shop.pk}/"
    assert not Retailer.objects.exists()


def test_the_timeline_shows_the_conversion(member_client, shop):
    services.convert_lead(lead=shop, actor=None, target="customer")
    html = member_client.get(f"/leads/{shop.pk}/").content.decode()
    assert "converted this lead into a customer" in html
