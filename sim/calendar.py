"""Calendar months: one model step is one calendar month (DESIGN.md, "The model")."""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month, e.g. ``Month(2014, 5)`` for May 2014."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be 1..12, got {self.month}")
        if not 1 <= self.year <= 9999:  # the Gregorian calendar has no year 0; YYYY has four digits
            raise ValueError(f"year must be 1..9999, got {self.year}")

    @classmethod
    def parse(cls, text: str) -> Month:
        """Parse ``YYYY-MM`` (YAML may also hand us a date; see :func:`coerce_month`)."""
        m = _MONTH_RE.match(str(text).strip())
        if not m:
            raise ValueError(f"expected a month as YYYY-MM, got {text!r}")
        return cls(int(m.group(1)), int(m.group(2)))

    @property
    def index(self) -> int:
        """Months since year 0, so that differences are month counts."""
        return self.year * 12 + (self.month - 1)

    def plus(self, months: int) -> Month:
        i = self.index + months
        return Month(i // 12, i % 12 + 1)

    def months_until(self, other: Month) -> int:
        return other.index - self.index

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def coerce_month(value: object) -> Month:
    """Accept ``"2014-05"``, a ``Month``, or a ``datetime.date`` (YAML reads 2014-05-01 as a date)."""
    if isinstance(value, Month):
        return value
    if hasattr(value, "year") and hasattr(value, "month"):
        return Month(int(value.year), int(value.month))  # type: ignore[attr-defined]
    return Month.parse(str(value))


def date_of_step(start: Month, step: int) -> Month:
    """Calendar month of a step: step 1 is the start month (Mesa counts steps from 1)."""
    return start.plus(step - 1)


def step_of_date(start: Month, date: Month) -> int:
    """Step at which a dated event fires (inverse of :func:`date_of_step`)."""
    return start.months_until(date) + 1
