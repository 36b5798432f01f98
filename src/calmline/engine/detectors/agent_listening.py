"""Agent-turn detectors of listening: acknowledgement, questions, restatement, interruption, name use."""

from __future__ import annotations

import re
from functools import lru_cache

from calmline.engine.context import Context
from calmline.engine.detectors._cues import Cover
from calmline.engine.detectors._phrase import AGENT, PhraseDetector
from calmline.engine.registry import register
from calmline.engine.text import evidence, phrases, sentences
from calmline.model import Role, Signal, Turn

# --- acknowledgement (P02) --------------------------------------------------------------

# An opener followed, in the same sentence, by a word for the feeling or the ordeal. Openers that
# perceive ("I can see", "that must have been", "I'd be") need a feeling or a plain ordeal; openers
# that apologise ("sorry", "I apologise") also take the customer's experience ("sorry for the wait",
# "sorry you had to chase us") — an apology for what they went through recognises it.
PERCEIVING_OPENER = re.compile(
    r"\b(?:(?:I|we) (?:completely |totally |really |fully |absolutely |truly )?(?:can )?(?:only )?"
    r"(?:understand|see|hear|imagine|appreciate|get|know|tell)"
    r"|(?:that|this|it) (?:sounds|must (?:be|have been|feel)|seems|would be)"
    r"|no wonder|of course|I'?d (?:be|feel)|I would (?:be|feel)|anyone would (?:be|feel)|who wouldn'?t be"
    r"|understandably|obviously|clearly|what an?)\b",
    re.IGNORECASE,
)
APOLOGISING_OPENER = re.compile(
    r"\b(?:(?:I'?m|I am|we'?re|we are) (?:so |really |very |truly |terribly |deeply )?sorry"
    r"|(?:so |really |very |truly )?sorry|(?:I|we) (?:do |sincerely |truly )?apologi[sz]e"
    r"|(?:my|our) (?:sincere(?:st)? |deepest |heartfelt |humble(?:st)? )?apologies)\b",
    re.IGNORECASE,
)
ACK_FEELING = re.compile(
    r"\b(?:frustrat\w*|upset\w*|stress\w*|annoy\w*|worr\w*|angry|anger|disappoint\w*|difficult|"
    r"hard|awful|terrible|horrible|inconvenien\w*|concern\w*|confus\w*|scar\w*|frighten\w*|"
    r"exhaust\w*|tiring|infuriat\w*|maddening|distress\w*|unfair|nightmare|a pain|hassle|"
    r"trouble|ordeal|fed up|deal(?:ing)? with|go(?:ne|ing) through|put up with|unsettl\w*|disrupt\w*|"
    r"exasperat\w*|draining|miserable|painful|devastat\w*|heartbreak\w*|unacceptable|"
    r"overwhelm\w*|anxious|anxiety|panic\w*|irritat\w*|aggravat\w*|rough|tough|mess|"
    r"livid|furious|fuming|cross|gutted|sick of|tired of|(?:the )?end of (?:your|their) tether|wits'? end|"
    r"dishearten\w*|nerve-?wracking|galling|let (?:you )?down|unnerving|alarming|embarrass\w*|"
    r"the last thing you need(?:ed)?|no fun|a shock|shock\w*|dissatisf\w*|displeas\w*|unhapp\w*|impatien\w*|"
    r"urgen(?:t|cy)|"
    # The ordeal itself, in the customer's words more than ours.
    r"(?:going |gone )?(?:round|around) in circles|back and forth|pillar to post|run-?around|"
    r"messed (?:you )?around|passed (?:around|along|between|from one)|kept (?:waiting|in the dark)|"
    r"in the dark|repeat(?:ing)? yourself|explain(?:ing)? (?:it|this|everything|yourself) again|"
    r"chas(?:e|ed|ing) (?:us|this|it|this up|it up)|wasted (?:your )?(?:time|day|morning|afternoon|evening)|"
    r"had to (?:chase|call|contact|ring|wait|explain|repeat|come back|write)|"
    r"without (?:heating|heat|power|hot water|water|internet|a phone)|"
    r"to hear (?:that|this|about))\b",
    re.IGNORECASE,
)
# What an apology may be about besides a feeling: the customer's wait or the mix-up they met.
APOLOGY_OBJECT = re.compile(
    r"\b(?:the |this |that |all (?:the |this |that )?|your )?(?:wait\w*|delay\w*|mix-up|hold-up|"
    r"experience|runaround|inconvenience|confusion|mistake|error|back-and-forth)\b"
    r"|\b(?:that )?you(?:'ve| have| had|'re| are| were|'d| got)\b",
    re.IGNORECASE,
)
# The feeling named in the second person: "you're understandably fed up", "you must be worried".
YOUR_FEELING = re.compile(
    r"\byou(?:'re| are|'ve been| have been| were| must be| must have been| must feel| feel| felt| sound| seem)"
    r"(?: (?:understandably|rightly|really|so|clearly|obviously|completely|totally|quite|very|absolutely|"
    r"naturally))* (?:frustrated|upset|annoyed|angry|worried|anxious|stressed|disappointed|fed up|furious|"
    r"livid|fuming|cross|confused|concerned|scared|frightened|exhausted|let down|irritated|exasperated|"
    r"gutted|unhappy|dissatisfied|impatient|distressed|overwhelmed|at (?:the end of your tether|your wits'? end)|out of pocket)\b",
    re.IGNORECASE,
)
ACK_STANDALONE = phrases(
    [
        r"I hear you",
        r"I hear (?:how|that|what)",
        r"sorry to hear",
        r"(?:that'?s|that is|it'?s|it is) (?:completely |totally |perfectly |entirely )?"
        r"understandable",
        r"you have every (?:right|reason) to (?:be|feel)",
        r"you(?:'re| are)? (?:right|entitled) to (?:be|feel)",
        r"(?:that|this) (?:shouldn'?t|should not) have happened",
        r"you (?:shouldn'?t|should not) have (?:had|needed) to",
        r"you deserve(?:d)? better",
        r"(?:that'?s|that is|this is|this isn'?t|that isn'?t) not (?:the service|what) you (?:should|deserve|expect)",
        r"I(?:'d| would) feel (?:the same|exactly the same)",
        r"the last thing you need(?:ed)?",
        r"I (?:really |truly |genuinely )?feel for you",
        r"I (?:totally |completely |really )?get it(?! (?:sorted|done|fixed|back|to|over|through|resolved))",
        r"I can only imagine(?=[.!,;]|$)",
        r"(?:that'?s|this is|that is) (?:really |just |simply )?not (?:good enough|on|right|fair)",
        r"you(?:'ve| have) (?:been through|had) (?:a lot|so much|enough|a (?:rough|rotten|terrible|horrible|awful|"
        r"hard|tough|difficult|stressful|miserable) (?:time|day|week|few days|morning|night))",
        r"I(?:'d| would) be the same",
        r"in your (?:shoes|position|place)",
        r"(?:that'?s|that is|this is|what an?) (?:so |really |very |truly |incredibly |completely |"
        r"genuinely )?(?:frustrating|upsetting|stressful|awful|terrible|horrible|annoying|worrying|"
        r"disappointing|unacceptable|not okay|not ok|nightmare|pain)",
    ]
)


