"""The geometry of a list's chart (checks/watch/chart.py): one bar per ended run, oldest left,
each stacked in proportion to what the run found."""

from datetime import UTC, datetime, timedelta

from checks.models import Batch
from checks.watch.chart import RUNS_CHARTED, runs_chart

START = datetime(2026, 1, 1, tzinfo=UTC)


def run(day: int, *, status="finished", exists=0, missing=0, unknown=0, error=0, invalid=0):
    """An unsaved run created `day` days after START, with these counts."""
    return Batch(
        status=status,
        created_at=START + timedelta(days=day),
        exists_count=exists,
        missing_count=missing,
        unknown_count=unknown,
        error_count=error,
        invalid_count=invalid,
    )


def kinds(bar) -> dict[str, tuple[float, float]]:
    """Each segment's kind: its (y, height)."""
    return {segment.kind: (segment.y, segment.height) for segment in bar.segments}


def test_no_runs_make_a_chart_without_bars():
    chart = runs_chart([], width=300, height=100)

    assert chart.bars == ()
    assert (chart.width, chart.height) == (300, 100)


def test_a_bar_stacks_exists_missing_and_other_bottom_up_in_proportion():
    (bar,) = runs_chart(
        [run(0, exists=50, missing=25, unknown=10, error=10, invalid=5)], height=100
    ).bars

    assert kinds(bar) == {"exists": (50, 50), "missing": (25, 25), "other": (0, 25)}
    assert (bar.exists, bar.missing, bar.other, bar.checked) == (50, 25, 25, 100)


def test_every_bar_fills_the_height_whatever_the_size_of_its_run():
    small, large = runs_chart(
        [run(0, exists=1, missing=2), run(1, exists=400, missing=600)], height=90
    ).bars

    assert kinds(small) == {"exists": (60, 30), "missing": (0, 60)}
    assert kinds(large) == {"exists": (54, 36), "missing": (0, 54)}


def test_rounded_segments_still_meet_and_fill_the_bar():
    (bar,) = runs_chart([run(0, exists=1, missing=1, error=1)], height=100).bars

    (exists_y, exists_height), (missing_y, missing_height), (other_y, other_height) = kinds(
        bar
    ).values()
    assert exists_y + exists_height == 100
    assert missing_y + missing_height == exists_y
    assert other_y == 0 and other_height == missing_y


def test_kinds_a_run_found_none_of_have_no_segment():
    (bar,) = runs_chart([run(0, exists=7)], height=100).bars

    assert kinds(bar) == {"exists": (0, 100)}


def test_a_run_that_checked_nothing_has_an_empty_bar():
    (bar,) = runs_chart([run(0, status="cancelled")]).bars

    assert bar.segments == ()


def test_runs_stand_oldest_left_whatever_order_they_come_in():
    runs = [run(2, exists=1), run(0, exists=1), run(1, exists=1)]

    bars = runs_chart(runs, width=300).bars

    assert [bar.batch.created_at.day for bar in bars] == [1, 2, 3]
    assert [bar.x for bar in bars] == sorted(bar.x for bar in bars)
    assert bars[0].x < bars[0].x + bars[0].width < bars[1].x


def test_a_running_run_is_left_out():
    bars = runs_chart([run(0, exists=1), run(1, status="running", exists=1)]).bars

    assert [bar.batch.created_at.day for bar in bars] == [1]


def test_only_the_latest_runs_are_charted_and_all_fit_the_width():
    runs = [run(day, exists=1) for day in range(RUNS_CHARTED + 5)]

    bars = runs_chart(runs, width=600).bars

    assert len(bars) == RUNS_CHARTED
    assert bars[0].batch.created_at == START + timedelta(days=5)
    assert bars[0].x >= 0 and bars[-1].x + bars[-1].width <= 600


def test_a_few_runs_stand_a_tenth_of_the_width_apart():
    bars = runs_chart([run(0, exists=1), run(1, exists=1)], width=600).bars

    assert bars[1].x - bars[0].x == 60
