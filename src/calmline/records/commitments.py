"""The commitment ledger of one conversation: every promise to the customer, who owns it and when it is due.

Starts from the engine's promise signals and adds what they miss: promises made by a supervisor,
promises about someone else ("our billing team will review it", "they'll phone you"), verbs the
engine does not list ("I'll file a request") and reminders ("I've set myself a reminder to email
you"). A promise that depends on the customer ("if it happens again, I'll…") or is asked as a
question is not a commitment. The same promise said twice is one commitment with both turns as
evidence; one the conversation shows kept ("the request is filed") is ``done``.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from calmline.engine.text import MAX_CLAUSE, STOPWORDS, last_visible, trim_end
from calmline.model import ConversationAnalysis, Evidence, Role, TurnAnalysis
from calmline.records._text import sentence_around, sentences_from, span_evidence
from calmline.records.due import WorkWeek, find_due, resolve_due
from calmline.records.model import Commitment, CommitmentStatus
from calmline.transcripts import guess_role

SPEAKERS = (Role.agent, Role.supervisor)
FIRES = 0.5

FUTURE = (
    r"(?:I|we)(?:'ll| will| shall|'m going to| am going to|'re going to| are going to)"
    r"(?: (?:personally|definitely|certainly|also|then|now|first|just|make sure to|be sure to))*"
)
EXTRA_VERBS = (
    r"(?:file|submit|lodge|log|note|flag|page|post|mail|forward|visit|review|approve|chase|"
    r"be in touch|get in touch|be back in touch|be there|drop off|bring)"
)
FIRST_PERSON = re.compile(r"(?<![\w'])" + FUTURE + " " + EXTRA_VERBS + r"(?![\w'])", re.IGNORECASE)
ROLE_NOUN = (
    r"(?:team|department|dept|desk|lead|supervisor|manager|technician|engineer|specialist|courier|"
    r"driver|colleague|crew|office|adviser|advisor|assessor|adjuster|adjustor|surveyor|inspector|handler)s?"
)
PARTY = r"(?:(?:our|the|my|your)\s+(?:[\w-]+\s+){0,2}?" + ROLE_NOUN + r")"
THIRD_VERBS = (
    r"(?:be (?:in touch|there|with you|calling|round|over|out)|get (?:in touch|back to you|back)|call|"
    r"phone|ring|contact|e-?mail|text|reach out|review|look into|visit|come|send|process|approve|"
    r"arrange|fix|repair|deliver|follow up|sort)"
)
THIRD_PARTY = re.compile(
    r"(?<![\w'])(?P<owner>(?i:they|he|she|someone|somebody)(?: from "
    + PARTY
    + r")?|(?i:an? (?:[\w-]+ )?"
    + ROLE_NOUN
    + r")|(?i:"
    + PARTY
    + r")|[A-Z][a-z]+)(?:'ll| will| is going to| are going to)"
    r"(?: (?:personally|definitely|also|then|now|soon))* (?i:" + THIRD_VERBS + r")(?![\w'])"
)
NOT_NAMES = frozenset(
    {"It", "This", "That", "There", "Which", "What", "Who", "Everything", "Nothing", "You", "We", "Someone",
     "Somebody", "They", "He", "She", "I", "Everyone", "Nobody", "Anyone", "Here", "Now", "Then", "Today"}
)  # fmt: skip
REMINDER = re.compile(
    r"(?:I|we)(?:'ve| have) (?:just |also )?(?:set|made|put in|added|scheduled) (?:myself |ourselves |us )?"
    r"an? (?:reminder|note|task|follow-up|callback) to (?P<what>[^.;!?]+)",
    re.IGNORECASE,
)
CONDITION = re.compile(r"\b(?:if|unless|in case)\b", re.IGNORECASE)
NEGATED = re.compile(r"\b(?:can'?t|cannot|not|won'?t|unable to|never)\s+(?:\w+\s+)?$", re.IGNORECASE)
CLAUSE_STOP = re.compile(
    r"[;:]|,? but\b|,? however\b|,? and (?:I|we|you|our|the|my|someone|they)\b|, so (?:I|we|you)\b",
    re.IGNORECASE,
)
FALLBACK_DEADLINE = re.compile(
    r"^\s*if (?:you )?(?:haven'?t|have not|don'?t|do not) (?:heard|hear|got|get|received?)\b", re.IGNORECASE
)
PARTY_WORDS = re.compile(PARTY, re.IGNORECASE)
FROM_PARTY = re.compile(
    r"\b(?:from|by) (?P<party>" + PARTY + r"|me|us|(?:(?:Mr|Mrs|Ms|Mx|Dr|Prof)\.?\s+)?[A-Z][a-z]+)\b",
    re.IGNORECASE,
)
MODAL_VERB = re.compile(
    r"(?:'ll|\bwill|\bshall|going to|\bto)\s+(?:(?:personally|definitely|certainly|also|then|now|first|just|"
    r"make sure to|be sure to)\s+)*(?P<verb>[a-z-]+)",
    re.IGNORECASE,
)
CONTACT_VERBS = frozenset(
    {"call", "ring", "phone", "email", "e-mail", "text", "message", "hear", "contact", "reach", "get", "update",
     "let", "be", "reply", "respond"}
)  # fmt: skip
"""Verbs of getting back to the customer: two such promises by one owner are one follow-up."""
CONTACT_WORDS = re.compile(
    r"\b(?:call|ring|phone|e-?mail|text|message|hear|contact|reach out|in touch|get back|update|let you know)\b",
    re.IGNORECASE,
)
WORD = re.compile(r"[a-z][a-z'-]+")
DUE_WORDS = frozenset(
    {"today", "tomorrow", "tonight", "morning", "afternoon", "evening", "week", "month", "day", "days",
     "hours", "hour", "business", "working", "within", "next", "monday", "tuesday", "wednesday", "thursday",
     "friday", "saturday", "sunday", "right", "away", "soon", "shortly", "decision"}
)  # fmt: skip


CALENDAR_NAMES = frozenset(
    {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december", "noon", "midday", "midnight", "end", "close", "eod", "cob"}
)  # fmt: skip


@dataclass
class _Found:
    turn: int
    start: int
    end: int
    what: str
    owner: str
    due_text: str | None
    beyond_authority: bool = False
    evidence: list[Evidence] = field(default_factory=list)


def find_commitments(
    analysis: ConversationAnalysis, times: Sequence[datetime | None], week: WorkWeek, agent: str
) -> list[Commitment]:
    """Every commitment of the conversation, in the order first made, due times read at ``times``."""
    found: list[_Found] = []
    last_party: str | None = None
    for turn in analysis.turns:
        if turn.role not in SPEAKERS:
            continue
        speaker = _speaker_name(turn, agent)
        for item in _in_turn(turn, speaker, last_party):
            found.append(item)
            if item.owner != speaker:
                last_party = item.owner
        parties = re.findall(PARTY, turn.text, re.IGNORECASE)
        if parties:
            last_party = _without_determiner(parties[-1])
    commitments = [_commitment(item, times, week) for item in found]
    merged = _merge_restated(commitments)
    return [_mark_kept(c, analysis.turns) for c in merged]


def agent_name(analysis: ConversationAnalysis) -> str:
    """The agent's name: the conversation's, else the agent speaker's when it is a name, else 'agent'."""
    if analysis.conversation.agent_name:
        return analysis.conversation.agent_name
    for turn in analysis.turns:
        if turn.role is Role.agent and guess_role(turn.speaker) is None:
            return turn.speaker
    return "agent"


