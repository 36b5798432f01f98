"""When each turn was said, in the conversation's time zone (the clock every due date is read from)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from calmline.errors import InputError
from calmline.model import ConversationAnalysis

TURN_GAP = timedelta(minutes=1)
"""A transcript without per-turn times is taken as one turn a minute from its start."""


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone ``name``, or a one-line InputError."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"unknown time zone {name!r}; use an IANA name such as America/New_York") from None


def resolve_zone(explicit: str | None, playbook_zone: str | None, started_at: datetime | None) -> tzinfo:
    """The zone to read and show times in.

    An explicit zone wins, then the playbook's business-hours zone, then the offset the start time
    carries (a fixed offset knows nothing of daylight saving, hence the first two), then UTC.
    """
    for name in (explicit, playbook_zone):
        if name:
            return zone_named(name)
    if started_at is not None and started_at.tzinfo is not None:
        return started_at.tzinfo
    return UTC


def zone_label(zone: tzinfo) -> str:
    """An IANA name, or the fixed offset as ``UTC-05:00``."""
    if isinstance(zone, ZoneInfo):
        return zone.key
    offset = zone.utcoffset(None) or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def localize(moment: datetime, zone: tzinfo) -> datetime:
    """``moment`` in ``zone``; a naive moment is taken as wall time in ``zone``."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone)
    return moment.astimezone(zone)


def turn_times(analysis: ConversationAnalysis, zone: tzinfo) -> list[datetime | None]:
    """When each turn was said, to the second, or None when the conversation has no start time.

    A turn's own timestamp wins; a voice turn is its start offset after the conversation's start;
    any other turn is one minute after the turn before it.
    """
    started = analysis.conversation.started_at
    start = localize(started, zone) if started is not None else None
    times: list[datetime | None] = []
    previous = elapsed(start, -TURN_GAP) if start is not None else None
    for turn in analysis.turns:
        if turn.timestamp is not None:
            moment: datetime | None = localize(turn.timestamp, zone)
        elif start is not None and turn.start is not None:
            moment = elapsed(start, timedelta(seconds=turn.start))
        else:
            moment = elapsed(previous, TURN_GAP) if previous is not None else None
        moment = moment.replace(microsecond=0) if moment is not None else None
        times.append(moment)
        previous = moment
    return times


def elapsed(moment: datetime, delta: timedelta) -> datetime:
    """``moment`` plus real elapsed time (through UTC, so a daylight-saving change is counted right)."""
    assert moment.tzinfo is not None
    return (moment.astimezone(UTC) + delta).astimezone(moment.tzinfo)
