"""Pure scheduling: lessons in teaching order → days of timed sessions with breaks and lunch.

Rules: a day runs from `start` to `end`; after 90 minutes of teaching (or more) a
15-minute break comes before the next lesson; lunch comes before the first lesson
that would run more than half an hour past `lunch_at` (but never before an hour
ahead of it); a lesson never straddles a break or a day, so the next day
starts when a lesson would end after `end`. A lesson longer than a whole day
still gets a day of its own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .model import Lesson


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule:
    start: dt.time = dt.time(9, 0)
    end: dt.time = dt.time(17, 30)
    break_every: int = 90
    break_minutes: int = 15
    lunch_at: dt.time = dt.time(12, 30)
    lunch_minutes: int = 60


@dataclass(frozen=True, slots=True, kw_only=True)
class Slot:
    kind: str  # "lesson", "break" or "lunch"
    start: dt.time
    end: dt.time
    lesson: Lesson | None = None

    @property
    def minutes(self) -> int:
        return _minutes(self.end) - _minutes(self.start)


@dataclass(frozen=True, slots=True, kw_only=True)
class Day:
    number: int
    slots: tuple[Slot, ...]


def _minutes(time: dt.time) -> int:
    return time.hour * 60 + time.minute


def _time(minutes: int) -> dt.time:
    minutes = min(minutes, 24 * 60 - 1)
    return dt.time(minutes // 60, minutes % 60)


def plan_days(lessons: tuple[Lesson, ...] | list[Lesson], schedule: Schedule = Schedule()) -> tuple[Day, ...]:
    """Lay lessons out over as many days as they need."""
    days: list[Day] = []
    slots: list[Slot] = []
    now = _minutes(schedule.start)
    since_break = 0
    had_lunch = False
    lunch = _minutes(schedule.lunch_at)
    for lesson in lessons:
        if slots and not had_lunch and now >= lunch - 60 and now + lesson.duration > lunch + 30:
            slots.append(Slot(kind="lunch", start=_time(now), end=_time(now + schedule.lunch_minutes)))
            now += schedule.lunch_minutes
            had_lunch, since_break = True, 0
        elif slots and since_break >= schedule.break_every:
            slots.append(Slot(kind="break", start=_time(now), end=_time(now + schedule.break_minutes)))
            now += schedule.break_minutes
            since_break = 0
        if slots and now + lesson.duration > _minutes(schedule.end):
            days.append(Day(number=len(days) + 1, slots=tuple(_trim(slots))))
            slots, now, since_break, had_lunch = [], _minutes(schedule.start), 0, False
        slots.append(Slot(kind="lesson", start=_time(now), end=_time(now + lesson.duration), lesson=lesson))
        now += lesson.duration
        since_break += lesson.duration
    if slots:
        days.append(Day(number=len(days) + 1, slots=tuple(_trim(slots))))
    return tuple(days)


def _trim(slots: list[Slot]) -> list[Slot]:
    """A day never ends on a break."""
    while slots and slots[-1].kind != "lesson":
        slots.pop()
    return slots
