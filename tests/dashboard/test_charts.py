"""The dashboard's server-drawn SVG charts: structure, numbers, links, escaping, edge cases.

No database: the chart functions take plain data. The SVG is parsed as XML, so these tests
also prove the markup is well formed.
"""

import datetime
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from django.template.loader import render_to_string

from leadbook.dashboard import charts
from leadbook.dashboard.charts import Point, Series

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script> & \'quotes\' "too"'


def parse(chart: charts.Chart) -> ET.Element:
    return ET.fromstring(str(chart.svg))  # noqa: S314 (our own output)


def links(root: ET.Element) -> list[tuple[str, str]]:
    """(href, title) of every link in the SVG, in document order."""
    return [(a.get("href"), a.find(f"{SVG}title").text) for a in root.iter(f"{SVG}a")]


def visible(element: ET.Element) -> str:
    """The text an element shows, without the <title>s (tooltips) inside it."""
    if element.tag == f"{SVG}title":
        return element.tail or ""
    inner = "".join(visible(child) for child in element)
    return (element.text or "") + inner + (element.tail or "")


def texts(root: ET.Element) -> list[str]:
    return [visible(t).strip() for t in root.iter(f"{SVG}text")]


def assert_accessible(chart: charts.Chart) -> ET.Element:
    root = parse(chart)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    title_id, desc_id = root.get("aria-labelledby").split()
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert (title.get("id"), desc.get("id")) == (title_id, desc_id)
    assert title_id == f"{chart.chart_id}-title" and desc_id == f"{chart.chart_id}-desc"
    assert title.text == chart.title and desc.text
    assert "style=" not in str(chart.svg)  # a strict CSP forbids inline styles
    for a in root.iter(f"{SVG}a"):  # every mark's link has its own label and value
        assert a.get("href") and a.find(f"{SVG}title").text
    return root


def funnel(*counts: int) -> charts.Chart:
    names = ["Lead", "Qualified", "Opportunity", "Won"]
    return charts.funnel_chart(
        [(name, count, f"/leads/?stage={name.lower()}") for name, count in zip(names, counts,
                                                                                  strict=False)],
        chart_id="funnel", title="Pipeline")


# ---- Helpers ---------------------------------------------------------------------------


@pytest.mark.parametrize(("maximum", "ticks"), [
    (0, [0, 1]),
    (1, [0, 1]),
    (3, [0, 1, 2, 3]),
    (7, [0, 2, 4, 6, 8]),
    (10, [0, 5, 10]),
    (65, [0, 20, 40, 60, 80]),
    (100, [0, 50, 100]),
    (1204, [0, 500, 1000, 1500]),
    (2_000_001, [0, 1_000_000, 2_000_000, 3_000_000]),
])
def test_nice_ticks_are_round_and_cover_the_maximum(maximum, ticks):
    assert charts.nice_ticks(maximum) == ticks


@pytest.mark.parametrize(("part", "whole", "text"), [
    (312, 1204, "26%"), (0, 10, "0%"), (1, 1000, "<1%"), (999, 1000, "99%"),
    (10, 10, "100%"), (15, 10, "150%"), (5, 0, ""), (0, 0, ""),
])
def test_rates_round_honestly_and_never_divide_by_zero(part, whole, text):
    assert charts.format_rate(part, whole) == text


def test_number_formats():
    assert charts.format_number(1234567) == "1,234,567"
    assert [charts.format_compact(n) for n in (0, 1500, 9999, 25000, 1_500_000)] == [
        "0", "1,500", "9,999", "25k", "1.5M"]


def test_labels_are_cleaned_and_truncated():
    assert charts.clean_label("  Corner\x00 \n Cup ") == "Corner Cup"
    assert charts.clean_label("") == "(blank)"
    assert charts.truncate("Independent roasters", 10) == "Independe…"
    assert charts.truncate("Short", 10) == "Short"


# ---- Funnel ----------------------------------------------------------------------------


