"""The Duplicates page, "not a duplicate", the merge page and its undo, the lead form's
duplicate warning and the lead page's possible duplicates."""

import datetime
import re

import pytest
from django.utils import timezone

from leadbook.leads import duplicates, merging
from leadbook.leads.models import (
    DuplicateDismissal,
    DuplicateScan,
    DuplicateScanGroup,
    Lead,
    LeadMerge,
    ScanState,
    Status,
)

PAGE = "/leads/duplicates/"


def form_data(**overrides) -> dict:
    data = {
        "name": "", "first_name": "", "last_name": "", "email": "", "phone": "",
        "instagram": "", "website": "", "company": "", "position": "", "address": "",
        "city": "", "state": "", "postal_code": "", "country": "",
        "status": Status.objects.get(name="New").pk, "temperature": "cold", "source": "",
        "owner": "", "collab_type": "", "followers": "", "notes": "",
    }
    data.update(overrides)
    return data


def reload(lead) -> Lead:
    return Lead.all_objects.get(pk=lead.pk)


def checked(html: str, name: str) -> list[str]:
    """The values of the checked radios called `name`."""
    return re.findall(rf'name="{name}" value="([^"]+)"[^>]*checked', html)


@pytest.fixture
def pair(make_lead):
    """Two records of one shop: same email, typed differently."""
    first = make_lead(name="Juniper & Vine", email="dana@juniper.example.com", city="Austin",
                      phone="(512) 555-0142")
    second = make_lead(name="Juniper and Vine", email="DANA@juniper.example.com ",
                       instagram="junipervine")
    return first, second


@pytest.fixture
def trio(make_lead):
    return [make_lead(name=f"Corner Cup {i}", phone="+1 512 555 0188") for i in range(3)]


# --- who may do what ----------------------------------------------------------------------

def test_an_outsider_is_sent_to_sign_in_and_changes_nothing(client, pair, member):
    first, second = pair
    merge_url = f"/leads/merge/?ids={first.pk},{second.pk}"
    for url in (PAGE, "/leads/duplicates/status/", merge_url):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    posts = [
        ("/leads/duplicates/check/", {}),
        ("/leads/duplicates/dismiss/", {"leads": f"{first.pk},{second.pk}"}),
        ("/leads/duplicates/undismiss/", {"dismissal": "1"}),
        (merge_url, {"survivor": first.pk}),
    ]
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    merge = merging.merge_leads(survivor=first, others=[second], actor=member)
    response = client.post(f"/leads/merges/{merge.pk}/undo/")
    assert "/accounts/login/" in response["Location"]
    assert not DuplicateScan.objects.exists() and not DuplicateDismissal.objects.exists()
    assert reload(second).merged_into == first
    assert not LeadMerge.objects.get().undone


def test_a_viewer_sees_the_duplicates_page_read_only(viewer_client, pair, member):
    first, second = pair
    html = viewer_client.get(PAGE).content.decode()
    assert "Same email dana@juniper.example.com" in html
    assert 'href="/leads/duplicates/"' in html  # in the navigation
    for control in ("Merge…", "Not duplicates", "Refresh", "/leads/duplicates/check/"):
        assert control not in html
    assert viewer_client.post("/leads/duplicates/check/").status_code == 403
    assert viewer_client.post("/leads/duplicates/dismiss/",
                              {"leads": f"{first.pk},{second.pk}"}).status_code == 403
    merge_url = f"/leads/merge/?ids={first.pk},{second.pk}"
    assert viewer_client.get(merge_url).status_code == 403
    assert viewer_client.post(merge_url, {"survivor": first.pk}).status_code == 403
    merge = merging.merge_leads(survivor=first, others=[second], actor=member)
    assert viewer_client.post(f"/leads/merges/{merge.pk}/undo/").status_code == 403
    assert not DuplicateDismissal.objects.exists() and not LeadMerge.objects.get().undone
    lead_page = viewer_client.get(f"/leads/{first.pk}/").content.decode()
    assert "Undo merge" not in lead_page


# --- the Duplicates page ------------------------------------------------------------------

