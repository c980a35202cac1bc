"""The tidying rules not covered by test_normalize: free text, accents, digits, how phone keys
are shown, and what a lead's own fields become when it is saved through the services."""

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadbook.leads import normalize
from leadbook.leads.models import Lead

FAST = settings(max_examples=200, deadline=None)


# --- free text ------------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "kept"), [
    (None, ""), ("", ""), ("  Juniper   &\tVine \n", "Juniper & Vine"), (42, "42"),
])
def test_clean_text_strips_and_collapses_whitespace(typed, kept):
    assert normalize.clean_text(typed) == kept


@FAST
@given(st.text())
def test_clean_text_is_tidy_and_idempotent(text):
    cleaned = normalize.clean_text(text)
    assert cleaned == cleaned.strip() and "  " not in cleaned
    assert not any(c.isspace() and c != " " for c in cleaned)
    assert normalize.clean_text(cleaned) == cleaned
    assert cleaned.split() == text.split()  # the words themselves are never changed


@pytest.mark.parametrize(("typed", "folded"), [
    ("Café Élan", "cafe elan"), ("JUNIPER", "juniper"), ("Ñandú", "nandu"),
    ("Straße", "strasse"),
])
def test_fold_drops_case_and_accents(typed, folded):
    assert normalize.fold(typed) == folded


@FAST
@given(st.text())
def test_fold_is_idempotent_and_leaves_no_accents(text):
    folded = normalize.fold(text)
    assert normalize.fold(folded) == folded
    assert not any(unicodedata.combining(c) for c in folded)


@FAST
@given(st.text())
def test_digits_keeps_only_the_digits_in_order(text):
    assert normalize.digits(text) == "".join(c for c in text if c.isdigit())


# --- phone keys shown to people -------------------------------------------------------------

@pytest.mark.parametrize(("key", "shown"), [
    ("+15125550142", "+1 512-555-0142"), ("+447911123456", "+44 7911 123456"),
])
def test_phone_display_writes_a_key_for_people(key, shown):
    assert normalize.phone_display(key) == shown


@FAST
@given(area=st.integers(201, 989), exchange=st.integers(200, 999), line=st.integers(0, 9999))
def test_a_shown_phone_key_reads_back_as_the_same_key(area, exchange, line):
    key = normalize.phone_key(f"{area}{exchange}{line:04d}")
    if key:
        assert normalize.phone_key(normalize.phone_display(key)) == key


# --- a lead's own fields --------------------------------------------------------------------

def test_a_blank_name_is_made_from_the_contact_else_the_company(make_lead):
    assert make_lead(name="", first_name="Dana", last_name="Reyes").name == "Dana Reyes"
    assert make_lead(name="", first_name="", company="Corner Cup").name == "Corner Cup"
    assert make_lead(name="", first_name="Dana", company="Corner Cup").name == "Dana"


def test_saving_tidies_what_was_typed_and_keeps_the_keys_in_step(make_lead):
    lead = make_lead(name="  Juniper   & Vine ", email=" Dana@Juniper.example.com ",
                     phone="(512) 555-0142", instagram="https://instagram.com/JuniperVine/",
                     website="https://www.Juniper.example.com/shop", city=" Austin ")
    lead = Lead.objects.get(pk=lead.pk)
    assert (lead.name, lead.email, lead.city) == ("Juniper & Vine", "Dana@Juniper.example.com",
                                                  "Austin")
    assert lead.instagram == "JuniperVine"
    assert (lead.email_key, lead.phone_key, lead.instagram_key, lead.website_key) == (
        "dana@juniper.example.com", "+15125550142", "junipervine", "juniper.example.com")
    assert lead.name_key == normalize.name_key("Juniper & Vine", "Austin")


@pytest.mark.parametrize(("typed", "kept"), [
    ("Dana Reyes <Dana@Juniper.example.com>", "Dana@Juniper.example.com"),
    ("mailto:dana@juniper.example.com", "dana@juniper.example.com"),
    ("MAILTO: dana@juniper.example.com ", "dana@juniper.example.com"),
    ('"Reyes, Dana" <dana@juniper.example.com> ', "dana@juniper.example.com"),
    ("dana at juniper", "danaatjuniper"),  # not an address: the email check says so
])
def test_an_address_is_taken_from_how_mail_programs_write_it(typed, kept):
    assert normalize.email_address(typed) == kept
    lead = Lead(name="Juniper", email=typed)
    lead.normalise()
    assert lead.email == kept


@pytest.mark.parametrize("typed", ["512.555.0142", "5125550142", "(512) 555 0142", "555-0142"])
def test_a_lead_is_found_by_its_phone_however_it_is_typed(make_lead, typed):
    make_lead(name="Juniper & Vine", phone="(512) 555-0142")
    assert Lead.objects.search(typed).count() == 1
