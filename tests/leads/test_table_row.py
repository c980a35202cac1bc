from django.utils import timezone

from leadbook.leads.models import Lead
from leadbook.leads.table_row import render_row

CSRF = '<input type="hidden" name="csrfmiddlewaretoken" value="t">'


def row(lead: Lead, **options) -> str:
    lead = Lead.all_objects.for_table().get(pk=lead.pk)
    return render_row(lead, **{"can_edit": True, "csrf_input": CSRF,
                               "return_to": "/leads/?page=2&search=a b", **options})


def test_it_escapes_every_value(make_lead):
    html = row(make_lead(name="<script>x</script>", email="a@example.com",
                         company='Q "&" Co'))
    assert "<script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "Q &quot;&amp;&quot; Co" in html


def test_a_viewer_gets_no_actions_that_change_the_lead(make_lead):
    html = row(make_lead(), can_edit=False)
    assert ">Open<" in html
    assert "Edit" not in html and "Set Inactive" not in html and "csrfmiddlewaretoken" not in html


def test_the_row_actions_come_back_to_the_table_view(make_lead):
    html = row(make_lead())
    assert 'name="next" value="/leads/?page=2&amp;search=a b"' in html
    assert "outreach/?next=%2Fleads%2F%3Fpage%3D2%26search%3Da+b" in html


def test_a_lead_just_set_inactive_offers_undo(make_lead):
    lead = make_lead()
    Lead.objects.filter(pk=lead.pk).update(is_active=False, converted_at=timezone.now())
    html = row(lead, just_changed=True)
    assert 'class="lb-inactive lb-flash"' in html and ">Undo</button>" in html
    assert ">Converted</span>" in html and ">Reactivate<" in html
    assert "Undo" not in row(lead, just_changed=True, can_edit=False)


def test_the_page_wide_url_pattern_gives_each_lead_its_own_address(make_lead):
    from leadbook.leads.table_row import lead_url_pattern

    for lead in (make_lead(name="Corner Cup"), make_lead(name="Maple Goods")):
        html = row(lead, url_pattern=lead_url_pattern())
        assert html == row(lead)
        assert f'href="{lead.get_absolute_url()}"' in html
