import datetime
import io

from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from leadbook.leads.models import Lead
from leadbook.outreach.models import Outreach

TODAY = timezone.localdate


def post_outreach(client, lead, **overrides):
    from leadbook.outreach.models import OutreachKind
    data = {"kind": OutreachKind.objects.get(name="Call").pk,
            "happened_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "notes": "Left a voicemail", "follow_up_on": "", "follow_up_in": ""}
    data.update(overrides)
    return client.post(f"/leads/{lead.pk}/outreach/", data, **(
        {"headers": {"HX-Request": "true"}} if overrides.pop("_htmx", False) else {}))


def test_outsiders_and_viewers_cannot_log_outreach(client, viewer_client, make_lead):
    lead = make_lead()
    assert client.get(f"/leads/{lead.pk}/outreach/").status_code == 302
    assert viewer_client.get(f"/leads/{lead.pk}/outreach/").status_code == 403
    assert post_outreach(viewer_client, lead).status_code == 403
    for url in (f"/leads/{lead.pk}/follow-up/done/", f"/leads/{lead.pk}/follow-up/reschedule/"):
        assert client.post(url).status_code == 302
        assert viewer_client.post(url).status_code == 403
    assert not Outreach.objects.exists()


def test_outsiders_cannot_see_follow_ups(client, db, viewer_client):
    assert client.get("/follow-ups/").status_code == 302
    assert viewer_client.get("/follow-ups/").status_code == 200


def test_it_logs_outreach_from_a_page_without_javascript(member_client, make_lead, member):
    lead = make_lead()
    response = post_outreach(member_client, lead, follow_up_in="7")
    assert response.status_code == 302 and response["Location"] == f"/leads/{lead.pk}/"
    outreach = Outreach.objects.get()
    assert outreach.by == member and outreach.kind.name == "Call"
    assert outreach.follow_up_on == TODAY() + datetime.timedelta(days=7)
    page = member_client.get(f"/leads/{lead.pk}/").content.decode()
    assert "Left a voicemail" in page and "Timeline" in page


def test_the_dialog_comes_with_htmx_and_keeps_input_on_errors(member_client, make_lead):
    lead = make_lead()
    dialog = member_client.get(f"/leads/{lead.pk}/outreach/?origin=row",
                               headers={"HX-Request": "true"}).content.decode()
    assert dialog.lstrip().startswith("<dialog") and 'name="origin" value="row"' in dialog
    later = (timezone.localtime() + datetime.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = member_client.post(
        f"/leads/{lead.pk}/outreach/",
        {"kind": "", "happened_at": later, "notes": "Typed notes", "origin": "row"},
        headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<dialog" in html and "Typed notes" in html
    assert "This field is required." in html
    assert not Outreach.objects.exists()


def test_from_the_table_the_row_is_redrawn(member_client, make_lead):
    lead = make_lead()
    response = post_outreach(member_client, lead, origin="row", follow_up_in="1", _htmx=True)
    html = response.content.decode()
    assert f'<tr id="lead-{lead.pk}" hx-swap-oob="true"' in html
    assert 'aria-label="Pending, ' in html and "Logged outreach with" in html


def test_the_table_shows_last_outreach_and_pending_and_filters_them(member_client, make_lead):
    contacted = make_lead(name="Contacted One")
    make_lead(name="Quiet One")
    post_outreach(member_client, contacted, follow_up_in="3")
    html = member_client.get("/leads/?pending=true").content.decode()
    assert "Contacted One" in html and "Quiet One" not in html
    assert "just now" in html or "min ago" in html
    rows = member_client.get("/leads/?ordering=-last_outreach").content.decode()
    assert rows.index("Contacted One") < rows.index("Quiet One")


def test_follow_ups_page_lists_mine_and_everyones(member_client, make_lead, member, admin):
    overdue = make_lead(name="Overdue Shop", owner=member)
    make_lead(name="Admin Shop", owner=admin)
    Lead.objects.filter(pk=overdue.pk).update(next_follow_up_on=TODAY() - datetime.timedelta(2))
    Lead.objects.filter(name="Admin Shop").update(next_follow_up_on=TODAY())
    mine = member_client.get("/follow-ups/").content.decode()
    assert "Overdue Shop" in mine and "Admin Shop" not in mine
    assert '<span class="lb-nav-count"' in mine
    everyone = member_client.get("/follow-ups/?who=all").content.decode()
    assert "Overdue Shop" in everyone and "Admin Shop" in everyone


def test_the_navigation_counts_due_follow_ups_up_to_99(member_client, make_lead, member):
    leads = [make_lead(name=f"Due {i}", owner=member) for i in range(100)]
    ids = [lead.pk for lead in leads]
    Lead.objects.filter(pk__in=ids[:99]).update(next_follow_up_on=TODAY())
    html = member_client.get("/follow-ups/").content.decode()
    assert 'title="99 of your follow-ups due today or overdue">99<' in html
    Lead.objects.filter(pk=ids[99]).update(next_follow_up_on=TODAY())
    html = member_client.get("/follow-ups/").content.decode()
    assert 'title="More than 99 of your follow-ups due today or overdue">99+<' in html


def test_done_and_reschedule_from_the_follow_ups_page(member_client, make_lead):
    lead = make_lead()
    post_outreach(member_client, lead, follow_up_in="1")
    new_day = TODAY() + datetime.timedelta(days=9)
    member_client.post(f"/leads/{lead.pk}/follow-up/reschedule/",
                       {"follow_up_on": new_day.isoformat(), "next": "/follow-ups/"})
    assert Lead.objects.get().next_follow_up_on == new_day
    response = member_client.post(f"/leads/{lead.pk}/follow-up/done/", {"next": "/follow-ups/"})
    assert response["Location"] == "/follow-ups/"
    assert Lead.objects.get().next_follow_up_on is None


def test_edit_and_delete_an_outreach(member_client, make_lead):
    lead = make_lead()
    post_outreach(member_client, lead)
    outreach = Outreach.objects.get()
    page = member_client.get(f"/outreach/{outreach.pk}/edit/").content.decode()
    assert "Left a voicemail" in page
    member_client.post(f"/outreach/{outreach.pk}/edit/", {
        "kind": outreach.kind.pk, "notes": "Spoke to Dana",
        "happened_at": timezone.localtime(outreach.happened_at).strftime("%Y-%m-%dT%H:%M"),
        "follow_up_on": ""})
    assert Outreach.objects.get().notes == "Spoke to Dana"
    member_client.post(f"/outreach/{outreach.pk}/delete/")
    assert not Outreach.objects.exists() and Lead.objects.get().last_outreach_at is None


def test_the_digest_lists_each_owners_due_follow_ups(make_lead, member, admin):
    overdue = make_lead(name="Overdue Shop", owner=member, phone="512 555 0100")
    today = make_lead(name="Today Shop", owner=member)
    make_lead(name="Later Shop", owner=member)
    Lead.objects.filter(pk=overdue.pk).update(next_follow_up_on=TODAY() - datetime.timedelta(3))
    Lead.objects.filter(pk=today.pk).update(next_follow_up_on=TODAY())
    Lead.objects.filter(name="Later Shop").update(
        next_follow_up_on=TODAY() + datetime.timedelta(3))
    out = io.StringIO()
    call_command("send_followup_digest", stdout=out)
    assert len(mail.outbox) == 1 and "Sent 1 digest." in out.getvalue()  # nothing for admin
    message = mail.outbox[0]
    assert message.to == ["sam@example.com"] and message.subject == "2 follow-ups due today"
    assert "Overdue (1):\n- Overdue Shop" in message.body and "512 555 0100" in message.body
    assert "Due today (1):\n- Today Shop" in message.body
    assert "Later Shop" not in message.body
    assert f"/leads/{overdue.pk}/" in message.body


def test_follow_ups_come_a_page_at_a_time_with_totals_for_all(member_client, make_lead, member,
                                                               monkeypatch):
    from leadbook.outreach import views

    monkeypatch.setattr(views, "FOLLOW_UPS_PER_PAGE", 2)
    for n in range(3):
        make_lead(name=f"Late Shop {n}", owner=member)
    make_lead(name="Today Shop", owner=member)
    Lead.objects.filter(name__startswith="Late").update(
        next_follow_up_on=TODAY() - datetime.timedelta(3))
    Lead.objects.filter(name="Today Shop").update(next_follow_up_on=TODAY())
    first = member_client.get("/follow-ups/").content.decode()
    assert "Late Shop 0" in first and "Late Shop 1" in first and "Late Shop 2" not in first
    assert "Overdue <span class=\"lb-muted\">(3)</span>" in first
    assert "1–2 of 4" in first and 'href="?page=2"' in first
    everyone = member_client.get("/follow-ups/?who=all").content.decode()
    assert 'href="?who=all&amp;page=2"' in everyone
    second = member_client.get("/follow-ups/?page=2").content.decode()
    assert "Late Shop 2" in second and "Today Shop" in second
    assert "Today <span class=\"lb-muted\">(1)</span>" in second
