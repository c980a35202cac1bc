"""Merging duplicate leads and undoing it: which values survive, what moves, what undo
restores."""

import datetime

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadbook.conversions.models import Customer, Podcast, Retailer
from leadbook.conversions.services import convert_lead
from leadbook.core.events import event_committed
from leadbook.leads import duplicates, merging, services
from leadbook.leads.models import DuplicateDismissal, Lead, LeadMerge, LeadType, Status
from leadbook.outreach.models import Outreach, OutreachKind
from leadbook.outreach.services import log_outreach


def reload(lead) -> Lead:
    return Lead.all_objects.get(pk=lead.pk)


def older(lead, days: int):
    """Make `lead` look last updated `days` ago (the preselection takes the newest)."""
    stamp = timezone.now() - datetime.timedelta(days=days)
    Lead.all_objects.filter(pk=lead.pk).update(updated_at=stamp, created_at=stamp)
    return reload(lead)


@pytest.fixture
def email_kind(db):
    return OutreachKind.objects.get(name="Email")


@pytest.fixture
def shop(make_lead):
    lead = make_lead(name="Juniper & Vine", first_name="Dana", last_name="Reyes",
                     email="dana@juniper.example.com", city="Austin", notes="Met at the fair",
                     lead_types=["Wholesale"])
    return older(lead, 30)


@pytest.fixture
def copy(make_lead):
    lead = make_lead(name="Juniper and Vine LLC", first_name="Dana", last_name="",
                     phone="(512) 555-0142", city="Austin", instagram="junipervine",
                     lead_types=["Podcast Host"])
    return older(lead, 2)


# --- values -------------------------------------------------------------------------------

def test_it_prefers_the_newest_non_empty_value_of_each_field(shop, copy):
    sources = merging.preferred_sources([shop, copy])
    assert sources["name"] == copy  # both have one: the newest wins
    assert sources["last_name"] == shop  # the newest has none
    assert sources["email"] == shop and sources["phone"] == copy
    assert sources["notes"] == shop
    values = merging.preferred_values([shop, copy])
    assert values["last_name"] == "Reyes" and values["phone"] == "(512) 555-0142"


def test_it_merges_with_the_chosen_values_and_unites_the_lead_types(shop, copy, member):
    merge = merging.merge_leads(survivor=shop, others=[copy], actor=member,
                                values={"name": "Juniper & Vine", "phone": copy.phone})
    kept, gone = reload(shop), reload(copy)
    assert kept.name == "Juniper & Vine"  # chosen, although the copy's is newer
    assert (kept.phone, kept.instagram, kept.last_name) == ("(512) 555-0142", "junipervine",
                                                            "Reyes")
    assert kept.phone_key == "+15125550142"  # the match keys follow the values
    assert set(kept.lead_types.values_list("name", flat=True)) == {"Wholesale", "Podcast Host"}
    assert kept.lead_types_label == "Wholesale, Podcast Host"
    assert kept.version == shop.version + 1
    assert gone.merged_into == kept and gone.merged_at is not None
    assert list(Lead.objects.all()) == [kept]  # the merged lead is out of every list
    assert merge.survivor == kept and merge.merged_lead_ids == [copy.pk]
    assert merge.merged_names == ["Juniper and Vine LLC"] and merge.merged_by == member


def test_it_writes_one_history_entry_on_the_survivor(shop, copy, member):
    before = shop.history.count()
    merging.merge_leads(survivor=shop, others=[copy], actor=member)
    records = reload(shop).history.order_by("history_date", "history_id")
    assert records.count() == before + 1
    latest = records.last()
    assert latest.history_user == member
    assert latest.history_change_reason == "Merged with Juniper and Vine LLC"
    assert reload(copy).history.latest("history_date").history_change_reason == (
        "Merged into Juniper and Vine LLC")


def test_it_refuses_a_stale_edit_of_the_survivor_after_a_merge(shop, copy, member):
    merging.merge_leads(survivor=shop, others=[copy], actor=member)
    with pytest.raises(services.LeadConflict):
        services.update_lead(lead=shop, actor=member, expected_version=shop.version,
                             notes="typed before the merge")


