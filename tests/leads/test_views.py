import csv
import datetime
import io
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from leadbook.core import paging
from leadbook.leads import search as lead_search
from leadbook.leads import services
from leadbook.leads.filters import order_by_clause
from leadbook.leads.models import Lead, LeadType, Status

LIST = "/leads/"


def form_data(**overrides) -> dict:
    data = {
        "name": "Juniper & Vine", "first_name": "Dana", "last_name": "Reyes", "email": "",
        "phone": "", "instagram": "", "website": "", "company": "", "position": "",
        "address": "", "city": "Austin", "state": "TX", "postal_code": "", "country": "",
        "status": Status.objects.get(name="New").pk, "temperature": "warm", "source": "",
        "owner": "", "collab_type": "", "followers": "", "notes": "",
    }
    data.update(overrides)
    return data


# --- who may see what ---------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/leads/", "/leads/new/", "/leads/export.csv", "/"])
def test_it_sends_an_outsider_to_sign_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_it_sends_an_outsider_to_sign_in_from_a_lead(client, make_lead):
    lead = make_lead()
    for url in (f"/leads/{lead.pk}/", f"/leads/{lead.pk}/edit/"):
        assert client.get(url)["Location"].startswith("/accounts/login/")
    response = client.post(f"/leads/{lead.pk}/active/", {"active": "false"})
    assert response.status_code == 302
    assert Lead.objects.get().is_active


def test_a_viewer_reads_but_cannot_change(viewer_client, make_lead):
    lead = make_lead()
    assert viewer_client.get(LIST).status_code == 200
    assert viewer_client.get(f"/leads/{lead.pk}/").status_code == 200
    assert viewer_client.get("/leads/new/").status_code == 403
    assert viewer_client.post("/leads/new/", form_data(name="Sneaky")).status_code == 403
    assert viewer_client.get(f"/leads/{lead.pk}/edit/").status_code == 403
    assert viewer_client.post(f"/leads/{lead.pk}/active/", {"active": "false"}).status_code == 403
    assert Lead.objects.get().is_active and Lead.objects.count() == 1
    assert b"+ Lead" not in viewer_client.get(LIST).content


# --- the table ---------------------------------------------------------------------------

def test_it_welcomes_a_new_install_with_an_empty_state(member_client):
    response = member_client.get(LIST)
    assert b"No leads yet" in response.content
    assert b"Add a lead" in response.content


def test_it_says_when_filters_match_nothing(member_client, make_lead):
    make_lead()
    response = member_client.get(LIST + "?search=zzz")
    assert b"No leads match this view" in response.content


def test_it_lists_leads_with_their_columns(member_client, make_lead, member):
    make_lead(name="Juniper & Vine", first_name="Dana", last_name="Reyes",
              email="dana@juniper.example.com", phone="(512) 555-0142", instagram="@juniperandvine",
              temperature="warm", lead_types=["Consignment", "Wholesale"], owner=member)
    html = member_client.get(LIST).content.decode()
    for text in ("Juniper &amp; Vine", "Dana Reyes", "dana@juniper.example.com",
                 "(512) 555-0142", "@juniperandvine", "Consignment, Wholesale", "Warm", "New",
                 "Sam O.", "Last outreach", "Pending"):
        assert text in html


def test_it_answers_htmx_with_the_table_only(member_client, make_lead):
    make_lead()
    response = member_client.get(LIST + "?temperature=cold", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and 'id="leads"' in html
    assert "Temp: Cold" in html  # the filter chip


def test_a_search_that_fits_on_its_first_page_is_not_counted_again(member_client, make_lead):
    for name in ("Juniper Hall", "Juniper Loft", "Rowan Barn"):
        make_lead(name=name)
    with CaptureQueriesContext(connection) as queries:
        html = member_client.get(LIST + "?search=junip").content.decode()
    assert "1–2 of 2" in html
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"]
                and ("leads_lead_fts" in q["sql"] or "search_text" in q["sql"])]


def test_a_long_search_is_counted_up_to_the_cap(member_client, make_lead, settings,
                                               monkeypatch):
    monkeypatch.setattr(paging, "DEFAULT_CAP", 3)
    settings.LEADS_PER_PAGE = 2
    for n in range(5):
        make_lead(name=f"Juniper Hall {n}")
    with CaptureQueriesContext(connection) as queries:
        html = member_client.get(LIST + "?search=junip").content.decode()
    assert "1–2 of 3+" in html and "Juniper Hall 0" in html and "Juniper Hall 2" not in html
    if connection.vendor == "sqlite":  # counted by the query that sorted the matches' ids
        assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"]
                    and "leads_lead_fts" in q["sql"]]
    monkeypatch.setattr(paging, "DEFAULT_CAP", 5)
    assert re.search(r"1–2 of 5\s*<", member_client.get(LIST + "?search=junip").content.decode())


