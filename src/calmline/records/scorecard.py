"""The QA scorecard: every practice met, missed or n/a with its turns; weighted score, overrides, aggregates.

A practice is n/a when the conversation gave no occasion for it (no crisis: the crisis procedure
is n/a). It is missed when the engine flagged the agent's misstep, or when the occasion came and
the agent never did it. Practices that prohibit something (no lecturing, P05) apply whenever the
agent spoke and are met with no evidence to show. P21–P23 are judged across conversations
(analytics, well-being, training), never in one, so they are always n/a here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from calmline.errors import InputError
from calmline.model import ConversationAnalysis, Evidence, Grievance, GrievanceStatus, Role, TurnAnalysis
from calmline.playbook.schema import Playbook
from calmline.records._text import sentence_spans, span_evidence
from calmline.records.model import (
    Aggregate,
    AppliedOverride,
    Commitment,
    CommitmentStatus,
    ItemStatus,
    Override,
    PracticeTally,
    Scorecard,
    ScoreItem,
)

FIRES = 0.5
FELT = 0.6
"""A feeling this strong calls for an acknowledgement in the very next reply (as the engine's rule)."""

SPEAKERS = (Role.agent, Role.supervisor)
HEAT = ("anger", "negative", "venting", "abuse_at_agent", "shouting", "violence_threat")
CRISIS = ("self_harm", "violence_threat")
REFERENCE_WORDS = ("reference", "ref", "case", "ticket", "claim", "confirmation")


@dataclass(frozen=True)
class Judgement:
    status: ItemStatus
    evidence: list[Evidence]
    note: str


def met(evidence: list[Evidence], note: str) -> Judgement:
    return Judgement(ItemStatus.met, evidence, note)


def missed(evidence: list[Evidence], note: str) -> Judgement:
    return Judgement(ItemStatus.missed, evidence, note)


def not_applicable(note: str) -> Judgement:
    return Judgement(ItemStatus.not_applicable, [], note)


class Facts:
    """Read-only questions about one analysed conversation that the judges share."""

    def __init__(self, analysis: ConversationAnalysis, commitments: Sequence[Commitment]) -> None:
        self.analysis = analysis
        self.turns = analysis.turns
        self.commitments = list(commitments)
        self.final = analysis.turns[-1].state if analysis.turns else None

    def fired(self, turn: TurnAnalysis, *kinds: str, at_least: float = FIRES) -> list[Evidence]:
        return [
            e
            for s in turn.signals
            if s.kind in kinds and s.score >= at_least
            for e in (s.evidence or [first_sentence(turn)])
            if e.turn == turn.index
        ]

    def turns_with(self, roles: Iterable[Role], *kinds: str, at_least: float = FIRES) -> list[TurnAnalysis]:
        roles = tuple(roles)
        return [t for t in self.turns if t.role in roles and self.fired(t, *kinds, at_least=at_least)]

    def evidence(self, roles: Iterable[Role], *kinds: str, after: int = -1) -> list[Evidence]:
        return [e for t in self.turns_with(roles, *kinds) if t.index > after for e in self.fired(t, *kinds)]

    def reply_to(self, turn: TurnAnalysis) -> TurnAnalysis | None:
        """The next agent or supervisor turn after ``turn``, before the customer speaks again."""
        for later in self.turns[turn.index + 1 :]:
            if later.role in SPEAKERS:
                return later
            if later.role is Role.customer:
                return None
        return None

    @property
    def crisis_turns(self) -> set[int]:
        return {t.index for t in self.turns_with([Role.customer], *CRISIS)}

    def grievances(self) -> list[Grievance]:
        """Grievances outside crisis turns: during a crisis the procedure replaces the usual flow."""
        if self.final is None:
            return []
        crisis = self.crisis_turns
        return [g for g in self.final.grievances if not all(e.turn in crisis for e in g.evidence)]

    def grievance_evidence(self) -> list[Evidence]:
        return [e for g in self.grievances() for e in g.evidence]

    def agent_spoke(self) -> bool:
        return any(t.role in SPEAKERS for t in self.turns)

    def alerts(self, kind: str) -> list[tuple[TurnAnalysis, list[Evidence]]]:
        return [
            (t, [e for a in t.alerts if a.kind.value == kind for e in a.evidence] or [first_sentence(t)])
            for t in self.turns
            if any(a.kind.value == kind for a in t.alerts)
        ]


def first_sentence(turn: TurnAnalysis) -> Evidence:
    spans = sentence_spans(turn.text) or [(0, len(turn.text))]
    return span_evidence(turn.index, turn.text, *spans[0])


# --- the judges, one per practice ----------------------------------------------------------


def prohibition(practice_words: str, *kinds: str) -> Callable[[Facts], Judgement]:
    """A practice that forbids something: missed where the engine saw it, met otherwise once the agent spoke."""

    def judge(facts: Facts) -> Judgement:
        found = facts.evidence(SPEAKERS, *kinds)
        if found:
            return missed(found, f"the agent {practice_words} ({len({e.turn for e in found})} turn(s))")
        if facts.agent_spoke():
            return met([], f"the agent never {practice_words}")
        return not_applicable("the agent did not speak")

    return judge


def p01_calm(facts: Facts) -> Judgement:
    slips = facts.evidence(SPEAKERS, "hostile_tone", "shouting", "impolite")
    if slips:
        return missed(slips, "the agent answered with an edge: sarcasm, shouting, 'calm down' or curtness")
    heated = facts.turns_with([Role.customer], *HEAT)
    replies = [r for t in heated if (r := facts.reply_to(t)) is not None]
    if replies:
        return met([first_sentence(r) for r in replies], f"stayed level through {len(heated)} heated turn(s)")
    return not_applicable("the customer never got heated")


def p02_empathy(facts: Facts) -> Judgement:
    feelings = facts.turns_with([Role.customer], "anger", "distress")
    if not feelings:
        return not_applicable("the customer showed no anger or distress")
    unanswered = [
        first_sentence(reply)
        for turn in facts.turns_with([Role.customer], "anger", "distress", at_least=FELT)
        if (reply := facts.reply_to(turn)) is not None
        and not facts.fired(reply, "acknowledgement", "apology", "boundary_statement")
    ]
    if unanswered:
        return missed(unanswered, "a strong feeling went unacknowledged in the next reply")
    minimised = facts.evidence(SPEAKERS, "minimising", after=feelings[0].index)
    if minimised:
        return missed(minimised, "the agent made the customer's problem sound small")
    acknowledged = facts.evidence(
        SPEAKERS, "acknowledgement", "apology", "restatement", after=feelings[0].index
    )
    if acknowledged:
        return met(acknowledged, "the agent acknowledged how the customer felt")
    return missed([first_sentence(t) for t in feelings], "the customer's feelings were never acknowledged")


def p03_listening(facts: Facts) -> Judgement:
    listening = facts.evidence(SPEAKERS, "clarifying_question", "restatement")
    repeats = facts.turns_with([Role.customer], "repetition")
    if repeats:
        restated = facts.evidence(SPEAKERS, "restatement", after=repeats[0].index)
        if not restated:
            return missed(
                [e for t in repeats for e in facts.fired(t, "repetition")],
                "the customer had to repeat themselves and the agent never said back what they heard",
            )
    occasion = facts.grievances() or facts.turns_with([Role.customer], "confusion")
    if listening:
        return met(listening, "the agent asked about the problem or said it back")
    if occasion:
        return missed(facts.grievance_evidence(), "a problem was raised but never asked about or restated")
    return not_applicable("no problem to understand")


def p04_venting(facts: Facts) -> Judgement:
    interruptions = facts.evidence(SPEAKERS, "interruption")
    if interruptions:
        return missed(interruptions, "the agent talked over the customer")
    grievances = facts.grievances()
    dropped = [g for g in grievances if g.status is GrievanceStatus.open]
    if dropped:
        return missed(
            [e for g in dropped for e in g.evidence],
            f"{len(dropped)} grievance(s) never acknowledged or addressed: {', '.join(g.topic for g in dropped)}",
        )
    if grievances:
        return met(facts.grievance_evidence(), f"all {len(grievances)} grievance(s) were taken up")
    return not_applicable("no grievance raised")


def p08_transfers(facts: Facts) -> Judgement:
    transfers = facts.turns_with(SPEAKERS, "transfer")
    if not transfers:
        if facts.grievances():
            return met([], "the agent kept the problem rather than passing it on")
        return not_applicable("no problem that could have been passed on")
    evidence = [e for t in transfers for e in facts.fired(t, "transfer")]
    if len(transfers) > 1:
        return missed(evidence, f"the customer was passed on {len(transfers)} times")
    worked = facts.evidence(SPEAKERS, "options_offered", "action_taken", "restatement")
    if not [e for e in worked if e.turn < transfers[0].index]:
        return missed(evidence, "passed on before the agent tried to help")
    return met(evidence, "one transfer, after working on the problem")


def p09_promises(facts: Facts) -> Judgement:
    beyond = facts.evidence(SPEAKERS, "overpromise") + [
        e for c in facts.commitments if c.beyond_authority for e in c.evidence
    ]
    if beyond:
        return missed(beyond, "a promise beyond the agent's authority")
    if facts.commitments:
        return met([c.evidence[0] for c in facts.commitments], "every promise was one the agent may make")
    return not_applicable("no promise made")


def p10_escalate(facts: Facts) -> Judgement:
    # In an abusive conversation the abuse procedure itself alerts the supervisor (P11), so only a
    # request for a manager makes escalation this practice's business there.
    requests = facts.alerts("manager_request")
    forecasts = [] if facts.alerts("abuse") else facts.alerts("escalation_risk")
    involved = [t.index for t in facts.turns if t.role is Role.supervisor] + [
        e.turn for e in facts.evidence([Role.agent], "supervisor_involved")
    ]
    shown = [e for t in facts.turns if t.index in involved for e in facts.fired(t, "supervisor_involved")]
    occasions = sorted(requests + forecasts, key=lambda pair: pair[0].index)
    if not occasions:
        if involved:
            return met(
                shown or [first_sentence(facts.turns[min(involved)])], "a supervisor was brought in early"
            )
        return not_applicable("no sign of escalation")
    first_request = requests[0][0].index if requests else None
    if involved and (first_request is None or min(involved) <= first_request):
        return met(
            shown or [first_sentence(facts.turns[min(involved)])], "a supervisor was brought in in time"
        )
    return missed(
        [e for _, ev in occasions for e in ev],
        "escalation was forecast or demanded and no supervisor was brought in first",
    )


def p11_boundaries(facts: Facts) -> Judgement:
    abusive = facts.turns_with([Role.customer], "abuse_at_agent")
    if not abusive:
        return not_applicable("no abuse aimed at the agent")
    replies = [(t, facts.reply_to(t)) for t in abusive]
    lacking = [
        first_sentence(r) if r else first_sentence(t)
        for t, r in replies
        if r is None or not facts.fired(r, "boundary_statement")
    ]
    if lacking:
        return missed(lacking, "abuse went on without a boundary, a warning or an ending")
    return met(
        [e for _, r in replies if r for e in facts.fired(r, "boundary_statement")],
        "each abusive turn met a boundary, then a warning, then the ending",
    )


def p12_crisis(facts: Facts) -> Judgement:
    crisis = facts.turns_with([Role.customer], *CRISIS)
    if not crisis:
        return not_applicable("no threat of violence or self-harm")
    reply = facts.reply_to(crisis[0])
    if reply is None or facts.fired(reply, "closing", "transfer"):
        shown = [first_sentence(reply)] if reply else [e for e in facts.fired(crisis[0], *CRISIS)]
        return missed(shown, "the agent did not stay with the customer after the crisis statement")
    support = facts.evidence([Role.agent], "supervisor_involved", after=crisis[0].index)
    return met(
        [first_sentence(reply), *support], "the agent stayed, asked about safety and followed the procedure"
    )


def p13_emergency(facts: Facts) -> Judgement:
    emergency = next((t.state.emergency for t in reversed(facts.turns) if t.state.emergency), None)
    if emergency is None:
        return not_applicable("not an emergency")
    missing = [item.label for item in emergency.checklist if not item.done]
    captured = [e for item in emergency.checklist for e in item.evidence]
    if missing:
        return missed(captured, f"not captured: {', '.join(missing)}")
    return met(captured, "what, where and a callback number were all captured")


def p14_apology(facts: Facts) -> Judgement:
    fault = facts.evidence([Role.customer], "company_fault")
    apologies = facts.evidence(SPEAKERS, "apology")
    if fault or (facts.final and facts.final.company_fault):
        if apologies:
            return met(apologies, "the company erred and the agent apologised")
        return missed(fault, "the company erred and the agent never apologised")
    if not facts.grievances():
        return not_applicable("no complaint to apologise for or commit on")
    helped = apologies + facts.evidence(SPEAKERS, "action_taken", "options_offered", "promise")
    helped += [c.evidence[0] for c in facts.commitments]
    if helped:
        return met(sorted(helped, key=lambda e: e.turn), "the agent committed to help")
    return missed(facts.grievance_evidence(), "a complaint without an apology or a commitment to help")


def p15_name(facts: Facts) -> Judgement:
    known = next((t for t in facts.turns if t.state.name_known), None)
    if known is None:
        return not_applicable("the customer's name was never known")
    used = facts.evidence(SPEAKERS, "name_used")
    if used:
        return met(used, "the agent used the customer's name")
    return missed([first_sentence(known)], "the name was known and never used")


def p16_cpr(facts: Facts) -> Judgement:
    if facts.crisis_turns or any(t.state.emergency for t in facts.turns):
        return not_applicable("a crisis or an emergency follows its own procedure")
    acted = facts.evidence(SPEAKERS, "options_offered", "action_taken")
    if acted:
        return met(acted, "the agent offered options and acted on the choice")
    if facts.grievances():
        return missed(facts.grievance_evidence(), "the problem was never taken to options or action")
    return not_applicable("no problem to solve")


def p18_documented(facts: Facts) -> Judgement:
    if not (facts.grievances() or facts.commitments):
        return not_applicable("nothing to put on record")
    shown = facts.evidence(SPEAKERS, "action_taken") + [c.evidence[0] for c in facts.commitments]
    shown += [
        span_evidence(t.index, t.text, start, end)
        for t in facts.turns
        if t.role in SPEAKERS
        for start, end in sentence_spans(t.text)
        if _gives_reference(t.text[start:end])
    ]
    if shown:
        return met(
            sorted(shown, key=lambda e: e.turn), "steps, a reference or a commitment were put on record"
        )
    return missed(
        facts.grievance_evidence(), "the customer left with no step, reference or commitment on record"
    )


def _gives_reference(sentence: str) -> bool:
    words = sentence.lower().split()
    has_code = any(
        any(ch.isdigit() for ch in w) and any(ch.isalpha() for ch in w) and "-" in w for w in words
    )
    return has_code and any(w.strip(",.:") in REFERENCE_WORDS for w in words)


def p19_follow_through(facts: Facts) -> Judgement:
    if not facts.commitments:
        return not_applicable("no commitment to follow through")
    vague = [c for c in facts.commitments if c.due is None and c.status is not CommitmentStatus.done]
    if vague:
        return missed(
            [c.evidence[0] for c in vague], "a commitment with no time: nobody can tell when it is late"
        )
    return met([c.evidence[0] for c in facts.commitments], "every commitment has an owner and a due time")


def p20_closing(facts: Facts) -> Judgement:
    if facts.final is not None and facts.final.abuse_incidents:
        return not_applicable("ended under the abuse policy")
    offers = facts.evidence(SPEAKERS, "further_help_offer")
    if offers:
        return met(offers, "the agent offered further help")
    endings = facts.evidence(SPEAKERS, "closing") + facts.evidence([Role.customer], "wants_to_end")
    if endings:
        return missed(endings, "the conversation closed without offering further help")
    return not_applicable("the conversation did not reach a close")


def across_conversations(where: str) -> Callable[[Facts], Judgement]:
    def judge(facts: Facts) -> Judgement:
        return not_applicable(f"judged across conversations ({where}), not in one")

    return judge


def p24_context(facts: Facts) -> Judgement:
    emergency = any(t.state.emergency for t in facts.turns)
    if not (facts.analysis.conversation.after_hours or emergency):
        return not_applicable("an ordinary call in business hours")
    slips = facts.evidence(
        SPEAKERS, "hostile_tone", "shouting", "lecture", "negative_phrasing", "transfer", "overpromise"
    )
    urgent = p13_emergency(facts)
    if slips or urgent.status is ItemStatus.missed:
        return missed(slips + (urgent.evidence if not slips else []), "higher stakes, and the agent slipped")
    return met(urgent.evidence, "after hours or urgent, handled without a slip")


JUDGES: dict[str, Callable[[Facts], Judgement]] = {
    "P01": p01_calm,
    "P02": p02_empathy,
    "P03": p03_listening,
    "P04": p04_venting,
    "P05": prohibition("lectured or blamed the customer", "lecture"),
    "P06": prohibition("repeated a canned line", "canned_repeat"),
    "P07": prohibition("led with what cannot be done", "negative_phrasing"),
    "P08": p08_transfers,
    "P09": p09_promises,
    "P10": p10_escalate,
    "P11": p11_boundaries,
    "P12": p12_crisis,
    "P13": p13_emergency,
    "P14": p14_apology,
    "P15": p15_name,
    "P16": p16_cpr,
    "P17": prohibition("hedged or contradicted themselves", "hedging", "contradiction"),
    "P18": p18_documented,
    "P19": p19_follow_through,
    "P20": p20_closing,
    "P21": across_conversations("themes and trends"),
    "P22": across_conversations("agent well-being per shift"),
    "P23": across_conversations("playbooks and training"),
    "P24": p24_context,
}


# --- the scorecard ---------------------------------------------------------------------------


def score_conversation(
    analysis: ConversationAnalysis, playbook: Playbook, commitments: Sequence[Commitment], agent: str
) -> Scorecard:
    """Judge every practice of the playbook on one conversation."""
    facts = Facts(analysis, commitments)
    items = []
    for practice_id in sorted(playbook.practices):
        practice = playbook.practices[practice_id]
        judge = JUDGES.get(practice_id, across_conversations("not observable in a transcript"))
        judgement = judge(facts)
        evidence = sorted(_unique(judgement.evidence), key=lambda e: (e.turn, e.span))
        items.append(
            ScoreItem(
                practice=practice_id,
                name=practice.name,
                weight=practice.weight,
                status=judgement.status,
                evidence=evidence,
                note=judgement.note,
            )
        )
    team = analysis.conversation.metadata.get("team") or analysis.conversation.metadata.get("queue")
    return Scorecard(
        conversation_id=analysis.conversation.id,
        agent=agent,
        team=str(team) if team else None,
        score=weighted_score(items),
        items=items,
    )


def _unique(evidence: Iterable[Evidence]) -> list[Evidence]:
    seen: dict[tuple[int, tuple[int, int]], Evidence] = {}
    for item in evidence:
        seen.setdefault((item.turn, item.span), item)
    return list(seen.values())


def weighted_score(items: Sequence[ScoreItem]) -> float | None:
    """100 × weight of the items met / weight of the items met or missed; None if none applies."""
    applicable = [i for i in items if i.status is not ItemStatus.not_applicable]
    total = sum(i.weight for i in applicable)
    if total == 0:
        return None
    return round(100 * sum(i.weight for i in applicable if i.status is ItemStatus.met) / total, 1)


def apply_overrides(scorecard: Scorecard, overrides: Sequence[Override]) -> Scorecard:
    """The scorecard with a QA reviewer's decisions applied and the score recomputed.

    Each changed item keeps the status the engine gave it and the reviewer's reason; a later
    override of the same practice wins. Raises InputError for a practice the scorecard lacks.
    """
    items = {item.practice: item for item in scorecard.items}
    for override in overrides:
        item = items.get(override.practice)
        if item is None:
            raise InputError(f"override names {override.practice}, which is not on this scorecard")
        previous = item.override.previous if item.override else item.status
        items[override.practice] = item.model_copy(
            update={
                "status": override.status,
                "override": AppliedOverride(
                    previous=previous, reason=override.reason, reviewer=override.reviewer
                ),
            }
        )
    updated = [items[item.practice] for item in scorecard.items]
    return scorecard.model_copy(update={"items": updated, "score": weighted_score(updated)})


def aggregate(
    scorecards: Sequence[Scorecard],
    by: str = "agent",
    overrides: Mapping[str, Sequence[Override]] | None = None,
) -> list[Aggregate]:
    """Scorecards grouped by agent or team, each with its QA overrides (by conversation id) applied first."""
    if by not in ("agent", "team"):
        raise InputError(f"aggregate by 'agent' or 'team', not {by!r}")
    groups: dict[str, list[Scorecard]] = defaultdict(list)
    for card in scorecards:
        final = apply_overrides(card, (overrides or {}).get(card.conversation_id, []))
        groups[(final.agent if by == "agent" else final.team) or "(none)"].append(final)
    return [_aggregate(by, name, cards) for name, cards in sorted(groups.items())]


def _aggregate(by: str, name: str, cards: list[Scorecard]) -> Aggregate:
    tallies: dict[str, PracticeTally] = defaultdict(PracticeTally)
    for card in cards:
        for item in card.items:
            tally = tallies[item.practice]
            if item.status is ItemStatus.met:
                tally.met += 1
            elif item.status is ItemStatus.missed:
                tally.missed += 1
    scores = [c.score for c in cards if c.score is not None]
    return Aggregate(
        by=by,
        group=name,
        conversations=len(cards),
        score=round(sum(scores) / len(scores), 1) if scores else None,
        overridden_items=sum(1 for c in cards for i in c.items if i.override is not None),
        practices=dict(sorted(tallies.items())),
    )
