import datetime

import time_machine
from django.template import Context, Template

from leadbook.leads.models import Status

TODAY = datetime.date(2026, 3, 11)  # a Wednesday


def render(source: str, **context) -> str:
    return Template("{% load leadbook %}" + source).render(Context(context))


def test_status_badge_names_the_status_and_colours_it_by_stage(db):
    status = Status(name="Qualified <b>", stage="qualified")
    html = render("{% status_badge status %}", status=status)
    assert html == ('<span class="lb-badge lb-stage-qualified" title="Stage: Qualified">'
                    "Qualified &lt;b&gt;</span>")


def test_temp_badge_is_cold_unless_warm():
    assert "lb-temp-warm" in render("{% temp_badge t %}", t="warm")
    assert ">Cold<" in render("{% temp_badge t %}", t="cold")
    assert ">Cold<" in render("{% temp_badge t %}", t="")


@time_machine.travel(datetime.datetime(2026, 3, 11, 12, 0, tzinfo=datetime.UTC), tick=False)
def test_pending_badge_says_how_due_the_follow_up_is():
    def badge(days: int) -> str:
        return render("{% pending_badge day %}", day=TODAY + datetime.timedelta(days=days))

    assert ">Overdue<" in badge(-1)
    assert ">Due today<" in badge(0)
    assert ">Pending<" in badge(3)
    assert 'title="Follow up on Sat 14 Mar 2026"' in badge(3)
    assert render("{% pending_badge day %}", day=None) == ""


@time_machine.travel(datetime.datetime(2026, 3, 11, 12, 0, tzinfo=datetime.UTC), tick=False)
def test_pending_dot_shows_the_day_and_marks_an_overdue_one():
    overdue = render("{% pending_dot day %}", day=TODAY - datetime.timedelta(days=2))
    assert overdue == ('<span class="lb-dot lb-dot-overdue" title="Overdue: Mon 9 Mar 2026" '
                       'aria-label="Overdue, 9 Mar">!</span><span class="lb-dot-text">9 Mar</span>')
    later = render("{% pending_dot day %}", day=TODAY + datetime.timedelta(days=1))
    assert 'title="Follow up Thu 12 Mar 2026"' in later and ">!<" not in later
    assert render("{% pending_dot day %}", day=None) == ""


def test_a_remembered_badge_follows_the_day_and_the_status():
    """Badges are made once per value and remembered: the same follow-up day reads as
    pending, then due, then overdue as the days pass; a renamed status shows its new name."""
    day = TODAY + datetime.timedelta(days=1)
    states = []
    for offset in (0, 1, 2):
        moment = datetime.datetime(2026, 3, 11 + offset, 12, 0, tzinfo=datetime.UTC)
        with time_machine.travel(moment, tick=False):
            states.append(render("{% pending_dot day %}", day=day).split('"')[1])
    assert states == ["lb-dot lb-dot-later", "lb-dot lb-dot-today", "lb-dot lb-dot-overdue"]
    status = Status(pk=7, name="Qualified", stage="qualified")
    assert ">Qualified<" in render("{% status_badge s %}", s=status)
    status.name, status.stage = "Hot", "opportunity"
    html = render("{% status_badge s %}", s=status)
    assert ">Hot<" in html and "lb-stage-opportunity" in html


@time_machine.travel(datetime.datetime(2026, 3, 11, 12, 0, tzinfo=datetime.UTC), tick=False)
def test_ago_says_how_long_ago_with_the_moment_on_hover(settings):
    settings.TIME_ZONE = "UTC"

    def ago(**delta) -> str:
        moment = datetime.datetime(2026, 3, 11, 12, 0, tzinfo=datetime.UTC)
        return render("{{ when|ago }}", when=moment - datetime.timedelta(**delta))

    assert ago(days=3) == ('<time datetime="2026-03-08T12:00:00+00:00" '
                           'title="Sun 8 Mar 2026, 12:00">3 days ago</time>')
    assert ">just now<" in ago(seconds=20) and ">5 min ago<" in ago(minutes=5)
    assert ">today 09:00<" in ago(hours=3) and ">yesterday<" in ago(hours=20)
    assert ">2 weeks ago<" in ago(days=15) and ">3 months ago<" in ago(days=95)
    assert render("{{ when|ago }}", when=None) == ""