def test_it_paginates(member_client, make_lead, settings):
    settings.LEADS_PER_PAGE = 2
    for name in ("A", "B", "C"):
        make_lead(name=name)
    page2 = member_client.get(LIST + "?page=2").content.decode()
    assert "3–3 of 3" in page2 and ">C<" in page2 and ">A<" not in page2


def _table_names(html: str) -> list[str]:
    return re.findall(r'data-label="Name">.*?<a href="/leads/\d+/">(.*?)</a>', html)


def _link(html: str, label: str) -> str:
    return unescape(re.search(rf'<a href="([^"]*)"[^>]*aria-label="{label}"', html).group(1))


@pytest.mark.parametrize("search", ["", "shop"])  # a broad search walks the sort index too
@pytest.mark.parametrize("ordering", ["name", "-name", "last_outreach", "-pending", "status"])
def test_next_and_previous_walk_the_whole_view_by_cursor(member_client, make_lead, settings,
                                                         monkeypatch, ordering, search):
    """Next/Previous carry a cursor (no OFFSET however deep): walking forward gives every
    lead once in order, walking back gives the same pages again."""
    settings.LEADS_PER_PAGE = 3
    monkeypatch.setattr(lead_search, "BROAD_MATCHES", 1)
    for i, name in enumerate("GBEAFDCHI" + "JK"):
        lead = make_lead(name=f"{name} Shop")
        if i % 3:
            Lead.objects.filter(pk=lead.pk).update(
                last_outreach_at=timezone.now() - datetime.timedelta(days=i),
                next_follow_up_on=timezone.localdate() + datetime.timedelta(days=i % 4))
    expected = list(Lead.objects.order_by(*order_by_clause(ordering)).values_list(
        "name", flat=True))
    if search:
        make_lead(name="Not found here")  # the search leaves it out
    html = member_client.get(LIST + f"?ordering={ordering}&search={search}").content.decode()
    pages = [_table_names(html)]
    urls = []
    while 'aria-label="Next page"' in html:
        urls.append(_link(html, "Next page"))
        assert "after=" in urls[-1]
        html = member_client.get(urls[-1]).content.decode()
        pages.append(_table_names(html))
    assert [name for page in pages for name in page] == expected
    assert len(pages) == 4 and "10–11 of 11" in html
    for page in reversed(pages[:-1]):
        previous = _link(html, "Previous page")
        html = member_client.get(previous).content.decode()
        assert _table_names(html) == page
    assert "after=" not in previous and "before=" not in previous  # page 1 is plain


def test_a_damaged_cursor_falls_back_to_the_page_number(member_client, make_lead, settings):
    settings.LEADS_PER_PAGE = 2
    for name in ("A", "B", "C"):
        make_lead(name=name)
    html = member_client.get(LIST + "?page=2&after=not-a-cursor").content.decode()
    assert _table_names(html) == ["C"]


def test_htmx_paging_pushes_the_cursor_url(member_client, make_lead, settings):
    settings.LEADS_PER_PAGE = 2
    for name in ("A", "B", "C"):
        make_lead(name=name)
    next_url = _link(member_client.get(LIST).content.decode(), "Next page")
    response = member_client.get(next_url, headers={"HX-Request": "true"})
    assert response["HX-Push-Url"] == next_url


def test_it_keeps_the_view_in_sort_links(member_client, make_lead):
    make_lead()
    html = member_client.get(LIST + "?temperature=cold").content.decode()
    assert 'href="/leads/?temperature=cold&amp;ordering=-name"' in html
    assert 'aria-sort="ascending"' in html


def test_it_shows_a_message_for_a_filter_it_does_not_know(member_client, make_lead):
    make_lead()
    html = member_client.get(LIST + "?status=Nope").content.decode()
    assert "Unknown status Nope" in html


# --- add and edit -------------------------------------------------------------------------

def test_it_adds_a_lead(member_client, member):
    wholesale = LeadType.objects.get(name="Wholesale")
    response = member_client.post("/leads/new/", form_data(lead_types=[wholesale.pk]))
    lead = Lead.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/leads/{lead.pk}/"
    assert lead.lead_types_label == "Wholesale" and lead.temperature == "warm"
    assert lead.history.get().history_user == member


