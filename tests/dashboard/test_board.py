"""The pipeline board: columns and counts, lazily loaded cards, moving a card."""

import pytest
from django.urls import reverse

from leadbook.dashboard import board
from leadbook.leads import services
from leadbook.leads.models import Lead, Status

BOARD = "/leads/board/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def status(name: str) -> Status:
    return Status.objects.get(name=name)


def column_url(name: str, query: str = "") -> str:
    return reverse("leads:board_column", args=[status(name).pk]) + (f"?{query}" if query
                                                                     else "")


def move(client, lead, to: str, version=None, htmx=False, **extra):
    data = {"status": status(to).pk, "version": lead.version if version is None else version,
            **extra}
    return client.post(reverse("leads:board_move", args=[lead.pk]), data,
                       **(HTMX if htmx else {}))


# ---- Who may do what ---------------------------------------------------------------------


def test_it_is_where_the_navigation_says(db):
    assert reverse("leads:board") == BOARD


def test_an_outsider_is_sent_to_sign_in_and_moves_nothing(client, make_lead):
    lead = make_lead(name="Juniper")
    for url in (BOARD, column_url("New")):
        assert client.get(url)["Location"].startswith("/accounts/login/")
    response = move(client, lead, "Won")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert Lead.objects.get().status.name == "New"


def test_a_viewer_sees_the_board_but_cannot_move_a_card(viewer_client, make_lead):
    lead = make_lead(name="Juniper")
    assert viewer_client.get(BOARD).status_code == 200
    cards = viewer_client.get(column_url("New"), **HTMX).content.decode()
    assert "Juniper" in cards
    assert 'draggable="true"' not in cards and "Move to" not in cards
    assert move(viewer_client, lead, "Won").status_code == 403
    assert Lead.objects.get().status.name == "New"


# ---- Columns and cards ---------------------------------------------------------------------


def test_a_new_install_gets_a_friendly_empty_board(member_client):
    html = member_client.get(BOARD).content.decode()
    assert "No leads yet" in html and "data-board-column" not in html


def test_it_has_a_column_per_status_in_order_with_counts(member_client, book):
    response = member_client.get(BOARD)
    columns = response.context["columns"]
    assert [c["status"].name for c in columns] == list(
        Status.objects.values_list("name", flat=True))
    counts = {c["status"].name: c["count"] for c in columns}
    # Active leads only, as the table shows by default (Sleepy Shop is inactive, Binned is
    # in the trash).
    assert counts == {"New": 1, "Contacted": 1, "In Progress": 0, "Qualified": 2,
                      "Proposal Sent": 1, "Negotiation": 0, "Won": 2, "Lost": 2}
    html = response.content.decode()
    assert 'hx-trigger="intersect once"' in html  # cards load when a column shows
    assert "Juniper" not in html  # ...and not before


def test_a_column_loads_its_cards_with_what_a_card_shows(member_client, book):
    html = member_client.get(column_url("Qualified"), **HTMX).content.decode()
    assert "Juniper" in html and "Ancient" in html and "Corner Cup" not in html
    card = html[html.index('id="card-' + str(book["juniper"].pk)):]
    card = card[:card.index("</article>")]
    for shown in ("Consignment, Wholesale", "Warm", "Overdue", "Sam O."):
        assert shown in card, shown
    assert 'draggable="true"' in card and "Move to…" in card


def test_a_long_column_loads_a_page_at_a_time(member_client, make_lead, settings):
    for n in range(board.CARDS_PER_PAGE + 3):
        make_lead(name=f"Lead {n:02}")
    first = member_client.get(column_url("New"), **HTMX)
    assert len(first.context["leads"]) == board.CARDS_PER_PAGE
    assert first.context["next_url"].endswith("page=2")
    second = member_client.get(first.context["next_url"], **HTMX)
    assert [lead.name for lead in second.context["leads"]] == ["Lead 20", "Lead 21", "Lead 22"]
    assert second.context["next_url"] == ""


def test_the_board_takes_the_table_filters(member_client, book):
    response = member_client.get(BOARD + "?temperature=warm&active=all")
    counts = {c["status"].name: c["count"] for c in response.context["columns"]}
    assert counts["Qualified"] == 2 and counts["Lost"] == 1 and counts["New"] == 0
    assert any(chip["label"] == "Temp" for chip in response.context["chips"])
    chip = next(c for c in response.context["chips"] if c["label"] == "Temp")
    assert chip["remove_url"].startswith(BOARD)
    cards = member_client.get(column_url("Qualified", "temperature=warm"), **HTMX)
    assert {lead.name for lead in cards.context["leads"]} == {"Juniper", "Ancient"}