def _after_an_opener(
    text: str, start: int, end: int, opener: re.Pattern[str], words: list[re.Pattern[str]]
) -> list[tuple[int, int]]:
    """Spans from the first ``opener`` of the sentence to the first of ``words`` after it, if any.

    Each pattern is read once per sentence (searching again after each opener was quadratic on
    "I'm so sorry I'm so sorry …").
    """
    first = opener.search(text, start, end)
    if first is None:
        return []
    found = [m for pattern in words if (m := pattern.search(text, first.end(), end))]
    return [(first.start(), min(m.end() for m in found))] if found else []


class Acknowledgement:
    """The agent names or recognises the customer's feeling, or apologises for what they went through (P02)."""

    name = "calmline.acknowledgement.v1"
    roles = AGENT

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        text = turn.text
        spans: list[tuple[int, int]] = []
        for start, end in sentences(text):
            spans += _after_an_opener(text, start, end, PERCEIVING_OPENER, [ACK_FEELING])
            spans += _after_an_opener(text, start, end, APOLOGISING_OPENER, [ACK_FEELING, APOLOGY_OBJECT])
        covered = Cover(spans)
        spans += [
            (m.start(), m.end())
            for pattern in (ACK_STANDALONE, YOUR_FEELING)
            for m in pattern.finditer(text)
            if not covered.contain(m.start(), m.start() + 1)
        ]
        if not spans:
            return []
        return [
            Signal(
                kind="acknowledgement",
                score=0.9,
                evidence=[evidence(context.index, text, s, e) for s, e in sorted(set(spans))],
                practice="P02",
                detector=self.name,
            )
        ]


@register("calmline.acknowledgement.v1", assigns=["acknowledgement"])
def make_acknowledgement() -> Acknowledgement:
    return Acknowledgement()


# --- clarifying question (P03) ----------------------------------------------------------

