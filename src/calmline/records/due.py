"""Due times of commitments: phrases such as "tomorrow morning" or "within 5 business days", read at the moment said.

The rules, decided once here so every part of calmline agrees:

* ``due`` is the moment by which the promise is kept (a follow-up is overdue after it).
* A day without a time ("by Friday", "today", "tomorrow", "end of day") is due at the close of
  business that day (the playbook's ``business_hours.close``); if that moment has already passed
  when it is said ("today" at 19:00), at the end of that calendar day, 23:59:59.
* A part of the day is its start: morning 09:00, afternoon 13:00, evening and tonight 18:00;
  "first thing" is the opening time. One already past when said ("this evening" at 20:00) becomes
  the end of that day.
* "tomorrow" is the next calendar day, so "tomorrow morning" at 23:30 is 09:00 the next day. Said
  in the small hours (before 04:00) it means the day just begun: the speaker has not slept yet.
* "by Friday" said on a Friday is next week's Friday (today would have been "today");
  "this Friday" on a Friday is today; "next Friday" is the Friday of next week.
* "end of the week" / "next week": the last business day of this / next week, at the close.
  "end of the month" / "next month": the last business day of that month.
* "within N hours/minutes" is real elapsed time (across a daylight-saving change, too); "within N
  days/weeks" is calendar days at the same wall-clock time; "within N business/working days"
  counts business days after the day said (the day itself never counts), due at the close. A
  range ("3 to 5 business days") is due at its far end.
* "right away", "immediately", "as soon as possible": 15 minutes.
* A clock time alone ("by 2:50") is its next occurrence; without am/pm, whichever of the two comes
  first. With a day and without am/pm, 1–6 o'clock is taken as afternoon ("Friday at 3"). The day
  may come first or after the time ("by 5pm this Friday").
* A calendar date ("on March 14") is read by dateparser, preferring the future.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from calmline.playbook.schema import BusinessHours
from calmline.records.clock import elapsed

MORNING, AFTERNOON, EVENING = time(9), time(13), time(18)
NOON = time(12)
END_OF_DAY = time(23, 59, 59)
SMALL_HOURS_END = time(4)
IMMEDIATE = timedelta(minutes=15)
AFTERNOON_GUESS = range(1, 7)
"""With a day named and no am/pm, these hours are afternoon ("Friday at 3" is 15:00)."""

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fourteen": 14, "fifteen": 15,
    "twenty": 20, "twenty-four": 24, "thirty": 30, "forty-eight": 48, "seventy-two": 72,
    "a few": 3, "a couple of": 2, "a couple": 2,
}  # fmt: skip
NUMBER = r"(?:\d{1,3}|" + "|".join(sorted((re.escape(n) for n in NUMBERS), key=len, reverse=True)) + ")"
DAY_NAME = r"(?:" + "|".join(WEEKDAYS) + r")"
CLOCK = r"(?:\d{1,2}:\d{2}\s?(?:[ap]\.?m\.?)?|\d{1,2}\s?[ap]\.?m\.?|noon|midday)"
PART = r"(?:morning|afternoon|evening|night)"

_IMMEDIATE = r"right away|straight away|immediately|right now|asap|as soon as possible"
_SPAN = (
    r"(?:within|in|inside of)\s+(?:the\s+next\s+|the\s+)?(?:(?P<n>"
    + NUMBER
    + r")(?:\s*(?:to|-|–|or)\s*(?P<m>"
    + NUMBER
    + r"))?\s+)?(?P<business>business\s+|working\s+)?(?P<unit>minute|hour|day|week)s?"
)
_DAY = (
    r"(?:(?:by|before|on|until|till|no later than|first thing)\s+)?(?:the\s+)?(?:"
    r"(?:end|close) of (?:the |this |next )?(?:business )?(?:day|week|month)|close of business|end of business"
    r"|eod|cob|today|tonight|tomorrow|this (?:morning|afternoon|evening|week)|next (?:week|month)"
    r"|(?:this |next )?"
    + DAY_NAME
    + r"|(?:\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:"
    + MONTHS
    + r")\b|(?:"
    + MONTHS
    + r")\s+\d{1,2}(?:st|nd|rd|th)?))"
    r"(?:\s+(?:" + PART + r"|first thing))?(?:,?\s+(?:at|by|before)\s+" + CLOCK + r")?"
)
_CLOCK_ALONE = r"(?:by|before|at|until)\s+" + CLOCK
# The day may come after the time: "by 5pm this Friday", "at 10 a.m. tomorrow".
_DAY_AFTER_CLOCK = r"\s+(?:on\s+)?(?:(?:this|next)\s+)?(?:" + DAY_NAME + r"|today|tonight|tomorrow)"
_CLOCK_THEN_DAY = _CLOCK_ALONE + _DAY_AFTER_CLOCK
DUE = re.compile(
    r"(?<![\w'])(?:" + "|".join((_IMMEDIATE, _SPAN, _DAY, _CLOCK_THEN_DAY, _CLOCK_ALONE)) + r")(?![\w'])",
    re.IGNORECASE,
)
_CLOCK_PARTS = re.compile(
    r"(?P<h>\d{1,2})(?::(?P<mi>\d{2}))?\s?(?P<ampm>[ap])?\.?m?\.?$|(?P<noon>noon|midday)"
)


@dataclass(frozen=True)
class WorkWeek:
    """The business days and hours due times are read against (from the playbook)."""

    days: frozenset[int]
    open: time
    close: time

    @classmethod
    def from_hours(cls, hours: BusinessHours) -> WorkWeek:
        names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        return cls(frozenset(names.index(d) for d in hours.days), hours.open, hours.close)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() in self.days

    def last_business_day(self, first: date, last: date) -> date:
        """The last business day in ``first``…``last``, or ``last`` if there is none."""
        day = last
        while day >= first:
            if self.is_business_day(day):
                return day
            day -= timedelta(days=1)
        return last

    def add_business_days(self, start: date, count: int) -> date:
        day = start
        while count > 0:
            day += timedelta(days=1)
            count -= self.is_business_day(day)
        return day


def find_due(text: str, start: int = 0, end: int | None = None) -> re.Match[str] | None:
    """The first due phrase in ``text[start:end]``."""
    return DUE.search(text, start, len(text) if end is None else end)


def resolve_due(phrase: str, said: datetime, week: WorkWeek) -> datetime | None:
    """The due moment a phrase sets, said at ``said`` (timezone-aware); None if it sets none."""
    p = " ".join(phrase.lower().split())
    if re.search(_IMMEDIATE, p):
        return elapsed(said, IMMEDIATE)
    span = re.search(_SPAN, p)
    if span:
        return _span(span, said, week)
    clock = _clock(p)
    day, default = _day(p, said, week)
    if day is None:
        return _next_clock(*clock, said) if clock else None
    moment = _at(day, _clock_on_day(*clock) if clock else _part(p, week) or default, said)
    if moment <= said:
        moment = _at(day, END_OF_DAY, said)
    return moment


def _at(day: date, clock: time, said: datetime) -> datetime:
    return datetime.combine(day, clock, tzinfo=said.tzinfo)


def _number(word: str | None) -> int:
    if word is None:
        return 1
    return int(word) if word.isdigit() else NUMBERS[word]


def _span(match: re.Match[str], said: datetime, week: WorkWeek) -> datetime:
    count = _number(match.group("m") or match.group("n"))
    unit = match.group("unit")
    if unit in ("minute", "hour"):
        return elapsed(said, timedelta(**{unit + "s": count}))
    days = count * (7 if unit == "week" else 1)
    if match.group("business") and unit == "day":
        return _at(week.add_business_days(said.date(), days), week.close, said)
    # Calendar days keep the wall-clock time: the offset may differ after a daylight-saving change.
    return datetime.combine(said.date() + timedelta(days=days), said.time(), tzinfo=said.tzinfo)


def _day(p: str, said: datetime, week: WorkWeek) -> tuple[date | None, time]:
    today = said.date()
    if re.search(
        r"(?:end|close) of (?:the |this )?(?:business )?day|close of business|end of business|\beod\b|\bcob\b|\btoday\b",
        p,
    ):
        return today, week.close
    if re.search(r"\btonight\b|this evening", p):
        return today, EVENING
    if re.search(r"this (?:morning|afternoon)", p):
        return today, _part(p, week) or week.close
    if "tomorrow" in p:
        return (today if said.time() < SMALL_HOURS_END else today + timedelta(days=1)), week.close
    if re.search(r"next week|end of next week", p):
        monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
        return week.last_business_day(monday, monday + timedelta(days=6)), week.close
    if re.search(r"(?:end|close) of (?:the |this )?week|this week", p):
        return _end_of_week(today, week), week.close
    if re.search(r"next month|(?:end|close) of (?:the |this |next )?month", p):
        return _end_of_month(today, week, ahead="next month" in p or "of next month" in p), week.close
    for number, name in enumerate(WEEKDAYS):
        if re.search(r"\b" + name + r"\b", p):
            return _weekday(p, today, number, name), week.close
    if re.search(MONTHS, p):
        found = _calendar_date(p, said)
        return found, week.close
    return None, week.close


def _end_of_week(today: date, week: WorkWeek) -> date:
    monday = today - timedelta(days=today.weekday())
    last = week.last_business_day(monday, monday + timedelta(days=6))
    if last < today:  # the week's business days are over: the coming week's end is meant
        last = week.last_business_day(monday + timedelta(days=7), monday + timedelta(days=13))
    return last


def _end_of_month(today: date, week: WorkWeek, ahead: bool) -> date:
    first = today.replace(day=1)
    if ahead:
        first = (first + timedelta(days=32)).replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return week.last_business_day(first, last)


def _weekday(p: str, today: date, target: int, name: str) -> date:
    ahead = (target - today.weekday()) % 7
    if re.search(r"this " + name, p):
        return today + timedelta(days=ahead)
    if ahead == 0:  # "by Friday" on a Friday: had today been meant, it would have been "today"
        ahead = 7
    if re.search(r"next " + name, p) and today.weekday() < target:
        ahead += 7  # "next Friday" said on a Wednesday: the Friday of next week
    return today + timedelta(days=ahead)


def _calendar_date(p: str, said: datetime) -> date | None:
    found = re.search(
        r"\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:"
        + MONTHS
        + r")\b|(?:"
        + MONTHS
        + r")\s+\d{1,2}(?:st|nd|rd|th)?",
        p,
    )
    return _dateparser_date(found.group(), said.replace(tzinfo=None)) if found else None


@lru_cache(maxsize=512)
def _dateparser_date(text: str, base: datetime) -> date | None:
    import dateparser  # imported here: it takes a moment, and most conversations name no calendar date

    parsed = dateparser.parse(
        text, languages=["en"], settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "future"}
    )
    return parsed.date() if parsed else None


def _part(p: str, week: WorkWeek) -> time | None:
    if "first thing" in p:
        return week.open
    for word, start in (
        ("morning", MORNING),
        ("afternoon", AFTERNOON),
        ("evening", EVENING),
        ("night", EVENING),
    ):
        if word in p:
            return start
    return None


def _clock(p: str) -> tuple[int, int, str | None] | None:
    """(hour, minute, 'a' / 'p' / None) of a clock time in the phrase."""
    found = re.search(
        r"(?:at|by|before|until)\s+(" + CLOCK + r")(?=(?:" + _DAY_AFTER_CLOCK + r")?$)", p
    ) or re.search(r"\b(noon|midday)\b", p)
    if not found:
        return None
    parts = _CLOCK_PARTS.search(found.group(1))
    if parts is None:
        return None
    if parts.group("noon"):
        return 12, 0, "p"
    return int(parts.group("h")) % 24, int(parts.group("mi") or 0), parts.group("ampm")


def _clock_on_day(hour: int, minute: int, ampm: str | None) -> time:
    if ampm is None and hour in AFTERNOON_GUESS:
        hour += 12
    return time(_hour24(hour, ampm), minute)


def _hour24(hour: int, ampm: str | None) -> int:
    if ampm == "p" and hour < 12:
        return hour + 12
    if ampm == "a" and hour == 12:
        return 0
    return hour


def _next_clock(hour: int, minute: int, ampm: str | None, said: datetime) -> datetime:
    hours = {_hour24(hour, ampm)} if ampm or hour >= 12 else {hour, hour + 12}
    candidates = [
        _at(said.date() + timedelta(days=offset), time(h, minute), said) for offset in (0, 1) for h in hours
    ]
    return min(c for c in candidates if c > said)
