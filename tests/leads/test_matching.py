"""The duplicate matching engine: what counts as the same lead, and that it stays cheap."""

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadbook.leads import matching
from leadbook.leads.matching import find_duplicate_groups, find_matches, match_rows
from leadbook.leads.models import Lead, Status
from leadbook.leads.services import set_lead_active

pytestmark = pytest.mark.django_db


def reasons(matches):
    return [(m.lead_id, m.reason) for m in matches]


# --- Exact keys -----------------------------------------------------------------------------


@pytest.mark.parametrize(("stored", "typed", "reason"), [
    ({"email": "dana@juniper.example"}, {"email": " Dana@Juniper.EXAMPLE"}, "email"),
    ({"phone": "(512) 555-0142"}, {"phone": "+1 512 555 0142"}, "phone"),
    ({"phone": "512.555.0142"}, {"phone": "1-512-555-0142"}, "phone"),
    ({"instagram": "@JuniperVine"}, {"instagram": "https://www.instagram.com/junipervine/"},
     "instagram"),
    ({"instagram": "junipervine"}, {"instagram": "instagram.com/JuniperVine?igsh=x1"},
     "instagram"),
    ({"website": "juniper.example"}, {"website": "https://www.Juniper.example/shop"}, "website"),
])
def test_a_shared_key_is_a_match_however_it_was_typed(make_lead, stored, typed, reason):
    lead = make_lead(name="Juniper & Vine", **stored)
    make_lead(name="Someone Else", email="sam@other.example", phone="(615) 555-0100")
    assert reasons(find_matches({"name": "J&V", **typed})) == [(lead.pk, reason)]


@pytest.mark.parametrize(("stored", "typed"), [
    ({"website": "facebook.com/junipervine"}, {"website": "facebook.com/copperbooks"}),
    ({"website": "gmail.com"}, {"website": "https://gmail.com"}),
    ({"phone": "555-0142"}, {"phone": "555-0142"}),  # no area code: no key
    ({"email": "dana@juniper.example"}, {"website": "juniper.example"}),  # domain ≠ website
    ({"email": "dana@gmail.com"}, {"email": "sam@gmail.com"}),
])
def test_shared_hosts_incomplete_numbers_and_mail_domains_are_no_match(make_lead, stored, typed):
    make_lead(name="Juniper & Vine", city="Austin", **stored)
    assert find_matches({"name": "Copper Books", "city": "Austin", **typed}) == []


def test_one_match_per_lead_named_by_its_strongest_key(make_lead):
    lead = make_lead(email="dana@juniper.example", phone="(512) 555-0142")
    [match] = find_matches({"email": "DANA@juniper.example", "phone": "5125550142"})
    assert (match.lead_id, match.reason, match.score) == (lead.pk, "email", 100.0)
    assert match.detail == "Same email dana@juniper.example and phone +1 512-555-0142"


def test_matches_come_best_first_and_limited(make_lead):
    by_website = make_lead(name="A", website="juniper.example")
    by_phone = make_lead(name="B", phone="(512) 555-0142")
    by_email = make_lead(name="C", email="dana@juniper.example")
    candidate = {"email": "dana@juniper.example", "phone": "512 555 0142",
                 "website": "juniper.example"}
    assert [m.lead_id for m in find_matches(candidate)] == [by_email.pk, by_phone.pk,
                                                            by_website.pk]
    assert [m.score for m in find_matches(candidate)] == [100.0, 95.0, 80.0]
    assert [m.lead_id for m in find_matches(candidate, limit=1)] == [by_email.pk]


def test_a_saved_lead_does_not_match_itself_and_ids_can_be_excluded(make_lead):
    lead = make_lead(email="dana@juniper.example")
    other = make_lead(name="Dana", email="dana@juniper.example")
    assert reasons(find_matches(lead)) == [(other.pk, "email")]
    assert find_matches(lead, exclude_ids=[other.pk]) == []


def test_an_unsaved_lead_is_read_from_its_typed_fields(make_lead):
    lead = make_lead(instagram="@junipervine")
    assert reasons(find_matches(Lead(name="New", instagram="instagram.com/junipervine"))) == [
        (lead.pk, "instagram")
    ]


