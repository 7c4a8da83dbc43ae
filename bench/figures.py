"""What a scenario reports: figures, each with its target and verdict, and the table of them."""

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Figure:
    """One row of the table."""

    scenario: str
    name: str
    value: str
    target: str
    passed: bool | None  # None: a figure reported for context, with no target


@dataclass
class Report:
    """The figures of one scenario, in the order they are printed."""

    scenario: str
    figures: list[Figure] = field(default_factory=list)

    def note(self, name: str, *, value: str) -> None:
        """A figure reported for context, with no target."""
        self.figures.append(Figure(self.scenario, name, value, "", None))

    def check(self, name: str, *, value: str, target: str, passed: bool) -> None:
        """A figure measured against its target."""
        self.figures.append(Figure(self.scenario, name, value, target, passed))

    def truth_check(self, name: str, *, holds: bool) -> None:
        """A statement that must hold."""
        self.check(name, value=str(holds), target="True", passed=holds)

    def seconds_check(self, name: str, *, seconds: float, limit: float, digits: int = 2) -> None:
        """A duration against the longest it may take, the limit shown with `digits` decimals."""
        self.check(
            name,
            value=f"{seconds:.2f} s",
            target=f"<= {limit:.{digits}f} s",
            passed=seconds <= limit,
        )


def table_print(*, figures: Iterable[Figure], heading: str) -> None:
    """The figures as a Markdown table under `heading`."""
    print(f"{heading}\n")
    print("| scenario | figure | value | target | result |\n|---|---|---|---|---|")
    for figure in figures:
        verdict = {True: "PASS", False: "FAIL", None: ""}[figure.passed]
        cells = [figure.scenario, figure.name, figure.value, figure.target, verdict]
        print("| " + " | ".join(cells) + " |")
