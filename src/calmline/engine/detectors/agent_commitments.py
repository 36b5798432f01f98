"""Agent-turn detectors of what the agent commits to and does: promises, transfers, actions, closing."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from calmline.engine.context import Context
from calmline.engine.detectors._phrase import AGENT, PhraseDetector
from calmline.engine.registry import register
from calmline.engine.text import (
    MAX_CLAUSE,
    STOPWORDS,
    evidence,
    last_visible,
    phrases,
    sentence_at,
    sentences,
    trim_end,
)
from calmline.model import Evidence, Role, Signal, Turn

# --- commitments: shared parsing ---------------------------------------------------------

COMMITMENT = re.compile(
    r"(?<![\w'])(?:"
    r"(?:I|we)(?:'ll| will| shall|'m going to| am going to|'re going to| are going to)"
    r"(?: (?:personally|definitely|certainly|absolutely|also|then|now|first|just|be sure to|"
    r"make sure to|try to))* (?:call|ring|phone|e-?mail|text|message|send|get back|come back|"
    r"follow up|update|contact|process|issue|refund|credit|reimburse|compensate|arrange|book|"
    r"schedule|escalate|raise|fix|sort|resolve|repair|replace|ship|deliver|dispatch|reply|respond|"
    r"let you know|reach out|look into|look at|find out|confirm|check|investigate|chase|waive|cancel|reverse|reset|"
    r"reconnect|restore|have(?! to)|get|make sure|keep|monitor|order|expedite|speak|talk|pass|give|pay)"
    r"|you(?:'ll| will| should) (?:receive|get|see|hear|be (?:refunded|credited|contacted|"
    r"called|sent|reimbursed|compensated|reconnected))|you(?:'ll| will) have(?! to)"
    r"|(?:it|this|that|the \w+|your \w+) (?:will|'ll) (?:definitely |certainly )?(?:be (?:refunded|"
    r"credited|fixed|delivered|sent|shipped|resolved|processed|back|sorted|restored|repaired|"
    r"replaced|reconnected|waived|cancel+ed|reversed|there|with you|done|ready)|arrive|reach you)"
    r")(?![\w'])",
    re.IGNORECASE,
)
CLAUSE_END = re.compile(r"[;:]|,? but\b|,? however\b", re.IGNORECASE)
NUMBER_WORDS = (
    r"(?:\d+|an?|one|two|three|four|five|six|seven|ten|fourteen|twenty-four|"
    r"forty-eight|a few|a couple of)"
)
DAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
DUE = re.compile(
    r"\b(?:today|tonight|tomorrow(?: (?:morning|afternoon|evening))?|this (?:afternoon|evening|"
    r"week)|(?:by|before|on|until) (?:the end of (?:the |today|this )?(?:day|week|month)|"
    r"end of (?:day|week)|eod|" + DAY + r"|tonight|tomorrow|noon|midday|"
    r"\d{1,2}(?::\d{2})?\s?(?:am|pm)?)|next (?:week|month|" + DAY + r")|"
    r"(?:within|in) " + NUMBER_WORDS + r" (?:business |working )?(?:hours?|days?|weeks?|minutes?)"
    r"|right away|straight away|immediately|asap|as soon as possible)\b",
    re.IGNORECASE,
)
# An amount before its unit starts a number and is at most 24 digits and commas, read once (possessive):
# otherwise a run "1,2,3,…" is re-read from each of its digits looking for the unit.
AMOUNT = re.compile(
    r"[$£€]\s?(?P<a>\d[\d,]*+(?:\.\d{1,2})?)|(?P<b>\d(?<![\d,]\d)[\d,]{0,23}+(?:\.\d{1,2})?)\s?"
    r"(?:dollars|pounds|euros|usd|gbp|eur|bucks)\b",
    re.IGNORECASE,
)
MONEY_CONTEXT = re.compile(
    r"\b(?:refund\w*|credit\w*|reimburs\w*|compensat\w*|back|voucher|discount|goodwill|waive\w*|"
    r"off|pay(?:ment)?|gesture)\b",
    re.IGNORECASE,
)
OFFER = re.compile(
    r"\b(?:(?:I|we)(?:'ll| will| can| could|'m going to| am going to|'d like to| would like to)|"
    r"you(?:'ll| will) (?:get|receive|have|see))\b",
    re.IGNORECASE,
)
NEGATED_BEFORE = re.compile(
    r"\b(?:can'?t|cannot|not|won'?t|unable to|no|never)\s+(?:\w+\s+)?$", re.IGNORECASE
)


def amounts(text: str, start: int = 0, end: int | None = None) -> list[tuple[float, int, int]]:
    """Money amounts in ``text[start:end]`` with their spans."""
    found = []
    for m in AMOUNT.finditer(text, start, len(text) if end is None else end):
        raw = (m.group("a") or m.group("b")).replace(",", "")
        found.append((float(raw), m.start(), m.end()))
    return found


def refund_over_limit(text: str, start: int, end: int, max_refund: float) -> float | None:
    """The largest amount above ``max_refund`` that this sentence offers back, if any."""
    if not (MONEY_CONTEXT.search(text, start, end) and OFFER.search(text, start, end)):
        return None
    over = [
        value
        for value, s, _ in amounts(text, start, end)
        # A negation and one word fit in 48 characters; searching from the sentence start instead
        # read the sentence again for each amount in it (quadratic on a list of amounts).
        if value > max_refund and not NEGATED_BEFORE.search(text, max(start, s - 48), s)
    ]
    return max(over, default=None)


def clause_end(text: str, start: int) -> int:
    """Where the clause that starts at ``start`` ends: sentence end, or a ';' or ', but' (read up to
    ``MAX_CLAUSE`` characters)."""
    _, sentence_end = sentence_at(text, start)
    limit = min(sentence_end, start + MAX_CLAUSE)
    stop = CLAUSE_END.search(text, start, limit)
    return trim_end(text, stop.start() if stop else limit)


def due_phrase(text: str, start: int, end: int) -> str | None:
    found = DUE.search(text, start, end)
    return found.group() if found else None


# --- unconditional guarantees (P09): read by both the promise and the overpromise detector ------

GUARANTEE = phrases(
    [
        r"(?:I|we) (?:can )?(?:personally |absolutely )?guarantee",
        r"guaranteed",
        r"I promise(?: you)?(?= (?:this|it|that|you|we|your|the)\b)",
        r"(?:this|it|that)(?:'ll| will) never happen again",
        r"never (?:happen|occur) again",
        r"(?:this|it|that) (?:won'?t|will not) happen again",
        r"100 ?(?:%|percent)(?! (?:of|refund))",
        r"a hundred percent",
        r"without (?:fail|a doubt)",
        r"no matter what",
        r"free (?:for life|forever)",
        r"never be charged again",
    ]
)
# "I can definitely look into that" is a fine commitment; "definitely by tonight" is not.
CERTAIN_OUTCOME = phrases(
    [
        r"(?:(?<=will )|(?<='ll )|(?<=be ))(?:definitely|absolutely|certainly|for sure) (?:be |arrive|get|have|work|"
        r"fix|sort|resolve|happen|reach|come|go through)",
        r"(?:definitely|absolutely|certainly|for sure) (?:be )?(?:by|before|within|today|tonight|"
        r"tomorrow|arrive|fixed|resolved|refunded|delivered|sorted|working|there|back)",
    ]
)


def _not_negated(text: str, match: re.Match[str]) -> bool:
    return not NEGATED_BEFORE.search(text, max(0, match.start() - 20), match.start())


def unconditional(text: str, start: int = 0, end: int | None = None) -> list[tuple[str, re.Match[str]]]:
    """Guarantees and certain outcomes in ``text[start:end]``, by category, that are not negated."""
    stop = len(text) if end is None else end
    return [
        (category, m)
        for category, pattern in (("guarantee", GUARANTEE), ("certain_outcome", CERTAIN_OUTCOME))
        for m in pattern.finditer(text, start, stop)
        if _not_negated(text, m)
    ]


# --- promise (P09, P18) -----------------------------------------------------------------


class PromiseDetector:
    """A commitment the agent makes; ``data``: text (the clause), due, beyond_authority (P09, P18).

    Beyond authority: an unconditional guarantee, or money back above ``max_refund``, unless the
    clause is one of the playbook's ``may_promise`` phrases.
    """

    name = "calmline.promise.v1"
    roles = AGENT

    def __init__(self, max_refund: float = 50.0, may_promise: Sequence[str] = ()) -> None:
        self.max_refund = max_refund
        self.may_promise = tuple(p.lower() for p in may_promise)

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        text = turn.text
        signals = []
        # Each sentence judged once however many promises it holds (it was read again per promise).
        over_limit: dict[tuple[int, int], bool] = {}
        for m in COMMITMENT.finditer(text):
            if NEGATED_BEFORE.search(text, max(0, m.start() - 20), m.start()):
                continue
            end = clause_end(text, m.start())
            clause = text[m.start() : end]
            due = due_phrase(text, m.start(), end)
            beyond = self._beyond_authority(text, m.start(), end, over_limit)
            signals.append(
                Signal(
                    kind="promise",
                    score=0.9 if due or beyond else 0.7,
                    evidence=[evidence(context.index, text, m.start(), end)],
                    practice="P09" if beyond else "P18",
                    detector=self.name,
                    data={"text": clause, "due": due, "beyond_authority": beyond},
                )
            )
        return signals

    def _beyond_authority(
        self, text: str, start: int, end: int, over_limit: dict[tuple[int, int], bool]
    ) -> bool:
        clause = text[start:end].lower()
        if any(allowed in clause for allowed in self.may_promise):
            return False
        sentence = sentence_at(text, start)
        if sentence not in over_limit:
            over_limit[sentence] = self._sentence_over_limit(text, *sentence)
        return over_limit[sentence]

    def _sentence_over_limit(self, text: str, start: int, end: int) -> bool:
        if unconditional(text, start, end):
            return True
        return refund_over_limit(text, start, end, self.max_refund) is not None


@register("calmline.promise.v1", assigns=["promise"])
def make_promise(max_refund: float = 50.0, may_promise: Sequence[str] = ()) -> PromiseDetector:
    return PromiseDetector(max_refund, may_promise)


# --- overpromise (P09) ------------------------------------------------------------------


class Overpromise:
    """Unconditional guarantees, certain deadlines and refunds above the agent's authority (P09)."""

    name = "calmline.overpromise.v1"
    roles = AGENT

    def __init__(self, max_refund: float = 50.0) -> None:
        self.max_refund = max_refund

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        text, index = turn.text, context.index
        signals = []
        found = unconditional(text)
        for category in ("guarantee", "certain_outcome"):
            spans = [evidence(index, text, m.start(), m.end()) for c, m in found if c == category]
            if spans:
                signals.append(self._signal(spans, {"category": category}))
        for start, end in sentences(text):
            over = refund_over_limit(text, start, end, self.max_refund)
            if over is not None:
                signals.append(
                    self._signal(
                        [evidence(index, text, start, end)],
                        {"category": "refund_limit", "amount": over, "max_refund": self.max_refund},
                    )
                )
        return signals

    def _signal(self, found: list[Evidence], data: dict[str, object]) -> Signal:
        return Signal(
            kind="overpromise", score=0.85, evidence=found, practice="P09", detector=self.name, data=data
        )