QUESTION_LEAD = re.compile(
    r"(?:^|[,;:—–-]\s*)(?:(?:ok(?:ay)?|so|and|right|great|thanks|alright|sure|just|also|first|"
    r"one more thing)[,\s]+)*(?:when|which|what|where|how|who|whose|why|did|does|do|is|are|was|"
    r"were|has|have|had|can|could|would|will)\b",
    re.IGNORECASE,
)
ASK_IMPERATIVE = re.compile(
    r"\b(?:(?:can|could|would) you (?:please )?(?:tell|show|describe|explain|confirm|walk me "
    r"through|let me know|send|share|give me)|tell me (?:more|a bit more|a little more|about|what|"
    r"when|which|how|where)|walk me through|help me understand|I'?d like to (?:understand|know)|"
    r"let me know (?:when|which|what|how|whether|where))\b",
    re.IGNORECASE,
)
# Questions that are openers, offers, rhetoric or checks of the customer, not about the problem.
NOT_CLARIFYING = re.compile(
    r"\b(?:anything else|something else|anything more|how are you|how (?:can|may) I (?:help|assist)|"
    r"suit you|work for you|be convenient|"
    r"what can I do for you|help you (?:with )?today|(?:would|do) you(?: \w+)? (?:prefer|rather|like)|"
    r"shall I|should I|do you want me to|"
    r"would you like\b.*\bor\b|\beither\b.*\bor\b|is that (?:clear|okay|ok|alright|all right)|"
    r"does that (?:make sense|help|work|sound)|do you understand|did you even|do you even|"
    r"what do you (?:want|expect)|are you (?:kidding|serious|stupid|deaf)|can you (?:please )?"
    r"(?:calm|stop|lower|relax)|are you still there|still with me|any (?:other )?questions|"
    r"can I help you with)\b",
    re.IGNORECASE,
)


class ClarifyingQuestion:
    """The agent asks about the problem: when, which, what happened, can you tell me… (P03)."""

    name = "calmline.clarifying_question.v1"
    roles = AGENT

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        text = turn.text
        found = []
        for start, end in sentences(text):
            if NOT_CLARIFYING.search(text, start, end):
                continue
            sentence = text[start:end]  # QUESTION_LEAD's ``^`` needs the sentence on its own
            asks = sentence.endswith("?") and QUESTION_LEAD.search(sentence)
            if asks or ASK_IMPERATIVE.search(text, start, end):
                found.append(evidence(context.index, text, start, end))
        if not found:
            return []
        return [
            Signal(kind="clarifying_question", score=0.8, evidence=found, practice="P03", detector=self.name)
        ]


@register("calmline.clarifying_question.v1", assigns=["clarifying_question"])
def make_clarifying_question() -> ClarifyingQuestion:
    return ClarifyingQuestion()


# --- restatement (P03) ------------------------------------------------------------------

RESTATEMENT = phrases(
    [
        r"(?:so )?what I'?m hearing is",
        r"if I understand (?:you |this |that |it )?correctly",
        r"if I(?:'ve| have) got (?:this|that|it|you) right",
        r"(?:let me|I want to|I'?d like to|just to) make sure I(?: understand| have (?:this|it|that) "
        r"right|'?ve got (?:this|it|that|everything) right| got (?:this|it|that)(?: right)?)",
        r"(?:let me|just to|I want to|I'?d like to) (?:check|confirm) (?:that )?I(?:'ve| have)?(?: got)? "
        r"(?:this|that|it|everything) (?:right|straight|correct)",
        r"so you(?:'re| are) saying",
        r"(?:so |just )?to (?:recap|summari[sz]e|confirm)",
        r"let me (?:recap|summari[sz]e|repeat (?:that|this|it) back)",
        r"what I understand is",
        r"(?:so|okay|ok),? (?:the|your) (?:problem|issue|concern|worry) is",
        r"correct me if I'?m wrong",
        r"let me see if I(?:'ve| have)? got (?:this|that|it) (?:right|straight)",
        r"if I(?:'m| am) following (?:you )?(?:correctly|right)?",
        r"so (?:basically|in short),? you",
        r"(?:it|that) sounds like (?:you|your|the)",
        r"from what you(?:'ve| have)? (?:said|told me|described)",
        r"you(?:'re| are) telling me (?:that )?",
        r"you mentioned (?:that )?",
    ]
)


@register("calmline.restatement.v1", assigns=["restatement"])
def make_restatement() -> PhraseDetector:
    return PhraseDetector("calmline.restatement.v1", "restatement", "P03", RESTATEMENT, 0.85)


# --- interruption (P04) -----------------------------------------------------------------