def test_it_refuses_to_merge_leads_changed_since_they_were_shown(shop, copy, member):
    services.update_lead(lead=copy, actor=member, notes="changed meanwhile")
    with pytest.raises(services.LeadConflict):
        merging.merge_leads(survivor=shop, others=[copy], actor=member,
                            expected_versions={shop.pk: shop.version, copy.pk: copy.version})
    assert reload(copy).merged_into is None


def test_it_refuses_to_merge_a_lead_alone_or_one_already_merged(shop, copy, make_lead, member):
    with pytest.raises(merging.MergeError):
        merging.merge_leads(survivor=shop, others=[shop], actor=member)
    merging.merge_leads(survivor=shop, others=[copy], actor=member)
    third = make_lead(name="Third")
    with pytest.raises(merging.MergeError):
        merging.merge_leads(survivor=third, others=[copy], actor=member)
    with pytest.raises(merging.MergeError):
        merging.merge_leads(survivor=copy, others=[third], actor=member)


def test_values_the_lead_rules_refuse_change_nothing(shop, copy, member, email_kind):
    log_outreach(lead=copy, actor=member, kind=email_kind)
    with pytest.raises(ValidationError):
        merging.merge_leads(survivor=shop, others=[copy], actor=member,
                            values={"name": "", "first_name": "", "last_name": "",
                                    "company": ""})
    assert reload(copy).merged_into is None
    assert Outreach.objects.get().lead_id == copy.pk
    assert not LeadMerge.objects.exists()


def test_it_refuses_fields_a_merge_does_not_choose(shop, copy, member):
    with pytest.raises(TypeError):
        merging.merge_leads(survivor=shop, others=[copy], actor=member,
                            values={"version": 99})


def test_it_announces_the_merge_once_committed(shop, copy, member,
                                               django_capture_on_commit_callbacks):
    heard = []

    def listen(name, actor, payload, **kwargs):
        heard.append((name, actor, payload))

    event_committed.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            merge = merging.merge_leads(survivor=shop, others=[copy], actor=member)
    finally:
        event_committed.disconnect(listen)
    merged = [(actor, payload) for name, actor, payload in heard if name == "lead.merged"]
    assert len(merged) == 1
    actor, payload = merged[0]
    assert actor == member and payload["lead"].pk == shop.pk and payload["merge"] == merge
    assert [lead.pk for lead in payload["merged"]] == [copy.pk]


# --- what moves ---------------------------------------------------------------------------

def test_outreach_moves_to_the_survivor_and_its_summary_follows(shop, copy, member,
                                                                email_kind):
    now = timezone.now()
    log_outreach(lead=shop, actor=member, kind=email_kind,
                 happened_at=now - datetime.timedelta(days=9))
    later = log_outreach(lead=copy, actor=member, kind=email_kind,
                         happened_at=now - datetime.timedelta(days=1),
                         follow_up_on=timezone.localdate() + datetime.timedelta(days=3))
    merge = merging.merge_leads(survivor=shop, others=[copy], actor=member)
    assert set(Outreach.objects.values_list("lead", flat=True)) == {shop.pk}
    kept = reload(shop)
    assert kept.last_outreach_at == later.happened_at
    assert kept.next_follow_up_on == later.follow_up_on
    assert merge.moved == [{"model": "outreach.outreach", "field": "lead_id",
                            "rows": [[later.pk, copy.pk]]}]


def test_conversions_move_unless_the_survivor_has_one_of_that_kind(shop, copy, make_lead,
                                                                   member):
    third = make_lead(name="Juniper Vine Austin", lead_types=["Podcast Guest"])
    convert_lead(lead=shop, actor=member, target="customer")
    copy_customer = convert_lead(lead=copy, actor=member, target="customer")
    podcast = convert_lead(lead=copy, actor=member, target="podcast")
    third_podcast = convert_lead(lead=third, actor=member, target="podcast")
    merge = merging.merge_leads(survivor=shop, others=[copy, third], actor=member)

    assert Podcast.objects.get(pk=podcast.pk).lead_id == shop.pk  # the oldest one moves
    assert Podcast.objects.get(pk=third_podcast.pk).lead_id == third.pk
    assert Customer.objects.get(pk=copy_customer.pk).lead_id == copy.pk  # shop has one
    assert {(k["model"], k["id"], k["lead_id"]) for k in merge.kept} == {
        ("conversions.customer", copy_customer.pk, copy.pk),
        ("conversions.podcast", third_podcast.pk, third.pk),
    }
    assert reload(shop).converted


