"""Dashboard charts drawn on the server as inline SVG: no CDN, no JavaScript.

Each chart function takes plain data (labels, counts and the URL of the filtered leads table
behind each count) and returns a `Chart`, which `dashboard/_chart.html` renders as a
<figure>: the SVG, a caption, a legend when there are series, and a "Show numbers" table in
which every count is a link too.

    {% include "dashboard/_chart.html" with chart=funnel %}

Layout: the SVGs use width="100%", fixed pixel heights and *percentage* x positions rather
than a scaled viewBox. Bars stretch with the panel while text keeps its real size, so 12px
labels stay 12px on a 390px phone instead of shrinking to 7px. The vertical axis labels of
the column chart sit in a CSS padding gutter (charts.css), outside the plot area.

Safety: labels are user-provided text. Every element is built with format_html, which
escapes its arguments, colours must be hex and URLs may not carry a script scheme. The
markup is also well-formed XML, which the tests rely on to parse it.

Accessibility: each SVG has role="img", named by its own <title> and <desc> (a text summary
of the numbers); each bar is an <a> whose <title> gives its label and value. Colour is never
the only cue: values are printed beside bars, series keep the legend's order and the
grouped bars name their series in text.
"""

from __future__ import annotations

import datetime
import math
import operator
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify

# ---- Palette: the app's own colours (app.css) ------------------------------------------

INK = "#1d2330"
MUTED = "#5f6673"
TRACK = "#f1f3f7"
GRID = "#eceef2"
AXIS = "#cfd4dc"
ACCENT = "#2f5bea"

STAGE_COLOURS = {
    "lead": "#3d4656",
    "qualified": "#1e4fbf",
    "opportunity": "#6b32c4",
    "won": "#17693a",
    "lost": "#a12a2a",
}
TEMPERATURE_COLOURS = {"cold": "#155d86", "warm": "#a3470b"}
# Series without a colour of their own take these in turn. Neighbours differ in hue *and*
# lightness so stacked segments stay apart; the last, grey, suits an "Other" series.
SERIES_COLOURS = (
    "#2f5bea", "#e08a3c", "#6b32c4", "#2e9e6a", "#155d86", "#d9657b", "#8fa8f5", "#8a919e",
)
LOST_TINT = "#e7b3b3"  # a light red for "lost": the bar reads as the remainder of "won"

EMPTY_TEXT = "No data yet"

# ---- Data in ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """One count: its label, the value, and the filtered leads table it stands for."""

    label: str
    value: int
    url: str
    colour: str | None = None


PointLike = Point | tuple  # (label, value, url) or (label, value, url, colour)


@dataclass(frozen=True)
class Series:
    """A named run of counts, one per category (same order), each with its table URL."""

    name: str
    values: Sequence[int]
    urls: Sequence[str]
    colour: str | None = None


# ---- Data out --------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """A table cell: the formatted number and, for counts, the table it links to."""

    text: str
    url: str = ""


@dataclass(frozen=True)
class Row:
    label: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class LegendItem:
    label: str
    colour: str


@dataclass(frozen=True)
class Chart:
    """What dashboard/_chart.html renders. `columns` heads the table (label column first)."""

    chart_id: str
    kind: str
    title: str
    description: str  # the caller's context sentence; may be empty
    summary: str  # the numbers in words, for screen readers (the SVG's <desc>)
    svg: SafeString
    columns: tuple[str, ...] = ()
    rows: tuple[Row, ...] = ()
    legend: tuple[LegendItem, ...] = ()
    empty: bool = False
    # Chart-specific extras kept for callers and tests, e.g. funnel conversion rates.
    extra: dict = field(default_factory=dict)


# ---- Formatting ------------------------------------------------------------------------

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_SCHEME = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*):")


def format_number(value: int) -> str:
    """1204 → '1,204': the thousands separator the rest of the app shows (intcomma)."""
    return f"{value:,}"


def format_compact(value: int) -> str:
    """Axis ticks in little room: 1,500 stays, 25,000 → '25k', 1,500,000 → '1.5M'."""
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (10_000, "k")):
        if value >= size:
            divisor = 1000 if suffix == "k" else size
            return f"{value / divisor:.1f}".removesuffix(".0") + suffix
    return format_number(value)