@register("calmline.overpromise.v1", assigns=["overpromise"])
def make_overpromise(max_refund: float = 50.0) -> Overpromise:
    return Overpromise(max_refund)


# --- transfer (P08) and supervisor (P10) ------------------------------------------------

TEAM = r"(?:another|a different|the other|our other|the (?:\w+ )?(?:department|team))"
TRANSFER = phrases(
    [
        r"(?:let me|allow me to|I(?:'ll| will|'m going to| am going to| need to| have to|'m gonna| can)?)"
        r" transfer you",
        r"transferring you(?: now| over)?",
        r"(?:let me|I'?ll|I will|I'?m going to|I need to) (?:put|pass|hand|send) you (?:through|over|on)"
        r"(?: to)?",
        r"putting you through(?: to)?",
        r"(?:I'?ll|let me|I'?m going to) connect you (?:with|to)",
        r"(?:connecting|passing) you (?:to|over|through)",
        r"you(?:'ll| will)? (?:need|have) to (?:call|contact|ring|speak (?:to|with)|talk (?:to|with)|"
        r"e-?mail|reach out to|go through) " + TEAM + r"(?: department| team)?",
        r"(?:that'?s|that is|this is) (?:handled by|dealt with by|a matter for|a question for) "
        + TEAM
        + r"(?: department| team)?",
        r"you(?:'ve| have) (?:come to|reached|got) the wrong (?:department|team|line|number)",
        r"(?:that'?s|that is|it'?s) not (?:my|our) department",
        r"I'?ll (?:need to |have to )?(?:send|refer) you to " + TEAM + r"(?: department| team)?",
    ]
)