def test_a_status_filter_shows_only_its_columns(member_client, book):
    response = member_client.get(BOARD + "?status=Won&status=Lost")
    assert [c["status"].name for c in response.context["columns"]] == ["Won", "Lost"]


def test_filtering_with_htmx_returns_the_board_and_the_address(member_client, book):
    response = member_client.get(BOARD + "?search=juniper", **HTMX)
    assert response.templates[0].name == "dashboard/_board.html"
    assert response["HX-Push-Url"] == BOARD + "?search=juniper"
    assert 'id="lead-filter-controls"' in response.content.decode()  # kept in step


def test_without_javascript_a_column_opens_as_a_page(member_client, book):
    response = member_client.get(column_url("Lost"))
    html = response.content.decode()
    assert response.templates[0].name == "dashboard/board_column.html"
    assert "Kit &amp; Kin" in html and "← Pipeline board" in html
    assert f'name="next" value="{column_url("Lost")}"' in html


# ---- Moving a card ---------------------------------------------------------------------------


def test_moving_a_card_changes_the_status_through_the_services(member_client, member, book):
    lead = book["juniper"]
    shown_version = lead.version
    response = move(member_client, lead, "Proposal Sent", next="/leads/board/?search=jun")
    assert response.status_code == 302 and response["Location"] == "/leads/board/?search=jun"
    lead.refresh_from_db()
    assert lead.status.name == "Proposal Sent" and lead.version == shown_version + 1
    latest = lead.history.latest()
    assert latest.status.name == "Proposal Sent" and latest.history_user == member


def test_a_move_with_htmx_answers_the_card_the_counts_and_a_message(member_client, book):
    response = move(member_client, book["juniper"], "Won", htmx=True, view="temperature=warm")
    html = response.content.decode()
    proposal = status("Won").pk
    assert f'data-status="{proposal}"' in html and "data-just-moved" in html
    assert f'id="board-count-{proposal}" title="Leads in this column" hx-swap-oob="true">1<' \
        in html  # Juniper is the one warm lead that is Won now
    assert f'id="board-count-{status("Qualified").pk}"' in html
    assert f'id="board-count-{status("New").pk}"' not in html  # untouched columns stay
    assert "Moved Juniper to Won." in html


def test_a_stale_card_is_not_moved_and_says_why(member_client, admin, book):
    lead = book["podcast"]
    shown_version = lead.version
    services.update_lead(lead=lead, actor=admin, status=status("Negotiation"))
    response = move(member_client, lead, "Won", version=shown_version, htmx=True,
                    shown_status=status("Proposal Sent").pk)
    html = response.content.decode()
    lead.refresh_from_db()
    assert lead.status.name == "Negotiation"
    for name in ("Proposal Sent", "Negotiation", "Won"):  # each column it touched
        assert f'id="board-count-{status(name).pk}"' in html, name
    assert "Dana Reyes moved Podcast Pals to Negotiation while this board was open" in html
    assert f'data-status="{status("Negotiation").pk}"' in html  # the card goes back


def test_a_card_stale_only_in_other_fields_still_moves(member_client, admin, book):
    lead = book["podcast"]
    shown_version = lead.version
    services.update_lead(lead=lead, actor=admin, notes="Loves the spring line")
    move(member_client, lead, "Won", version=shown_version)
    lead.refresh_from_db()
    assert lead.status.name == "Won" and lead.notes == "Loves the spring line"


def test_dropping_a_card_where_it_was_changes_nothing(member_client, book):
    lead = book["juniper"]
    shown_version = lead.version
    move(member_client, lead, "Qualified")
    lead.refresh_from_db()
    assert lead.version == shown_version


@pytest.mark.parametrize("data", [{"status": "", "version": "1"}, {"status": "999999",
                                                                   "version": "1"},
                                  {"status": "1", "version": "x"}])
def test_a_move_it_cannot_read_is_refused(member_client, book, data):
    response = member_client.post(reverse("leads:board_move", args=[book["fresh"].pk]), data)
    assert response.status_code == 400


def test_a_lead_in_the_trash_cannot_be_moved(member_client, book):
    assert move(member_client, book["binned"], "Won").status_code == 404


def test_a_move_the_lead_rules_refuse_is_explained(member_client, book):
    from leadbook.core.models import ContactRequirement, WorkspaceSettings

    workspace = WorkspaceSettings.load()
    workspace.contact_requirement = ContactRequirement.EMAIL
    workspace.save()
    response = move(member_client, book["fresh"], "Won", htmx=True)
    assert "could not be moved" in response.content.decode()
    assert Lead.objects.get(pk=book["fresh"].pk).status.name == "New"
