"""The coach's checks: one function per practice, turning a draft's signals into problems and rewrites."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

from calmline.coach.edits import (
    Edit,
    Rewrite,
    capitalise_first,
    cutting,
    drop_sentence,
    insert_before,
    lower_first,
    replace_sentence,
    tidy,
    without_clause,
    without_quotes,
    words,
)
from calmline.coach.wording import choose, variants
from calmline.engine.context import Context
from calmline.engine.detectors.agent_commitments import ADMISSION, DUE
from calmline.engine.detectors.agent_tone import ACRONYMS, BANGS, CAPS_WORD, HEDGE_STRONG, HEDGE_WEAK
from calmline.engine.text import last_visible, sentence_at, sentences
from calmline.model import Evidence, GrievanceStatus, Role, Signal, TurnAnalysis
from calmline.playbook import Playbook

FIRES = 0.5
"""A signal counts from this score on (the engine's state tracker uses the same threshold)."""

READS = frozenset(
    {
        "acknowledgement",
        "action_taken",
        "apology",
        "boundary_statement",
        "canned_repeat",
        "closing",
        "contradiction",
        "further_help_offer",
        "hedging",
        "hostile_tone",
        "minimising",
        "lecture",
        "name_used",
        "negative_phrasing",
        "overpromise",
        "promise",
        "shouting",
        "supervisor_involved",
        "transfer",
    }
)
"""The agent-turn signal kinds read from a draft (by the checks, and for its commitments): re-checking a
rewrite runs only the detectors that set them. (Questions and restatements are read from earlier turns.)"""

T = TypeVar("T")
Span = tuple[int, int]
Strip = Callable[[str], str]
"""Takes the offending phrase out of the sentence it is given."""


@dataclass(frozen=True, slots=True)
class Problem:
    """A finding before it is rendered against the text the agent sees."""

    practice: str
    span: Span
    message: str
    rewrites: tuple[Rewrite, ...]


@dataclass
class Draft:
    """A draft reply with what the checks need to judge it: its signals and the conversation so far."""

    text: str
    context: Context
    signals: Sequence[Signal]
    playbook: Playbook

    @cached_property
    def agent_turns(self) -> list[TurnAnalysis]:
        return self.context.turns_by(Role.agent)

    def found(self, kind: str) -> list[Signal]:
        if kind not in READS:  # a rewrite is re-checked with the detectors of READS only
            raise ValueError(f"the coach's checks read {kind!r}: add it to READS")
        return [s for s in self.signals if s.kind == kind and s.score >= FIRES]

    def has(self, kind: str) -> bool:
        return bool(self.found(kind))

    @cached_property
    def said(self) -> list[str]:
        """What the agent has already sent, so a suggestion does not repeat it (P06)."""
        return [turn.text for turn in self.agent_turns]

    @cached_property
    def acknowledges(self) -> bool:
        """Whether the draft already recognises what the customer went through, so no rewrite adds a
        second acknowledgement. An apology counts, as it does for the live rule and the scorecard."""
        return self.has("acknowledgement") or self.has("apology")

    @cached_property
    def abused(self) -> bool:
        """Whether the customer's last turn insulted the agent (a calm boundary is then called for, P11)."""
        last = self.context.last(Role.customer)
        return last is not None and any(s.kind == "abuse_at_agent" and s.score >= FIRES for s in last.signals)

    @cached_property
    def customer_name(self) -> str | None:
        return self.context.state.customer_name or self.context.conversation.customer_name

    @cached_property
    def address(self) -> str | None:
        """How to address the customer: first name, or title and surname ("Mrs Okafor")."""
        if not self.customer_name:
            return None
        parts = [p for p in self.customer_name.split() if p.strip(".,")]
        if not parts:
            return None
        if parts[0].strip(".").lower() in {"mr", "mrs", "ms", "miss", "mx", "dr", "prof"} and len(parts) > 1:
            return f"{parts[0].strip('.').capitalize()} {parts[-1].capitalize()}"
        return parts[0][:1].upper() + parts[0][1:]

    @cached_property
    def name_unused(self) -> bool:
        """Whether the customer's name is known and the agent has not used it yet (P15)."""
        if not self.address or self.has("name_used") or self.context.state.name_used:
            return False
        return not any(s.kind == "name_used" for turn in self.agent_turns for s in turn.signals)

    @cached_property
    def name_in_wording(self) -> str | None:
        """The name for a suggestion's ``{name}``: none while it is unused, since the P15 fix puts it in
        once (each suggestion adding it too would say it several times in one reply)."""
        return None if self.name_unused else self.address

    def words_for(self, key: str, practice: str, count: int = 2, **values: str) -> list[str]:
        """Wording variants for ``key``, rotated by the number of agent turns so far (P06).

        Kept per draft: a draft of many similar sentences asks for the same wording for each.
        """
        asked = (key, practice, count, tuple(sorted(values.items())))
        if asked not in self._wording:
            seed = len(self.agent_turns) + int(practice[1:])
            self._wording[asked] = choose(
                variants(self.playbook, key),
                seed,
                {"name": self.name_in_wording, **values},
                said=self.said,
                count=count,
            )
        return self._wording[asked]

    @cached_property
    def _wording(self) -> dict[tuple[object, ...], list[str]]:
        return {}

    @cached_property
    def _words(self) -> int:
        return words(self.text)

    def alone(self, span: Span) -> bool:
        """Whether dropping the sentence at ``span`` would leave nothing worth sending (counted once per
        draft: counting the rest of the draft for each sentence was quadratic)."""
        return self._words - words(self.text[span[0] : span[1]]) < 2


def by_sentence(text: str, items: Iterable[tuple[Evidence, T]]) -> dict[Span, list[tuple[Evidence, T]]]:
    """Items grouped by the sentence their evidence falls in, in reading order."""
    groups: dict[Span, list[tuple[Evidence, T]]] = {}
    for item in sorted(items, key=lambda pair: pair[0].span):
        groups.setdefault(sentence_at(text, item[0].span[0]), []).append(item)
    return groups


GREETING = re.compile(r"(?:hi|hello|hey|dear|good (?:morning|afternoon|evening))\b", re.IGNORECASE)


def quoted(text: str) -> str:
    return f"“{text.strip()}”"


def replacing(span: Span, options: Iterable[str]) -> list[Rewrite]:
    return [(replace_sentence(span, option),) for option in options]


def mending(
    d: Draft, span: Span, quote: Evidence, practice: str, key: str | None, strip: Strip | None = None
) -> list[Rewrite]:
    """Ways to mend one sentence, the agent's own words first: take out the offending phrase (where
    ``strip`` leaves a sentence), or its clause, or the sentence; last, say it in ``key``'s wording.

    The phrase and clause cuts are found again by their words when applied, so they survive redaction.
    """
    sentence = d.text[span[0] : span[1]]
    start, end = quote.span[0] - span[0], quote.span[1] - span[0]
    rewrites: list[Rewrite] = []
    if strip is not None and words(strip(sentence)) >= 2:
        rewrites.append((Edit(*span, strip),))
    if without_clause(sentence, start, end):
        rewrites.append((Edit(*span, cutting(quote.quote)),))
    if rewrites:
        return rewrites  # the rest of the sentence is the agent's own point: never replace or drop it
    if not d.alone(span):
        rewrites.append((drop_sentence(d.text, span),))
    if key is not None:
        rewrites += replacing(span, d.words_for(key, practice))
    return rewrites


# --- P01: stay calm -------------------------------------------------------------------------

TONE_ORDER = ("calm_down", "tone_policing", "anger", "defensive", "sarcasm")
TONE_MESSAGES = {
    "calm_down": "{quote} tends to inflame; acknowledge the feeling instead.",
    "tone_policing": "{quote} polices how they speak; let them vent about the problem (a calm boundary is "
    "only for insults aimed at you).",
    "anger": "{quote} lets your own frustration show; a steady line keeps you in charge of the call.",
    "defensive": "{quote} sounds defensive; they need to hear that you'll help, not whose fault it was.",
    "sarcasm": "{quote} can read as sarcastic; say it plainly or leave it out.",
}


def check_tone(d: Draft) -> list[Problem]:
    items = [(e, str(s.data.get("category", "sarcasm"))) for s in d.found("hostile_tone") for e in s.evidence]
    problems = []
    bounded = False
    for span, found in by_sentence(d.text, items).items():
        categories = {category for _, category in found}
        worst = next((c for c in TONE_ORDER if c in categories), found[0][1])
        first = next(e for e, c in found if c == worst)
        message = TONE_MESSAGES.get(worst, TONE_MESSAGES["sarcasm"]).format(quote=quoted(first.quote))
        # A one-word aside ("Obviously the form…") comes out; a longer phrase is its clause or sentence.
        asides = [e.quote for e, c in found if c == "sarcasm" and " " not in e.quote.strip()]
        strip = without_quotes(asides) if asides and worst == "sarcasm" else None
        rewrites = mending(d, span, first, "P01", _calmer_words(d, worst), strip)
        if worst == "tone_policing" and d.abused and not bounded:
            # Insults aimed at the agent call for a calm boundary (P11), said once.
            rewrites = replacing(span, d.words_for("boundary", "P01", count=1)) + rewrites
            bounded = True
        problems.append(Problem("P01", first.span, message, tuple(rewrites)))
    problems += _check_shouting(d)
    return problems


def _calmer_words(d: Draft, category: str) -> str:
    """The wording that replaces a hostile sentence: an acknowledgement, unless the draft has one or the
    P02 check will put one in front (two would be one too many)."""
    if category == "defensive":
        return "ownership"
    if category in {"calm_down", "tone_policing"} and not d.acknowledges and customer_feeling(d) is None:
        return "acknowledge"
    return "calm_reply"


def _calm_case(text: str) -> str:
    """Capitals to ordinary case (acronyms kept) and "!!" runs to a single mark."""

    def lower(m: re.Match[str]) -> str:
        word = m.group()
        if word.replace("'", "") in ACRONYMS:
            return word
        before = last_visible(text, m.start())  # slicing the text up to each capital word was quadratic
        starts_sentence = before is None or before in ".!?"
        return word.capitalize() if starts_sentence else word.lower()

    calmer = CAPS_WORD.sub(lower, text)
    return BANGS.sub(lambda m: "?" if "?" in m.group() else ".", calmer)


def _check_shouting(d: Draft) -> list[Problem]:
    found = [e for s in d.found("shouting") for e in s.evidence]
    if not found:
        return []
    first, last = min(e.span[0] for e in found), max(e.span[1] for e in found)
    # The edit covers whole sentences so _calm_case can tell a sentence's first word from the rest.
    region = (sentence_at(d.text, first)[0], sentence_at(d.text, last - 1)[1])
    caps = any(e.quote[:1].isalpha() for e in found)
    what = (
        "Capitals and “!!”"
        if caps and any("!" in e.quote for e in found)
        else ("Capitals" if caps else "Runs of “!!”")
    )
    message = f"{what} read as shouting; let the words carry the weight."
    return [Problem("P01", (first, last), message, ((Edit(*region, _calm_case),),))]


# --- P02: empathy first ---------------------------------------------------------------------

UPSET_KINDS = {
    "anger": "angry",
    "abuse_at_agent": "angry",
    "shouting": "upset",
    "venting": "frustrated",
    "distress": "worried or upset",
    "negative": "unhappy",
    "upset": "upset",
}
WORRIED = "worried or upset"


def customer_feeling(d: Draft) -> str | None:
    """How the customer's last turn sounds ("angry", "worried or upset"…), if it sounds upset at all."""
    last = d.context.last(Role.customer)
    if last is None:
        return None
    return next(
        (
            UPSET_KINDS[s.kind]
            for s in sorted(last.signals, key=lambda s: -s.score)
            if s.kind in UPSET_KINDS and s.score >= FIRES
        ),
        "upset" if d.context.state.mood <= -2 else None,
    )


def _acknowledgements(d: Draft, feeling: str | None) -> list[str]:
    key = "acknowledge_worry" if feeling == WORRIED else "acknowledge"
    return d.words_for(key, "P02")


def check_acknowledgement(d: Draft) -> list[Problem]:
    # A boundary statement answers abuse (P11); asking for empathy on top of it would be noise.
    if d.acknowledges or d.has("boundary_statement") or _minimised(d):
        return []
    feeling = customer_feeling(d)
    if feeling is None or _acknowledged_since_last_customer_turn(d):
        return []
    first = sentences(d.text)[0]
    message = f"They sound {feeling}. Name the feeling before the fix; acknowledging isn't agreeing."
    rewrites = [(_insert_opening(d, ack),) for ack in _acknowledgements(d, feeling)]
    return [Problem("P02", first, message, tuple(rewrites))]


def _acknowledged_since_last_customer_turn(d: Draft) -> bool:
    last = d.context.last(Role.customer)
    return last is not None and any(
        turn.index > last.index and any(s.kind == "acknowledgement" for s in turn.signals)
        for turn in d.agent_turns
    )


def _insert_opening(d: Draft, words_: str) -> Edit:
    """``words_`` at the start of the reply, after a greeting ("Hi Maria, …") if it opens with one."""
    spans = sentences(d.text)
    start, end = spans[0]
    greeting = GREETING.match(d.text, start, end)
    if greeting is None:
        return insert_before(start, words_)
    if len(spans) > 1 and words(d.text[start:end]) <= 4:
        return insert_before(spans[1][0], words_)  # "Hi Maria!" stands alone
    comma = d.text.find(",", greeting.end(), end)
    if comma < 0 or comma - greeting.end() > 30:
        return insert_before(start, words_)
    return Edit(comma + 1, end, lambda rest: f" {words_} {capitalise_first(rest.strip())}")


def _minimised(d: Draft) -> list[Evidence]:
    return [e for s in d.found("minimising") for e in s.evidence]


def check_minimising(d: Draft) -> list[Problem]:
    """The draft makes the problem sound small; not raised when it also names the feeling (the brief's
    rule: an acknowledgement in any words answers P02)."""
    if d.acknowledges:
        return []
    problems = []
    for span, found in by_sentence(d.text, [(e, None) for e in _minimised(d)]).items():
        first = found[0][0]
        rewrites = mending(d, span, first, "P02", None)
        rewrites += replacing(span, _acknowledgements(d, customer_feeling(d)))
        message = (
            f"{quoted(first.quote)} makes their problem sound small; name how it's affected them instead."
        )
        problems.append(Problem("P02", first.span, message, tuple(rewrites)))
    return problems


# --- P05: no lecture, no blame --------------------------------------------------------------

LECTURE_ORDER = ("blame", "preach", "reminder")
LECTURE_MESSAGES = {
    "blame": "{quote} puts the blame on the customer; focus on what happens next.",
    "preach": "{quote} recites the rules at the customer; explain what you can do rather than the rule.",
    "reminder": "{quote} can sound like a telling-off; just give the information again.",
}
# Frames that wrap the information without adding to it: "As I said, …", "Per our policy, …",
# "Our policy states that …". Taking them out leaves the agent's information.
FRAME = re.compile(
    r"^(?:you (?:need|have|ought|got) to understand|(?:according to|per|as per|in line with|in accordance with|"
    r"as (?:clearly )?(?:stated|outlined|set out|laid out|explained|detailed|specified) in) |(?:our|the) "
    r"(?:\w+ )?(?:policy|terms) (?:clearly )?(?:states?|says?))",
    re.IGNORECASE,
)
LEADING_THAT = re.compile(r"^that\s+", re.IGNORECASE)


def check_lecture(d: Draft) -> list[Problem]:
    items = [(e, str(s.data.get("category", "blame"))) for s in d.found("lecture") for e in s.evidence]
    problems = []
    for span, found in by_sentence(d.text, items).items():
        categories = {category for _, category in found}
        worst = next((c for c in LECTURE_ORDER if c in categories), found[0][1])
        first = next(e for e, k in found if k == worst)
        framed = all(k == "reminder" or FRAME.match(e.quote) for e, k in found)
        strip = _without_frames([e.quote for e, _ in found]) if framed else None
        rewrites = mending(d, span, first, "P05", "forward_looking", strip)
        message = LECTURE_MESSAGES.get(worst, LECTURE_MESSAGES["blame"]).format(quote=quoted(first.quote))
        problems.append(Problem("P05", first.span, message, tuple(rewrites)))
    return problems


def _without_frames(quotes: list[str]) -> Strip:
    strip = without_quotes(quotes)
    return lambda sentence: capitalise_first(LEADING_THAT.sub("", strip(sentence)))


# --- P06: not a robot -----------------------------------------------------------------------


def check_canned(d: Draft) -> list[Problem]:
    problems = []
    for signal in d.found("canned_repeat"):
        for item in signal.evidence:
            span = sentence_at(d.text, item.span[0])
            # Said again on purpose (a promise restated), it needs new framing, not new content.
            rewrites: list[tuple[Edit, ...]] = [
                (Edit(*span, _prefixed(prefix)),) for prefix in d.words_for("reconfirm", "P06", count=1)
            ]
            rewrites += replacing(span, d.words_for("fresh_angle", "P06", count=1))
            if not d.alone(span):
                rewrites.append((drop_sentence(d.text, span),))
            message = "You've already sent this exact line; word for word again, it sounds scripted."
            problems.append(Problem("P06", item.span, message, tuple(rewrites)))
    return problems


# --- P07: say what you can do ---------------------------------------------------------------

NEGATION_CORE = re.compile(
    r"(?:can'?t|cannot|can not|unable to|not able to|be able to|don'?t|do not|won'?t)$", re.IGNORECASE
)
CLAUSE_BREAK = re.compile(
    r"[,.;:!?—–]|\b(?:because|since|as|but|unless|until|so|though|although|if|when|and then)\b", re.IGNORECASE
)
LEAD_FILLERS = {"you", "to", "about", "with", "for", "on", "anything", "any", "that", "this", "it", "do"}
VAGUE = {"that", "this", "it", "those", "these", "you", "anything", "so", "more", "else"}
BUT_CLAUSE = re.compile(r",?\s+but\s+", re.IGNORECASE)


def topic_after(text: str, item: Evidence, end: int) -> str:
    """What a negative phrase was about: "we can't refund the fee" → "the fee"; else "this"."""
    clause = CLAUSE_BREAK.split(text[item.span[1] : end], maxsplit=1)[0]
    tokens = clause.split()
    if NEGATION_CORE.search(item.quote) and tokens:
        tokens = tokens[1:]  # the verb: "refund", "change", "give"
    while len(tokens) > 1 and tokens[0].lower() in LEAD_FILLERS:
        tokens = tokens[1:]
    vague = len(tokens) == 1 and tokens[0].lower() in VAGUE
    if not tokens or len(tokens) > 6 or vague or "[" in clause:  # never echo a redacted placeholder
        return "this"
    return " ".join(tokens)


def check_negative(d: Draft) -> list[Problem]:
    items = [(e, None) for s in d.found("negative_phrasing") for e in s.evidence]
    problems = []
    for span, found in by_sentence(d.text, items).items():
        if ADMISSION.search(d.text, span[0], span[1]):
            continue  # owning a correction ("I told you wrong: we can't refund it") is P17 done right
        first, last = found[0][0], found[-1][0]
        rewrites: list[Rewrite] = []
        but = BUT_CLAUSE.search(d.text, last.span[1], span[1])
        if but and words(d.text[but.end() : span[1]]) >= 3:
            # "We can't refund it, but I can credit you" → lead with the part that helps.
            rewrites.append((Edit(span[0], but.end(), ""), Edit(but.end(), but.end() + 1, capitalise_first)))
        topic = topic_after(d.text, first, span[1])
        sentence = d.text[span[0] : span[1]]
        # "There's nothing I can do, as…" says nothing the rest of the sentence doesn't; "we can't change
        # the date because…" does, and is rephrased around its topic instead.
        if topic == "this" and without_clause(sentence, first.span[0] - span[0], last.span[1] - span[0]):
            rewrites.append((Edit(*span, cutting(first.quote)),))
        rewrites += replacing(span, d.words_for("affirmative_opening", "P07", topic=topic))
        message = f"{quoted(first.quote)} leads with what can't happen; lead with what you can do."
        problems.append(Problem("P07", first.span, message, tuple(rewrites)))
    return problems


# --- P08: don't pass it on ------------------------------------------------------------------


def _any_within(positions: list[int], span: Span) -> bool:
    """Whether one of the sorted ``positions`` falls in ``span`` (by bisection: sentences times
    positions was quadratic)."""
    first = bisect_left(positions, span[0])
    return first < len(positions) and positions[first] < span[1]


def check_transfer(d: Draft) -> list[Problem]:
    boss = sorted(e.span[0] for s in d.found("supervisor_involved") for e in s.evidence)
    items = [(e, None) for s in d.found("transfer") for e in s.evidence]
    groups = {
        span: found
        for span, found in by_sentence(d.text, items).items()
        # Handing over to a supervisor is escalating (P10), not passing the customer around.
        if not _any_within(boss, span)
    }
    if not groups:
        return []
    earlier = max(
        d.context.state.transfer_count,
        sum(any(s.kind == "transfer" and s.score >= FIRES for s in t.signals) for t in d.agent_turns),
    )
    listened = any(
        s.kind in {"clarifying_question", "restatement"} and s.score >= FIRES
        for turn in d.agent_turns
        for s in turn.signals
    )
    early = len(d.agent_turns) < 2 or not listened
    if not earlier and not early:
        return []
    if earlier:
        times = "once" if earlier == 1 else f"{earlier} times"
        message = f"They've already been transferred {times}; another hand-off is likely to frustrate them."
        key = "stay_with_customer"
    else:
        message = "This transfer comes early: ask a question or two first and see whether you can solve it."
        key = "clarify_before_transfer"
    grievances = [g for g in d.context.state.grievances if g.status is not GrievanceStatus.addressed]
    topic = (grievances[-1].label or grievances[-1].topic) if grievances else "the problem"
    return [
        Problem(
            "P08", found[0][0].span, message, tuple(replacing(span, d.words_for(key, "P08", topic=topic)))
        )
        for span, found in groups.items()
    ]


# --- P09: only promises you can keep --------------------------------------------------------

TOPIC_NOUN = re.compile(
    r"\b(refund|credit|replacement|delivery|engineer|technician|repair|compensation|fee|charge|order|"
    r"package|parcel|bill|appointment|connection|service|installation|voucher|discount|outage)s?\b",
    re.IGNORECASE,
)


def check_promises(d: Draft) -> list[Problem]:
    items: list[tuple[Evidence, Signal]] = [(e, s) for s in d.found("overpromise") for e in s.evidence]
    items += [(e, s) for s in d.found("promise") if s.data.get("beyond_authority") for e in s.evidence]
    problems = []
    for span, found in by_sentence(d.text, items).items():
        found.sort(key=lambda pair: pair[1].kind != "overpromise")
        first, signal = found[0]
        sentence = d.text[span[0] : span[1]]
        noun = TOPIC_NOUN.search(sentence)
        due = DUE.search(sentence)
        options = d.words_for(
            "keepable_commitment",
            "P09",
            topic=f"the {noun.group(1).lower()}" if noun else "this",
            when=due.group() if due else "as soon as I have an answer",
        )
        problems.append(
            Problem("P09", first.span, _promise_message(signal, first), tuple(replacing(span, options)))
        )
    return problems


def _promise_message(signal: Signal, item: Evidence) -> str:
    category = signal.data.get("category")
    if category == "refund_limit":
        amount, limit = signal.data.get("amount"), signal.data.get("max_refund")
        return f"A refund of {amount:g} is above your limit of {limit:g}; check with your supervisor before offering it."
    if category == "certain_outcome":
        return (
            f"{quoted(item.quote)} depends on things outside your hands; promise the update, not the outcome."
        )
    return (
        f"{quoted(item.quote)} promises an outcome you can't control; commit to what you can do, and by when."
    )


# --- P15: use their name --------------------------------------------------------------------


def check_name(d: Draft) -> list[Problem]:
    name = d.address
    if not name or not d.name_unused or not d.text.strip():
        return []
    start, end = sentences(d.text)[0]
    stop = end
    while stop > start and d.text[stop - 1] in ".!?":
        stop -= 1
    greeting = GREETING.match(d.text, start, end)
    rewrites: list[Rewrite] = [(Edit(stop, stop, f", {name}"),)]
    if greeting:
        rewrites.insert(0, (Edit(greeting.end(), greeting.end(), f" {name}"),))
    else:
        rewrites.append((Edit(start, end, lambda old: f"{name}, {lower_first(old)}"),))
    message = f"You know their name ({name}) but haven't used it yet; once makes the reply feel personal."
    return [Problem("P15", (0, 0), message, tuple(rewrites))]


# --- P17: honest and assertive --------------------------------------------------------------

HEDGE_REMOVALS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(might|may|could) possibly\b", re.IGNORECASE), r"\1"),
    (re.compile(r"\bI think (?=it might)", re.IGNORECASE), ""),
    (
        re.compile(
            r"\bI'?m not (?:really |totally |entirely |completely |100% )?sure,? but\b,?", re.IGNORECASE
        ),
        "",
    ),
    (re.compile(r"\bdon'?t quote me(?: on (?:that|this))?\b,?", re.IGNORECASE), ""),
    (
        re.compile(
            r"\b(?:I think maybe|maybe possibly|I guess|I suppose|I believe maybe|I'?d imagine|hopefully|"
            r"fingers crossed|in theory|more or less|probably|maybe|perhaps|kinda|sorta)\b,?",
            re.IGNORECASE,
        ),
        "",
    ),
)