def test_inactive_leads_are_still_duplicates(make_lead):
    lead = set_lead_active(lead=make_lead(email="dana@juniper.example"), actor=None,
                           active=False)
    assert reasons(find_matches({"email": "dana@juniper.example"})) == [(lead.pk, "email")]


def test_nothing_matches_on_empty_or_placeholder_values(make_lead):
    make_lead(email="", phone="", instagram="", website="")
    make_lead(name="Other", email="", phone="000-000-0000")
    assert find_matches({"name": "Nobody", "email": "n/a", "phone": "0000000000",
                         "instagram": "none"}) == []


# --- Similar names --------------------------------------------------------------------------


@pytest.fixture
def juniper(make_lead):
    return make_lead(name="Juniper & Vine LLC", first_name="Dana", last_name="Reyes",
                     city="Austin", email="dana@juniper.example")


@pytest.mark.parametrize("typed", [
    {"company": "Juniper and Vine", "city": "austin"},
    {"name": "The Juniper & Vine", "city": "Austin", "first_name": "Dana"},
    {"name": "Dana Reyes", "company": "JUNIPER & VINE", "city": "Austin",
     "first_name": "Dana", "last_name": "Reyes"},
    # a typo, confirmed by the same contact person
    {"company": "Junpier & Vine", "city": "Austin", "first_name": "Dana", "last_name": "Reyes"},
    # one name inside the other, confirmed by the same contact person
    {"company": "Juniper & Vine Boutique", "city": "Austin", "first_name": "Dana",
     "last_name": "Reyes"},
])
def test_the_same_name_in_the_same_city_is_a_fuzzy_match(juniper, typed):
    [match] = find_matches({"email": "dana.reyes@gmail.com", **typed})
    assert (match.lead_id, match.reason) == (juniper.pk, "name")
    assert 60 <= match.score <= matching.FUZZY_MAX_SCORE
    assert "Juniper & Vine LLC" in match.detail and "Austin" in match.detail


@pytest.mark.parametrize("typed", [
    {"company": "Juniper & Vine", "city": "Denver"},  # a branch of a chain elsewhere
    {"company": "Juniper & Vine", "city": "Austin", "first_name": "Sam",
     "last_name": "Ortiz"},  # another contact
    {"company": "Jupiter & Vine", "city": "Austin"},  # another business
    {"company": "Junpier & Vine", "city": "Austin"},  # a typo with no person to confirm it
    {"company": "Juniper & Vine Boutique", "city": "Austin"},
    {"company": "Juniper", "city": "Austin", "first_name": "Dana", "last_name": "Reyes"},
    {"name": "Dana Reyes", "city": "Austin", "first_name": "Dana", "last_name": "Reyes"},
])
def test_names_that_differ_in_what_matters_are_no_match(juniper, typed):
    assert find_matches(typed) == []


def test_another_street_number_is_another_branch(make_lead):
    make_lead(name="Corner Cup Coffee", city="Austin", address="1200 Lamar Blvd")
    assert find_matches({"name": "Corner Cup Coffee", "city": "Austin",
                         "address": "88 Congress Ave"}) == []
    assert len(find_matches({"name": "Corner Cup Coffee", "city": "Austin",
                             "address": "1200 N Lamar Blvd"})) == 1


def test_without_a_city_a_name_needs_the_same_contact(make_lead):
    lead = make_lead(name="Corner Cup Coffee", first_name="Dana")
    make_lead(name="Corner Cup Coffee", first_name="Dana", city="Nashville")
    assert find_matches({"name": "Corner Cup Coffee Co."}) == []
    [match] = find_matches({"name": "Corner Cup Coffee Co.", "first_name": "Dana",
                            "last_name": "Reyes"})
    assert match.lead_id == lead.pk
    assert match.score == matching.FUZZY_MAX_SCORE - matching.NO_CITY_PENALTY


def test_word_order_counts_for_businesses_but_not_for_people(make_lead):
    make_lead(name="Fox & Fig", city="Austin")
    person = make_lead(name="", first_name="Dana", last_name="Reyes", city="Austin")
    assert find_matches({"name": "Fig & Fox", "city": "Austin"}) == []
    assert reasons(find_matches({"name": "Reyes Dana", "city": "Austin"})) == [
        (person.pk, "name")]


