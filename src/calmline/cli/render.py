"""Rich views of analyses and coach reports for the terminal."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text

from calmline.model import (
    Alert,
    CoachReport,
    ConversationAnalysis,
    Evidence,
    Guidance,
    Role,
    Severity,
    TurnAnalysis,
)

ROLE_STYLE = {Role.customer: "bold cyan", Role.agent: "bold green", Role.supervisor: "bold magenta"}
SEVERITY_STYLE = {
    Severity.critical: "bold white on red",
    Severity.high: "bold red",
    Severity.warning: "bold yellow",
    Severity.info: "blue",
}
# Text labels next to colours, so that colour is never the only signal.
SEVERITY_ICON = {Severity.critical: "‼", Severity.high: "!", Severity.warning: "▲", Severity.info: "i"}


def marked(text: str, evidence: Iterable[Evidence]) -> Text:
    """The text with every evidence span underlined."""
    out = Text(text)
    for item in evidence:
        start, end = item.span
        if 0 <= start < end <= len(text):
            out.stylize("bold underline yellow", start, end)
    return out


def mood_gauge(mood: float) -> Text:
    """A small −5…+5 bar: ``[----●-----]`` with the number."""
    position = round(mood) + 5
    bar = "".join("●" if i == position else "─" for i in range(11))
    style = "red" if mood <= -2 else "yellow" if mood < 1 else "green"
    return Text.assemble(("mood ", "dim"), (f"[{bar}]", style), f" {mood:+.1f}")


def turn_view(turn: TurnAnalysis) -> Panel:
    state = turn.state
    own_evidence = [e for s in turn.signals if s.score >= 0.5 for e in s.evidence if e.turn == turn.index]
    lines: list[Text] = [marked(turn.text, own_evidence)]
    signals = [f"{s.kind} {s.score:.2f}" for s in turn.signals if s.score >= 0.5]
    if signals:
        lines.append(Text("signals: " + ", ".join(signals), style="dim"))
    risk_style = (
        "bold red" if state.escalation_risk >= 0.6 else "yellow" if state.escalation_risk >= 0.35 else "green"
    )
    status = Text.assemble(
        mood_gauge(state.mood),
        ("  trend ", "dim"),
        f"{state.mood_trend:+.1f}",
        ("  risk ", "dim"),
        (f"{state.escalation_risk:.0%}", risk_style),
        ("  phase ", "dim"),
        state.phase.value,
    )
    if state.abuse_level.value != "none":
        status.append(f"  abuse: {state.abuse_level.value}", style="red")
    if state.crisis:
        status.append(f"  CRISIS: {state.crisis_type.value if state.crisis_type else ''}", style="bold red")
    lines.append(status)
    lines.extend(alert_line(alert) for alert in turn.alerts)
    lines.extend(guidance_line(g) for g in turn.guidance)
    title = Text.assemble((f"#{turn.index} ", "dim"), (turn.speaker, ROLE_STYLE.get(turn.role, "bold")))
    return Panel(Group(*lines), title=title, title_align="left", border_style="red" if turn.alerts else "dim")


def alert_line(alert: Alert) -> Text:
    icon = SEVERITY_ICON[alert.severity]
    line = Text.assemble(
        (f" {icon} ALERT {alert.kind.value} ({alert.severity.value}) ", SEVERITY_STYLE[alert.severity]),
        f" {alert.practice} {alert.message}",
    )
    if alert.procedure is not None:
        line.append(f"\n    next step: {alert.procedure.step}", style="bold")
        for item in alert.procedure.checklist:
            line.append(f"\n    [{'x' if item.done else ' '}] {item.label}")
        for words in alert.procedure.wording[:1]:
            line.append(f'\n    say: "{words}"', style="italic")
    return line


def guidance_line(guidance: Guidance) -> Text:
    line = Text.assemble((f" → {guidance.practice} ", "bold blue"), guidance.message)
    for suggestion in guidance.suggestions[:1]:
        line.append(f'\n     try: "{suggestion}"', style="italic green")
    return line


def analysis_view(console: Console, analysis: ConversationAnalysis) -> None:
    for turn in analysis.turns:
        console.print(turn_view(turn))
    summary_view(console, analysis)


def summary_view(console: Console, analysis: ConversationAnalysis) -> None:
    summary = analysis.summary
    alerts = ", ".join(
        f"{kind} ×{n} (first at #{summary.first_alert_turn[kind]})" for kind, n in summary.alerts.items()
    )
    console.print(
        Panel(
            Text.assemble(
                f"{summary.turns} turns · mood {summary.mood_start:+.1f} → {summary.mood_end:+.1f} "
                f"(lowest {summary.mood_min:+.1f}) · peak risk {summary.max_escalation_risk:.0%}\n",
                f"alerts: {alerts or 'none'}\n",
                f"grievances: {', '.join(g.topic for g in summary.grievances) or 'none'} · "
                f"promises: {len(summary.promises)} · transfers: {summary.transfers}",
            ),
            title="summary",
            title_align="left",
        )
    )


def coach_view(console: Console, draft: str, report: CoachReport) -> None:
    if not report.findings:
        console.print(Text("✓ No problems found in this draft.", style="bold green"))
        return
    underlined = Text(draft)
    for finding in report.findings:
        start, end = finding.span
        if start < end:
            underlined.stylize("bold underline yellow", start, end)
    console.print(Panel(underlined, title="draft", title_align="left"))
    for finding in report.findings:
        head = Text.assemble((f"{finding.practice} ", "bold blue"), finding.message)
        if finding.quote:
            head.append(f'\n   "{finding.quote}"', style="yellow")
        for rewrite in finding.rewrites:
            head.append(f"\n   → {rewrite}", style="green")
        console.print(head)