def test_it_keeps_what_was_typed_when_the_form_has_errors(member_client):
    response = member_client.post("/leads/new/", form_data(
        name="", first_name="", last_name="", email="dana@", city="Austin", notes="Met at market"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter a name, or a first and last name." in html
    assert "Enter a valid email address." in html
    assert 'value="dana@"' in html and 'value="Austin"' in html and "Met at market" in html
    assert not Lead.objects.exists()


def test_it_reports_the_workspace_requirement_beside_the_field(member_client):
    from leadbook.core.models import WorkspaceSettings
    WorkspaceSettings.objects.update_or_create(pk=1, defaults={"contact_requirement": "email"})
    html = member_client.post("/leads/new/", form_data()).content.decode()
    assert 'id="id_email_error"' in html and "Enter an email address." in html


def test_it_edits_a_lead(member_client, make_lead):
    lead = make_lead()
    response = member_client.post(f"/leads/{lead.pk}/edit/",
                                  form_data(city="Dallas", version=lead.version))
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.city == "Dallas" and lead.version == 2


def test_it_refuses_to_overwrite_someone_elses_edit(member_client, make_lead, admin):
    lead = make_lead()
    services.update_lead(lead=lead, actor=admin, expected_version=1, city="Houston")
    response = member_client.post(f"/leads/{lead.pk}/edit/", form_data(city="Dallas", version=1))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Someone else changed this lead" in html
    assert "Dana Reyes changed <strong>City</strong> from “—” to “Houston”" in html
    assert 'value="Dallas"' in html  # what the user typed is kept
    assert Lead.objects.get().city == "Houston"
    # Saving again, having seen the change, goes through.
    assert 'name="version" value="2"' in html
    response = member_client.post(f"/leads/{lead.pk}/edit/", form_data(city="Dallas", version=2))
    assert response.status_code == 302 and Lead.objects.get().city == "Dallas"


def test_the_lead_page_shows_fields_and_history(member_client, make_lead, admin):
    lead = make_lead(actor=admin, email="dana@example.com")
    services.update_lead(lead=lead, actor=admin, status=Status.objects.get(name="Qualified"))
    html = member_client.get(f"/leads/{lead.pk}/").content.decode()
    assert "dana@example.com" in html
    assert "changed Status" in html and "New" in html and "Qualified" in html
    assert "added this lead" in html


# --- set inactive -------------------------------------------------------------------------

def test_it_sets_a_lead_inactive_and_back(member_client, make_lead):
    lead = make_lead()
    url = reverse("leads:set_active", args=[lead.pk])
    assert member_client.get(url).status_code == 405
    member_client.post(url, {"active": "false"})
    assert not Lead.objects.get().is_active
    assert b"No leads match" in member_client.get(LIST).content
    assert b"Juniper" in member_client.get(LIST + "?active=false").content
    member_client.post(url, {"active": "true"})
    assert Lead.objects.get().is_active


def test_setting_inactive_with_htmx_returns_the_row_with_undo(member_client, make_lead):
    lead = make_lead()
    response = member_client.post(reverse("leads:set_active", args=[lead.pk]),
                                  {"active": "false"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="lead-{lead.pk}"')
    assert "Inactive" in html and "Undo" in html and 'hx-swap-oob="true"' in html


def test_it_does_not_redirect_elsewhere_after_setting_inactive(member_client, make_lead):
    lead = make_lead()
    response = member_client.post(reverse("leads:set_active", args=[lead.pk]),
                                  {"active": "false", "next": "https://evil.example.com/"})
    assert response["Location"] == f"/leads/{lead.pk}/"


# --- export -------------------------------------------------------------------------------

def read_export(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body[1:])))


def test_it_exports_the_current_view(member_client, make_lead):
    make_lead(name="Café Olé", temperature="warm", lead_types=["Wholesale"])
    make_lead(name="Cold One")
    response = member_client.get("/leads/export.csv?temperature=warm")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = read_export(response)
    assert [r["Name"] for r in rows] == ["Café Olé"]
    assert rows[0]["Lead Type"] == "Wholesale" and rows[0]["Status"] == "New"


def test_the_export_is_safe_from_formula_injection(member_client, make_lead):
    make_lead(name="=HYPERLINK(\"http://evil\")", notes="@SUM(1)", phone="+1 512 555 0142",
              company="-2+3")
    row = read_export(member_client.get("/leads/export.csv"))[0]
    assert row["Name"] == "'=HYPERLINK(\"http://evil\")"
    assert row["Notes"] == "'@SUM(1)"
    assert row["Phone"] == "'+1 512 555 0142"
    assert row["Company"] == "'-2+3"