def format_rate(part: int, whole: int) -> str:
    """A share as a whole percentage, '' when undefined (nothing to divide by).

    Rounding never claims what isn't so: a tiny share reads '<1%', not '0%', and 99.6% of
    a stage reads '99%', not '100%'.
    """
    if whole <= 0:
        return ""
    rate = 100 * part / whole
    if 0 < rate < 1:
        return "<1%"
    if 99 < rate < 100:
        return "99%"
    return f"{math.floor(rate + 0.5)}%"


def clean_label(label: object) -> str:
    """User text as one tidy line: no control characters (not allowed in XML), no runs of
    whitespace, and something visible when blank."""
    text = " ".join(_CONTROL_CHARS.sub("", str(label)).split())
    return text or "(blank)"


def truncate(text: str, limit: int) -> str:
    """Shorten to `limit` characters with an ellipsis; the full text goes in a <title>."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def format_day(day: datetime.date, with_year: bool = False) -> str:
    # Built by hand: strftime's %-d is not portable and %d gives '03'.
    text = f"{day.day} {day:%b}"
    return f"{text} {day.year}" if with_year else text


def nice_ticks(maximum: float, count: int = 4) -> list[int]:
    """Axis ticks from 0 past `maximum` in round steps (1, 2 or 5 times a power of ten),
    about `count` of them.

    Counts are whole, so steps are at least 1; an all-zero axis still gets a 0 to 1 scale.
    """
    if maximum <= 0:
        return [0, 1]
    rough = maximum / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(rough))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= rough)
    step = max(1, int(step))
    top = math.ceil(maximum / step) * step
    return list(range(0, top + 1, step))


def _count(value: object) -> int:
    """Counts must be whole and not negative; anything else is a bug in the caller."""
    if isinstance(value, bool):
        raise TypeError("A chart value must be a count, not a bool.")
    number = operator.index(value)  # rejects floats and strings
    if number < 0:
        raise ValueError(f"A chart value cannot be negative ({number}).")
    return number


def _colour(colour: str | None, fallback: str) -> str:
    if colour is None:
        return fallback
    if not _COLOUR.match(colour):
        raise ValueError(f"Chart colours are hex, like #2f5bea (got {colour!r}).")
    return colour


def _url(url: str | None) -> str:
    """Links go to our own pages; refuse javascript: and friends rather than escape them."""
    url = (url or "").strip()
    match = _SCHEME.match(url)
    if match and match.group(1).lower() not in ("http", "https"):
        raise ValueError(f"Chart links must be http(s) or relative (got {url!r}).")
    return url


def _point(item: PointLike) -> Point:
    if not isinstance(item, Point):
        item = Point(*item)
    return Point(clean_label(item.label), _count(item.value), _url(item.url), item.colour)


def _plain(text: str) -> str:
    """A title or description without control characters (not allowed in XML)."""
    return " ".join(_CONTROL_CHARS.sub("", str(text)).split())


def _chart_id(chart_id: str) -> str:
    slug = slugify(chart_id)
    if not slug:
        raise ValueError("A chart needs a chart_id made of letters or digits.")
    return slug


# ---- SVG pieces ------------------------------------------------------------------------


def _join(parts: Iterable[object]) -> SafeString:
    # conditional_escape keeps SafeStrings (our markup) and escapes anything else.
    return mark_safe("".join(str(conditional_escape(part)) for part in parts))


def _pct(value: float) -> str:
    return f"{round(value, 3):g}%"


def _bar_width(value: int, largest: int) -> float:
    """A bar's width in percent. A count that isn't zero always shows as a sliver, so
    2 next to 900 doesn't read as nothing."""
    if not value:
        return 0.0
    return max(100 * value / largest, 0.75)


def _svg(chart_id: str, kind: str, height: int, title: str, summary: str,
         body: Iterable[object]) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="lb-chart-svg lb-chart-{}" '
        'width="100%" height="{}" role="img" aria-labelledby="{}-title {}-desc" '
        'overflow="visible" font-size="12" fill="{}">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        kind, height, chart_id, chart_id, INK, chart_id, title, chart_id, summary, _join(body),
    )


