"""The geometry of the reports' bar charts (kiaa/reports/charts.py) and the SVG it renders to:
nice axis scales, bars proportional to their values and inside the plot, in the order given,
and a chart that prints in grey with its values as text."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiaa.reports import charts
from kiaa.reports.charts import DARK, HATCHED, Box, named

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
OUTCOMES = charts.series("Open", "Under review", "Upheld", "Dismissed")
EPSILON = 0.02  # the geometry is rounded to hundredths of a point


def columns(data: list[tuple[str, float]]) -> charts.Columns:
    return charts.columns(data, id="test", title="Declarations per month", desc="Test data.")


def bars(data: list[tuple[str, list[float]]], **kwargs: object) -> charts.Bars:
    return charts.stacked_bars(
        data, OUTCOMES, id="test", title="Breaches by kind", desc="Test data.", **kwargs
    )


def inside(rect: Box, plot: Box) -> bool:
    return (
        rect.x >= plot.x - EPSILON
        and rect.y >= plot.y - EPSILON
        and rect.right <= plot.right + EPSILON
        and rect.bottom <= plot.bottom + EPSILON
    )


# ----------------------------------------------------------------------------- the scale


@pytest.mark.parametrize(
    ("maximum", "step", "top"),
    [
        (0, 1, 1),
        (1, 1, 1),
        (3, 1, 3),
        (7, 2, 8),
        (10, 2, 10),
        (23, 5, 25),
        (99, 20, 100),
        (188, 50, 200),
        (1000, 200, 1000),
        (12_345, 5000, 15_000),
    ],
)
def test_the_scale_steps_by_one_two_or_five_times_a_power_of_ten(
    maximum: float, step: float, top: float
):
    found = charts.scale(maximum)
    assert (found.step, found.top) == (step, top)
    assert found.ticks == [i * step for i in range(int(top / step) + 1)]


def test_counts_never_step_by_less_than_one_but_fractions_may():
    assert charts.scale(0.4).ticks == [0, 1]
    assert charts.scale(0.7, whole=False).ticks == [0, 0.2, 0.4, 0.6, 0.8]


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_the_scale_always_covers_the_largest_value_in_a_few_nice_steps(maximum: float):
    found = charts.scale(maximum)
    assert found.top >= maximum
    assert 2 <= len(found.ticks) <= charts.MAX_TICKS + 1
    mantissa = found.step / 10 ** math.floor(math.log10(found.step))
    assert round(mantissa, 6) in (1, 2, 5)
    assert found.ticks[0] == 0 and found.ticks[-1] == found.top


# ----------------------------------------------------------------------------- vertical bars


def test_a_chart_of_no_data_has_an_axis_and_says_there_is_nothing_to_draw():
    chart = columns([])
    assert chart.empty and chart.columns == []
    assert [t.text for t in chart.ticks] == ["0", "1"]
    assert "No data to draw." in charts.render(chart)


def test_all_zeros_draw_no_bars_but_label_every_month_zero():
    chart = columns([(m, 0) for m in MONTHS])
    assert [c.rect.height for c in chart.columns] == [0] * 12
    assert [c.text for c in chart.columns] == ["0"] * 12
    svg = charts.render(chart)
    assert "<rect" not in svg
    assert all(f">{m}</text>" in svg for m in MONTHS)


def test_bars_are_as_tall_as_their_values_on_the_axis():
    chart = columns([("Jan", 2), ("Feb", 5), ("Mar", 0), ("Apr", 8)])
    top = charts.scale(8).top
    for column in chart.columns:
        assert column.rect.height == pytest.approx(
            chart.plot.height * column.value / top, abs=EPSILON
        )
        assert column.rect.bottom == pytest.approx(chart.plot.bottom, abs=EPSILON)
        assert column.value_y < column.rect.y  # its value printed just above it
    assert [t.text for t in chart.ticks] == ["0", "2", "4", "6", "8"]
    # The gridline of the top tick is the top of the plot, where the tallest bar reaches.
    assert chart.ticks[-1].line.y == chart.plot.y == chart.columns[-1].rect.y


@given(
    st.lists(
        st.tuples(st.text(min_size=1, max_size=40), st.integers(min_value=0, max_value=10**6)),
        max_size=40,
    )
)
def test_columns_stay_inside_the_plot_in_the_order_given(data: list[tuple[str, int]]):
    chart = columns(data)
    assert [c.value for c in chart.columns] == [v for _, v in data]
    assert all(inside(c.rect, chart.plot) for c in chart.columns)
    lefts = [c.rect.x for c in chart.columns]
    assert lefts == sorted(lefts)
    rights = [c.rect.right for c in chart.columns]
    assert all(r <= nxt + EPSILON for r, nxt in zip(rights, lefts[1:], strict=False))


# ----------------------------------------------------------------------------- horizontal bars


def test_stacked_bars_put_each_outcome_after_the_last_and_print_the_total():
    chart = bars([("Worked during a withdrawal", [1, 2, 3, 0]), ("MoU not signed", [0, 0, 0, 0])])
    worked, unsigned = chart.bars
    open_, review, upheld, dismissed = worked.segments
    assert review.rect.x == open_.rect.right and upheld.rect.x == review.rect.right
    assert dismissed.rect.width == 0 and dismissed.text == ""
    # The top of the axis is the largest total: that bar spans the plot.
    assert worked.rect.right == pytest.approx(chart.plot.right, abs=EPSILON)
    assert upheld.rect.width == pytest.approx(3 * open_.rect.width, abs=EPSILON)
    assert (worked.text, unsigned.text, unsigned.rect.width) == ("6", "0", 0)
    assert worked.text_x > worked.rect.right


def test_the_legend_names_every_outcome_in_order_with_a_fill_a_grey_printer_keeps_apart():
    chart = bars([("Worked during a withdrawal", [1, 2, 3, 4])])
    assert [k.series.name for k in chart.legend] == ["Open", "Under review", "Upheld", "Dismissed"]
    styles = {(k.series.fill, k.series.hatched) for k in chart.legend}
    assert len(styles) == 4
    lefts = [k.swatch.x for k in chart.legend]
    assert lefts == sorted(lefts)


def test_a_value_on_a_hatched_segment_has_a_white_plate_behind_it():
    chart = charts.stacked_bars(
        [("#12 Lead Advice v Partner Housing", [0, 47])],
        [named("Closed", DARK), named("Still open", HATCHED)],
        id="durations",
        title="Days",
        desc="One open dispute.",
        totals=["47 days so far"],
    )
    segment = chart.bars[0].segments[1]
    assert segment.text == "47" and segment.plate is not None
    assert inside(segment.plate, segment.rect)
    assert chart.bars[0].text == "47 days so far"


def test_a_segment_too_narrow_for_its_value_leaves_it_to_the_total():
    chart = bars([("Narrow", [1, 0, 0, 0]), ("Wide", [0, 0, 500, 0])])
    assert chart.bars[0].segments[0].text == ""
    assert chart.bars[0].text == "1"


def test_a_label_too_long_for_its_column_is_cut_short_with_an_ellipsis():
    chart = bars(
        [("A kind of breach with a very long name indeed, far too long to fit", [1, 0, 0, 0])]
    )
    label = chart.bars[0].label
    assert label.endswith("…")
    assert charts.text_width(label) <= chart.plot.x


def test_long_totals_never_squeeze_the_bars_away():
    chart = bars([("Kind", [1, 0, 0, 0])], totals=["a total in a great many words " * 5])
    assert chart.plot.width > charts.WIDTH / 3


@given(
    st.lists(
        st.tuples(
            st.text(min_size=1, max_size=60),
            st.lists(st.integers(min_value=0, max_value=10**5), min_size=4, max_size=4),
        ),
        max_size=30,
    )
)
def test_stacked_bars_stay_inside_the_plot_in_the_order_given(data: list[tuple[str, list[int]]]):
    chart = bars(data)
    assert [b.total for b in chart.bars] == [sum(v) for _, v in data]
    tops = [b.rect.y for b in chart.bars]
    assert tops == sorted(tops)
    for bar in chart.bars:
        assert inside(bar.rect, chart.plot)
        assert all(inside(s.rect, chart.plot) for s in bar.segments)
        assert all(s.rect.width >= 0 for s in bar.segments)
        assert bar.segments[-1].rect.right == bar.rect.right


# ----------------------------------------------------------------------------- the SVG


def test_the_svg_is_an_image_with_a_title_a_description_and_its_values_as_text():
    chart = charts.columns(
        [("Jan", 3), ("Feb", 1)],
        id="chart-x",
        title="Declarations per month, 2026",
        desc=charts.summary([("Jan", 3), ("Feb", 1)], noun="declarations", among="month"),
        axis="Declarations",
    )
    svg = charts.render(chart)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert 'role="img"' in svg and 'aria-labelledby="chart-x-title chart-x-desc"' in svg
    assert '<title id="chart-x-title">Declarations per month, 2026</title>' in svg
    assert '<desc id="chart-x-desc">4 declarations in all; the most, 3, in Jan.</desc>' in svg
    assert ">3</text>" in svg and ">1</text>" in svg and ">Declarations</text>" in svg
    # Only the elements WeasyPrint draws reliably, and coordinates never localised ("1,5").
    assert set(re.findall(r"<(\w+)", svg)) <= {"svg", "title", "desc", "g", "rect", "line", "text"}
    assert not re.search(r'="\d+,\d', svg)


def test_the_bars_svg_hatches_with_a_pattern_of_its_own():
    svg = charts.render(bars([("Worked during a withdrawal", [1, 2, 3, 0])], axis="Breaches"))
    assert '<pattern id="test-hatch"' in svg and 'fill="url(#test-hatch)"' in svg
    assert ">Under review</text>" in svg and ">Breaches</text>" in svg
    assert "foreignObject" not in svg and "var(" not in svg


@pytest.mark.parametrize(
    ("data", "sentence"),
    [
        ([("Jan", 0), ("Feb", 0)], "No declarations in any month."),
        ([("Jan", 2), ("Feb", 0)], "2 declarations in all; the most, 2, in Jan; none in 1 month."),
        (
            [("Jan", 2), ("Feb", 2), ("Mar", 0), ("Apr", 0)],
            "4 declarations in all; the most, 2, in Jan and Feb; none in 2 months.",
        ),
    ],
)
def test_the_description_sums_the_data_up_in_a_sentence(
    data: list[tuple[str, float]], sentence: str
):
    assert charts.summary(data, noun="declarations", among="month") == sentence