def _speaker_name(turn: TurnAnalysis, agent: str) -> str:
    if turn.role is Role.agent:
        return agent
    return turn.speaker if guess_role(turn.speaker) is None else turn.role.value


# --- finding promises in one turn --------------------------------------------------------


def _in_turn(turn: TurnAnalysis, speaker: str, last_party: str | None) -> list[_Found]:
    text = turn.text
    candidates: list[_Found] = []
    for signal in turn.signals:
        if signal.kind == "promise" and signal.score >= FIRES and signal.evidence:
            start, end = signal.evidence[0].span
            end = _signal_clause_end(text, start, end)
            owner = _owner_in_clause(text[start:end], speaker)
            candidates.append(_found(turn, start, end, owner, bool(signal.data.get("beyond_authority"))))
    for m in FIRST_PERSON.finditer(text):
        candidates.append(
            _found(
                turn,
                m.start(),
                _clause_end(text, m.start()),
                _owner_in_clause(text[m.start() : _clause_end(text, m.start())], speaker),
            )
        )
    for m in THIRD_PARTY.finditer(text):
        party = _third_party_owner(m.group("owner"), text, m.start(), speaker, last_party)
        if party is not None:
            candidates.append(_found(turn, m.start(), _clause_end(text, m.start()), party))
    for m in REMINDER.finditer(text):
        candidates.append(_found(turn, m.start("what"), m.end("what"), speaker))
    kept: list[_Found] = []
    starts: list[int] = []
    reach: list[int] = []  # the furthest end among the kept items up to each one
    for item in sorted(candidates, key=lambda c: c.start):
        # Kept items come in order of start, so those starting before this one ends are a prefix.
        before = bisect_left(starts, item.end) - 1
        if (before >= 0 and reach[before] > item.start) or not _is_commitment(text, item):
            continue
        kept.append(item)
        starts.append(item.start)
        reach.append(max(item.end, reach[-1]) if reach else item.end)
    for item in kept:
        item.due_text = item.due_text or _fallback_deadline(text, item.end)
    return kept