def test_funnel_structure_numbers_and_conversion_rates():
    chart = funnel(1204, 312, 90, 41)
    root = assert_accessible(chart)
    assert links(root) == [
        ("/leads/?stage=lead", "Lead: 1,204"),
        ("/leads/?stage=qualified", "Qualified: 312 (26% of Lead)"),
        ("/leads/?stage=opportunity", "Opportunity: 90 (29% of Qualified)"),
        ("/leads/?stage=won", "Won: 41 (46% of Opportunity)"),
    ]
    assert chart.summary == ("Lead 1,204 → Qualified 312 (26%) → Opportunity 90 (29%) "
                             "→ Won 41 (46%)")
    assert chart.summary in root.find(f"{SVG}desc").text
    assert chart.extra["rates"] == ["", "26%", "29%", "46%"]
    assert {"1,204", "312", "90", "41"} <= set(texts(root))
    # Bars shrink with the counts, the largest filling the width.
    widths = [r.get("width") for r in root.iter(f"{SVG}rect") if "lb-chart-bar" in r.get("class")]
    assert widths[0] == "100%" and widths[3] == f"{round(100 * 41 / 1204, 3):g}%"
    assert [row.cells[1].text for row in chart.rows] == ["—", "26%", "29%", "46%"]
    assert chart.rows[1].cells[0] == charts.Cell("312", "/leads/?stage=qualified")


def test_funnel_with_an_empty_stage_has_no_rate_after_it():
    chart = funnel(10, 0, 0, 0)
    root = assert_accessible(chart)
    assert chart.extra["rates"] == ["", "0%", "", ""]
    assert links(root)[2] == ("/leads/?stage=opportunity", "Opportunity: 0")
    assert chart.summary == "Lead 10 → Qualified 0 (0%) → Opportunity 0 → Won 0"


def test_funnel_with_one_stage():
    chart = funnel(5)
    assert links(assert_accessible(chart)) == [("/leads/?stage=lead", "Lead: 5")]
    assert chart.summary == "Lead 5"


# ---- Columns over time -------------------------------------------------------------------

WEEKS = [datetime.date(2025, 3, 3), datetime.date(2025, 3, 10), datetime.date(2025, 3, 17)]


def weekly(**kwargs) -> charts.Chart:
    series = [
        Series("Website", [12, 0, 1500], [f"/leads/?source=web&week={w}" for w in WEEKS]),
        Series("Referral", [3, 4, 5], [f"/leads/?source=ref&week={w}" for w in WEEKS],
               colour="#17693a"),
    ]
    return charts.column_chart(WEEKS, series, chart_id="weekly", title="New leads per week",
                               **kwargs)


def test_columns_link_every_segment_with_its_value():
    chart = weekly(category_urls=[f"/leads/?week={w}" for w in WEEKS])
    root = assert_accessible(chart)
    segments = [(href, title) for href, title in links(root) if "source" in href]
    assert segments == [
        ("/leads/?source=web&week=2025-03-03", "Website, 3 Mar 2025: 12"),
        ("/leads/?source=ref&week=2025-03-03", "Referral, 3 Mar 2025: 3"),
        ("/leads/?source=ref&week=2025-03-10", "Referral, 10 Mar 2025: 4"),  # 0 isn't drawn
        ("/leads/?source=web&week=2025-03-17", "Website, 17 Mar 2025: 1,500"),
        ("/leads/?source=ref&week=2025-03-17", "Referral, 17 Mar 2025: 5"),
    ]
    assert ("/leads/?week=2025-03-17", "17 Mar 2025: 1,505 in total") in links(root)
    assert "&amp;week=" in str(chart.svg)  # the & in URLs is escaped in the markup


def test_columns_axis_ticks_legend_and_table():
    chart = weekly(category_urls=[f"/leads/?week={w}" for w in WEEKS])
    root = parse(chart)
    ticks = [t.text for t in root.iter(f"{SVG}text") if "lb-chart-tick" in t.get("class")]
    assert ticks[:5] == ["0", "500", "1,000", "1,500", "2,000"]
    assert {"3 Mar", "10 Mar", "17 Mar", "15", "4", "1,505"} <= set(ticks + texts(root))
    assert chart.legend == (charts.LegendItem("Website", charts.SERIES_COLOURS[0]),
                            charts.LegendItem("Referral", "#17693a"))
    assert chart.columns == ("Week", "Website", "Referral", "Total")
    assert chart.rows[1] == charts.Row("10 Mar 2025", (
        charts.Cell("0", "/leads/?source=web&week=2025-03-10"),
        charts.Cell("4", "/leads/?source=ref&week=2025-03-10"),
        charts.Cell("4", "/leads/?week=2025-03-10"),
    ))
    assert "1,524 in total (Website 1,512, Referral 12)" in chart.summary