@register("calmline.transfer.v1", assigns=["transfer"])
def make_transfer() -> PhraseDetector:
    return PhraseDetector("calmline.transfer.v1", "transfer", "P08", TRANSFER, 0.9)


BOSS = (
    r"(?:my|a|the|our) (?:supervisor|manager|team ?lead(?:er)?|line manager|senior "
    r"(?:colleague|agent|advisor|adviser)|duty manager|shift lead)"
)
SUPERVISOR = phrases(
    [
        r"(?:bring(?:ing)? in|get(?:ting)?|fetch(?:ing)?|ask(?:ing)?|check(?:ing)? with|"
        r"speak(?:ing)? (?:to|with)|talk(?:ing)? (?:to|with)|loop(?:ing)? in|involv(?:e|ing)|"
        r"escalat(?:e|ing)(?: (?:this|it|your case|the case))? to|consult(?:ing)?|"
        r"run(?:ning)? (?:this|it) (?:by|past)|put(?:ting)? you through to|transfer(?:ring)? you to|"
        r"pass(?:ing)? (?:this|you) (?:on |over )?to|hand(?:ing)? (?:this|you) (?:over )?to) " + BOSS,
        r"(?:my|our|the) (?:supervisor|manager|team ?lead(?:er)?) (?:will|is going to|'ll|can|is "
        r"about to) (?:call|contact|join|review|look|ring|get back|be with you|come|speak)",
        r"I'?ll have " + BOSS + r" (?:call|contact|ring|e-?mail|get back to)",
        # Telling the customer the supervisor already knows: "I've let my supervisor know".
        r"(?:I'?ve|I have|I am|I'?m|we'?ve|we have) (?:just |already )?(?:let|letting|told|telling|informed|"
        r"informing|notified|notifying|alerted|alerting|flagged (?:this|it) (?:to|with)|flagging (?:this|it) "
        r"(?:to|with)) " + BOSS,
        BOSS + r" (?:has been|is being|was) (?:informed|notified|told|alerted|made aware)",
    ]
)


