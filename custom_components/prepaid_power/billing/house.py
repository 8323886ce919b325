"""House (main) meter: per local day, the main meter's energy minus the sum of the meters
behind it (losses, bypass, unmetered loads). Pure; see README.md, "House meter".

A day's energy of a meter is its counter at the day's end minus its counter at the day's
start, each taken from the first poll of the day (all meters read in one poll, so they are
read at nearly the same instant) when that poll came within `window` of the local midnight.
A meter without both readings (offline at a midnight, HA down, a counter gone backwards) has
no energy for the day, and the day is not judged: the meters are named in `missing`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

from .cycle import local_midnight, utc

DEFAULT_WINDOW: Final = timedelta(minutes=15)
PERCENT_QUANTUM: Final = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class HouseDay:
    """One local day (or today so far) of a house meter and the meters behind it."""

    day: date
    main_kwh: Decimal | None = None
    sub_kwh: Decimal | None = None
    # The meters (slave ids) whose energy of the day is not known: the day is not judged.
    missing: tuple[int, ...] = ()

    @property
    def judged(self) -> bool:
        """Whether every meter's energy of the day is known."""
        return not self.missing and self.main_kwh is not None and self.sub_kwh is not None

    @property
    def difference_kwh(self) -> Decimal | None:
        """Main minus the sum of the meters behind it; None when the day is not judged."""
        if not self.judged:
            return None
        assert self.main_kwh is not None
        assert self.sub_kwh is not None
        return self.main_kwh - self.sub_kwh

    @property
    def difference_percent(self) -> Decimal | None:
        """The difference as a percentage of the main meter's energy (None at 0 kWh)."""
        difference = self.difference_kwh
        if difference is None or not self.main_kwh:
            return None
        return (difference * 100 / self.main_kwh).quantize(PERCENT_QUANTUM)

    def to_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "main_kwh": None if self.main_kwh is None else str(self.main_kwh),
            "sub_kwh": None if self.sub_kwh is None else str(self.sub_kwh),
            "missing": list(self.missing),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HouseDay:
        def opt(value: object) -> Decimal | None:
            return None if value is None else Decimal(str(value))

        return cls(
            date.fromisoformat(data["day"]),
            opt(data.get("main_kwh")),
            opt(data.get("sub_kwh")),
            tuple(int(slave) for slave in data.get("missing", ())),
        )


@dataclass(frozen=True, slots=True)
class Threshold:
    """The landlord's limit on a day's difference: kWh and/or percent (None: not checked).
    A day is above it when |difference| exceeds either limit that is set."""

    kwh: Decimal | None = None
    percent: Decimal | None = None

    def exceeded(self, day: HouseDay) -> bool | None:
        """True above the threshold, False under it, None when the day is not judged."""
        difference = day.difference_kwh
        if difference is None:
            return None
        if self.kwh is not None and abs(difference) > self.kwh:
            return True
        percent = day.difference_percent
        return self.percent is not None and percent is not None and abs(percent) > self.percent


def _energy(
    meters: tuple[int, ...], start: Mapping[int, Decimal], end: Mapping[int, Decimal]
) -> tuple[Decimal | None, tuple[int, ...]]:
    """The meters' summed energy between two sets of readings, and the meters without it."""
    total = Decimal(0)
    missing: list[int] = []
    for slave in meters:
        first, last = start.get(slave), end.get(slave)
        if first is None or last is None or last < first:
            missing.append(slave)
        else:
            total += last - first
    return (None if missing else total), tuple(missing)


@dataclass(slots=True)
class HouseBalance:
    """Follows a house meter (`main`) and the meters behind it (`subs`) poll by poll."""

    main: int
    subs: tuple[int, ...]
    tz: ZoneInfo
    window: timedelta = DEFAULT_WINDOW
    # The local day being counted and each meter's reading at its start (the first poll of
    # the day, if it came within `window` of midnight; else none: the day is not judged).
    day: date | None = None
    start: dict[int, Decimal] = field(default_factory=dict)
    latest: dict[int, Decimal] = field(default_factory=dict)
    yesterday: HouseDay | None = None

    def _day_result(
        self, day: date, start: Mapping[int, Decimal], end: Mapping[int, Decimal]
    ) -> HouseDay:
        main, main_missing = _energy((self.main,), start, end)
        sub, sub_missing = _energy(self.subs, start, end)
        return HouseDay(day, main, sub, main_missing + sub_missing)

    def observe(self, at: datetime, readings: Mapping[int, Decimal | None]) -> HouseDay | None:
        """One poll's energy counters (None: the meter was not read). Returns the day that
        ended with this poll (also when HA was down over midnight: then it is not judged)."""
        today = utc(at).astimezone(self.tz).date()
        read = {slave: value for slave, value in readings.items() if value is not None}
        fresh = utc(at) - local_midnight(today, self.tz) <= self.window
        ended: HouseDay | None = None
        if self.day is None or today > self.day:
            if self.day is not None:
                contiguous = today == self.day + timedelta(days=1)
                end = read if (contiguous and fresh) else {}
                ended = self._day_result(today - timedelta(days=1), self.start, end)
                self.yesterday = ended
            self.day = today
            # A meter offline at the first poll of the day misses the day's start: coming
            # back later, it still cannot be judged for the day.
            self.start = dict(read) if fresh else {}
        self.latest = read
        return ended

    @property
    def today(self) -> HouseDay | None:
        """Today so far: from the day's start to the latest poll."""
        if self.day is None:
            return None
        return self._day_result(self.day, self.start, self.latest)

    def to_dict(self) -> dict[str, Any]:
        return {
            "day": None if self.day is None else self.day.isoformat(),
            "start": {str(slave): str(value) for slave, value in self.start.items()},
            "yesterday": None if self.yesterday is None else self.yesterday.to_dict(),
        }

    def restore(self, data: Mapping[str, Any]) -> None:
        """Take up a stored state (the day's start readings survive a restart)."""
        self.day = None if data.get("day") is None else date.fromisoformat(data["day"])
        self.start = {int(slave): Decimal(value) for slave, value in data["start"].items()}
        yesterday = data.get("yesterday")
        self.yesterday = None if yesterday is None else HouseDay.from_dict(yesterday)