def without_hedges(sentence: str) -> str | None:
    """``sentence`` with its hedges taken out, or None when that would not leave a clear sentence."""
    plain = sentence
    for pattern, replacement in HEDGE_REMOVALS:
        plain = pattern.sub(replacement, plain)
    plain = capitalise_first(tidy(plain))
    if plain == sentence or words(plain) < 3 or HEDGE_STRONG.search(plain) or HEDGE_WEAK.search(plain):
        return None
    return plain


def check_honesty(d: Draft) -> list[Problem]:
    problems = []
    items = [(e, None) for s in d.found("hedging") for e in s.evidence]
    for span, found in by_sentence(d.text, items).items():
        first = found[0][0]
        rewrites: list[Rewrite] = []
        plain = without_hedges(d.text[span[0] : span[1]])
        if plain:
            rewrites.append((Edit(*span, lambda old: without_hedges(old) or old),))
        options = d.words_for(
            "honest_check", "P17", count=1 if plain else 2, topic="that", when="as soon as I have an answer"
        )
        rewrites += replacing(span, options)
        message = f"{quoted(first.quote)} sounds unsure; say what you know, or say you'll check."
        problems.append(Problem("P17", first.span, message, tuple(rewrites)))
    for signal in d.found("contradiction"):
        item = signal.evidence[0]
        span = sentence_at(d.text, item.span[0])
        earlier = str(signal.data.get("earlier_quote", "")).strip()
        rewrites = [
            (Edit(span[0], span[1], _prefixed(prefix)),) for prefix in d.words_for("correction", "P17")
        ]
        message = (
            f"Earlier you said {quoted(earlier)}; this says the opposite. If it changed, say so openly."
            if earlier
            else "This contradicts what you said earlier; if it changed, say so openly."
        )
        problems.append(Problem("P17", item.span, message, tuple(rewrites)))
    return problems


