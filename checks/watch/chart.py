"""The list page's chart: a list's latest ended runs as bars of exists / missing / other pages,
whose geometry the template draws as an inline SVG."""

from collections.abc import Sequence
from dataclasses import dataclass

from checks.models import Batch

# How many runs a chart shows, the latest ones.
RUNS_CHARTED = 30
# The fewest slots a chart's width is divided into, so that a list's first few runs are bars,
# not blocks; past them, the bars narrow as runs are added.
SLOTS_AT_LEAST = 10
# The share of its slot a bar fills; the rest is the gap between bars.
BAR_SHARE = 0.7
# What a bar stacks, bottom up: the kind (the template's CSS class chart-<kind>) and its label.
KINDS = {
    "exists": "Exists",
    "missing": "Does not exist",
    "other": "Other (unknown, error, invalid title)",
}


@dataclass(frozen=True)
class Segment:
    """A run's pages of one kind: a rectangle from `y` down `height` units."""

    kind: str
    count: int
    y: float
    height: float

    @property
    def label(self) -> str:
        return KINDS[self.kind]


@dataclass(frozen=True)
class Bar:
    """One run: where its bar stands, and its pages of each kind."""

    batch: Batch
    x: float
    width: float
    exists: int
    missing: int
    other: int
    segments: tuple[Segment, ...]

    @property
    def checked(self) -> int:
        return self.exists + self.missing + self.other


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]


def runs_chart(runs: Sequence[Batch], *, width: int = 600, height: int = 120) -> Chart:
    """The bars of the latest RUNS_CHARTED ended runs among `runs`, oldest left. A bar fills the
    height, each kind's part of it the kind's share of the pages the run checked: runs of a list
    whose size changes compare as shares. A run that checked nothing has no segments."""
    ended = [run for run in runs if not run.is_running]
    ended = sorted(ended, key=lambda run: run.created_at)[-RUNS_CHARTED:]
    slot = width / max(len(ended), SLOTS_AT_LEAST)
    bar_width = round(slot * BAR_SHARE, 2)
    bars = tuple(
        _bar(run, x=round(index * slot + (slot - bar_width) / 2, 2), width=bar_width, height=height)
        for index, run in enumerate(ended)
    )
    return Chart(width=width, height=height, bars=bars)


def _bar(run: Batch, *, x: float, width: float, height: int) -> Bar:
    counts = {
        "exists": run.exists_count,
        "missing": run.missing_count,
        "other": run.unknown_count + run.error_count + run.invalid_count,
    }
    checked = sum(counts.values())
    segments = []
    below = 0
    for kind, count in counts.items():
        if not count:
            continue
        # Both edges are rounded from the running total, so the segments meet and fill the bar.
        bottom = height - round(height * below / checked, 2)
        below += count
        top = height - round(height * below / checked, 2)
        segments.append(Segment(kind=kind, count=count, y=top, height=round(bottom - top, 2)))
    return Bar(batch=run, x=x, width=width, **counts, segments=tuple(segments))