def test_columns_without_category_urls_have_no_unlinked_total_column():
    chart = weekly()
    assert chart.columns == ("Week", "Website", "Referral")
    assert all(cell.url for row in chart.rows for cell in row.cells)


def test_columns_thin_out_x_labels_when_crowded():
    days = [datetime.date(2025, 1, 6) + datetime.timedelta(weeks=i) for i in range(26)]
    chart = charts.column_chart(days, [Series("All", [1] * 26, ["/leads/"] * 26)],
                                chart_id="many", title="Half a year")
    labels = [t for t in parse(chart).iter(f"{SVG}text") if "Jan" in (t.text or "")
              or "Jun" in (t.text or "")]
    assert labels and len(labels) < 26
    assert any("lb-chart-wide-only" in t.get("class") for t in labels)
    assert "30 Jun" in [t.text for t in labels]  # the newest week always shows


def test_columns_with_one_week_and_mismatched_series():
    chart = charts.column_chart([WEEKS[0]], [Series("All", [7], ["/leads/"])],
                                chart_id="one", title="One week")
    assert links(assert_accessible(chart)) == [("/leads/", "All, 3 Mar 2025: 7")]
    with pytest.raises(ValueError, match="one value and one URL per category"):
        charts.column_chart(WEEKS, [Series("All", [1], ["/"])], chart_id="x", title="x")


# ---- Horizontal bars -----------------------------------------------------------------------


def test_bar_chart_links_labels_and_values():
    chart = charts.bar_chart(
        [("Customer", 1204, "/leads/?type=1"), Point("Retailer", 0, "/leads/?type=2"),
         ("Cold", 5, "/leads/?temperature=cold", "#155d86")],
        chart_id="by-type", title="Leads by type", category_name="Type")
    root = assert_accessible(chart)
    assert links(root) == [("/leads/?type=1", "Customer: 1,204"),
                           ("/leads/?type=2", "Retailer: 0"),
                           ("/leads/?temperature=cold", "Cold: 5")]
    assert texts(root) == ["Customer", "1,204", "Retailer", "0", "Cold", "5"]
    bars = [r for r in root.iter(f"{SVG}rect") if "lb-chart-bar" in r.get("class")]
    assert [r.get("width") for r in bars][:2] == ["100%", "0%"]  # zero draws nothing
    assert bars[2].get("fill") == "#155d86"
    assert chart.columns == ("Type", "Leads") and not chart.legend
    assert chart.summary == "Customer 1,204, Retailer 0, Cold 5."


def test_tiny_counts_still_show_a_sliver():
    chart = charts.bar_chart([("Big", 100_000, "/b"), ("Tiny", 1, "/t")], chart_id="s",
                             title="Slivers")
    bars = [r for r in parse(chart).iter(f"{SVG}rect") if "lb-chart-bar" in r.get("class")]
    assert [r.get("width") for r in bars] == ["100%", "0.75%"]


def test_long_labels_are_truncated_with_the_full_text_in_the_title():
    label = "Independent specialty coffee roasters and cafés in the Pacific Northwest"
    chart = charts.bar_chart([(label, 7, "/leads/?type=5")], chart_id="long", title="Types")
    root = parse(chart)
    shown = texts(root)[0]
    assert shown.endswith("…") and len(shown) <= 30 and label.startswith(shown[:-1])
    assert links(root) == [("/leads/?type=5", f"{label}: 7")]
    assert chart.rows[0].label == label


def test_grouped_bars_name_each_series_in_words():
    chart = charts.multi_bar_chart(
        ["Customer", "Podcast"],
        [Series("Cold", [900, 0], ["/c1", "/c2"], "#155d86"),
         Series("Warm", [304, 2], ["/w1", "/w2"], "#a3470b")],
        chart_id="cold-warm", title="Cold and warm")
    root = assert_accessible(chart)
    assert "900 Cold · 304 Warm" in texts(root)
    assert "0 Cold · 2 Warm" in texts(root)
    bar_links = [(h, t) for h, t in links(root)]
    for pair in [("/c1", "Customer, Cold: 900"), ("/w2", "Podcast, Warm: 2"),
                 ("/c2", "Podcast, Cold: 0")]:
        assert pair in bar_links
    assert [item.label for item in chart.legend] == ["Cold", "Warm"]