def _link(url: str, title: str, body: Iterable[object], inline: bool = False) -> SafeString:
    """A clickable group whose <title> is its tooltip and accessible name. `inline` for one
    inside a <text>, where the no-link fallback must be a <tspan> rather than a <g>."""
    if not url:  # nothing to link to: keep the tooltip, drop the link
        tag = "tspan" if inline else "g"
        return format_html('<{} class="lb-chart-mark"><title>{}</title>{}</{}>', tag, title,
                           _join(body), tag)
    return format_html('<a href="{}" class="lb-chart-mark"><title>{}</title>{}</a>',
                       url, title, _join(body))


def _rect(x: str, y: float, width: str, height: float, fill: str, rx: float = 0,
          cls: str = "lb-chart-bar") -> SafeString:
    return format_html(
        '<rect class="{}" x="{}" y="{}" width="{}" height="{}" rx="{}" fill="{}"/>',
        cls, x, y, width, height, rx, fill,
    )


def _hit_area(y: float, height: float) -> SafeString:
    """An invisible full-width row, so the gap between a label and its bar is clickable too
    (a fill, even at zero opacity, takes pointer events; fill="none" would not)."""
    return format_html('<rect class="lb-chart-hit" x="0" y="{}" width="100%" height="{}" '
                       'fill="#fff" fill-opacity="0"/>', y, height)


def _text(x: str, y: float, content: object, *, anchor: str = "start", cls: str = "",
          fill: str = INK, size: int = 12, weight: int = 400) -> SafeString:
    return format_html(
        '<text class="{}" x="{}" y="{}" text-anchor="{}" fill="{}" font-size="{}" '
        'font-weight="{}">{}</text>',
        cls or "lb-chart-text", x, y, anchor, fill, size, weight, content,
    )


def _tspan(content: object, *, fill: str = INK, weight: int = 400) -> SafeString:
    return format_html('<tspan fill="{}" font-weight="{}">{}</tspan>', fill, weight, content)


def _empty(chart_id: str, kind: str, title: str, description: str, text: str) -> Chart:
    """A friendly placeholder the size of a small chart, instead of a blank or a crash."""
    body = [
        format_html('<rect class="lb-chart-empty-box" x="0" y="0.5" width="100%" '
                    'height="95" rx="8" fill="#fafbfc" stroke="{}" stroke-dasharray="4 4"/>',
                    AXIS),
        _text("50%", 46, text, anchor="middle", size=13, weight=600),
        _text("50%", 66, "It fills in as leads come in.", anchor="middle", fill=MUTED),
    ]
    # Drawn as kind "empty" so it doesn't inherit a chart's layout (the column axis gutter).
    svg = _svg(chart_id, "empty", 96, title, f"{text}.", body)
    return Chart(chart_id, kind, title, description, f"{text}.", svg, empty=True)


def _with_description(description: str, summary: str) -> str:
    return f"{description.rstrip('.')}. {summary}" if description else summary


# ---- 1. Funnel -------------------------------------------------------------------------

FUNNEL_ROW = 42  # label line + bar + breathing room


def funnel_chart(stages: Sequence[PointLike], *, chart_id: str, title: str = "Funnel",
                 description: str = "", empty_text: str = EMPTY_TEXT) -> Chart:
    """Stages in order (e.g. Lead → Qualified → Opportunity → Won) as left-aligned bars
    scaled to the largest, each with its count and the conversion from the stage before.

    Counts are taken as given: pass "reached at least this stage" counts for a true funnel.
    A stage after an empty one has no conversion rate rather than a division by zero.
    """
    chart_id = _chart_id(chart_id)
    title, description = _plain(title), _plain(description)
    points = [_point(stage) for stage in stages]
    if not any(point.value for point in points):
        return _empty(chart_id, "funnel", title, description, empty_text)

    largest = max(point.value for point in points)
    rates = [""] + [format_rate(cur.value, prev.value) for prev, cur in pairwise(points)]
    body = []
    for index, (point, rate) in enumerate(zip(points, rates, strict=True)):
        top = index * FUNNEL_ROW
        colour = _colour(point.colour, ACCENT)
        previous = points[index - 1].label if index else ""
        tooltip = f"{point.label}: {format_number(point.value)}"
        if rate:
            tooltip += f" ({rate} of {previous})"
        label = [_tspan(truncate(point.label, 28), weight=600)]
        if rate:
            label.append(_tspan(f"  {rate} of previous", fill=MUTED))
        body.append(_link(point.url, tooltip, [
            _hit_area(top, 31),
            _rect("0", top + 19, "100%", 12, TRACK, rx=3, cls="lb-chart-track"),
            _rect("0", top + 19, _pct(_bar_width(point.value, largest)), 12, colour, rx=3),
            _text("0", top + 13, _join(label)),
            _text("100%", top + 13, format_number(point.value), anchor="end", weight=600),
        ]))

    steps = [f"{points[0].label} {format_number(points[0].value)}"]
    for point, rate in zip(points[1:], rates[1:], strict=True):
        steps.append(f"{point.label} {format_number(point.value)}" + (f" ({rate})" if rate
                                                                        else ""))
    summary = " → ".join(steps)
    height = len(points) * FUNNEL_ROW - 8
    svg = _svg(chart_id, "funnel", height, title, _with_description(description, summary), body)
    rows = tuple(
        Row(point.label, (Cell(format_number(point.value), point.url), Cell(rate or "—")))
        for point, rate in zip(points, rates, strict=True)
    )
    return Chart(chart_id, "funnel", title, description, summary, svg,
                 columns=("Stage", "Leads", "From previous stage"), rows=rows,
                 extra={"rates": rates})


