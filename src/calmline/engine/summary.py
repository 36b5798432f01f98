"""The per-conversation summary: mood from start to end, peak risk, alerts and practices flagged."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from calmline.model import CustomerState, Role, Summary, TurnAnalysis


def summarize(turns: Sequence[TurnAnalysis]) -> Summary:
    customer = [t for t in turns if t.role is Role.customer]
    final = turns[-1].state if turns else CustomerState()
    moods = [t.state.mood for t in customer] or [0.0]
    alerts: Counter[str] = Counter()
    first_alert: dict[str, int] = {}
    practices: Counter[str] = Counter()
    for turn in turns:
        for alert in turn.alerts:
            alerts[alert.kind.value] += 1
            first_alert.setdefault(alert.kind.value, turn.index)
        for guidance in turn.guidance:
            practices[guidance.practice] += 1
    return Summary(
        turns=len(turns),
        customer_turns=final.customer_turns,
        agent_turns=final.agent_turns,
        mood_start=moods[0],
        mood_end=moods[-1],
        mood_min=min(moods),
        max_escalation_risk=max((t.state.escalation_risk for t in turns), default=0.0),
        alerts=dict(alerts),
        first_alert_turn=first_alert,
        practices_flagged=dict(sorted(practices.items())),
        grievances=final.grievances,
        promises=final.promises,
        transfers=final.transfer_count,
        crisis=final.crisis,
        manager_requested=final.manager_requested,
    )