def test_a_survivor_not_yet_converted_takes_the_earliest_conversion(shop, copy, member):
    record = convert_lead(lead=copy, actor=member, target="customer")
    merging.merge_leads(survivor=shop, others=[copy], actor=member)
    kept = reload(shop)
    assert kept.converted_at == reload(copy).converted_at and kept.converted_by == member
    assert Customer.objects.get(pk=record.pk).lead_id == shop.pk


def test_web_form_submissions_move_without_capture_knowing_about_merges(shop, copy, member):
    submission_model = apps.get_model("capture", "Submission")
    submission = submission_model.objects.create(lead=copy, outcome="created",
                                                 data={"email": "x@y.example.com"})
    merging.merge_leads(survivor=shop, others=[copy], actor=member)
    assert submission_model.objects.get(pk=submission.pk).lead_id == shop.pk


def test_every_foreign_key_to_a_lead_moves_except_the_lead_s_own_records():
    moving = {(r.model, r.field.name) for r in merging.movable_relations()}
    assert (Outreach, "lead") in moving and (Retailer, "lead") in moving
    expected = {(rel.related_model, rel.field.name) for rel in Lead._meta.related_objects
                if rel.one_to_many and rel.related_model not in (
                    Lead, DuplicateDismissal, LeadMerge, Lead.history.model)}
    assert moving == expected
    one_per_lead = {r.model for r in merging.movable_relations() if r.one_per_lead}
    assert {Customer, Retailer, Podcast} <= one_per_lead and Outreach not in one_per_lead


def test_not_a_duplicate_answers_carry_over_to_the_survivor(shop, copy, make_lead, member):
    other = make_lead(name="Somebody Else")
    duplicates.dismiss_pairs(pairs=[(copy.pk, other.pk)], actor=member)
    merge = merging.merge_leads(survivor=shop, others=[copy], actor=member)
    assert other.pk in duplicates.dismissed_partners(shop.pk)
    merging.undo_merge(merge=merge, actor=member)
    assert other.pk not in duplicates.dismissed_partners(shop.pk)
    assert other.pk in duplicates.dismissed_partners(copy.pk)


# --- undo ---------------------------------------------------------------------------------

def test_undo_restores_the_leads_their_rows_and_the_survivor_s_values(shop, copy, member,
                                                                      email_kind):
    theirs = log_outreach(lead=copy, actor=member, kind=email_kind)
    shop_before, copy_before = reload(shop), reload(copy)
    merge = merging.merge_leads(survivor=shop, others=[copy], actor=member)
    ours_after = log_outreach(lead=shop, actor=member, kind=email_kind)  # after the merge

    result = merging.undo_merge(merge=merge, actor=member)

    kept, back = reload(shop), reload(copy)
    assert back.merged_into is None and back.merged_at is None
    assert back in Lead.objects.all()
    assert Outreach.objects.get(pk=theirs.pk).lead_id == copy.pk
    assert Outreach.objects.get(pk=ours_after.pk).lead_id == shop.pk
    for field in merging.MERGE_FIELDS:
        assert getattr(kept, field) == getattr(shop_before, field), field
    assert list(kept.lead_types.values_list("name", flat=True)) == ["Wholesale"]
    assert kept.lead_types_label == "Wholesale"
    assert kept.phone_key == ""
    assert kept.version == shop_before.version + 2
    assert back.version == copy_before.version + 2
    assert result.restored == [back] and result.kept_later_changes == []
    assert LeadMerge.objects.get().undone_by == member


def test_undo_keeps_what_was_changed_after_the_merge(shop, copy, member):
    merge = merging.merge_leads(survivor=shop, others=[copy], actor=member)
    services.update_lead(lead=shop, actor=member, phone="(512) 555-0199")
    result = merging.undo_merge(merge=merge, actor=member)
    kept = reload(shop)
    assert kept.phone == "(512) 555-0199"  # changed since: kept
    assert kept.instagram == ""  # taken from the merged lead and not touched since: undone
    assert result.kept_later_changes == ["Phone"]


