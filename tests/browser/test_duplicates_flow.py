"""Duplicates end to end: the form's warning, merging field by field, undo, the Duplicates
page and its "not a duplicate" answers."""

import re

from django.utils import timezone
from playwright.sync_api import expect

from leadbook.leads.models import DuplicateDismissal, DuplicateScan, Lead, ScanState
from leadbook.outreach.models import Outreach, OutreachKind
from leadbook.outreach.services import log_outreach
from tests.browser.conftest import sign_in


def test_add_a_duplicate_anyway_then_merge_it_and_undo(page, member, make_lead):
    shop = make_lead(name="Juniper & Vine", first_name="Dana", last_name="Reyes",
                     email="dana@junipervine.com", city="Austin", lead_types=["Wholesale"])
    log_outreach(lead=shop, actor=member, kind=OutreachKind.objects.get(name="Email"))
    sign_in(page, "sam")
    page.goto("/leads/new/")
    page.get_by_label("Name", exact=True).fill("Juniper and Vine LLC")
    page.get_by_label("Email").fill("DANA@junipervine.com")
    page.get_by_label("Phone").fill("(512) 555-0142")
    page.get_by_label("Podcast Host").check()
    page.get_by_role("button", name="Add lead", exact=True).click()

    warning = page.locator("#likely-duplicates")
    expect(warning).to_contain_text("This looks like a lead you already have")
    expect(warning).to_contain_text("Same email dana@junipervine.com")
    expect(warning.get_by_role("link", name="Open Juniper & Vine")).to_have_attribute(
        "href", f"/leads/{shop.pk}/")
    expect(page.get_by_label("Phone")).to_have_value("(512) 555-0142")  # all kept
    expect(page.get_by_label("Podcast Host")).to_be_checked()
    assert Lead.objects.count() == 1
    warning.get_by_role("button", name="Save anyway").click()

    expect(page.get_by_role("heading", name="Juniper and Vine LLC")).to_be_visible()
    copy = Lead.objects.get(name="Juniper and Vine LLC")
    panel = page.locator("#possible-duplicates")
    expect(panel).to_contain_text("Juniper & Vine")
    panel.get_by_role("link", name="Merge…").click()

    expect(page.get_by_role("heading", name="Merge 2 leads")).to_be_visible()
    # The newest non-empty value is preselected; the older name is chosen instead.
    expect(page.locator(f"#id_phone_{copy.pk}")).to_be_checked()
    expect(page.locator(f"#id_name_{copy.pk}")).to_be_checked()
    page.locator(f"#id_name_{shop.pk}").check()
    page.locator(f"#id_survivor_{shop.pk}").check()
    expect(page.get_by_text("Wholesale")).to_be_visible()
    page.get_by_role("button", name="Merge 2 leads").click()

    expect(page.get_by_role("heading", name="Juniper & Vine")).to_be_visible()
    expect(page.locator("#toasts")).to_contain_text("Merged 2 leads into Juniper & Vine.")
    expect(page.locator("#timeline")).to_contain_text(
        f"merged Juniper and Vine LLC (#{copy.pk}) into this lead")
    expect(page.get_by_text("(512) 555-0142").first).to_be_visible()
    kept = Lead.objects.get(pk=shop.pk)
    assert kept.lead_types_label == "Wholesale, Podcast Host"
    assert Lead.all_objects.get(pk=copy.pk).merged_into_id == shop.pk

    page.get_by_role("button", name="Undo merge").click()
    expect(page.locator("#toasts")).to_contain_text("Merge undone: Juniper and Vine LLC is back.")
    assert Lead.objects.count() == 2
    assert Lead.objects.get(pk=shop.pk).phone == ""
    assert Outreach.objects.get().lead_id == shop.pk


def test_work_through_the_duplicates_page(page, member, make_lead):
    cups = [make_lead(name="Corner Cup", phone=f"+1 737 555 01{n}", city="Round Rock")
            for n in ("88", "88", "88")]
    make_lead(name="Fox & Fig", email="hi@foxfig.example.com")
    make_lead(name="Fox and Fig", email="HI@foxfig.example.com", city="Austin")
    sign_in(page, "sam")
    page.get_by_role("link", name="Duplicates").click()

    expect(page.get_by_text("Last checked")).to_be_visible()
    groups = page.locator(".lb-dupgroup")
    expect(groups).to_have_count(2)
    expect(groups.first).to_contain_text("Same email hi@foxfig.example.com")  # strongest first

    cups_group = groups.filter(has_text="Same phone")
    not_this_one = "Corner Cup is not a duplicate of the others"
    cups_group.get_by_role("button", name=not_this_one).last.click()
    expect(cups_group).to_contain_text("Marked Corner Cup as not a duplicate of the others")
    expect(cups_group.locator("tbody tr")).to_have_count(2)
    cups_group.get_by_role("button", name="Undo").click()
    expect(cups_group.locator("tbody tr")).to_have_count(3)
    cups_group.get_by_role("button", name="Not duplicates").click()
    expect(page.get_by_text("Marked as not duplicates")).to_be_visible()
    assert DuplicateDismissal.objects.count() == 3

    groups.filter(has_text="Same email").get_by_role("link", name="Merge…").click()
    expect(page.get_by_role("heading", name="Merge 2 leads")).to_be_visible()
    page.get_by_role("button", name="Merge 2 leads").click()
    expect(page).to_have_url(re.compile(r"/leads/duplicates/$"))
    expect(page.locator("#toasts")).to_contain_text("Merged 2 leads into Fox and Fig.")  # newest
    expect(page.get_by_text("No likely duplicates")).to_be_visible()
    assert Lead.objects.filter(name__startswith="Fox").count() == 1
    assert all(Lead.objects.filter(pk=cup.pk).exists() for cup in cups)


def test_the_page_follows_a_check_running_in_the_background(page, member, make_lead):
    make_lead(name="Fox & Fig", email="hi@foxfig.example.com")
    make_lead(name="Fox and Fig", email="hi@foxfig.example.com")
    scan = DuplicateScan.objects.create(state=ScanState.RUNNING, started_at=timezone.now())
    sign_in(page, "sam")
    page.goto("/leads/duplicates/")
    expect(page.locator("#scan-status")).to_contain_text("Checking every lead for duplicates")
    expect(page.get_by_role("button", name="Refresh")).to_be_disabled()

    # The worker finishes: the page notices and shows the result by itself.
    from leadbook.leads.duplicates import run_scan

    run_scan(scan.pk)
    expect(page.get_by_role("heading", name="Same email hi@foxfig.example.com")).to_be_visible(
        timeout=8000)
    expect(page.get_by_role("button", name="Refresh")).to_be_enabled()