def _found(turn: TurnAnalysis, start: int, end: int, owner: str, beyond: bool = False) -> _Found:
    text = turn.text
    due = find_due(text, start, end)
    return _Found(
        turn=turn.index,
        start=start,
        end=end,
        what=text[start:end].strip(),
        owner=owner,
        due_text=due.group() if due else None,
        beyond_authority=beyond,
        evidence=[span_evidence(turn.index, text, start, end)],
    )


def _is_commitment(text: str, item: _Found) -> bool:
    sentence_start, sentence_end = sentence_around(text, item.start)
    if last_visible(text, sentence_end, sentence_start) == "?":
        return False  # "Shall I call you tomorrow?" asks; it does not promise
    if _found_between(CONDITION, text, sentence_start, item.start):
        return False  # depends on the customer ("if it happens again, I'll close this chat")
    return not NEGATED.search(text, max(0, item.start - 20), item.start)


@lru_cache(maxsize=16)
def _matches(pattern: re.Pattern[str], text: str) -> tuple[list[int], list[re.Match[str]]]:
    """Every match of ``pattern`` in ``text`` and their starts, found once per text.

    A turn asks for each of its promises what came before it; searching the text again each time
    made a turn of thousands of promises quadratic.
    """
    found = list(pattern.finditer(text))
    return [m.start() for m in found], found


def _found_between(pattern: re.Pattern[str], text: str, start: int, end: int) -> bool:
    """Whether a match of ``pattern`` (as found scanning the whole text) lies within ``start``…``end``."""
    starts, found = _matches(pattern, text)
    first = bisect_left(starts, start)
    return first < len(found) and found[first].end() <= end


def _last_before(pattern: re.Pattern[str], text: str, end: int) -> str | None:
    """The last match of ``pattern`` that ends by ``end``, as ``re.findall(pattern, text[:end])`` sees it."""
    starts, found = _matches(pattern, text)
    after = bisect_left(starts, end)
    if after and found[after - 1].end() > end:  # one runs across ``end``: cut there, it may read otherwise
        earlier = pattern.findall(text[:end])
        return earlier[-1] if earlier else None
    return found[after - 1].group() if after else None


def _signal_clause_end(text: str, start: int, end: int) -> int:
    """Where a promise the engine found ends: at our clause end if sooner ("I'll email you today, and our
    team will…" is two), and past a full stop the engine took for a sentence end ("invoice No. 12")."""
    clause_end = _clause_end(text, start)
    _, sentence_end = sentence_around(text, start)
    if text.startswith(".", end) and end + 1 < sentence_end:
        return clause_end
    return min(end, clause_end)


def _clause_end(text: str, start: int) -> int:
    _, sentence_end = sentence_around(text, start)
    limit = min(sentence_end, start + MAX_CLAUSE)
    stop = CLAUSE_STOP.search(text, start, limit)
    return trim_end(text, stop.start() if stop else limit)


def _fallback_deadline(text: str, end: int) -> str | None:
    """'They'll phone you. If you haven't heard by 2:50, call again': 2:50 is the promise's deadline."""
    following = sentences_from(text, end)
    if not following:
        return None
    start, stop = following[0]
    if not FALLBACK_DEADLINE.match(text[start:stop]):
        return None
    due = find_due(text, start, stop)
    return due.group() if due else None


# --- owners ------------------------------------------------------------------------------


def _without_determiner(party: str) -> str:
    return re.sub(r"^(?:our|the|my|your)\s+", "", party.strip(), flags=re.IGNORECASE)


def _owner_in_clause(clause: str, speaker: str) -> str:
    """A first-person promise is the speaker's, unless it names who it comes from ("from our billing team")."""
    named = FROM_PARTY.search(clause)
    if named is None or named.group("party").lower() in ("me", "us") or _is_not_a_name(named.group("party")):
        return speaker
    party = named.group("party")
    return _without_determiner(party) if party[0].islower() or " " in party else party