# ---- 2. Columns over time, stacked by series --------------------------------------------

COLUMN_TOP = 16  # room for the totals above the tallest column
COLUMN_PLOT = 150
COLUMN_AXIS = 24  # the x labels under the baseline


def _series(series: Sequence[Series], categories: int) -> list[Series]:
    """Validated series with a colour each, in the caller's (legend and stacking) order."""
    checked = []
    for index, item in enumerate(series):
        if len(item.values) != categories or len(item.urls) != categories:
            raise ValueError(f"Series {item.name!r} needs one value and one URL per category.")
        checked.append(Series(
            clean_label(item.name), [_count(value) for value in item.values],
            [_url(url) for url in item.urls],
            _colour(item.colour, SERIES_COLOURS[index % len(SERIES_COLOURS)]),
        ))
    return checked


def _category_urls(urls: Sequence[str] | None, categories: int) -> list[str]:
    if urls is None:
        return [""] * categories
    if len(urls) != categories:
        raise ValueError("category_urls needs one URL per category.")
    return [_url(url) for url in urls]


def _category_label(category: str | datetime.date, with_year: bool) -> str:
    if isinstance(category, datetime.date):
        return format_day(category, with_year=with_year)
    return clean_label(category)


def _table(category_name: str, labels: Sequence[str], series: Sequence[Series],
           totals: Sequence[int], category_urls: Sequence[str]) -> tuple[tuple, tuple]:
    """Categories down, series across; a Total column when there's a table to link it to
    (every number in the table is a link)."""
    with_total = len(series) > 1 and all(category_urls)
    columns = (category_name, *(item.name for item in series), *(("Total",) if with_total
                                                                  else ()))
    rows = []
    for index, label in enumerate(labels):
        cells = [Cell(format_number(item.values[index]), item.urls[index]) for item in series]
        if with_total:
            cells.append(Cell(format_number(totals[index]), category_urls[index]))
        rows.append(Row(label, tuple(cells)))
    return columns, tuple(rows)


def _label_steps(count: int) -> tuple[int, int]:
    """Show every n-th x label so they don't collide: (wide panels, narrow panels).

    The narrow step is a multiple of the wide one, so narrow shows a subset of wide.
    """
    wide = math.ceil(count / 12)
    narrow = wide * math.ceil(math.ceil(count / 6) / wide)
    return wide, narrow