def test_the_first_visit_checks_the_book_and_shows_groups_best_first(member_client, pair,
                                                                     trio):
    html = member_client.get(PAGE).content.decode()
    assert DuplicateScan.objects.get().state == ScanState.DONE
    assert "Last checked" in html and "5 leads" in html
    email_at = html.index("Same email dana@juniper.example.com")
    phone_at = html.index("Same phone +1 512-555-0188")
    assert email_at < phone_at  # an email (100) is stronger evidence than a phone (95)
    assert "Corner Cup 2" in html and "2 groups of likely duplicates" in html
    assert f'href="/leads/merge/?ids={pair[0].pk},{pair[1].pk}&amp;next=' in html


def test_refresh_replaces_the_kept_result(member_client, pair, make_lead):
    member_client.get(PAGE)
    make_lead(name="Someone New", phone="(512) 555-0142")
    response = member_client.post("/leads/duplicates/check/", follow=True)
    assert "Checked 3 leads: 1 groups of likely duplicates." in response.content.decode()
    scan = DuplicateScan.objects.get()  # only the newest result is kept
    assert list(scan.groups.values_list("lead_ids", flat=True)) == [
        sorted(Lead.objects.values_list("pk", flat=True))]
    assert DuplicateScanGroup.objects.count() == 1


def test_a_check_in_progress_is_followed_until_it_is_done(member_client, db):
    scan = DuplicateScan.objects.create(state=ScanState.RUNNING, started_at=timezone.now())
    html = member_client.get(PAGE).content.decode()
    assert "Checking every lead for duplicates" in html
    assert 'hx-get="/leads/duplicates/status/"' in html and 'hx-trigger="every 2s"' in html
    assert "disabled" in html  # no second check meanwhile
    status = member_client.get("/leads/duplicates/status/", headers={"HX-Request": "true"})
    assert status.status_code == 200 and "Checking every lead" in status.content.decode()
    # A second request does not queue a second check.
    member_client.post("/leads/duplicates/check/")
    assert DuplicateScan.objects.count() == 1
    DuplicateScan.objects.filter(pk=scan.pk).update(state=ScanState.DONE,
                                                    finished_at=timezone.now(), lead_count=0)
    done = member_client.get("/leads/duplicates/status/", headers={"HX-Request": "true"})
    assert done["HX-Refresh"] == "true"


def test_a_check_whose_worker_died_does_not_block_a_new_one(member_client, pair):
    long_ago = timezone.now() - datetime.timedelta(hours=2)
    DuplicateScan.objects.create(state=ScanState.RUNNING, requested_at=long_ago)
    member_client.post("/leads/duplicates/check/")
    assert DuplicateScan.objects.filter(state=ScanState.DONE).count() == 1