def test_a_namesake_with_their_own_email_is_another_person(make_lead):
    make_lead(name="", first_name="Maya", last_name="Chen", city="Chicago",
              email="maya.chen@gmail.com")
    assert find_matches({"first_name": "Maya", "last_name": "Chen", "city": "Chicago",
                         "email": "mchen88@yahoo.com"}) == []
    assert len(find_matches({"first_name": "Maya", "last_name": "Chen", "city": "Chicago",
                             "phone": "(312) 555-0199"})) == 1


def test_a_business_is_told_apart_by_two_kinds_of_contact_details(make_lead):
    make_lead(name="Corner Cup Coffee", city="Austin", email="hello@cornercup.example",
              phone="(512) 555-0142")
    other_branch = {"name": "Corner Cup Coffee", "city": "Austin",
                    "email": "southside@cornercup.example", "phone": "(512) 555-0199"}
    assert find_matches(other_branch) == []
    # one kind disagreeing is common for one business (the owner's own email)
    assert len(find_matches({**other_branch, "phone": ""})) == 1


def test_the_same_contact_vouches_for_a_business_whatever_its_details(make_lead):
    lead = make_lead(name="Corner Cup Coffee", first_name="Dana", last_name="Reyes",
                     city="Austin", email="hello@cornercup.example", phone="(512) 555-0142")
    [match] = find_matches({"company": "Corner Cup Coffee", "first_name": "Dana",
                            "last_name": "Reyes", "city": "Austin",
                            "email": "dana.reyes@gmail.com", "phone": "(737) 555-0100"})
    assert (match.lead_id, match.reason, match.score) == (lead.pk, "name", 75.0)
    assert match.detail == "Same name and contact in Austin: Corner Cup Coffee"


def test_names_are_not_compared_when_a_key_already_matched(make_lead, juniper):
    other = make_lead(name="Corner Cup", phone="(512) 555-0142")
    found = find_matches({"company": "Juniper & Vine", "city": "Austin",
                          "phone": "512-555-0142"})
    assert reasons(found) == [(other.pk, "phone")]


# --- Cost -----------------------------------------------------------------------------------


PEOPLE = ["Dana", "Sam", "Priya", "Lee", "Alex", "Jordan", "Maya", "Noah", "Emma", "Liam",
          "Olivia", "Ava", "Mia", "Lucas", "Ethan", "Zoe", "Chloe", "Leo", "Isla", "Omar"]


def _bulk_leads(count: int, start: int = 0) -> None:
    """`count` leads in one name block (Juniper & Vine, Austin), each with its own contact."""
    status = Status.objects.first()
    leads = []
    for n in range(start, start + count):
        lead = Lead(name="Juniper & Vine", city="Austin", status=status,
                    email=f"x{n}@juniper.example", phone=f"(512) 555-{n:04d}",
                    first_name=PEOPLE[n % len(PEOPLE)], last_name=f"No{n}")
        lead.refresh_derived_fields()
        leads.append(lead)
    Lead.objects.bulk_create(leads)


@pytest.mark.parametrize("table_size", [10, 400])
def test_find_matches_issues_at_most_two_queries_whatever_the_table_size(
        table_size, django_assert_max_num_queries):
    _bulk_leads(table_size)
    candidate = {"name": "Juniper and Vine", "city": "Austin", "email": "new@juniper.example",
                 "phone": "512 555 9999", "instagram": "@new", "website": "new.example"}
    with django_assert_max_num_queries(2):
        find_matches(candidate)
    with django_assert_max_num_queries(1):
        find_matches({**candidate, "email": "x3@juniper.example"})


def _query_plans(run) -> list[str]:
    """SQLite's plan of every query `run()` issues."""
    with CaptureQueriesContext(connection) as captured:
        run()
    plans = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
            plans.append(" | ".join(str(row[3]) for row in cursor.fetchall()))
    return plans


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plan")
def test_every_lookup_uses_the_key_indexes(make_lead):
    """No lookup reads the leads table through anything but a key index (the default
    manager's `merged_into IS NULL` must not steer SQLite to the merged_into index)."""
    make_lead(name="Juniper & Vine", city="Austin", email="dana@juniper.example")
    candidate = {"name": "Juniper and Vine", "city": "Austin", "email": "new@juniper.example",
                 "phone": "512 555 0142", "instagram": "@new", "website": "new.example"}
    plans = _query_plans(lambda: find_matches(candidate))
    plans += _query_plans(lambda: match_rows([candidate, {"email": "dana@juniper.example"}]))
    assert len(plans) == 2 + 6
    for plan in plans:
        assert "SCAN" not in plan, plan
        assert "merged_into" not in plan.split("LIST SUBQUERY")[-1], plan
    joined = " ".join(plans)
    for field in (*matching.KEY_FIELDS, *matching.NAME_BLOCK_FIELDS):
        assert f"INDEX lead_{field} " in joined


