import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from leadbook.leads.models import Lead
from leadbook.outreach.models import Outreach


def test_seed_demo_makes_realistic_leads_with_outreach(db, admin):
    out = io.StringIO()
    call_command("seed_demo", leads=300, seed=7, stdout=out)
    assert "Added 300 demo leads" in out.getvalue()
    assert Lead.objects.count() == 300
    assert Outreach.objects.exists()
    lead = Lead.objects.exclude(last_outreach_at=None).first()
    latest = lead.outreach.latest_first().first()
    assert lead.last_outreach_at == latest.happened_at
    assert lead.next_follow_up_on == latest.follow_up_on
    assert Lead.objects.exclude(lead_types_label="").count() == 300
    assert Lead.objects.filter(search_text__contains=lead.city.lower()).exists()


def test_export_leads_writes_the_filtered_view_to_a_file(make_lead, tmp_path):
    make_lead(name="Warm One", temperature="warm")
    make_lead(name="Cold One")
    target = tmp_path / "leads.csv"
    call_command("export_leads", "-o", str(target), "--temperature", "warm",
                 stderr=io.StringIO())
    text = target.read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert [r["Name"] for r in rows] == ["Warm One"]


def test_export_leads_refuses_filters_it_does_not_understand(db):
    with pytest.raises(CommandError, match="Unknown status"):
        call_command("export_leads", "--status", "Nope")