def column_chart(categories: Sequence[str | datetime.date], series: Sequence[Series], *,
                 chart_id: str, title: str, description: str = "",
                 category_urls: Sequence[str] | None = None, category_name: str = "Week",
                 empty_text: str = EMPTY_TEXT) -> Chart:
    """Vertical columns over time (e.g. new leads per ISO week), stacked by series (e.g.
    source) in the given order from the bottom, with round-number gridlines and the total
    above each column. Dates are shown as '3 Mar'; the full date is in tooltips and table.

    `category_urls` (optional) link each column's total, e.g. to all leads of that week.
    """
    chart_id = _chart_id(chart_id)
    title, description = _plain(title), _plain(description)
    series = _series(series, len(categories))
    totals = [sum(item.values[index] for item in series) for index in range(len(categories))]
    if not any(totals):
        return _empty(chart_id, "columns", title, description, empty_text)

    labels = [_category_label(category, with_year=False) for category in categories]
    full_labels = [_category_label(category, with_year=True) for category in categories]
    urls = _category_urls(category_urls, len(categories))
    ticks = nice_ticks(max(totals))
    scale = COLUMN_PLOT / ticks[-1]
    baseline = COLUMN_TOP + COLUMN_PLOT
    slot = 100 / len(categories)
    width = min(slot * 0.62, 6.0)  # a lone week is a column, not a wall
    wide_step, narrow_step = _label_steps(len(categories))
    total_chars = len(format_number(max(totals)))
    # Totals stay readable while columns are wider than the numbers (about 7px a digit).
    totals_wide = len(categories) * total_chars * 7 <= 460
    totals_narrow = len(categories) * total_chars * 7 <= 260

    body: list[object] = []
    for tick in ticks:
        y = baseline - tick * scale
        body.append(format_html(
            '<line class="lb-chart-grid" x1="0" x2="100%" y1="{}" y2="{}" stroke="{}"/>',
            y, y, AXIS if tick == 0 else GRID))
        body.append(_text("-8", y + 4, format_compact(tick), anchor="end", fill=MUTED, size=11,
                          cls="lb-chart-tick"))

    for index, label in enumerate(labels):
        centre = slot * (index + 0.5)
        x = _pct(centre - width / 2)
        y = baseline
        for item in series:
            value = item.values[index]
            if not value:
                continue  # nothing to draw or click; the table still lists the zero
            height = value * scale
            y -= height
            body.append(_link(
                item.urls[index], f"{item.name}, {full_labels[index]}: {format_number(value)}",
                [_rect(x, round(y, 2), _pct(width), round(height, 2), item.colour,
                       cls="lb-chart-bar lb-chart-segment")],
            ))
        from_end = len(labels) - 1 - index  # count from the newest, which always shows
        if totals[index] and totals_wide:
            total = _text(_pct(centre), round(y - 5, 2), format_number(totals[index]),
                          anchor="middle", size=11, weight=600,
                          cls="lb-chart-total" + ("" if totals_narrow else " lb-chart-wide-only"))
            if urls[index]:
                total = _link(urls[index], f"{full_labels[index]}: "
                              f"{format_number(totals[index])} in total", [total])
            body.append(total)
        if from_end % wide_step == 0:
            body.append(_text(
                _pct(centre), baseline + 16, label, anchor="middle", fill=MUTED, size=11,
                cls="lb-chart-tick" + ("" if from_end % narrow_step == 0 else
                                       " lb-chart-wide-only")))

    busiest = max(range(len(totals)), key=totals.__getitem__)
    by_series = ", ".join(f"{item.name} {format_number(sum(item.values))}" for item in series)
    summary = (
        f"{len(labels)} {category_name.lower()}s, {full_labels[0]} to {full_labels[-1]}: "
        f"{format_number(sum(totals))} in total ({by_series}). Highest: "
        f"{format_number(totals[busiest])} in {full_labels[busiest]}."
    )
    if len(labels) == 1:
        summary = f"{full_labels[0]}: {format_number(totals[0])} ({by_series})."
    svg = _svg(chart_id, "columns", COLUMN_TOP + COLUMN_PLOT + COLUMN_AXIS, title,
               _with_description(description, summary), body)
    columns, rows = _table(category_name, full_labels, series, totals, urls)
    return Chart(chart_id, "columns", title, description, summary, svg, columns=columns,
                 rows=rows, legend=tuple(LegendItem(item.name, item.colour) for item in series))


# ---- 3. Horizontal bars ------------------------------------------------------------------

BAR_LABEL = 17  # the label line above each bar
BAR_GAP = 13  # between categories


def bar_chart(points: Sequence[PointLike], *, chart_id: str, title: str,
              description: str = "", category_name: str = "Category",
              value_name: str = "Leads", colour: str | None = None,
              empty_text: str = EMPTY_TEXT) -> Chart:
    """Categories with one count each (leads by type, by temperature…), as horizontal bars
    on a light track, label above and count at the right. Give a point its own colour
    (4th item) to override `colour` for that bar, e.g. cold and warm."""
    points = [_point(point) for point in points]
    series = Series(value_name, [point.value for point in points],
                    [point.url for point in points], colour)
    colours = [_colour(point.colour, _colour(colour, ACCENT)) for point in points]
    return _bars([point.label for point in points], [series], chart_id=chart_id, title=title,
                 description=description, stacked=False, category_urls=None,
                 category_name=category_name, empty_text=empty_text, bar_colours=colours)


