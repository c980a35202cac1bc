import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from leadbook.leads.models import Lead
from leadbook.transfer.csvsafe import FORMULA_STARTS, neutralise, restore
from leadbook.transfer.export import COLUMNS, write_csv


@given(st.text())
def test_neutralising_is_undone_exactly_by_restore(value):
    assert restore(neutralise(value)) == value


@given(st.text())
def test_no_neutralised_cell_starts_like_a_formula(value):
    assert not neutralise(value).startswith(FORMULA_STARTS)


def test_it_writes_every_field_for_every_lead(make_lead):
    make_lead(name="Juniper & Vine", email="dana@example.com", lead_types=["Wholesale"],
              followers=12500)
    make_lead(name="Corner Cup")
    out = io.StringIO()
    assert write_csv(Lead.objects.order_by("name"), out) == 2
    rows = list(csv.reader(io.StringIO(out.getvalue().lstrip("\ufeff"))))
    assert rows[0] == [header for header, _ in COLUMNS]
    juniper = dict(zip(rows[0], rows[2], strict=True))
    assert juniper["Email"] == "dana@example.com" and juniper["Followers"] == "12500"
    assert juniper["Active"] == "yes" and juniper["Lead Type"] == "Wholesale"


def test_it_writes_only_the_header_when_there_is_nothing(db):
    out = io.StringIO()
    assert write_csv(Lead.objects.all(), out) == 0
    assert out.getvalue().count("\n") == 1