@register("calmline.supervisor_involved.v1", assigns=["supervisor_involved"])
def make_supervisor_involved() -> PhraseDetector:
    return PhraseDetector(
        "calmline.supervisor_involved.v1", "supervisor_involved", "P10", SUPERVISOR, 0.9, _not_negated
    )


# --- options (P16 purpose) and action (P16 react) ---------------------------------------

OPTIONS = phrases(
    [
        r"(?:I|we|you)(?:'d| can| could| would| will|'ll)(?: be able to)? either\b[^.?!]*?\bor",
        r"would you (?:prefer|rather|like)\b[^.?!]*?\bor",
        r"(?:a (?:couple|few)|two|three|several|some|a number) of (?:options|choices|ways)",
        r"(?:one of )?(?:two|three|a couple of|a few|several) (?:ways|options|choices)",
        r"either (?:I|we|you)\b[^.?!]*?\bor",
        r"(?:you have|there are|I have|we have) (?:two|three|a few|some|several) (?:options|choices)",
        r"(?:one|another|the other|the first|the second) (?:option|choice|possibility) (?:is|would be)",
        r"alternatively",
        r"(?:you can|you could) choose (?:between|from)",
        r"whichever you prefer",
        r"(?:which|what) (?:would you prefer|works (?:better|best) for you)",
    ]
)