def test_stacked_bars_show_totals_and_link_categories():
    chart = charts.multi_bar_chart(
        ["Customer", "Podcast"],
        [Series("Cold", [900, 0], ["/c1", "/c2"]), Series("Warm", [304, 2], ["/w1", "/w2"])],
        stacked=True, category_urls=["/t1", "/t2"], chart_id="stacked", title="Stacked")
    root = assert_accessible(chart)
    assert {"1,204", "2"} <= set(texts(root))
    assert ("/t1", "Customer: 1,204 in total") in links(root)
    segments = [r for r in root.iter(f"{SVG}rect") if "lb-chart-segment" in r.get("class")]
    assert [r.get("x") for r in segments] == ["0%", f"{round(100 * 900 / 1204, 3):g}%", "0%"]
    assert chart.rows[0].cells[-1] == charts.Cell("1,204", "/t1")


# ---- Won vs lost --------------------------------------------------------------------------


def test_win_loss_shares():
    chart = charts.win_loss_chart(("Won", 41, "/won"), ("Lost", 25, "/lost"),
                                  chart_id="winloss")
    root = assert_accessible(chart)
    assert links(root) == [("/won", "Won: 41 (62%)"), ("/lost", "Lost: 25 (38%)")]
    assert texts(root) == ["Won 41 · 62%", "Lost 25 · 38%"]
    assert chart.extra["win_rate"] == "62%"
    assert chart.summary == "Won 41 (62%), Lost 25 (38%) of 66 closed."


def test_win_loss_with_nothing_won():
    chart = charts.win_loss_chart(("Won", 0, "/won"), ("Lost", 3, "/lost"), chart_id="wl")
    root = assert_accessible(chart)
    assert texts(root) == ["Won 0 · 0%", "Lost 3 · 100%"]


# ---- Empty, hostile, huge, invalid ---------------------------------------------------------


@pytest.mark.parametrize("chart", [
    charts.funnel_chart([], chart_id="a", title="Funnel"),
    charts.funnel_chart([("Lead", 0, "/"), ("Won", 0, "/")], chart_id="b", title="Funnel"),
    charts.column_chart([], [], chart_id="c", title="Weekly"),
    charts.column_chart(WEEKS, [Series("All", [0, 0, 0], ["/"] * 3)], chart_id="d", title="W"),
    charts.bar_chart([], chart_id="e", title="Types"),
    charts.multi_bar_chart(["A"], [Series("x", [0], ["/"]), Series("y", [0], ["/"])],
                           chart_id="f", title="Types"),
    charts.win_loss_chart(("Won", 0, "/"), ("Lost", 0, "/"), chart_id="g"),
])
def test_empty_data_renders_a_friendly_state(chart):
    root = assert_accessible(chart)
    assert chart.empty and not chart.rows
    assert not list(root.iter(f"{SVG}a"))
    assert texts(root)[0] in ("No data yet", "No closed deals yet")


def test_hostile_labels_come_out_as_text():
    chart = charts.multi_bar_chart(
        [HOSTILE], [Series(HOSTILE, [1], ['/leads/?q="><script>']),
                    Series("ok", [2], ["/leads/?q=1"])],
        category_urls=["/leads/?a=1&b=2"], chart_id="hostile", title=f"Title {HOSTILE}",
        description=HOSTILE)
    markup = str(chart.svg)
    assert "<script>" not in markup and "<script" not in markup.replace("&lt;script", "")
    root = assert_accessible(chart)  # still well-formed XML
    assert root.find(f"{SVG}title").text == f"Title {HOSTILE}"
    assert HOSTILE in root.find(f"{SVG}desc").text
    assert ('/leads/?q="><script>', f"{HOSTILE}, {HOSTILE}: 1") in links(root)
    html = render_to_string("dashboard/_chart.html", {"chart": chart})
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_marks_without_a_url_keep_their_tooltip_and_stay_valid():
    chart = charts.multi_bar_chart(
        ["Customer"], [Series("Cold", [3], [""]), Series("Warm", [4], ["/w"])],
        chart_id="no-url", title="Title\x00 with a control character")
    root = assert_accessible(chart)
    assert links(root) == [("/w", "Customer, Warm: 4"), ("/w", "Customer, Warm: 4")]
    marks = [g.find(f"{SVG}title").text for g in root.iter() if g.tag in (f"{SVG}g",
                                                                           f"{SVG}tspan")
             and g.get("class") == "lb-chart-mark"]
    assert marks == ["Customer, Cold: 3", "Customer, Cold: 3"]  # the number and the bar
    assert "3 Cold · 4 Warm" in texts(root)


