"""The normalisation rules duplicate matching stands on: one rule, one group of tests, with
hypothesis generating the many ways people type the same thing."""

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from leadbook.leads import normalize

# Every property test here is pure Python; a small example budget keeps the module fast.
FAST = settings(max_examples=60, deadline=None)


def random_case(draw, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.upper() if flip else c.lower() for c, flip in zip(text, flips, strict=True))


# --- Email ----------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", [
    "dana@example.com", "Dana@Example.COM", "  dana@example.com ", "dana @example. com",
    "mailto:Dana@example.com", "\tDANA@EXAMPLE.COM\n",
])
def test_email_key_ignores_case_and_spaces(typed):
    assert normalize.email_key(typed) == "dana@example.com"


@pytest.mark.parametrize("typed", ["", "  ", "n/a", "none", "dana", "dana@", "@example.com",
                                   "dana@example", "a@b@c.com"])
def test_email_key_is_empty_for_what_is_not_an_email(typed):
    assert normalize.email_key(typed) == ""


def test_email_key_keeps_what_may_tell_two_people_apart():
    assert normalize.email_key("dana.reyes+shop@gmail.com") == "dana.reyes+shop@gmail.com"


@st.composite
def messy_emails(draw):
    """An email and the same email typed with random case and stray spaces."""
    email = draw(st.emails())
    upper = draw(st.sets(st.integers(0, len(email) - 1), max_size=len(email)))
    cased = "".join(c.upper() if i in upper else c for i, c in enumerate(email))
    gaps = draw(st.sets(st.integers(0, len(email)), max_size=6))
    messy = "".join((" " if i in gaps else "") + c for i, c in enumerate(cased + " "))
    return email, messy


@FAST
@given(messy_emails())
def test_email_key_of_any_messy_typing_is_the_key_of_the_email(pair):
    email, messy = pair
    assert normalize.email_key(messy) == normalize.email_key(email) == email.lower()


@FAST
@given(st.emails() | st.text(max_size=40))
def test_email_key_is_idempotent(text):
    key = normalize.email_key(text)
    assert normalize.email_key(key) == key


# --- Phone ----------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", [
    "(512) 555-0142", "512.555.0142", "+1 512 555 0142", "5125550142", "1-512-555-0142",
    "15125550142", "+1 (512) 555-0142", "512-555-0142 ext. 12", " 512 555 01 42 ",
])
def test_phone_key_reads_every_formatting_of_a_us_number_as_one_key(typed):
    assert normalize.phone_key(typed) == "+15125550142"


@pytest.mark.parametrize("typed", [
    "", "12345", "555-0142",  # too short; or a local number without its area code
    "5125550142 5125550143",  # two numbers in one field
    "0000000000", "555-555-5555", "123-456-7890", "(999) 999-9999",  # placeholders
    "not a number",
])
def test_phone_key_is_empty_for_what_cannot_identify_anyone(typed):
    assert normalize.phone_key(typed) == ""


def test_phone_key_keeps_a_foreign_country_code():
    assert normalize.phone_key("+44 7911 123456") == "+447911123456"
    assert normalize.phone_key("011 44 7911 123456") == "+447911123456"


def test_phone_key_reads_numbers_in_the_default_region(settings):
    assert normalize.phone_key("07911 123456", region="GB") == "+447911123456"
    settings.DEFAULT_PHONE_REGION = "GB"
    assert normalize.phone_key("07911 123456") == "+447911123456"


@st.composite
def us_numbers(draw):
    """A valid-looking NANP number (area code and exchange start 2-9) and one formatting of it."""
    area = draw(st.integers(200, 999))
    exchange = draw(st.integers(200, 999))
    line = draw(st.integers(0, 9999))
    a, b, c = str(area), str(exchange), f"{line:04d}"
    template = draw(st.sampled_from([
        "{a}{b}{c}", "({a}) {b}-{c}", "{a}.{b}.{c}", "{a}-{b}-{c}", "{a} {b} {c}",
        "+1 {a} {b} {c}", "+1{a}{b}{c}", "1-{a}-{b}-{c}", "1 ({a}) {b} {c}", "+1 ({a}) {b}-{c}",
        "1{a}{b}{c}", "{a}/{b}-{c}",
    ]))
    padding = draw(st.sampled_from(["", " ", "  "]))
    return a + b + c, padding + template.format(a=a, b=b, c=c) + padding


@FAST
@given(us_numbers())
def test_any_formatting_of_a_us_number_maps_to_its_e164_key(number):
    national, typed = number
    assume(len(set(national)) > 2)  # 222-222-2222 and the like are placeholders
    assert normalize.phone_key(typed) == "+1" + national


