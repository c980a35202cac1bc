"""Similar values: spellings grouped within the file and with stored leads, and the spelling
suggested for each group."""

from collections import Counter

from leadbook.transfer.similar import country_code, group_similar, state_code, stored_spellings


def groups(field, in_file, stored=None):
    return [(sorted(g["values"]), g["suggested"])
            for g in group_similar(field, Counter(in_file), Counter(stored or {}))]


def test_case_and_typos_in_a_city_are_grouped_with_the_usual_spelling():
    assert groups("city", {"Austin": 2, "austin": 1, "Austn": 1, "Nashville": 1}) == [
        (["Austin", "Austn", "austin"], "Austin")]


def test_saint_and_st_are_one_city():
    assert groups("city", {"St. Louis": 1, "Saint Louis": 2}) == [
        (["Saint Louis", "St. Louis"], "Saint Louis")]


def test_different_places_one_typo_apart_are_not_grouped():
    assert groups("city", {"Nashville": 1, "Asheville": 1}) == []
    assert groups("country", {"Niger": 1, "Nigeria": 1}) == []


def test_state_names_and_codes_are_one_state():
    assert groups("state", {"TX": 2, "Texas": 1, "tx": 1, "TN": 1}) == [
        (["TX", "Texas", "tx"], "TX")]
    assert state_code("texas") == state_code("TX") == "US-TX"
    assert state_code("Ontario") == "CA-ON"


def test_country_names_and_codes_are_one_country():
    assert groups("country", {"USA": 2, "United States": 1, "US": 1}) == [
        (["US", "USA", "United States"], "USA")]
    assert country_code("U.S.A.") == country_code("United States of America") == "US"
    assert country_code("Deutschland") is None or country_code("Deutschland") == "DE"
    assert country_code("Germany") == "DE"


def test_the_spelling_already_used_on_leads_is_suggested():
    assert groups("city", {"austin": 3, "Austin": 1}, {"Austin": 40}) == [
        (["Austin", "austin"], "Austin")]
    assert groups("state", {"Texas": 3}, {"TX": 10}) == [(["TX", "Texas"], "TX")]


def test_a_lowercase_winner_gives_way_to_its_capitalised_twin():
    assert groups("position", {"owner": 5, "Owner": 1}) == [(["Owner", "owner"], "Owner")]


def test_no_group_when_the_file_already_uses_the_suggested_spelling():
    assert groups("city", {"Austin": 3}, {"austin": 1, "Austin": 50}) == []


def test_groups_report_counts_in_the_file_and_stored():
    (group,) = group_similar("city", Counter({"austin": 2}), Counter({"Austin": 7}))
    assert group["counts"] == {"Austin": [0, 7], "austin": [2, 0]}
    assert group["field"] == "city"


def test_stored_spellings_count_live_leads_only(make_lead):
    make_lead(name="A", city="Austin")
    make_lead(name="B", city="Austin")
    gone = make_lead(name="C", city="austin")
    gone.deleted_at = gone.created_at
    gone.save()
    assert stored_spellings("city") == Counter({"Austin": 2})
