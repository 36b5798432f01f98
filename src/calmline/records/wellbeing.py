"""Agent well-being (P22): abusive and crisis contacts per agent per shift, and a break or debrief when too many.

Pure functions over closed-conversation facts. A shift is an agent's run of contacts: it opens
with the first contact and lasts the playbook's ``wellbeing.shift_hours``; the next contact after
that opens the next shift (calmline has no rota, so it reads shifts from the work itself).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from calmline.model import AlertKind
from calmline.playbook.schema import Wellbeing
from calmline.records.model import Record


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClosedConversation(_Model):
    """What well-being needs to know about one finished conversation."""

    agent: str
    ended_at: AwareDatetime
    abuse: bool = False
    crisis: bool = False
    conversation_id: str | None = None


class ShiftExposure(_Model):
    agent: str
    shift_start: AwareDatetime
    shift_end: AwareDatetime
    contacts: int
    abuse: int
    crisis: int
    abuse_conversations: list[str] = Field(default_factory=list)
    crisis_conversations: list[str] = Field(default_factory=list)


class Suggestion(_Model):
    """A break or debrief suggestion, one for the agent and one for their supervisor, with the checklist."""

    agent: str
    kind: str = Field(description="'break' (abuse threshold) or 'debrief' (crisis threshold).")
    reached_at: AwareDatetime = Field(description="When the contact that reached the threshold ended.")
    count: int
    threshold: int
    to_agent: str
    to_supervisor: str
    debrief: list[str]


def facts_of(record: Record) -> ClosedConversation | None:
    """The well-being facts of a record, or None if it has no end time."""
    if record.ended_at is None:
        return None
    kinds = {alert.kind for alert in record.alerts}
    return ClosedConversation(
        agent=record.agent,
        ended_at=record.ended_at,
        abuse=AlertKind.abuse in kinds,
        crisis=AlertKind.crisis in kinds,
        conversation_id=record.conversation_id,
    )


def shifts(conversations: Iterable[ClosedConversation], policy: Wellbeing) -> list[ShiftExposure]:
    """Each agent's shifts with their exposure counts, by agent then time."""
    length = timedelta(hours=policy.shift_hours)
    out: list[ShiftExposure] = []
    for agent, theirs in sorted(_by_agent(conversations).items()):
        current: ShiftExposure | None = None
        for item in theirs:
            if current is None or item.ended_at >= current.shift_end:
                current = ShiftExposure(
                    agent=agent,
                    shift_start=item.ended_at,
                    shift_end=item.ended_at + length,
                    contacts=0,
                    abuse=0,
                    crisis=0,
                )
                out.append(current)
            _count(current, item)
    return out


def suggestions(conversations: Iterable[ClosedConversation], policy: Wellbeing) -> list[Suggestion]:
    """A suggestion each time an agent's shift reaches the abuse or the crisis threshold (once per kind per shift)."""
    found: list[Suggestion] = []
    length = timedelta(hours=policy.shift_hours)
    for agent, theirs in sorted(_by_agent(conversations).items()):
        shift_end: datetime | None = None
        counts = {"abuse": 0, "crisis": 0}
        for item in theirs:
            if shift_end is None or item.ended_at >= shift_end:
                shift_end, counts = item.ended_at + length, {"abuse": 0, "crisis": 0}
            for kind, exposed, threshold in (
                ("abuse", item.abuse, policy.abuse_threshold),
                ("crisis", item.crisis, policy.crisis_threshold),
            ):
                counts[kind] += exposed
                if exposed and counts[kind] == threshold:
                    found.append(
                        _suggestion(agent, kind, item.ended_at, counts[kind], threshold, policy.debrief)
                    )
    return found


def _by_agent(conversations: Iterable[ClosedConversation]) -> dict[str, list[ClosedConversation]]:
    grouped: dict[str, list[ClosedConversation]] = defaultdict(list)
    for item in conversations:
        grouped[item.agent].append(item)
    return {agent: sorted(items, key=lambda c: c.ended_at) for agent, items in grouped.items()}


def _count(shift: ShiftExposure, item: ClosedConversation) -> None:
    shift.contacts += 1
    if item.abuse:
        shift.abuse += 1
        shift.abuse_conversations.append(item.conversation_id or "?")
    if item.crisis:
        shift.crisis += 1
        shift.crisis_conversations.append(item.conversation_id or "?")


def _suggestion(
    agent: str, kind: str, reached_at: datetime, count: int, threshold: int, debrief: Sequence[str]
) -> Suggestion:
    if kind == "abuse":
        to_agent = f"That is {count} abusive contacts this shift. Take a short break before your next one."
        to_supervisor = f"{agent} has had {count} abusive contacts this shift: offer a break and a word."
        kind_name = "break"
    else:
        to_agent = (
            f"You handled {count} crisis contact(s) this shift. Take time for a debrief with your supervisor."
        )
        to_supervisor = f"{agent} handled {count} crisis contact(s) this shift: arrange a debrief soon."
        kind_name = "debrief"
    return Suggestion(
        agent=agent,
        kind=kind_name,
        reached_at=reached_at,
        count=count,
        threshold=threshold,
        to_agent=to_agent,
        to_supervisor=to_supervisor,
        debrief=list(debrief),
    )