class Interruption:
    """The agent talks over the customer (voice overlap), or, where a playbook asks for it, fires turns in
    a row (P04).

    Overlap needs the previous customer turn's ``end``; it is read when the history carries
    timings. Rapid fire (off unless ``max_in_a_row`` is set): this would be the agent's
    ``max_in_a_row``-th turn since the customer last spoke. It is off by default because chat agents
    split one answer into several messages while the customer waits, and "let the customer finish"
    was then advice about a customer who had said nothing.
    """

    name = "calmline.interruption.v1"
    roles = AGENT

    def __init__(self, max_in_a_row: int | None = None, min_overlap: float = 0.3) -> None:
        self.max_in_a_row = max_in_a_row
        self.min_overlap = min_overlap

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        whole = [evidence(context.index, turn.text, 0, len(turn.text))]
        overlap = self._overlap(turn, context)
        if overlap is not None:
            return [
                Signal(
                    kind="interruption",
                    score=min(1.0, 0.6 + overlap / 5),
                    evidence=whole,
                    practice="P04",
                    detector=self.name,
                    data={"reason": "overlap", "overlap_seconds": round(overlap, 2)},
                )
            ]
        in_a_row = self._agent_turns_in_a_row(context) if self.max_in_a_row else None
        if in_a_row is not None and self.max_in_a_row and in_a_row + 1 >= self.max_in_a_row:
            return [
                Signal(
                    kind="interruption",
                    score=0.6,
                    evidence=whole,
                    practice="P04",
                    detector=self.name,
                    data={"reason": "rapid_fire", "consecutive": in_a_row + 1},
                )
            ]
        return []

    def _overlap(self, turn: Turn, context: Context) -> float | None:
        customer = context.last(Role.customer)
        # TurnAnalysis carries no timings today; read them if the history ever provides them.
        customer_end = getattr(customer, "end", None)
        if turn.start is None or customer_end is None:
            return None
        overlap = float(customer_end) - turn.start
        return overlap if overlap >= self.min_overlap else None

    @staticmethod
    def _agent_turns_in_a_row(context: Context) -> int | None:
        """Agent turns since the customer last spoke; None if the customer has not spoken yet."""
        count = 0
        for analysed in reversed(context.history):
            if analysed.role is Role.customer:
                return count
            if analysed.role is Role.agent:
                count += 1
        return None


@register("calmline.interruption.v1", assigns=["interruption"])
def make_interruption(max_in_a_row: int | None = None, min_overlap: float = 0.3) -> Interruption:
    return Interruption(max_in_a_row, min_overlap)


# --- name used (P15) --------------------------------------------------------------------

TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "sir", "madam", "prof"})
# Names that are also everyday words: only a capitalised, free-standing use counts.
WORD_NAMES = frozenset(
    {
        "will",
        "bill",
        "hope",
        "may",
        "june",
        "april",
        "rose",
        "grace",
        "faith",
        "joy",
        "mark",
        "pat",
        "sue",
        "dawn",
        "summer",
        "art",
        "jack",
        "rich",
        "frank",
        "sunny",
        "drew",
        "chase",
        "max",
        "ray",
        "gene",
        "amber",
        "ruby",
        "holly",
        "crystal",
        "victor",
        "rob",
        "don",
        "penny",
    }
)


@lru_cache(maxsize=1024)
def name_pattern(name: str) -> re.Pattern[str] | None:
    """A pattern for the parts of a customer's name an agent would address them by."""
    parts = [p for p in re.findall(r"[A-Za-z][A-Za-z'\-]+", name) if p.lower() not in TITLES]
    if not parts:
        return None
    alternatives = []
    for part in parts:
        if part.lower() in WORD_NAMES:
            # Capitalised and not starting a sentence: "Thanks, Will." but not "Will you…".
            alternatives.append(r"(?<=[\w,] )" + re.escape(part.capitalize()) + r"(?![\w'])")
        else:
            alternatives.append(r"(?i:" + re.escape(part) + r")(?![\w'])")
    return re.compile(r"(?<![\w'])(?:" + "|".join(alternatives) + ")")


def customer_name(context: Context) -> str | None:
    """The customer's name as far as the conversation knows it."""
    return context.state.customer_name or context.conversation.customer_name


class NameUsed:
    """The agent addresses the customer by name (P15); ``data.name`` is the known name."""

    name = "calmline.name_used.v1"
    roles = AGENT

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        known = customer_name(context)
        pattern = name_pattern(known) if known else None
        if pattern is None:
            return []
        found = [evidence(context.index, turn.text, m.start(), m.end()) for m in pattern.finditer(turn.text)]
        if not found:
            return []
        return [
            Signal(
                kind="name_used",
                score=0.95,
                evidence=found,
                practice="P15",
                detector=self.name,
                data={"name": known},
            )
        ]


@register("calmline.name_used.v1", assigns=["name_used"])
def make_name_used() -> NameUsed:
    return NameUsed()