def multi_bar_chart(categories: Sequence[str], series: Sequence[Series], *, chart_id: str,
                    title: str, description: str = "", stacked: bool = False,
                    category_urls: Sequence[str] | None = None,
                    category_name: str = "Category", empty_text: str = EMPTY_TEXT) -> Chart:
    """Categories with several series (e.g. cold and warm per lead type): side by side as
    thin bars with "12 Cold · 30 Warm" in words, or `stacked` in one bar with the total.
    Side by side suits two or three short series names; stack anything longer.

    `category_urls` (optional) link each category's label and total.
    """
    return _bars(categories, series, chart_id=chart_id, title=title, description=description,
                 stacked=stacked, category_urls=category_urls, category_name=category_name,
                 empty_text=empty_text, bar_colours=None)


def _bars(categories: Sequence[str], series: Sequence[Series], *, chart_id: str, title: str,
          description: str, stacked: bool, category_urls: Sequence[str] | None,
          category_name: str, empty_text: str, bar_colours: Sequence[str] | None) -> Chart:
    chart_id = _chart_id(chart_id)
    title, description = _plain(title), _plain(description)
    labels = [clean_label(category) for category in categories]
    series = _series(series, len(labels))
    urls = _category_urls(category_urls, len(labels))
    totals = [sum(item.values[index] for item in series) for index in range(len(labels))]
    kind = "bars"
    if not any(totals):
        return _empty(chart_id, kind, title, description, empty_text)

    single = len(series) == 1
    grouped = not single and not stacked
    bar_height = 7 if grouped else 10
    bars_height = (bar_height + 2) * len(series) - 2 if grouped else bar_height
    row = BAR_LABEL + bars_height + BAR_GAP
    largest = max(totals) if stacked or single else max(max(item.values) for item in series)
    # About what fits beside the numbers on a small phone; the full text is in the <title>.
    label_limit = 30 if single or stacked else 22

    body: list[object] = []
    for index, label in enumerate(labels):
        top = index * row
        bar_top = top + BAR_LABEL + 2
        short = truncate(label, label_limit)
        if single:
            item = series[0]
            value = item.values[index]
            fill = bar_colours[index] if bar_colours else item.colour
            body.append(_link(item.urls[index], f"{label}: {format_number(value)}", [
                _hit_area(top, BAR_LABEL + 2 + bar_height),
                _text("0", top + 12, short),
                _text("100%", top + 12, format_number(value), anchor="end", weight=600),
                _rect("0", bar_top, "100%", bar_height, TRACK, rx=3, cls="lb-chart-track"),
                _rect("0", bar_top, _pct(_bar_width(value, largest)), bar_height, fill, rx=3),
            ]))
            continue

        total_text = f"{label}: {format_number(totals[index])} in total"
        label_text = _text("0", top + 12, short if short == label else _join(
            [format_html("<title>{}</title>", label), short]))
        if urls[index]:
            label_text = _link(urls[index], total_text, [label_text])
        body.append(label_text)
        if stacked:
            body.append(_rect("0", bar_top, "100%", bar_height, TRACK, rx=3,
                              cls="lb-chart-track"))
            total = _text("100%", top + 12, format_number(totals[index]), anchor="end",
                          weight=600)
            body.append(_link(urls[index], total_text, [total]) if urls[index] else total)
        else:
            # "12 Cold · 30 Warm": each number in words and linked, so colour isn't needed.
            words = []
            for number, item in enumerate(series):
                if number:
                    words.append(_tspan(" · ", fill=MUTED))
                value = item.values[index]
                words.append(_link(item.urls[index], f"{label}, {item.name}: "
                                   f"{format_number(value)}", [
                    _tspan(format_number(value), weight=600),
                    _tspan(f" {truncate(item.name, 12)}", fill=MUTED),
                ], inline=True))
            body.append(_text("100%", top + 12, _join(words), anchor="end"))

        x = 0.0
        for number, item in enumerate(series):
            value = item.values[index]
            if stacked and not value:
                continue
            # Stacked segments must add up exactly, so only side-by-side bars get a sliver.
            width = 100 * value / largest if stacked else _bar_width(value, largest)
            y = bar_top if stacked else bar_top + number * (bar_height + 2)
            track = [] if stacked else [_rect("0", y, "100%", bar_height, TRACK, rx=2,
                                              cls="lb-chart-track")]
            body.append(_link(
                item.urls[index], f"{label}, {item.name}: {format_number(value)}",
                [*track, _rect(_pct(x), y, _pct(width), bar_height, item.colour, rx=2,
                               cls="lb-chart-bar lb-chart-segment")],
            ))
            if stacked:
                x += width

    if single:
        summary = ", ".join(f"{label} {format_number(total)}"
                            for label, total in zip(labels, totals, strict=True)) + "."
    else:
        summary = "; ".join(
            f"{label}: " + ", ".join(f"{item.name} {format_number(item.values[index])}"
                                     for item in series)
            for index, label in enumerate(labels)
        ) + "."
    height = len(labels) * row - BAR_GAP + 2
    svg = _svg(chart_id, kind, height, title, _with_description(description, summary), body)
    if single:
        columns = (category_name, series[0].name)
        rows = tuple(Row(label, (Cell(format_number(series[0].values[index]),
                                      series[0].urls[index]),))
                     for index, label in enumerate(labels))
    else:
        columns, rows = _table(category_name, labels, series, totals, urls)
    legend = () if single else tuple(LegendItem(item.name, item.colour) for item in series)
    return Chart(chart_id, kind, title, description, summary, svg, columns=columns,
                 rows=rows, legend=legend)


