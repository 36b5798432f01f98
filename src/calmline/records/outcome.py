"""How a conversation ended: the outcome of its record, read from the customer's closing words.

The rule, in the order it is applied (the first that holds decides):

1. ``abandoned`` when the customer never spoke.
2. ``escalated`` when a supervisor joined or was brought in, or the last agent turn passed the
   customer on. However the customer ended, someone above the agent now owns it.
3. ``abandoned`` when the agent ended the conversation under the abuse policy.
4. ``unresolved`` when the customer's closing words are angry (and not a thank-you), abusive,
   threatening, about self-harm, a threat to leave, or plainly sarcastic; or when their mood ended
   upset or worse and was not recovering.
5. ``unresolved`` when the closing words ask a question that no agent turn after them answers
   (only a goodbye or an offer of "anything else?" followed).
6. ``abandoned`` when the conversation ended with the agent waiting on the customer (asking them
   something, or whether they are still there) and the customer had not said goodbye or thanks:
   they left mid-problem.
7. ``follow_up_needed`` when the ending is calm and commitments are still open.
8. ``unresolved`` when complaints are still open and the customer left without thanks or goodbye.
9. ``resolved`` otherwise: a calm ending with nothing left open.

The closing words are the customer's last turn. A short answer to the agent's question ("No.",
"No, that's all." after "anything else?") is read as an answer, not a feeling: the encoder reads
anger into a bare "No.", so its anger and sarcasm are set aside, and the customer turn before it
is read as well unless the agent did something about it in between.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from calmline.model import ConversationAnalysis, CustomerState, Role, TurnAnalysis
from calmline.records._text import sentence_spans
from calmline.records.model import Commitment, CommitmentStatus, Outcome

FIRES = 0.5
SPEAKERS = (Role.agent, Role.supervisor)
SHORT_ANSWER_WORDS = 4
UPSET = -1.5
"""A mood at or below this ("upset", "furious") is not a resolved ending unless it is rising."""
SARCASM_FIRES = 0.7
"""The sarcasm head reads 0.5–0.65 into plain words ("Fine.", "And what about the fee?"); a closing
turn counts as sarcastic only above this, and never when it thanks."""
ALWAYS_UNRESOLVED = ("abuse_at_agent", "violence_threat", "self_harm", "churn_threat")
"""Closing signals a thank-you does not outweigh."""
AGENT_DID_SOMETHING = ("action_taken", "promise", "options_offered", "apology", "acknowledgement")
PLEASANTRY_SIGNALS = ("closing", "further_help_offer")
# Sentences that carry no answer: thanks, greetings, goodbyes. The engine marks "Have a good day" and
# "anything else?"; the thanks that come with them ("Thank you for contacting us.") it leaves unmarked.
PLEASANTRY = re.compile(
    r"^(?:thanks?\b|thank you|you'?re (?:very |most )?welcome|my pleasure|no problem|glad|happy to help|"
    r"hi\b|hello|good (?:morning|afternoon|evening)|goodbye|bye|take care|have a\b|enjoy)",
    re.IGNORECASE,
)
QUESTION_FORM = re.compile(
    r"^(?:(?:so|and|but|ok(?:ay)?|right|then|sorry)[,\s]+)*"
    r"(?:(?:what|when|where|why|how|who|which)\b(?!\s+(?:a|an|lovely|nice|great|kind)\b)"
    r"|(?:can|could|will|would|is|are|do|does|did|should|have|has|am)\s+"
    r"(?:you|i|we|it|they|someone|anyone|this|that|there|my|the)\b)",
    re.IGNORECASE,
)
STILL_THERE = re.compile(r"\bstill (?:there|with me|around)\b", re.IGNORECASE)


@dataclass(frozen=True)
class ClosingWords:
    """How the customer left: their last turn, the turn before it when the last is only a short answer
    (``also_read``), and their state as they left (before a short answer: the encoder misreads those)."""

    last: TurnAnalysis
    at: int  # the last turn's position in the conversation
    also_read: TurnAnalysis | None
    short_answer: bool
    state: CustomerState


def outcome(analysis: ConversationAnalysis, commitments: Sequence[Commitment]) -> Outcome:
    """How the conversation ended (see the module docstring for the rule)."""
    customer_turns = [t for t in analysis.turns if t.role is Role.customer]
    if not customer_turns:
        return Outcome.abandoned
    if _escalated(analysis):
        return Outcome.escalated
    if _ended_under_abuse_policy(analysis):
        return Outcome.abandoned
    closing = closing_words(analysis)
    if ended_badly(closing) or has_unanswered_question(analysis.turns, closing.at):
        return Outcome.unresolved
    if _agent_left_waiting(analysis.turns, closing.at):
        return Outcome.abandoned
    if any(c.status is CommitmentStatus.open for c in commitments):
        return Outcome.follow_up_needed
    if analysis.turns[-1].state.open_grievances and not _said_goodbye(closing):
        return Outcome.unresolved
    return Outcome.resolved


def _escalated(analysis: ConversationAnalysis) -> bool:
    supervisor = any(t.role is Role.supervisor or fires(t, "supervisor_involved") for t in analysis.turns)
    last_agent = _last_speaker_turn(analysis.turns)
    return supervisor or (last_agent is not None and fires(last_agent, "transfer"))


def _ended_under_abuse_policy(analysis: ConversationAnalysis) -> bool:
    last_agent = _last_speaker_turn(analysis.turns)
    return bool(
        analysis.turns[-1].state.abuse_incidents
        and last_agent is not None
        and fires(last_agent, "boundary_statement")
    )


def closing_words(analysis: ConversationAnalysis) -> ClosingWords:
    """The customer's last turn, and the one before it when the last is only a short answer."""
    turns = analysis.turns
    customer_at = [i for i, t in enumerate(turns) if t.role is Role.customer]
    at = customer_at[-1]
    last = turns[at]
    if not _is_short_answer(turns, at):
        return ClosingWords(last, at, None, short_answer=False, state=last.state)
    earlier_at = customer_at[-2] if len(customer_at) > 1 else None
    between = turns[earlier_at + 1 : at] if earlier_at is not None else []
    acted = any(fires(t, kind) for t in between if t.role in SPEAKERS for kind in AGENT_DID_SOMETHING)
    earlier = turns[earlier_at] if earlier_at is not None and not acted else None
    # The state before the short answer: the encoder's reading of "No." is not how the customer feels.
    return ClosingWords(last, at, earlier, short_answer=True, state=turns[at - 1].state)