@register("calmline.options_offered.v1", assigns=["options_offered"])
def make_options_offered() -> PhraseDetector:
    return PhraseDetector("calmline.options_offered.v1", "options_offered", "P16", OPTIONS, 0.85)


DONE_VERBS = (
    r"(?:issued|processed|credited|refunded|sent|cancel+ed|updated|reset|applied|arranged|"
    r"booked|scheduled|escalated|raised|logged|submitted|waived|removed|reversed|"
    r"replaced|reactivated|fixed|added|changed|corrected|ordered|dispatched|restored|"
    r"unlocked|reconnected|amended|approved|rebooked|expedited|sorted)"
)
ACTION = phrases(
    [
        r"(?:I|we)(?:'ve| have) (?:just |now |already |gone ahead and |also )*" + DONE_VERBS,
        r"(?:has|have) (?:now |just )?been " + DONE_VERBS,
        r"(?:it'?s|that'?s|this is|all|everything'?s) (?:all )?(?:done|sorted|fixed|taken care of)",
        r"(?:is|are) (?:now )?(?:submitted|processed|booked|confirmed|cancel+ed|filed|arranged|issued|"
        r"applied|credited|refunded|set (?:up|for))",
        r"(?<![\w'])done(?=[.!])",
        r"(?:is|are) (?:now )?on (?:its|their) way",
        r"done\s*[—–-]",
    ]
)
CONDITIONAL_BEFORE = re.compile(
    r"\b(?:once|when|after|as soon as|if|until|before)\s+(?:\w+\s+)?$", re.IGNORECASE
)


def _really_done(text: str, match: re.Match[str]) -> bool:
    # "Once I've processed it…" describes a future step, not something done.
    return not CONDITIONAL_BEFORE.search(text, max(0, match.start() - 25), match.start())


@register("calmline.action_taken.v1", assigns=["action_taken"])
def make_action_taken() -> PhraseDetector:
    return PhraseDetector("calmline.action_taken.v1", "action_taken", "P16", ACTION, 0.85, _really_done)


# --- closing (P20) ----------------------------------------------------------------------

CLOSING = phrases(
    [
        r"have a (?:nice|good|great|lovely|wonderful|pleasant|fantastic|brilliant|safe) (?:day|"
        r"evening|night|weekend|afternoon|morning|one|trip|holiday|vacation|week|"
        r"rest of your (?:day|evening|week))",
        r"enjoy (?:the rest of )?your (?:day|evening|weekend)",
        r"good ?bye",
        r"bye(?: (?:now|for now))?",
        r"take care",
        r"all the best",
        r"(?:speak|talk) (?:to you )?soon",
        r"thanks? (?:you )?for (?:calling|contacting us|getting in touch|reaching out|your call|"
        r"chatting(?: with (?:me|us))?)",
    ]
)
THANKS_FOR_CONTACT = re.compile(r"thank|contacting|getting in touch|reaching out", re.IGNORECASE)


# Read where the match ends: a copy of the rest of the turn per "take care" was quadratic.
_OF_AFTER = re.compile(r"\s+of\b")