# ---- 4. Won vs lost ------------------------------------------------------------------------


def win_loss_chart(won: PointLike, lost: PointLike, *, chart_id: str,
                   title: str = "Won vs lost", description: str = "",
                   empty_text: str = "No closed deals yet") -> Chart:
    """One 100% bar split into won and lost, both numbers and shares written at its ends."""
    chart_id = _chart_id(chart_id)
    title, description = _plain(title), _plain(description)
    won, lost = _point(won), _point(lost)
    closed = won.value + lost.value
    if not closed:
        return _empty(chart_id, "winloss", title, description, empty_text)

    won_share, lost_share = format_rate(won.value, closed), format_rate(lost.value, closed)
    won_width = 100 * won.value / closed
    won_fill = _colour(won.colour, STAGE_COLOURS["won"])
    lost_fill = _colour(lost.colour, LOST_TINT)
    body = [
        _link(won.url, f"{won.label}: {format_number(won.value)} ({won_share})", [
            _rect("0", 22, _pct(won_width), 16, won_fill, cls="lb-chart-bar lb-chart-segment"),
            _text("0", 13, _join([_tspan(truncate(won.label, 20)),
                                  _tspan(f" {format_number(won.value)}", weight=600),
                                  _tspan(f" · {won_share}", fill=MUTED)])),
        ]),
        _link(lost.url, f"{lost.label}: {format_number(lost.value)} ({lost_share})", [
            _rect(_pct(won_width), 22, _pct(100 - won_width), 16, lost_fill,
                  cls="lb-chart-bar lb-chart-segment"),
            _text("100%", 13, _join([_tspan(truncate(lost.label, 20)),
                                     _tspan(f" {format_number(lost.value)}", weight=600),
                                     _tspan(f" · {lost_share}", fill=MUTED)]), anchor="end"),
        ]),
    ]
    summary = (f"{won.label} {format_number(won.value)} ({won_share}), {lost.label} "
               f"{format_number(lost.value)} ({lost_share}) of {format_number(closed)} closed.")
    svg = _svg(chart_id, "winloss", 40, title, _with_description(description, summary), body)
    rows = (
        Row(won.label, (Cell(format_number(won.value), won.url), Cell(won_share))),
        Row(lost.label, (Cell(format_number(lost.value), lost.url), Cell(lost_share))),
    )
    return Chart(chart_id, "winloss", title, description, summary, svg,
                 columns=("Outcome", "Leads", "Share"), rows=rows,
                 legend=(), extra={"win_rate": won_share})