def test_match_rows_reads_the_database_in_bulk(django_assert_max_num_queries):
    _bulk_leads(50)
    rows = [{"name": f"Row {n}", "email": f"X{n}@juniper.example ", "phone": f"615 555 {n:04d}"}
            for n in range(300)]
    with django_assert_max_num_queries(5):  # one per key kind and one for name blocks
        found = match_rows(rows)
    assert [(m.row, m.lead_id) for m in found[:2]] == [(0, Lead.objects.get(
        email_key="x0@juniper.example").pk), (1, Lead.objects.get(
        email_key="x1@juniper.example").pk)]
    assert len(found) == 50


# --- Batches (the importer) -----------------------------------------------------------------


def test_match_rows_finds_duplicates_within_the_batch_and_in_the_database(make_lead, juniper):
    rows = [
        {"name": "Copper Books", "email": "hello@copper.example", "city": "Denver"},
        {"name": "Copper Books Co.", "email": "HELLO@copper.example"},  # same as row 0
        {"name": "Juniper and Vine", "city": "Austin"},  # same as the Juniper lead, by name
        {"name": "Willow Market", "phone": "(303) 555-0199"},
        {"name": "Willow Mkt", "phone": "+1 303 555 0199"},  # same as row 3
        {"name": "Copper Books", "city": "Denver", "first_name": "Ann"},  # row 0, by name
        {"name": "Dana", "email": "dana@juniper.example"},  # the Juniper lead, by email
        {"name": "Fresh Lead", "email": "fresh@new.example"},
    ]
    found = {m.row: m for m in match_rows(rows)}
    assert set(found) == {1, 2, 4, 5, 6}
    assert (found[1].duplicate_of_row, found[1].reason) == (0, "email")
    assert (found[2].lead_id, found[2].reason) == (juniper.pk, "name")
    assert (found[4].duplicate_of_row, found[4].reason) == (3, "phone")
    assert (found[5].duplicate_of_row, found[5].reason) == (0, "name")
    assert (found[6].lead_id, found[6].reason, found[6].duplicate_of_row) == (
        juniper.pk, "email", None)


def test_matching_rows_with_each_other_in_a_forked_process_finds_the_same(make_lead, juniper):
    make_lead(name="Copper Books", email="hello@copper.example", city="Denver")
    rows = [{"name": "Copper Books", "city": "Denver", "first_name": "Ann"},
            {"name": "Juniper and Vine", "city": "Austin"},
            {"name": "Willow Market", "phone": "(303) 555-0199"},
            {"name": "Willow Mkt", "phone": "+1 303 555 0199"},
            {"name": "Copper Books", "email": "HELLO@copper.example"}]
    profiles = [matching.profile_of(row) for row in rows]
    found = matching.match_profiles(profiles)
    assert [m.row for m in found] == [0, 1, 3, 4]
    assert matching.match_profiles(profiles, parallel=True) == found


