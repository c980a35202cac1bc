import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from leadbook.core.models import WorkspaceSettings
from leadbook.leads.models import Lead, Status
from leadbook.outreach import services

NOW = datetime.datetime(2026, 11, 20, 15, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def reload(lead) -> Lead:
    return Lead.objects.get(pk=lead.pk)


def test_it_records_last_outreach_and_the_pending_follow_up(make_lead, log, member):
    lead = make_lead()
    log(lead, member, notes="Sent the line sheet", follow_up_on=NOW.date() + 7 * DAY)
    lead = reload(lead)
    assert lead.last_outreach_at == NOW
    assert lead.next_follow_up_on == NOW.date() + 7 * DAY
    assert lead.pending
    assert not Lead.objects.overdue().exists()


def test_a_later_outreach_without_a_follow_up_clears_pending(make_lead, log):
    lead = make_lead()
    log(lead, happened_at=NOW - 3 * DAY, follow_up_on=NOW.date() + DAY)
    log(lead, happened_at=NOW - DAY)
    lead = reload(lead)
    assert lead.last_outreach_at == NOW - DAY and not lead.pending


def test_a_backdated_outreach_does_not_hide_a_later_follow_up(make_lead, log):
    lead = make_lead()
    log(lead, happened_at=NOW - DAY, follow_up_on=NOW.date() + DAY)
    log(lead, happened_at=NOW - 5 * DAY)  # logged late, happened earlier
    lead = reload(lead)
    assert lead.last_outreach_at == NOW - DAY and lead.next_follow_up_on == NOW.date() + DAY


def test_it_is_overdue_once_the_day_has_passed(make_lead, log):
    lead = make_lead()
    log(lead, happened_at=NOW - 10 * DAY, follow_up_on=NOW.date() - DAY)
    assert list(Lead.objects.overdue()) == [reload(lead)]
    with time_machine.travel(NOW - 2 * DAY, tick=False):
        assert not Lead.objects.overdue().exists()


def test_editing_and_deleting_outreach_keeps_the_summary_right(make_lead, log, email_kind):
    lead = make_lead()
    first = log(lead, happened_at=NOW - 5 * DAY, follow_up_on=NOW.date() + DAY)
    second = log(lead, happened_at=NOW - DAY)
    services.update_outreach(outreach=second, actor=None, kind=email_kind, notes="",
                             happened_at=NOW - 6 * DAY, follow_up_on=None)
    assert reload(lead).next_follow_up_on == NOW.date() + DAY  # `first` is the latest again
    services.delete_outreach(outreach=first, actor=None)
    lead = reload(lead)
    assert lead.last_outreach_at == NOW - 6 * DAY and not lead.pending
    services.delete_outreach(outreach=second, actor=None)
    lead = reload(lead)
    assert lead.last_outreach_at is None and not lead.pending


def test_marking_done_and_rescheduling(make_lead, log):
    lead = make_lead()
    log(lead, happened_at=NOW - 3 * DAY, follow_up_on=NOW.date() - DAY)
    services.reschedule_follow_up(lead=lead, actor=None, follow_up_on=NOW.date() + 3 * DAY)
    assert reload(lead).next_follow_up_on == NOW.date() + 3 * DAY
    services.complete_follow_up(lead=lead, actor=None)
    assert not reload(lead).pending
    with pytest.raises(ValidationError):
        services.complete_follow_up(lead=make_lead(name="Never contacted"), actor=None)


def test_the_first_outreach_moves_a_new_lead_to_contacted(make_lead, log, member):
    lead = make_lead()
    log(lead, member)
    lead = reload(lead)
    assert lead.status.name == "Contacted"
    assert lead.history.first().history_user == member
    qualified = Status.objects.get(name="Qualified")
    other = make_lead(name="Already qualified", status=qualified)
    log(other)
    assert reload(other).status == qualified


def test_the_workspace_can_turn_off_the_move_to_contacted(make_lead, log):
    WorkspaceSettings.objects.update_or_create(
        pk=1, defaults={"first_outreach_moves_to_contacted": False})
    lead = make_lead()
    log(lead)
    assert reload(lead).status.name == "New"


def test_it_refuses_outreach_in_the_future_and_follow_ups_before_it(make_lead, log):
    lead = make_lead()
    with pytest.raises(ValidationError) as e:
        log(lead, happened_at=NOW + 2 * DAY)
    assert "happened_at" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        log(lead, happened_at=NOW, follow_up_on=NOW.date() - DAY)
    assert "follow_up_on" in e.value.message_dict
    assert not reload(lead).last_outreach_at


def test_times_are_stored_exactly(make_lead, log):
    lead = make_lead()
    when = timezone.now() - datetime.timedelta(hours=5)
    assert log(lead, happened_at=when).happened_at == when