class Closing:
    """The agent is ending the conversation (P20).

    "Thanks for calling" closes only at the very end of a later turn: in the first turn it is a
    greeting, and "thanks for getting in touch about it; could I take your name?" carries on.
    """

    name = "calmline.closing.v1"
    roles = AGENT

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        text = turn.text
        first_turn = context.last(Role.agent) is None
        found = [
            evidence(context.index, text, m.start(), m.end())
            for m in CLOSING.finditer(text)
            if not (m.group().lower() == "take care" and _OF_AFTER.match(text, m.end()))
            and not (THANKS_FOR_CONTACT.search(m.group()) and not self._ends_turn(text, m, first_turn))
        ]
        if not found:
            return []
        return [Signal(kind="closing", score=0.85, evidence=found, practice="P20", detector=self.name)]

    @staticmethod
    def _ends_turn(text: str, match: re.Match[str], first_turn: bool) -> bool:
        last_sentence = sentences(text)[-1]
        return not first_turn and match.start() >= last_sentence[0] and last_visible(text, len(text)) != "?"


@register("calmline.closing.v1", assigns=["closing"])
def make_closing() -> Closing:
    return Closing()


FURTHER_HELP = phrases(
    [
        r"(?:is there )?(?:anything|something) (?:else|more) (?:that )?(?:I|we) can (?:help(?: you)?"
        r"(?: with)?|do(?: for you)?|assist(?: you)?(?: with)?|sort(?: out)?(?: for you)?|look (?:at|"
        r"into)(?: for you)?)",
        r"(?:can|could|may) I (?:help|assist)(?: you)? with anything (?:else|more)",
        r"(?:is there )?anything else you need",
        r"if (?:there'?s|there is) anything else",
        r"if you need anything (?:else|more)",
        r"anything else (?:today|for now|at all)",
        r"let (?:me|us) know if (?:you need|there'?s|there is|I can help with) anything",
        r"(?:feel free to|don'?t hesitate to|please) (?:reach out|get (?:back )?in touch|contact us|"
        r"come back|message us|call us)(?: again)?(?: any ?time)?",
        r"(?:I'?m|we'?re|I am|we are) (?:always )?here if you need",
        r"anything else(?: [^?.!]{0,30})?\?",
        r"(?:do you have|are there) any (?:other|further|more) questions",
        r"what else can (?:I|we) (?:do|help)",
        r"(?:will|would) (?:that|this) be all",
        r"(?:can|may) I help (?:you )?with anything (?:else|further)",
        r"(?:do you )?need (?:help with )?anything (?:else|further)",
    ]
)


@register("calmline.further_help_offer.v1", assigns=["further_help_offer"])
def make_further_help_offer() -> PhraseDetector:
    return PhraseDetector("calmline.further_help_offer.v1", "further_help_offer", "P20", FURTHER_HELP, 0.9)


# --- contradiction (P17) ----------------------------------------------------------------

# A claim is (verb, polarity, object words) after a modal or auxiliary: "we can('t) refund the fee".
AUXILIARY = frozenset(
    {
        "can",
        "could",
        "will",
        "would",
        "do",
        "does",
        "did",
        "is",
        "are",
        "was",
        "were",
        "should",
        "may",
        "able",
    }
)
NEGATORS = frozenset({"not", "never", "no"})
EXPANSIONS = (
    (re.compile(r"\bcan't\b|\bcannot\b"), "can not"),
    (re.compile(r"\bwon't\b"), "will not"),
    (re.compile(r"\bshan't\b"), "shall not"),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"'ll\b"), " will"),
    (re.compile(r"'re\b"), " are"),
    (re.compile(r"\b(it|that|this|there|he|she)'s\b"), r"\1 is"),
)
CLAIM_TOKEN = re.compile(r"[a-z]+|[.!?,;:]")
# Verbs whose flip is news, not a contradiction: "I can't see it" → "I can see it now".
NOT_CLAIM_VERBS = frozenset(
    {
        "see",
        "find",
        "hear",
        "wait",
        "imagine",
        "believe",
        "load",
        "open",
        "access",
        "understand",
        "promise",
        "guarantee",
        "sure",
        "afraid",
    }
)
# Time words say when, not what: "shipped yesterday" and "not shipped yet" share an object.
WHEN_WORDS = frozenset(
    {
        "yesterday",
        "today",
        "tomorrow",
        "tonight",
        "yet",
        "already",
        "still",
        "anymore",
        "again",
        "soon",
        "later",
        "week",
        "earlier",
        "before",
        "after",
        "ago",
        "morning",
        "afternoon",
        "evening",
    }
)
ADMISSION = phrases(
    [
        r"I was wrong",
        r"I was mistaken",
        r"I made a mistake",
        r"my mistake",
        r"I misspoke",
        r"I got (?:this|that|it) wrong",
        r"(?:gave|told) you (?:the )?wrong",
        r"correction",
        r"(?:correct|put right) (?:what|something) I (?:said|told you)",
        r"I need to correct",
        r"(?:sorry|apologies),? I (?:was|got)",
        r"I stand corrected",
        r"update (?:to|on) what I said",
    ]
)