@settings(max_examples=300, deadline=None)
@given(st.from_regex(normalize.NANP_NUMBER_RE, fullmatch=True))
def test_the_quick_reading_of_north_american_numbers_agrees_with_phonenumbers(typed):
    assert normalize._phone_key(typed, "US") == normalize._parsed_phone_key(typed, "US")


# --- Instagram ------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", [
    "@Dana", "dana", "DANA", "https://www.instagram.com/dana/", "instagram.com/dana?igsh=abc123",
    "http://instagram.com/Dana", "www.instagram.com/dana", "m.instagram.com/dana/",
    "instagr.am/dana", "https://www.instagram.com/@dana", "https://instagram.com/stories/dana/1",
    "https://instagram.com/_u/dana", "  @dana  ",
])
def test_instagram_key_of_a_handle_or_profile_url_is_the_bare_handle(typed):
    assert normalize.instagram_key(normalize.instagram_handle(typed)) == "dana"


@pytest.mark.parametrize("typed", [
    "https://facebook.com/dana", "https://instagram.com/p/Cx12abc/", "dana reyes", "@", "a" * 31,
])
def test_instagram_handle_refuses_what_is_not_a_profile(typed):
    with pytest.raises(ValueError):
        normalize.instagram_handle(typed)


@pytest.mark.parametrize("placeholder", ["none", "NA", "null", "unknown"])
def test_instagram_placeholders_are_no_key(placeholder):
    assert normalize.instagram_key(placeholder) == ""


HANDLES = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._]{0,29}", fullmatch=True).filter(
    lambda h: h.lower() not in normalize.PLACEHOLDERS
    and not h.lower().startswith(("instagram.com", "www.instagram.com"))
    and h.lower() not in normalize.INSTAGRAM_PREFIX_SEGMENTS
    and h.lower() not in normalize.INSTAGRAM_NON_PROFILE_SEGMENTS
)


@FAST
@given(
    HANDLES,
    st.sampled_from([
        "{h}", "@{h}", " @{h} ", "instagram.com/{h}", "https://instagram.com/{h}/",
        "https://www.instagram.com/{h}/?igsh=MXQ2d3Z", "http://m.instagram.com/{h}",
        "www.instagram.com/{h}/", "instagr.am/{h}", "https://www.instagram.com/{h}/reels/",
        "HTTPS://WWW.INSTAGRAM.COM/{h}",
    ]),
)
def test_instagram_handle_is_extracted_from_any_profile_form(handle, template):
    typed = template.format(h=handle)
    assert normalize.instagram_key(normalize.instagram_handle(typed)) == handle.lower()


# --- Website --------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", [
    "example.com", "https://www.Example.com/shop", "http://example.com:8080",
    "EXAMPLE.COM/", "www.example.com?utm_source=ig", "https://user@example.com/#about",
])
def test_website_key_is_the_host_without_www(typed):
    assert normalize.website_key(normalize.website_host(typed)) == "example.com"


@pytest.mark.parametrize("typed", [
    "gmail.com", "https://www.facebook.com/junipervine", "instagram.com/dana", "linktr.ee/dana",
    "m.facebook.com/dana", "etsy.com/shop/junipervine", "sites.google.com/view/juniper",
    "myshopify.com", "www.myshopify.com",
])
def test_shared_hosts_are_no_key(typed):
    assert normalize.website_key(normalize.website_host(typed)) == ""


def test_a_shop_s_own_site_builder_subdomain_is_a_key():
    host = normalize.website_host("https://juniper-vine.myshopify.com/collections/all")
    assert normalize.website_key(host) == "juniper-vine.myshopify.com"


def test_an_international_website_is_one_site_however_it_is_spelt():
    for typed in ("bücher.de", "https://www.Bücher.de/kontakt", "xn--bcher-kva.de"):
        assert normalize.website_host(typed) == "xn--bcher-kva.de", typed
    with pytest.raises(ValueError):
        normalize.website_host("ü" * 70 + ".de")  # a label longer than DNS allows


@pytest.mark.parametrize("typed", ["not a site", "http://", "https://exa mple.com"])
def test_website_host_refuses_what_has_no_host(typed):
    with pytest.raises(ValueError):
        normalize.website_host(typed)


LABELS = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)


@FAST
@given(
    st.lists(LABELS, min_size=1, max_size=3),
    st.sampled_from(["com", "co", "shop", "studio", "co.uk"]),
    st.sampled_from(["{h}", "www.{h}", "http://{h}", "https://www.{h}/", "https://{h}:8443/a/b",
                     "{h}/shop?ref=ig", "HTTP://{H}"]),
)
def test_website_key_of_any_url_of_a_host_is_the_host(labels, tld, template):
    host = ".".join(labels) + "." + tld
    assume(not host.startswith("www.") and normalize.website_key(host))
    typed = template.format(h=host, H=host.upper())
    assert normalize.website_key(normalize.website_host(typed)) == host


