"""Bar charts for reports, drawn as inline SVG that WeasyPrint lays out and prints in grey.

The geometry is plain arithmetic over (label, value) data, so it is tested without a template:
`columns` makes a vertical bar chart (one bar a label), `stacked_bars` horizontal bars split
into series (the outcomes of a breach, say). Series are told apart by fill *and* pattern (solid,
hatched, outlined) and named in a legend, so nothing relies on colour or on a colour printer.
Every bar carries its value as text, and the SVG has a <title> and a <desc> that says in a
sentence what the data shows. Only rect, line, text and g (and one hatch pattern) are drawn:
what WeasyPrint's SVG support draws reliably.

The coordinates are in points of the printed page: a chart is `WIDTH` wide, about an A4
page's text width, so font sizes here are the sizes on paper.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

WIDTH = 500.0
FONT = 7.5  # labels and values
TITLE_FONT = 9.0
# DejaVu Sans averages a little over half an em a character: enough to keep labels clear of
# the bars without the font's metrics (there is no layout engine here).
CHAR_EM = 0.58
MAX_TICKS = 5
COLUMNS_TEMPLATE = "reports/charts/columns.svg"
BARS_TEMPLATE = "reports/charts/bars.svg"


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return round(self.x + self.width, 2)

    @property
    def bottom(self) -> float:
        return round(self.y + self.height, 2)


@dataclass(frozen=True)
class Scale:
    """An axis from 0 to `top` with ticks every `step`: 1, 2 or 5 times a power of ten."""

    top: float
    step: float
    ticks: list[float]

    def share(self, value: float) -> float:
        """How far along the axis a value lies, 0 to 1 (a value past the top is held at it)."""
        return min(max(value, 0.0) / self.top, 1.0)


def nice_step(span: float, *, max_ticks: int = MAX_TICKS, whole: bool = True) -> float:
    """The smallest step of 1, 2 or 5 x 10^n that covers `span` in at most `max_ticks` steps."""
    raw = span / max_ticks
    if raw <= 0:  # nothing to show, or a value so small that the division underflows
        return 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw * (1 - 1e-9))
    # Counts have no half-declarations: a step below one would label ticks 0.2, 0.4...
    return max(step, 1.0) if whole else step


def scale(maximum: float, *, max_ticks: int = MAX_TICKS, whole: bool = True) -> Scale:
    """A nice axis for values up to `maximum` (all zeros or no data still get a 0-1 axis)."""
    step = nice_step(maximum, max_ticks=max_ticks, whole=whole)
    steps = max(math.ceil(maximum / step - 1e-9), 1)
    ticks = [_tidy(i * step) for i in range(steps + 1)]
    return Scale(top=ticks[-1], step=_tidy(step), ticks=ticks)


def _tidy(value: float) -> float:
    """Rounded clear of float noise (0.30000000000000004), whole numbers as whole."""
    tidy = round(value, 9)
    return float(int(tidy)) if tidy == int(tidy) else tidy


def number(value: float) -> str:
    """A value as a label: "12", "2.5"."""
    return f"{value:g}" if value != int(value) else str(int(value))


def text_width(text: str, size: float = FONT) -> float:
    """About how wide the text prints (see CHAR_EM)."""
    return len(text) * size * CHAR_EM


def fit(text: str, room: float, size: float = FONT) -> str:
    """The text, cut short with an ellipsis where it would not fit in `room` points."""
    if text_width(text, size) <= room:
        return text
    keep = max(int(room / (size * CHAR_EM)) - 1, 1)
    return text[:keep].rstrip() + "…"


@dataclass(frozen=True)
class Tick:
    """A gridline across the plot and its value beside the axis."""

    value: float
    text: str
    line: Box  # from (x, y) to (right, bottom): a zero-height or zero-width box
    text_x: float
    text_y: float


# -- Vertical bars: one a label -------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    label: str
    value: float
    rect: Box
    text: str  # the value, printed over the bar
    centre: float
    value_y: float
    label_y: float


@dataclass(frozen=True)
class Columns:
    """A vertical bar chart, ready for its template."""

    id: str
    title: str
    desc: str
    axis: str  # what the values count ("Declarations")
    width: float
    height: float
    plot: Box
    ticks: list[Tick]
    columns: list[Column]
    axis_x: float = 0.0
    axis_y: float = 24.0
    template: str = COLUMNS_TEMPLATE

    @property
    def empty(self) -> bool:
        return not self.columns


def columns(
    data: Sequence[tuple[str, float]],
    *,
    id: str,
    title: str,
    desc: str,
    axis: str = "",
    height: float = 180.0,
) -> Columns:
    """One vertical bar per (label, value), in the order given, on a nice scale from zero."""
    axis_scale = scale(max((v for _, v in data), default=0))
    left = max(text_width(number(axis_scale.top)), 10.0) + 14.0
    plot = Box(left, 34.0, WIDTH - left - 6.0, height - 34.0 - 18.0)
    slot = plot.width / len(data) if data else plot.width
    found = []
    for index, (label, value) in enumerate(data):
        tall = round(plot.height * axis_scale.share(value), 2)
        width = round(slot * 0.62, 2)
        x = round(plot.x + index * slot + (slot - width) / 2, 2)
        rect = Box(x, round(plot.bottom - tall, 2), width, tall)
        found.append(
            Column(
                label=fit(label, slot - 2),
                value=value,
                rect=rect,
                text=number(value),
                centre=round(x + width / 2, 2),
                value_y=round(rect.y - 3.0, 2),
                label_y=round(plot.bottom + FONT + 3.0, 2),
            )
        )
    ticks = []
    for t in axis_scale.ticks:
        y = round(plot.bottom - plot.height * axis_scale.share(t), 2)
        line = Box(plot.x, y, plot.width, 0.0)
        ticks.append(Tick(t, number(t), line, plot.x - 4.0, round(y + FONT * 0.35, 2)))
    return Columns(id, title, desc, axis, WIDTH, height, plot, ticks, found)


# -- Horizontal bars, split into series -----------------------------------------------------------


@dataclass(frozen=True)
class Series:
    """How one series is drawn: a fill (grey), the ink of text on it, and whether it is hatched."""

    name: str
    fill: str
    ink: str = "#000"
    hatched: bool = False


# Four fills a greyscale printer keeps apart, darkest last.
OUTLINED = Series("", "#fff")
HATCHED = Series("", "#fff", hatched=True)
LIGHT = Series("", "#b8b8b8")
DARK = Series("", "#262626", ink="#fff")
STYLES = (OUTLINED, HATCHED, LIGHT, DARK)


def named(name: str, style: Series) -> Series:
    """A series called `name`, drawn in one of the STYLES."""
    return replace(style, name=name)


def series(*names: str) -> list[Series]:
    """Names drawn in the standard styles, in order (up to four)."""
    return [named(name, style) for name, style in zip(names, STYLES, strict=False)]


@dataclass(frozen=True)
class Segment:
    series: Series
    value: float
    rect: Box
    text: str  # the value, where it fits inside the segment; else ""
    text_x: float
    plate: Box | None = None  # white behind the value on a hatched segment, to keep it legible


@dataclass(frozen=True)
class Bar:
    label: str
    total: float
    segments: list[Segment]
    rect: Box  # the whole bar (the segments side by side)
    text: str  # the total (or the caller's words for it), after the bar
    text_x: float
    text_y: float


@dataclass(frozen=True)
class Key:
    series: Series
    swatch: Box
    text_x: float
    text_y: float


@dataclass(frozen=True)
class Bars:
    """A horizontal bar chart, each bar split into series, ready for its template."""

    id: str
    title: str
    desc: str
    axis: str
    width: float
    height: float
    plot: Box
    ticks: list[Tick]
    bars: list[Bar]
    legend: list[Key]
    axis_x: float = 0.0
    axis_y: float = 0.0
    template: str = BARS_TEMPLATE

    @property
    def empty(self) -> bool:
        return not self.bars


ROW = 15.0
BAR = 10.0
LABEL_ROOM = 0.42  # the most of the width the labels take
AFTER_ROOM = 0.2  # the most of the width the totals after the bars take


def stacked_bars(
    data: Sequence[tuple[str, Sequence[float]]],
    kinds: Sequence[Series],
    *,
    id: str,
    title: str,
    desc: str,
    axis: str = "",
    totals: Sequence[str] | None = None,
) -> Bars:
    """One horizontal bar per (label, values), its values side by side in the series' order.

    `totals` replaces the number printed after each bar ("12 days so far"); with one series
    and no legend wanted, pass a single nameless series.
    """
    axis_scale = scale(max((sum(v) for _, v in data), default=0))
    words = list(totals) if totals is not None else [number(sum(v)) for _, v in data]
    label_room = min(max((text_width(label) for label, _ in data), default=0), WIDTH * LABEL_ROOM)
    # Room after the bars for their totals, within reason: a long total may run into the margin
    # rather than squeeze the bars away.
    after = min(max((text_width(w) for w in words), default=0), WIDTH * AFTER_ROOM) + 8.0
    legend_top = 20.0
    keyed = [s for s in kinds if s.name]
    top = legend_top + (16.0 if keyed else 0.0)
    plot = Box(label_room + 8.0, top, WIDTH - label_room - 8.0 - after, len(data) * ROW)
    bars = [
        _bar(label, values, kinds, words[index], plot, plot.y + index * ROW, axis_scale)
        for index, (label, values) in enumerate(data)
    ]
    ticks = []
    for t in axis_scale.ticks:
        x = round(plot.x + plot.width * axis_scale.share(t), 2)
        line = Box(x, plot.y, 0.0, plot.height)
        ticks.append(Tick(t, number(t), line, x, plot.bottom + FONT + 3.0))
    axis_y = plot.bottom + 2 * FONT + 7.0
    height = (axis_y if axis else plot.bottom + FONT + 3.0) + 4.0
    legend = _legend(keyed, legend_top)
    return Bars(id, title, desc, axis, WIDTH, height, plot, ticks, bars, legend, plot.right, axis_y)


def _bar(
    label: str,
    values: Sequence[float],
    kinds: Sequence[Series],
    words: str,
    plot: Box,
    row_y: float,
    axis_scale: Scale,
) -> Bar:
    y = round(row_y + (ROW - BAR) / 2, 2)
    x, running = plot.x, 0.0
    segments = []
    for kind, value in zip(kinds, values, strict=True):
        # Each end is placed from the running total, not from the last end, so rounding never
        # adds up and the bar never outgrows the plot.
        running += max(value, 0.0)
        end = round(plot.x + plot.width * axis_scale.share(running), 2)
        rect = Box(x, y, round(end - x, 2), BAR)
        shown = number(value) if value and rect.width >= text_width(number(value)) + 4 else ""
        centre = round(x + rect.width / 2, 2)
        plate = None
        if shown and kind.hatched:
            room = text_width(shown) + 6.0
            plate = Box(round(centre - room / 2, 2), y + 1.0, round(room, 2), BAR - 2.0)
        segments.append(Segment(kind, value, rect, shown, centre, plate))
        x = end
    return Bar(
        label=fit(label, plot.x - 8.0),
        total=sum(values),
        segments=segments,
        rect=Box(plot.x, y, round(x - plot.x, 2), BAR),
        text=words,
        text_x=round(x + 4.0, 2),
        text_y=round(y + BAR / 2 + FONT * 0.35, 2),
    )


def _legend(named: Sequence[Series], y: float) -> list[Key]:
    keys, x = [], 0.0
    for kind in named:
        keys.append(Key(kind, Box(x, y, 12.0, 8.0), x + 16.0, y + 7.0))
        x += 16.0 + text_width(kind.name) + 14.0
    return keys


def summary(data: Sequence[tuple[str, float]], *, noun: str, among: str) -> str:
    """A sentence for a chart's <desc>: "14 declarations in all; the most, 5, in March."."""
    total = sum(v for _, v in data)
    if not total:
        return f"No {noun} in any {among}."
    most = max(v for _, v in data)
    where = [label for label, v in data if v == most]
    none = sum(1 for _, v in data if not v)
    words = f"{number(total)} {noun} in all; the most, {number(most)}, in {_and(where)}"
    if none:
        words += f"; none in {none} {among}{'s' if none > 1 else ''}"
    return words + "."


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def render(chart: Columns | Bars) -> str:
    """The chart as an inline <svg> element, through its template."""
    from django.template.loader import render_to_string

    return render_to_string(chart.template, {"chart": chart})