Claim = tuple[str, bool, frozenset[str], int, int]
"""(verb, negated, object words, sentence start, sentence end)."""


def _normalise(sentence: str) -> str:
    lowered = sentence.lower().replace("’", "'")
    for pattern, replacement in EXPANSIONS:
        lowered = pattern.sub(replacement, lowered)
    return lowered


def _claim(sentence: str) -> tuple[str, bool, frozenset[str]] | None:
    tokens = CLAIM_TOKEN.findall(_normalise(sentence))
    for i, token in enumerate(tokens):
        if token not in AUXILIARY:
            continue
        rest = tokens[i + 1 :]
        negated = bool(rest) and rest[0] in NEGATORS
        rest = rest[1:] if negated else rest
        if rest[:2] == ["be", "able"]:
            rest = rest[1:]
        if rest and rest[0] == "able":
            rest = rest[2:] if len(rest) > 1 and rest[1] == "to" else rest[1:]
        words = [w for w in rest[:8] if w.isalpha()]
        content = [w for w in words if w not in STOPWORDS and w not in WHEN_WORDS and len(w) > 2]
        if not content or content[0] in NOT_CLAIM_VERBS or (words and words[0] in NOT_CLAIM_VERBS):
            continue
        return content[0], negated, frozenset(content[1:4])
    return None


@lru_cache(maxsize=4096)
def claims(text: str) -> tuple[Claim, ...]:
    """The statements (not questions) of a text, as comparable claims."""
    out = []
    for start, end in sentences(text):
        if text[start:end].endswith("?"):
            continue
        claim = _claim(text[start:end])
        if claim:
            out.append((*claim, start, end))
    return tuple(out)


class Contradiction:
    """The agent now says the opposite of an earlier statement (P17).

    Compares polarity on a shared verb and object: "we can refund the fee" then "we can't refund
    the fee". A turn that admits the change ("I was wrong earlier…") is honest, not contradictory.
    ``data``: earlier_turn, earlier_quote, earlier_span.
    """

    name = "calmline.contradiction.v1"
    roles = AGENT

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        text = turn.text
        current = claims(text)
        if not current or ADMISSION.search(text):
            return []
        earlier = [
            (analysed, claim) for analysed in context.turns_by(Role.agent) for claim in claims(analysed.text)
        ]
        signals = []
        for verb, negated, objects, start, end in current:
            for analysed, (e_verb, e_negated, e_objects, e_start, e_end) in reversed(earlier):
                if verb != e_verb or negated == e_negated:
                    continue
                if objects and e_objects and not objects & e_objects:
                    continue
                signals.append(
                    Signal(
                        kind="contradiction",
                        score=0.75,
                        practice="P17",
                        detector=self.name,
                        evidence=[evidence(context.index, text, start, end)],
                        data={
                            "earlier_turn": analysed.index,
                            "earlier_quote": analysed.text[e_start:e_end],
                            "earlier_span": [e_start, e_end],
                        },
                    )
                )
                break
        return signals


@register("calmline.contradiction.v1", assigns=["contradiction"])
def make_contradiction() -> Contradiction:
    return Contradiction()