def test_big_name_blocks_are_prefiltered_without_changing_a_match(monkeypatch):
    """A file whose rows crowd a few name blocks (one city, names alike, typos, contact
    persons, namesakes at other addresses and postal codes): comparing only the rows of
    the same postal code or none, and picking rows out in C before name_evidence, give
    exactly the matches that comparing every pair gives."""
    rng = random.Random(5)
    stems = ["Juniper Vine", "Juniper Vines", "Junipr Vine", "Jumper Vine Co", "Juno Vale",
             "Juniper Vine Boutique", "Dana Reyes", "Reyes Dana", "Julia Vance"]
    people = ["", "", "Dana Reyes", "Dana Reys", "Ann Lee", "Dana", "Sam Ortiz"]
    rows = [{"name": rng.choice(stems), "city": rng.choice(["Austin", "austin", ""]),
             **dict(zip(("first_name", "last_name"),
                        [*rng.choice(people).split(" ", 1), ""], strict=False)),
             "address": rng.choice(["", "12 Main St", "40 Oak Ave"]),
             "postal_code": rng.choice(["", "78701", "78702"])}
            for _ in range(400)]
    profiles = [matching.profile_of(row) for row in rows]
    every_pair = {}  # the earliest of the best-scoring earlier rows sharing a block
    for index, profile in enumerate(profiles):
        for earlier in range(index):
            if set(profile.blocks()) & set(profiles[earlier].blocks()):
                evidence = matching.name_evidence(profile, profiles[earlier])
                if evidence and (index not in every_pair or evidence[0] > every_pair[index][0]):
                    every_pair[index] = (evidence[0], earlier)
    assert len(every_pair) > 100  # the test has teeth
    for prefilter_from in (10**9, 0):
        monkeypatch.setattr(matching, "PREFILTER_MIN_ROWS", prefilter_from)
        found = matching._batch_matches(profiles, fuzzy=True)
        assert {i: (m.score, m.duplicate_of_row) for i, m in found.items()} == every_pair


def test_match_rows_without_names_only_compares_keys(juniper):
    rows = [{"name": "Juniper and Vine", "city": "Austin"}, {"email": "DANA@juniper.example"}]
    assert [(m.row, m.reason) for m in match_rows(rows, fuzzy=False)] == [(1, "email")]


def test_match_rows_prefers_an_existing_lead_to_an_earlier_row(juniper):
    rows = [{"email": "dana@juniper.example"}, {"email": "dana@juniper.example"}]
    assert [(m.row, m.lead_id, m.duplicate_of_row) for m in match_rows(rows)] == [
        (0, juniper.pk, None), (1, juniper.pk, None)]


# --- The whole database ---------------------------------------------------------------------


def test_find_duplicate_groups_links_leads_through_any_evidence(make_lead):
    a = make_lead(name="Juniper & Vine", email="dana@juniper.example", city="Austin")
    b = make_lead(name="J&V", email="DANA@juniper.example", phone="(512) 555-0142")
    c = make_lead(name="Dana", phone="512.555.0142")
    d = make_lead(name="Copper Books", city="Denver", first_name="Ann", last_name="Lee")
    e = make_lead(name="Copper Books LLC", city="Denver", first_name="Ann")
    make_lead(name="Copper Books", city="Austin")
    make_lead(name="Willow Market", instagram="@willow")
    groups = find_duplicate_groups()
    assert [(g.lead_ids, g.reason, g.reasons) for g in groups] == [
        ((a.pk, b.pk, c.pk), "email", ("email", "phone")),
        ((d.pk, e.pk), "name", ("name",)),
    ]
    assert groups[0].score == 100.0 and groups[0].detail == "Same email dana@juniper.example"
    assert find_duplicate_groups(limit=1) == groups[:1]
    assert [g.lead_ids for g in find_duplicate_groups(fuzzy=False)] == [(a.pk, b.pk, c.pk)]


def test_find_duplicate_groups_compares_large_name_blocks_the_same_way(make_lead):
    # Enough leads in one block to take the vectorised path: distinct contacts, no match...
    _bulk_leads(matching.VECTOR_BLOCK_MIN + 3)
    assert find_duplicate_groups() == []
    # ...until one contact appears twice.
    original = Lead.objects.get(email_key="x2@juniper.example")
    twin = make_lead(name="Juniper and Vine LLC", city="Austin", first_name=original.first_name,
                     last_name=original.last_name)
    [group] = find_duplicate_groups()
    assert (group.lead_ids, group.reason) == ((original.pk, twin.pk), "name")


def test_the_migration_fills_the_name_keys_of_existing_leads(make_lead):
    import importlib

    from django.apps import apps

    lead = make_lead(name="Juniper & Vine", city="Austin", phone="555-0142")
    Lead.objects.filter(pk=lead.pk).update(name_key="", name_alt_key="", phone_key="+15550142")
    migration = importlib.import_module("leadbook.leads.migrations.0002_lead_name_keys")
    migration.refresh_match_keys(apps, None)
    lead.refresh_from_db()
    assert (lead.name_key, lead.name_alt_key, lead.phone_key) == (
        "juvi|austin", "jervne|austin", "")