# --- Names and cities -----------------------------------------------------------------------


@pytest.mark.parametrize("typed", [
    "Juniper & Vine", "Juniper and Vine", "juniper + vine", "The Juniper & Vine, LLC",
    "JUNIPER & VINE L.L.C.", "Juniper & Vine Inc.", "  Juniper   &Vine co. ",
])
def test_name_words_ignore_case_punctuation_and_legal_forms(typed):
    assert normalize.name_words(typed) == ["juniper", "vine"]


def test_name_words_fold_accents_and_join_apostrophes():
    assert normalize.name_words("Café Élan") == ["cafe", "elan"]
    assert normalize.name_words("Dana's Goods") == ["danas", "goods"]
    assert normalize.name_words("LLC") == ["llc"]  # a lone word is never dropped


@FAST
@given(
    st.lists(st.from_regex(r"[A-Za-z]{2,10}", fullmatch=True), min_size=1, max_size=4),
    st.sampled_from(["", " LLC", ", Inc.", " Co.", " Ltd"]),
    st.sampled_from([" ", "  ", " - ", ", "]),
)
def test_name_words_survive_case_spacing_and_suffixes(words, suffix, separator):
    assume(not any(w.lower() in normalize.NAME_STOPWORDS | normalize.LEGAL_SUFFIXES
                   for w in words))
    plain = normalize.name_words(" ".join(words))
    assert normalize.name_words(separator.join(words).upper() + suffix) == plain
    assert plain == [w.lower() for w in words]


def test_name_keys_block_variants_of_one_name_in_one_city():
    assert normalize.name_key("Juniper & Vine", "Austin") == "juvi|austin"
    assert normalize.name_alt_key("Juniper & Vine", "Austin") == "jervne|austin"
    for variant in ("The Juniper and Vine LLC", "JUNIPER & VINE", "Juniper & Vine Boutique"):
        assert normalize.name_key(variant, " austin ") == "juvi|austin"
        assert normalize.name_alt_key(variant, "AUSTIN") == "jervne|austin"
    assert normalize.name_key("Reyes, Dana", "Austin") == normalize.name_key("Dana Reyes", "Austin")


@pytest.mark.parametrize("typo", ["Junpier & Vine", "Juniper & Vien", "Jnuiper & Vine",
                                  "Juniper & Vinne", "Juuniper & Vine"])
def test_one_typo_leaves_a_name_in_at_least_one_of_its_blocks(typo):
    assert (normalize.name_key(typo, "Austin") == "juvi|austin"
            or normalize.name_alt_key(typo, "Austin") == "jervne|austin")


@FAST
@given(
    st.lists(st.from_regex(r"[a-z]{5,10}", fullmatch=True), min_size=1, max_size=3),
    st.data(),
)
def test_a_typo_inside_a_word_keeps_the_name_in_one_of_its_blocks(words, data):
    """A slip inside a word of five letters or more (not on its first letter: a swap, a
    dropped, doubled or wrong letter) changes at most one of the two blocks."""
    assume(not any(w in normalize.NAME_STOPWORDS | normalize.LEGAL_SUFFIXES for w in words))
    index = data.draw(st.integers(0, len(words) - 1))
    word = words[index]
    position = data.draw(st.integers(1, len(word) - 2))
    slip = data.draw(st.sampled_from(["swap", "drop", "double", "replace"]))
    letter = data.draw(st.sampled_from("abcdefghijklmnopqrstuvwxyz"))
    typo = {
        "swap": word[:position] + word[position + 1] + word[position] + word[position + 2:],
        "drop": word[:position] + word[position + 1:],
        "double": word[:position] + word[position] + word[position:],
        "replace": word[:position] + letter + word[position + 1:],
    }[slip]
    assume(typo not in normalize.NAME_STOPWORDS | normalize.LEGAL_SUFFIXES)
    name, typoed = " ".join(words), " ".join([*words[:index], typo, *words[index + 1:]])
    assert (normalize.name_key(typoed, "Austin") == normalize.name_key(name, "Austin")
            or normalize.name_alt_key(typoed, "Austin") == normalize.name_alt_key(name, "Austin"))


def test_name_keys_differ_by_city_and_are_empty_without_a_name():
    assert normalize.name_key("Juniper & Vine", "Denver") != normalize.name_key(
        "Juniper & Vine", "Austin")
    assert normalize.name_key("Juniper & Vine", "") == "juvi|"
    assert normalize.name_key(" & ", "Austin") == normalize.name_alt_key(" & ", "Austin") == ""


@pytest.mark.parametrize("typed", ["St. Louis", "Saint Louis", "st louis", "ST.LOUIS"])
def test_city_key_reads_common_abbreviations(typed):
    assert normalize.city_key(typed) == "stlouis"