def _is_not_a_name(party: str) -> bool:
    """One word after "by" that is a time, not who: "by Friday", "by tomorrow", "by March"."""
    if " " in party or PARTY_WORDS.fullmatch(party):
        return False
    return not party[0].isupper() or party.lower() in DUE_WORDS or party.lower() in CALENDAR_NAMES


def _third_party_owner(word: str, text: str, start: int, speaker: str, last_party: str | None) -> str | None:
    head = word.split()[0]
    if head in NOT_NAMES and head.lower() not in ("they", "he", "she", "someone", "somebody"):
        return None
    party = re.search(PARTY, word, re.IGNORECASE)
    if party:
        return _without_determiner(party.group())
    if head.lower() in ("they", "he", "she"):
        # The person or team last named in this turn, else earlier in the conversation.
        earlier = _last_before(PARTY_WORDS, text, start)
        return _without_determiner(earlier) if earlier else last_party or speaker
    if len(word.split()) == 1 and head[0].isupper() and head not in NOT_NAMES:
        return head  # a person named: "Nina will get in touch"
    # "someone will be there", "a technician will call": the one who promised answers for it.
    return speaker


# --- due times, restatements and promises kept -------------------------------------------


def _commitment(item: _Found, times: Sequence[datetime | None], week: WorkWeek) -> Commitment:
    said = times[item.turn] if item.turn < len(times) else None
    due = resolve_due(item.due_text, said, week) if item.due_text and said is not None else None
    return Commitment(
        what=item.what,
        owner=item.owner,
        due=due,
        due_text=item.due_text,
        turn=item.turn,
        evidence=item.evidence,
        beyond_authority=item.beyond_authority,
    )


def content_words(text: str) -> set[str]:
    return {w for w in WORD.findall(text.lower()) if len(w) > 3 and w not in STOPWORDS and w not in DUE_WORDS}


def _verb(text: str) -> str | None:
    found = MODAL_VERB.search(text)
    return found.group("verb").lower() if found else None


def _same_follow_up(first: Commitment, later: Commitment) -> bool:
    if not _same_owner(first.owner, later.owner):
        return False
    if first.due is not None and later.due is not None and first.due != later.due:
        return False
    both_contact = bool(CONTACT_WORDS.search(first.what)) and bool(CONTACT_WORDS.search(later.what))
    return both_contact or bool(content_words(first.what) & content_words(later.what))


def _same_owner(first: str, later: str) -> bool:
    """'technician' and 'on-call technician' are one owner, said more and less fully."""
    a, b = first.lower(), later.lower()
    return a == b or a.endswith(" " + b) or b.endswith(" " + a)


def _merge_restated(commitments: list[Commitment]) -> list[Commitment]:
    merged: list[Commitment] = []
    for commitment in commitments:
        for i, earlier in enumerate(merged):
            if _same_follow_up(earlier, commitment):
                merged[i] = earlier.model_copy(
                    update={
                        "evidence": earlier.evidence + commitment.evidence,
                        "due": earlier.due or commitment.due,
                        "due_text": earlier.due_text or commitment.due_text,
                        "beyond_authority": earlier.beyond_authority or commitment.beyond_authority,
                    }
                )
                break
        else:
            merged.append(commitment)
    return merged


def _mark_kept(commitment: Commitment, turns: Sequence[TurnAnalysis]) -> Commitment:
    """Done when a later turn confirms the same action ("I'll file a request" … "the request is filed")."""
    verb = _verb(commitment.what)
    if verb is None or verb in CONTACT_VERBS:
        return commitment  # getting back to the customer happens after the conversation
    stem = verb[:4]
    words = content_words(commitment.what) - {verb}
    for turn in turns[commitment.turn + 1 :]:
        if turn.role not in SPEAKERS:
            continue
        for signal in turn.signals:
            if signal.kind != "action_taken" or signal.score < FIRES:
                continue
            for item in signal.evidence:
                start, end = sentence_around(turn.text, item.span[0])
                sentence = turn.text[start:end]
                said = content_words(sentence)
                if any(w.startswith(stem) for w in said) and words & said:
                    return commitment.model_copy(
                        update={
                            "status": CommitmentStatus.done,
                            "done_evidence": [span_evidence(turn.index, turn.text, start, end)],
                        }
                    )
    return commitment