def _prefixed(prefix: str) -> Callable[[str], str]:
    return lambda sentence: f"{prefix} {lower_first(sentence)}"


# --- P20: end on a high note ----------------------------------------------------------------


def check_closing(d: Draft) -> list[Problem]:
    closings = [e for s in d.found("closing") for e in s.evidence]
    # Ending a conversation because of abuse (P11) is not the moment to offer more help.
    if not closings or d.has("further_help_offer") or d.has("boundary_statement"):
        return []
    previous = d.context.last(Role.agent)
    if previous and any(s.kind == "further_help_offer" and s.score >= FIRES for s in previous.signals):
        return []
    first = min(closings, key=lambda e: e.span)
    span = sentence_at(d.text, first.span[0])
    rewrites = [(insert_before(span[0], offer),) for offer in d.words_for("further_help", "P20")]
    message = "Before the goodbye, ask whether there's anything else you can help with."
    return [Problem("P20", first.span, message, tuple(rewrites))]


CHECKS: tuple[Callable[[Draft], list[Problem]], ...] = (
    check_tone,
    check_acknowledgement,
    check_minimising,
    check_lecture,
    check_canned,
    check_negative,
    check_transfer,
    check_promises,
    check_name,
    check_honesty,
    check_closing,
)
"""Every check the coach runs, one per practice (P01 covers tone and shouting; P02 a missing
acknowledgement and minimising)."""