def _is_short_answer(turns: Sequence[TurnAnalysis], at: int) -> bool:
    """A reply of a few words to an agent turn that asked something."""
    if len(turns[at].text.split()) > SHORT_ANSWER_WORDS or at == 0:
        return False
    previous = turns[at - 1]
    return previous.role in SPEAKERS and (fires(previous, "further_help_offer") or "?" in previous.text)


def ended_badly(closing: ClosingWords) -> bool:
    """Angry, threatening, abusive, leaving or sarcastic closing words, or an upset mood not recovering."""
    if any(fires(closing.last, kind) for kind in ALWAYS_UNRESOLVED):
        return True
    if closing.also_read is not None and _sounds_bad(closing.also_read):
        return True
    if not closing.short_answer and _sounds_bad(closing.last):
        return True
    return closing.state.mood <= UPSET and closing.state.mood_trend <= 0 and not thanks(closing.last)


def _sounds_bad(turn: TurnAnalysis) -> bool:
    """Abusive, threatening or leaving; angry more than thankful; or plainly sarcastic without thanks."""
    if any(fires(turn, kind) for kind in ALWAYS_UNRESOLVED):
        return True
    anger = score(turn, "anger")
    if anger >= FIRES and anger > score(turn, "positive"):
        return True
    return score(turn, "sarcasm") >= SARCASM_FIRES and not thanks(turn)


def thanks(turn: TurnAnalysis) -> bool:
    """The turn reads as thanks or satisfaction, more than as sarcasm."""
    positive = score(turn, "positive")
    return positive >= FIRES and positive >= score(turn, "sarcasm")


def _said_goodbye(closing: ClosingWords) -> bool:
    return thanks(closing.last) or fires(closing.last, "wants_to_end") or closing.short_answer


def has_unanswered_question(turns: Sequence[TurnAnalysis], at: int) -> bool:
    """The turn at ``at`` asks something and no agent turn after it says more than thanks or goodbye."""
    text = turns[at].text
    if not any(is_question(text[s:e]) for s, e in sentence_spans(text)):
        return False
    return not any(_answers(reply) for reply in turns[at + 1 :] if reply.role in SPEAKERS)


def is_question(sentence: str) -> bool:
    """Asked with a question mark, or in question form without one ("when will it arrive")."""
    return sentence.rstrip("\"'’”)").endswith("?") or QUESTION_FORM.match(sentence) is not None


def _answers(reply: TurnAnalysis) -> bool:
    """Whether an agent turn holds a sentence that is more than a pleasantry."""
    courtesy = _courtesy_spans(reply)
    return any(
        not PLEASANTRY.match(reply.text[start:end]) and not _overlaps((start, end), courtesy)
        for start, end in sentence_spans(reply.text)
    )


def _agent_left_waiting(turns: Sequence[TurnAnalysis], at: int) -> bool:
    """After the customer's last turn (at ``at``) the agent asked them something and heard nothing back."""
    after = [t for t in turns[at + 1 :] if t.role in SPEAKERS]
    if not after or thanks(turns[at]) or fires(turns[at], "wants_to_end"):
        return False
    final = after[-1]
    courtesy = _courtesy_spans(final)
    return any(
        (final.text[start:end].endswith("?") or STILL_THERE.search(final.text, start, end) is not None)
        and not _overlaps((start, end), courtesy)
        for start, end in sentence_spans(final.text)
    )


def _courtesy_spans(turn: TurnAnalysis) -> list[tuple[int, int]]:
    """Where the engine found a goodbye or an offer of further help in an agent turn."""
    return [
        e.span for s in turn.signals if s.kind in PLEASANTRY_SIGNALS and s.score >= FIRES for e in s.evidence
    ]


def _overlaps(span: tuple[int, int], others: Sequence[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in others)


def _last_speaker_turn(turns: Sequence[TurnAnalysis]) -> TurnAnalysis | None:
    return next((t for t in reversed(turns) if t.role in SPEAKERS), None)


def score(turn: TurnAnalysis, kind: str) -> float:
    return max((s.score for s in turn.signals if s.kind == kind), default=0.0)


def fires(turn: TurnAnalysis, kind: str) -> bool:
    return score(turn, kind) >= FIRES