def test_large_numbers_get_thousands_separators():
    chart = charts.bar_chart([("All", 1_234_567, "/")], chart_id="big", title="Big")
    root = parse(chart)
    assert "1,234,567" in texts(root)
    assert links(root) == [("/", "All: 1,234,567")]
    assert chart.rows[0].cells[0].text == "1,234,567"


def test_bad_input_fails_loudly():
    with pytest.raises(ValueError, match="negative"):
        charts.bar_chart([("A", -1, "/")], chart_id="x", title="x")
    with pytest.raises(TypeError):
        charts.bar_chart([("A", 1.5, "/")], chart_id="x", title="x")
    with pytest.raises(ValueError, match="http"):
        charts.bar_chart([("A", 1, "javascript:alert(1)")], chart_id="x", title="x")
    with pytest.raises(ValueError, match="hex"):
        charts.bar_chart([("A", 1, "/", 'red" onload="x')], chart_id="x", title="x")
    with pytest.raises(ValueError, match="chart_id"):
        charts.bar_chart([("A", 1, "/")], chart_id="!!", title="x")


def test_chart_ids_are_slugs_so_several_charts_can_share_a_page():
    one = charts.bar_chart([("A", 1, "/")], chart_id="By type 1", title="x")
    two = charts.bar_chart([("A", 1, "/")], chart_id="By type 2", title="x")
    assert (one.chart_id, two.chart_id) == ("by-type-1", "by-type-2")
    assert parse(one).get("aria-labelledby") == "by-type-1-title by-type-1-desc"


# ---- The partial -----------------------------------------------------------------------------


class _Outline(HTMLParser):
    """Just enough of the rendered HTML to check: tags in order, links and table cells."""

    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.links: list[tuple[str, str]] = []
        self.cells: list[str] = []
        self._href: str | None = None
        self._in_cell = False
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "a":
            self._href, self._text = dict(attrs)["href"], []
        if tag == "td":
            self._in_cell, self._cell = True, []

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text).strip()))
            self._href = None
        if tag == "td":
            self._in_cell = False
            self.cells.append("".join(self._cell).strip())

    def handle_data(self, data):
        self._text.append(data)
        if self._in_cell:
            self._cell.append(data)


def render(chart: charts.Chart) -> tuple[str, _Outline]:
    html = render_to_string("dashboard/_chart.html", {"chart": chart})
    outline = _Outline()
    outline.feed(html)
    return html, outline


def test_partial_renders_figure_caption_svg_and_numbers_table():
    chart = weekly(category_urls=[f"/leads/?week={w}" for w in WEEKS],
                   description="Last 3 weeks, by source")
    html, outline = render(chart)
    assert outline.tags[0] == "figure" and outline.tags[1] == "figcaption"
    assert '<figure class="lb-chart lb-chart-kind-columns" id="weekly">' in html
    assert "New leads per week" in html and "Last 3 weeks, by source" in html
    assert str(chart.svg) in html
    assert "<details" in html and "<summary>Show numbers</summary>" in html
    assert html.index("<svg xmlns") < html.index("<details") and "style=" not in html
    # Every number in the table is a link to the filtered leads table.
    table_links = [(href, text) for href, text in outline.links]
    assert outline.cells and all(
        any(text == cell for _, text in table_links) for cell in outline.cells)
    assert ("/leads/?source=web&week=2025-03-17", "1,500") in table_links
    assert ("/leads/?week=2025-03-17", "1,505") in table_links
    assert 'href="/leads/?source=web&amp;week=2025-03-17"' in html
    assert '<th scope="col">Referral</th>' in html and '<th scope="row">3 Mar 2025</th>' in html
    assert 'class="lb-chart-legend"' in html and 'fill="#17693a"' in html


def test_partial_funnel_table_has_counts_linked_and_rates():
    _, outline = render(funnel(1204, 312, 90, 41))
    assert outline.cells == ["1,204", "—", "312", "26%", "90", "29%", "41", "46%"]
    assert ("/leads/?stage=qualified", "312") in outline.links


def test_partial_empty_state_has_no_table():
    html, _ = render(charts.bar_chart([], chart_id="none", title="Leads by type"))
    assert "is-empty" in html and "No data yet" in html
    assert "<details" not in html and "lb-chart-legend" not in html