def test_a_failed_check_is_reported(member_client, pair, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(duplicates, "find_duplicate_groups", broken)
    response = member_client.post("/leads/duplicates/check/", follow=True)
    html = response.content.decode()
    assert "The check for duplicates failed" in html
    assert "The last check for duplicates failed" in html
    assert DuplicateScan.objects.get().error == "disk full"


def test_groups_filter_by_reason(member_client, pair, trio):
    html = member_client.get(PAGE + "?reason=phone").content.decode()
    assert "Corner Cup 1" in html and "Juniper" not in html
    assert 'aria-current="page" href="/leads/duplicates/?reason=phone"' in html


def test_groups_are_paginated(member_client, make_lead, monkeypatch):
    from leadbook.leads import duplicate_views

    monkeypatch.setattr(duplicate_views, "GROUPS_PER_PAGE", 2)
    for i in range(3):
        for _ in range(2):
            make_lead(name=f"Shop {i}", email=f"hello@shop{i}.example.com")
    first = member_client.get(PAGE).content.decode()
    assert "1–2 of 3" in first and 'href="/leads/duplicates/?page=2"' in first
    second = member_client.get(PAGE + "?page=2").content.decode()
    assert "3–3 of 3" in second and "hello@shop2.example.com" in second
    assert "hello@shop0.example.com" not in second


def test_not_duplicates_settles_a_group_with_an_undo(member_client, pair, member):
    first, second = pair
    member_client.get(PAGE)
    group = DuplicateScanGroup.objects.get()
    response = member_client.post("/leads/duplicates/dismiss/", {
        "group": group.pk, "leads": f"{first.pk},{second.pk}", "next": PAGE,
    }, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "Marked as not duplicates" in html and "Undo" in html
    dismissal = DuplicateDismissal.objects.get()
    assert (dismissal.lead, dismissal.other, dismissal.dismissed_by) == (first, second, member)
    assert "Same email" not in member_client.get(PAGE).content.decode()
    assert "No likely duplicates" in member_client.get(PAGE).content.decode()
    # remembered: not suggested on the lead page, nor found by the next check
    assert "Possible duplicates" not in member_client.get(f"/leads/{first.pk}/").content.decode()
    member_client.post("/leads/duplicates/check/")
    assert not DuplicateScanGroup.objects.exists()

    member_client.post("/leads/duplicates/undismiss/", {"dismissal": dismissal.pk})
    assert not DuplicateDismissal.objects.exists()


def test_undo_of_not_duplicates_brings_the_group_back(member_client, pair):
    first, second = pair
    member_client.get(PAGE)
    group = DuplicateScanGroup.objects.get()
    htmx = {"HX-Request": "true"}
    member_client.post("/leads/duplicates/dismiss/", {
        "group": group.pk, "leads": f"{first.pk},{second.pk}"}, headers=htmx)
    response = member_client.post("/leads/duplicates/undismiss/", {
        "group": group.pk, "dismissal": DuplicateDismissal.objects.get().pk}, headers=htmx)
    assert "Same email dana@juniper.example.com" in response.content.decode()
    assert DuplicateScanGroup.objects.get().is_open


def test_one_lead_of_a_group_can_be_told_apart_from_the_others(member_client, trio):
    member_client.get(PAGE)
    group = DuplicateScanGroup.objects.get()
    ids = ",".join(str(lead.pk) for lead in trio)
    response = member_client.post("/leads/duplicates/dismiss/", {
        "group": group.pk, "leads": ids, "lead": trio[2].pk}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "Marked Corner Cup 2 as not a duplicate of the others" in html
    group.refresh_from_db()
    assert group.lead_ids == [trio[0].pk, trio[1].pk] and group.is_open
    assert DuplicateDismissal.objects.count() == 2
    page = member_client.get(PAGE).content.decode()
    assert "Corner Cup 1" in page and "Corner Cup 2" not in page


def test_a_merge_settles_its_group(member_client, pair, member):
    member_client.get(PAGE)
    merging.merge_leads(survivor=pair[0], others=[pair[1]], actor=member)
    assert not DuplicateScanGroup.objects.get().is_open
    assert "No likely duplicates" in member_client.get(PAGE).content.decode()


# --- the merge page -----------------------------------------------------------------------

def test_the_merge_page_preselects_the_newest_non_empty_values(member_client, pair):
    first, second = pair
    Lead.objects.filter(pk=first.pk).update(
        updated_at=timezone.now() - datetime.timedelta(days=3))
    response = member_client.get(f"/leads/merge/?ids={second.pk},{first.pk}")
    html = response.content.decode()
    assert response.status_code == 200 and "Merge 2 leads" in html
    assert checked(html, "survivor") == [str(first.pk)]  # the oldest record by default
    assert checked(html, "name") == [str(second.pk)]  # both named: the newest
    assert checked(html, "phone") == [str(first.pk)]  # only the older one has a phone
    assert checked(html, "instagram") == [str(second.pk)]
    assert 'name="status"' not in html  # the same in both: nothing to choose
    assert "Juniper and Vine" in html and "(512) 555-0142" in html


def test_merging_from_the_page_keeps_the_chosen_values(member_client, pair, member):
    first, second = pair
    url = f"/leads/merge/?ids={first.pk},{second.pk}"
    html = member_client.get(url).content.decode()
    versions = dict(re.findall(r'name="version_(\d+)" value="(\d+)"', html))
    response = member_client.post(url, {
        "survivor": first.pk, "name": first.pk, "email": second.pk, "phone": first.pk,
        "instagram": second.pk, "city": first.pk,
        **{f"version_{pk}": v for pk, v in versions.items()},
    })
    assert response.status_code == 302 and response["Location"] == f"/leads/{first.pk}/"
    kept = reload(first)
    assert (kept.name, kept.instagram, kept.phone) == ("Juniper & Vine", "junipervine",
                                                       "(512) 555-0142")
    assert reload(second).merged_into == kept
    page = member_client.get(f"/leads/{first.pk}/").content.decode()
    assert "Merged 2 leads into Juniper &amp; Vine." in page
    assert f"merged Juniper and Vine (#{second.pk}) into this lead" in page
    assert "Undo merge" in page


def test_merging_can_combine_the_notes(member_client, make_lead):
    a = make_lead(name="Fox & Fig", email="hi@foxfig.example.com", notes="Likes linen")
    b = make_lead(name="Fox and Fig", email="hi@foxfig.example.com", notes="Call on Mondays")
    url = f"/leads/merge/?ids={a.pk},{b.pk}"
    assert "All of them, one after another" in member_client.get(url).content.decode()
    member_client.post(url, {"survivor": b.pk, "name": a.pk, "notes": "all"})
    assert reload(b).notes == "Likes linen\n\nCall on Mondays"
    assert reload(a).merged_into_id == b.pk


def test_a_merge_started_from_the_duplicates_page_returns_there(member_client, pair):
    first, second = pair
    url = f"/leads/merge/?ids={first.pk},{second.pk}&next=/leads/duplicates/%3Freason%3Demail"
    response = member_client.post(url, {"survivor": first.pk, "name": first.pk,
                                         "phone": first.pk, "instagram": second.pk,
                                         "city": first.pk, "email": first.pk})
    assert response["Location"] == "/leads/duplicates/?reason=email"


def test_a_lead_changed_while_choosing_is_not_overwritten(member_client, pair, member):
    from leadbook.leads.services import update_lead

    first, second = pair
    url = f"/leads/merge/?ids={first.pk},{second.pk}"
    post = {"survivor": first.pk, "name": first.pk, "email": first.pk, "phone": first.pk,
            "instagram": second.pk, "city": first.pk,
            f"version_{first.pk}": first.version, f"version_{second.pk}": second.version}
    update_lead(lead=second, actor=member, city="Round Rock")
    html = member_client.post(url, post).content.decode()
    assert "was changed by someone else while you were choosing" in html
    assert "Round Rock" in html
    assert reload(second).merged_into is None
    # Merging again, having seen the change, goes through.
    post[f"version_{second.pk}"] = reload(second).version
    assert member_client.post(url, post).status_code == 302


def test_the_merge_page_needs_two_leads_still_in_the_book(member_client, pair, member):
    first, second = pair
    merging.merge_leads(survivor=first, others=[second], actor=member)
    response = member_client.get(f"/leads/merge/?ids={first.pk},{second.pk}", follow=True)
    assert "Choose at least two leads to merge" in response.content.decode()


def test_undo_from_the_timeline(member_client, pair, member):
    first, second = pair
    merge = merging.merge_leads(survivor=first, others=[second], actor=member)
    response = member_client.post(f"/leads/merges/{merge.pk}/undo/", follow=True)
    html = response.content.decode()
    assert "Merge undone: Juniper and Vine is back." in html
    assert f"undid the merge of Juniper and Vine (#{second.pk})" in html
    assert "Undo merge" not in html
    assert reload(second).merged_into is None
    again = member_client.post(f"/leads/merges/{merge.pk}/undo/", follow=True)
    assert "This merge was already undone." in again.content.decode()


def test_a_merged_lead_s_address_leads_to_the_survivor(member_client, pair, member):
    first, second = pair
    merging.merge_leads(survivor=first, others=[second], actor=member)
    response = member_client.get(f"/leads/{second.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/leads/{first.pk}/"
    assert member_client.get("/leads/999999/").status_code == 404


# --- the lead page ------------------------------------------------------------------------

def test_the_lead_page_shows_possible_duplicates(member_client, pair):
    first, second = pair
    html = member_client.get(f"/leads/{first.pk}/").content.decode()
    assert "Possible duplicates" in html and "Same email dana@juniper.example.com" in html
    assert f'href="/leads/merge/?ids={first.pk},{second.pk}"' in html
    response = member_client.post("/leads/duplicates/dismiss/", {
        "leads": f"{first.pk},{second.pk}", "next": f"/leads/{first.pk}/"})
    assert response["Location"] == f"/leads/{first.pk}/"
    assert "Possible duplicates" not in member_client.get(f"/leads/{first.pk}/").content.decode()


def test_a_lead_without_duplicates_shows_no_panel(member_client, make_lead):
    lead = make_lead(name="Only One", email="only@one.example.com")
    assert "Possible duplicates" not in member_client.get(f"/leads/{lead.pk}/").content.decode()


# --- the lead form's warning --------------------------------------------------------------

def test_adding_a_likely_duplicate_warns_before_saving(member_client, pair):
    first, _ = pair
    data = form_data(name="Dana Reyes", email="Dana@Juniper.example.com", city="Austin",
                     notes="Met at the spring market")
    response = member_client.post("/leads/new/", data)
    html = response.content.decode()
    assert response.status_code == 200 and Lead.objects.count() == 2
    assert "This looks like 2 leads you already have" in html
    assert f'href="/leads/{first.pk}/"' in html and "Same email" in html
    assert "Save anyway" in html
    assert 'value="Dana Reyes"' in html and "Met at the spring market" in html  # all kept
    confirm = re.search(r'name="confirm_duplicates" value="([^"]*)"', html).group(1)
    assert set(confirm.split(",")) == {str(lead.pk) for lead in pair}

    response = member_client.post("/leads/new/", {**data, "confirm_duplicates": confirm,
                                                  "save_anyway": "1"})
    assert response.status_code == 302 and Lead.objects.count() == 3


def test_save_anyway_still_warns_of_another_lead(member_client, pair, make_lead):
    first, second = pair
    make_lead(name="Fox & Fig", phone="(737) 555-0100")
    data = form_data(name="Dana", email="dana@juniper.example.com",
                     confirm_duplicates=f"{first.pk},{second.pk}")
    assert member_client.post("/leads/new/", data).status_code == 302
    data = form_data(name="Sam", phone="737.555.0100",
                     confirm_duplicates=f"{first.pk},{second.pk}")
    html = member_client.post("/leads/new/", data).content.decode()
    assert "This looks like a lead you already have" in html and "Fox &amp; Fig" in html
    assert Lead.objects.filter(name="Sam").count() == 0


def test_editing_warns_only_of_new_likely_duplicates(member_client, pair, make_lead):
    first, second = pair
    fox = make_lead(name="Fox & Fig", phone="(737) 555-0100")
    edit = f"/leads/{first.pk}/edit/"
    keep = form_data(name=first.name, email=first.email, phone=first.phone, city="Austin",
                     version=first.version)
    # Its known duplicate (same email) does not hold up an unrelated edit.
    response = member_client.post(edit, {**keep, "notes": "Prefers email"})
    assert response.status_code == 302
    first.refresh_from_db()
    keep["version"] = first.version
    html = member_client.post(edit, {**keep, "phone": "737-555-0100"}).content.decode()
    assert "This looks like a lead you already have" in html
    assert f'href="/leads/{fox.pk}/"' in html and f'href="/leads/{second.pk}/"' not in html
    assert reload(first).phone == "(512) 555-0142"


def test_a_pair_said_not_to_be_duplicates_does_not_warn_on_edit(member_client, pair,
                                                                make_lead, member):
    first, _ = pair
    fox = make_lead(name="Fox & Fig", phone="(737) 555-0100")
    duplicates.dismiss_pairs(pairs=[(first.pk, fox.pk)], actor=member)
    data = form_data(name=first.name, email=first.email, phone="737-555-0100",
                     version=first.version)
    assert member_client.post(f"/leads/{first.pk}/edit/", data).status_code == 302


def test_the_merge_page_takes_a_few_leads_at_a_time(member_client, trio, monkeypatch):
    from leadbook.leads import duplicate_views

    monkeypatch.setattr(duplicate_views, "MAX_MERGE", 2)
    html = member_client.get(
        "/leads/merge/?ids=" + ",".join(str(lead.pk) for lead in trio)).content.decode()
    assert "Merge 2 leads" in html and "Corner Cup 2" not in html
    assert "merge these, then the 1 other from Duplicates" in html


def test_the_survivor_page_says_which_merged_lead_was_asked_for(member_client, pair, member):
    first, second = pair
    merging.merge_leads(survivor=first, others=[second], actor=member)
    html = member_client.get(f"/leads/{second.pk}/", follow=True).content.decode()
    assert f"Juniper and Vine (#{second.pk}) was merged into this lead." in html