def test_undo_puts_conversions_back_and_unconverts_the_survivor(shop, copy, member):
    record = convert_lead(lead=copy, actor=member, target="customer")
    merge = merging.merge_leads(survivor=shop, others=[copy], actor=member)
    merging.undo_merge(merge=merge, actor=member)
    assert Customer.objects.get(pk=record.pk).lead_id == copy.pk
    assert not reload(shop).converted and reload(copy).converted


def test_a_merge_is_undone_once_and_not_while_its_survivor_is_merged_away(shop, copy,
                                                                          make_lead, member):
    merge = merging.merge_leads(survivor=shop, others=[copy], actor=member)
    later = make_lead(name="Newer record")
    second = merging.merge_leads(survivor=later, others=[shop], actor=member)
    with pytest.raises(merging.MergeError, match="undo that first"):
        merging.undo_merge(merge=merge, actor=member)
    merging.undo_merge(merge=second, actor=member)
    merging.undo_merge(merge=merge, actor=member)
    with pytest.raises(merging.MergeError, match="already undone"):
        merging.undo_merge(merge=merge, actor=member)
    assert Lead.objects.count() == 3


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(
    outreach_per_lead=st.lists(st.integers(0, 3), min_size=2, max_size=4),
    sources=st.lists(st.integers(0, 3), min_size=len(merging.MERGE_FIELDS),
                     max_size=len(merging.MERGE_FIELDS)),
    survivor_index=st.integers(0, 3),
)
def test_merge_then_undo_gives_back_exactly_what_there_was(
        db, member, email_kind, outreach_per_lead, sources, survivor_index):
    """Whatever the leads, their outreach and the values chosen: everything ends on the
    survivor, and undo puts every row and value back where it was."""
    with transaction.atomic():
        statuses = list(Status.objects.all())
        types = list(LeadType.objects.all())
        leads = []
        for i, count in enumerate(outreach_per_lead):
            lead = services.create_lead(
                actor=member, lead_types=types[i:i + 2], name=f"Shop {i}",
                email=f"owner{i}@shop{i}.example.com" if i % 2 else "",
                phone=f"(512) 555-01{i:02d}", city=["Austin", ""][i % 2],
                status=statuses[i % len(statuses)], notes="" if i % 3 else f"note {i}")
            for _ in range(count):
                log_outreach(lead=lead, actor=member, kind=email_kind)
            leads.append(reload(lead))  # the first outreach moved it on to Contacted
        before = {lead.pk: (
            {f: getattr(lead, f) for f in merging.MERGE_FIELDS},
            set(lead.lead_types.all()),
            set(Outreach.objects.filter(lead=lead).values_list("pk", flat=True)),
        ) for lead in leads}
        survivor = leads[survivor_index % len(leads)]
        others = [lead for lead in leads if lead != survivor]
        values = {field: getattr(leads[i % len(leads)], field)
                  for field, i in zip(merging.MERGE_FIELDS, sources, strict=True)}

        merge = merging.merge_leads(survivor=survivor, others=others, actor=member,
                                    values=values)
        kept = reload(survivor)
        assert Outreach.objects.exclude(lead=kept).count() == 0
        assert Outreach.objects.count() == sum(outreach_per_lead)
        assert set(kept.lead_types.all()) == set().union(*(t for _, t, _ in before.values()))
        for field in ("email", "phone", "notes", "status"):
            assert getattr(kept, field) == values[field]

        merging.undo_merge(merge=merge, actor=member)
        for lead in leads:
            fields, lead_types, outreach = before[lead.pk]
            now = reload(lead)
            assert now.merged_into is None
            assert {f: getattr(now, f) for f in merging.MERGE_FIELDS} == fields
            assert set(now.lead_types.all()) == lead_types
            assert set(Outreach.objects.filter(lead=now).values_list("pk", flat=True)) == (
                outreach)
        transaction.set_rollback(True)
