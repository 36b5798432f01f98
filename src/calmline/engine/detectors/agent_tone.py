"""Agent-turn detectors of tone and wording: hostility, shouting, lectures, canned and negative lines."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import ClassVar

from calmline.engine.context import Context
from calmline.engine.detectors._cues import Cover
from calmline.engine.detectors._phrase import AGENT, Keep, PhraseDetector, matches
from calmline.engine.registry import register
from calmline.engine.text import WORD, evidence, last_visible, phrases, sentence_at, sentences
from calmline.model import Evidence, Role, Signal, Turn


class CategorisedDetector:
    """One signal per category whose phrases occur; ``data.category`` says which (e.g. sarcasm)."""

    roles = AGENT

    def __init__(
        self,
        name: str,
        kind: str,
        practice: str,
        categories: dict[str, tuple[re.Pattern[str], float, Keep | None]],
    ) -> None:
        self.name = name
        self.kind = kind
        self.practice = practice
        self.categories = categories

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        signals = []
        for category, (pattern, score, keep) in self.categories.items():
            found = matches(pattern, turn.text, context.index, keep)
            if found:
                signals.append(
                    Signal(
                        kind=self.kind,
                        score=score,
                        evidence=found,
                        practice=self.practice,
                        detector=self.name,
                        data={"category": category},
                    )
                )
        return signals


# --- hostile tone (P01) ------------------------------------------------------------------

SARCASM = phrases(
    [
        r"as any(?:one|body)(?: with eyes)? (?:can|could) (?:see|tell)",
        r"good luck with that",
        r"nice try",
        r"if you say so",
        r"yeah,? right",
        r"sure you did",
        r"it'?s not rocket science",
        r"thanks for nothing",
        r"wow,? just wow",
        r"(?:did|do) you even (?:read|look|try|check|listen)",
        r"it'?s (?:really )?not that (?:hard|difficult|complicated)",
        r"obviously",
    ]
)
# "Obviously" is sarcastic when aimed at the customer, not when it qualifies a feeling or "we".
OBVIOUS_SINCERE = re.compile(
    r"^[\s,—–-]*(?:\w+[\s,]+){0,2}?(?:upsetting|frustrating|stressful|annoying|worrying|"
    r"disappointing|difficult|hard|unacceptable|inconvenient|not (?:ok|okay|good enough|acceptable|"
    r"right)|wrong|a mistake|our (?:mistake|fault|error)|we|we're|we've|our|i|i'm|i'd|i've)\b",
    re.IGNORECASE,
)
OBVIOUS_SINCERE_BEFORE = re.compile(r"\b(?:is|was|that's|it's|this is|so)\s+$", re.IGNORECASE)
WHATEVER = re.compile(
    r"(?:(?:well|oh|ok(?:ay)?|fine)[,\s]+)?whatever(?:\s+you\s+(?:say|want))?\s*(?:[.!,;…]|$)",
    re.IGNORECASE,
)
DEFENSIVE = phrases(
    [
        r"(?:it|that)(?:'s| is) not my (?:fault|problem)",
        r"(?:it|that) isn'?t my (?:fault|problem)",
        r"not my (?:fault|problem)",
        r"don'?t blame me",
        r"(?:I'?m|I am) (?:just|only) doing my job",
        r"I don'?t make the (?:rules|policies|policy)",
        r"don'?t shoot the messenger",
        r"(?:there'?s|there is) no need to take it out on me",
        r"what do you (?:want|expect) me to do",
        r"I didn'?t do anything wrong",
    ]
)
CALM_DOWN = phrases(
    [
        r"calm(?:ing)? down",
        r"calm yourself(?: down)?",
        r"settle down",
        r"chill out",
        r"(?:there'?s|there is )?no need to (?:shout|yell|scream|swear|get (?:so |that )?"
        r"(?:angry|upset|worked up|emotional|aggressive|excited))",
        r"stop (?:shouting|yelling|screaming)",
        r"lower your voice",
        r"watch your tone",
        r"don'?t raise your voice",
        r"you(?:'re| are) overreacting",
        r"(?:need|have|got) to relax",
        r"take a (?:deep )?breath",
        r"(?:getting|being) (?:upset|angry|worked up|rude) (?:won'?t|will not|doesn'?t|does not|isn'?t going to)"
        r" (?:help|make|change|fix|solve|get)",
        r"shouting (?:won'?t|will not|doesn'?t|does not|isn'?t going to) (?:help|make|change|fix|solve)",
    ]
)
# "Calm down" said to the customer, not "once things calm down at the depot".
SETTLING = re.compile(r"^(?:calm|settle|chill)", re.IGNORECASE)
ADDRESSED_LEAD = re.compile(
    r"(?:^|[.!?,;:—–-]\s*|\b(?:please|just|so|ok(?:ay)?|now|sir|ma'am|and|look|listen|you|to|will you|"
    r"can you|could you)\s+)$",
    re.IGNORECASE,
)


def _said_to_customer(text: str, match: re.Match[str]) -> bool:
    if not SETTLING.match(match.group()):
        return True
    return bool(ADDRESSED_LEAD.search(text, max(0, match.start() - 30), match.start()))


RELAX = re.compile(
    r"(?:(?:just|please|ok(?:ay)?|sir|ma'am|look|listen|hey|now|so)[,\s]+)*relax(?![\w'])",
    re.IGNORECASE,
)
ANGER = phrases(
    [
        r"I don'?t have time for this",
        r"I'?m (?:sick|tired) of (?:this|you)",
        r"I'?ve had enough of (?:this|you)",
        r"what(?:'s| is) wrong with you",
        r"are you (?:stupid|deaf|kidding me)",
        r"shut up",
        r"you people",
        r"how many times do I have to (?:tell|explain|say)",
        r"for crying out loud",
        r"give me a break",
    ]
)


def _sincere_obviously(text: str, match: re.Match[str]) -> bool:
    after = text[match.end() : match.end() + 40]
    before = text[max(0, match.start() - 12) : match.start()]
    return bool(OBVIOUS_SINCERE.match(after) or OBVIOUS_SINCERE_BEFORE.search(before))


def _is_sarcasm(text: str, match: re.Match[str]) -> bool:
    return match.group().lower() != "obviously" or not _sincere_obviously(text, match)


def _sentence_starts(pattern: re.Pattern[str], text: str, turn: int) -> list[Evidence]:
    """Evidence for ``pattern`` matched at the start of a sentence (imperatives, one-word retorts).

    ``pattern.match`` anchors at each sentence start; the patterns carry no ``^`` for that reason.
    """
    found = []
    for start, end in sentences(text):
        m = pattern.match(text, start, end)
        if m:
            quote_end = start + len(m.group().rstrip(" .!,;…"))
            found.append(evidence(turn, text, start, quote_end))
    return found


class HostileTone:
    """Sarcasm, defensiveness, "calm down" and open irritation in an agent turn (P01).

    One signal per category found; ``data.category`` is sarcasm, defensive, calm_down or anger.
    """

    name = "calmline.hostile_tone.v1"
    roles = AGENT
    scores: ClassVar[dict[str, float]] = {
        "sarcasm": 0.85,
        "defensive": 0.8,
        "calm_down": 0.9,
        "anger": 0.9,
    }

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        text, index = turn.text, context.index
        found = {
            "sarcasm": matches(SARCASM, text, index, _is_sarcasm) + _sentence_starts(WHATEVER, text, index),
            "defensive": matches(DEFENSIVE, text, index),
            "calm_down": matches(CALM_DOWN, text, index, _said_to_customer)
            + _sentence_starts(RELAX, text, index),
            "anger": matches(ANGER, text, index),
        }
        return [
            Signal(
                kind="hostile_tone",
                score=self.scores[category],
                evidence=sorted(items, key=lambda e: e.span),
                practice="P01",
                detector=self.name,
                data={"category": category},
            )
            for category, items in found.items()
            if items
        ]


@register("calmline.hostile_tone.v1", assigns=["hostile_tone"])
def make_hostile_tone() -> HostileTone:
    return HostileTone()


# --- shouting (P01) ---------------------------------------------------------------------

# Capitalised words of 3+ letters, not placeholders like [PHONE] and not codes like ABC-123.
CAPS_WORD = re.compile(r"(?<![\w\[\-])[A-Z][A-Z']{2,}(?![\w\]\-])")
# A run of marks holding "!!" is one match from its start; trying that again from inside a run of "?!?!…"
# re-read the rest of the run each time (quadratic), and never matches there anyway.
BANGS = re.compile(r"(?<![!?])[!?]*!{2,}[!?]*|\?!+|!\?+")
_ACRONYM_LIST = (
    "ATM PIN PDF USB URL FAQ ETA SMS DSL VPN USA GBP USD EUR API APP CEO VAT IBAN SWIFT BIC "
    "NHS GP ISP TV DVD CPU GPU RAM SSD HDD WIFI LTE SIM IMEI OTP KYC AML ASAP AM PM EST PST GMT "
    "UTC BST CET ID OK HVAC NYC UK EU GDPR CCTV LED ADSL DNS IP MAC HR IT QA"
)
ACRONYMS = frozenset(_ACRONYM_LIST.split())


class AgentShouting:
    """Capitals or runs of exclamation marks in an agent turn (P01)."""

    name = "calmline.agent_shouting.v1"
    roles = AGENT

    def __init__(self, min_caps_words: int = 2) -> None:
        self.min_caps_words = min_caps_words

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        text = turn.text
        caps = [
            evidence(context.index, text, m.start(), m.end())
            for m in CAPS_WORD.finditer(text)
            if m.group().replace("'", "") not in ACRONYMS
        ]
        bangs = [evidence(context.index, text, m.start(), m.end()) for m in BANGS.finditer(text)]
        if len(caps) < self.min_caps_words:
            caps = []
        found = sorted(caps + bangs, key=lambda e: e.span)
        if not found:
            return []
        score = min(1.0, 0.6 + 0.1 * len(found))
        return [
            Signal(
                kind="shouting",
                score=score,
                evidence=found,
                practice="P01",
                detector=self.name,
                data={"caps_words": len(caps), "bang_runs": len(bangs)},
            )
        ]


@register("calmline.agent_shouting.v1", assigns=["shouting"])
def make_agent_shouting(min_caps_words: int = 2) -> AgentShouting:
    return AgentShouting(min_caps_words)


# --- lecture (P05) ----------------------------------------------------------------------

LECTURE_REMINDER = phrases(
    [
        # "…as I told you I would" reports the agent's own warning; it is not a reminder.
        r"as I (?:already |just )?(?:said|stated|explained|told you)(?: (?:before|earlier|already|twice))?"
        r"(?! I would| I'd| we would)",
        r"as I (?:already|just|have already) (?:mentioned|stated)",
        r"as I(?:'ve| have) already (?:said|explained|mentioned)",
        r"as I(?:'ve| have) (?:said|explained|told you) (?:before|already|several times|twice)",
        r"like I (?:said|told you|explained)(?: (?:before|earlier|already))?",
        r"I(?:'ve| have) already (?:told|explained (?:this |that |it )?to) you",
        r"for the (?:last|third|second|hundredth|fifth) time",
        r"I(?:'ll| will) say (?:it|this) (?:again|one more time)",
    ]
)
# "You should have received an email" informs; "you should have called us first" blames.
LECTURE_BLAME = phrases(
    [
        r"you should(?:n't| not)? have (?!(?:received|got|gotten|been|access|a|an|the|one|it|your|"
        r"everything|all|some|any|no|them|that|this|these|those)\b)(?!(?:seen|had|heard) (?:\w+ )?"
        r"(?:email|text|message|letter|notification|update|confirmation|call|reply)s?\b)[a-z]+",
        r"if you(?:'d| had) (?:just |only |actually )?(?:read|checked|looked|listened|followed|called|"
        r"paid|kept|bothered|paid attention)",
        r"you failed to",
        r"(?:it'?s|it is|that'?s|that is) (?:all )?your (?:own )?"
        r"(?:responsibility|fault|problem)",
        r"(?:that'?s|it'?s) on you",
        r"you were supposed to",
        r"you(?:'re| are) supposed to",
        r"you should (?:know|have known|read)",
        r"you didn'?t (?:read|follow|listen)",
        r"you agreed to",
        r"you ignored",
    ]
)
LECTURE_PREACH = phrases(
    [
        r"you (?:need|have|ought|got) to understand(?: that)?",
        r"(?:according to|per|as per|under) (?:our|the) (?:policy|policies|terms(?: and conditions)?)"
        r",?(?: [\w\s,]{0,60}?,)? (?:you|customers|the customer|members|all customers)",
        r"our (?:policy|terms) clearly (?:states?|says?)",
        r"as (?:clearly )?stated in (?:the|our)",
        r"it (?:clearly )?says (?:so )?in (?:the|our) terms",
        r"rules are rules",
        r"if you read (?:the|our) (?:terms|policy|email|letter|manual|instructions)",
    ]
)


@register("calmline.lecture.v1", assigns=["lecture"])
def make_lecture() -> CategorisedDetector:
    return CategorisedDetector(
        "calmline.lecture.v1",
        "lecture",
        "P05",
        {
            "reminder": (LECTURE_REMINDER, 0.75, None),
            "blame": (LECTURE_BLAME, 0.8, None),
            "preach": (LECTURE_PREACH, 0.75, None),
        },
    )


# --- canned repeat (P06) ----------------------------------------------------------------


@lru_cache(maxsize=4096)
def normalised_sentences(text: str) -> tuple[tuple[int, int, str], ...]:
    """Each sentence's span and its words, lower-cased and joined: the form repeats compare in."""
    out = []
    for start, end in sentences(text):
        words = [w.lower().strip("'") for w in WORD.findall(text, start, end)]
        out.append((start, end, " ".join(words)))
    return tuple(out)


class CannedRepeat:
    """A sentence of at least ``min_words`` words that the agent already said in this conversation."""

    name = "calmline.canned_repeat.v1"
    roles = AGENT

    def __init__(self, min_words: int = 5) -> None:
        self.min_words = min_words

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        said: dict[str, int] = {}
        for earlier in context.turns_by(Role.agent):
            for _, _, norm in normalised_sentences(earlier.text):
                said.setdefault(norm, earlier.index)
        signals = []
        for start, end, norm in normalised_sentences(turn.text):
            if norm.count(" ") + 1 >= self.min_words and norm in said:
                signals.append(
                    Signal(
                        kind="canned_repeat",
                        score=0.9,
                        practice="P06",
                        detector=self.name,
                        evidence=[evidence(context.index, turn.text, start, end)],
                        data={"earlier_turn": said[norm]},
                    )
                )
        return signals


@register("calmline.canned_repeat.v1", assigns=["canned_repeat"])
def make_canned_repeat(min_words: int = 5) -> CannedRepeat:
    return CannedRepeat(min_words)


# --- negative phrasing (P07) ------------------------------------------------------------

NEGATIVE = phrases(
    [
        r"(?:I|we) (?:can'?t|cannot|can not)",
        r"no,? (?:I|we) (?:can'?t|cannot)",
        r"(?:I|we)(?:'re|'m| are| am) (?:unable|not able) to",
        r"(?:I|we) (?:won'?t|will not) be able to",
        r"(?:there'?s|there is) nothing (?:more |else |further )?(?:I|we) can do",
        r"(?:is not|are not|isn'?t|aren'?t) available (?:at (?:this|the) (?:time|moment)|right now)",
        r"(?:there'?s|there is)n'?t anything (?:I|we) can do",
        r"(?:that|it|this)(?:'s| is) (?:simply |just )?not possible",
        r"(?:that|it|this) isn'?t possible",
        r"(?:that|it|this) (?:won'?t|will not) be possible",
        r"(?:that'?s|it'?s|this is) impossible",
        r"(?:that|it|this)(?:'s| is) not (?:our|the|company) policy",
        r"(?:that|it) isn'?t our policy",
        r"(?:that|it|this)(?:'s| is) against (?:our|company|the) polic(?:y|ies)",
        r"we (?:don'?t|do not) (?:do|offer|allow|accept|provide|support|give|sell|cover|refund|ship|"
        r"deliver|handle|make|issue|take)(?: that| this| it| those| these| refunds| exceptions)?",
        r"no,? we (?:don'?t|do not)",
        r"(?:that'?s|that is|it'?s|it is) not (?:something|a thing) (?:I|we) (?:do|offer|can do)",
        r"(?:that'?s|it'?s|you'?re) not (?:allowed|permitted)",
        r"(?:there'?s|there is) no way (?:I|we|to)",
        r"no can do",
    ]
)
# "I can't wait to sort this" is eager, not negative; honest limits on promises are P09's business.
CANNOT_IDIOM = re.compile(
    r"\s+(?:wait|thank you|believe|imagine|stress|emphasi[sz]e|tell you how|apologi[sz]e enough|"
    r"say (?:it )?enough|help but|promise|guarantee)\b",
    re.IGNORECASE,
)
CONDUCT = re.compile(
    r"\b(?:language|swearing|swear|abus\w*|insult\w*|name-calling|called names|spoken to|"
    r"speak to me|talk to me|respectful\w*|personal attacks?|threat\w*|profanity|tone|"
    r"personal (?:remarks?|comments?)|remarks? about me|calling me)\b",
    re.IGNORECASE,
)


def _is_negative(text: str, match: re.Match[str]) -> bool:
    if re.search(r"(?:can'?t|cannot|can not)$", match.group(), re.IGNORECASE) and CANNOT_IDIOM.match(
        text, match.end()
    ):
        return False
    # "I can't continue if the language…" is a boundary statement (P11), not negative phrasing.
    start, end = sentence_at(text, match.start())
    return not CONDUCT.search(text, start, end)


@register("calmline.negative_phrasing.v1", assigns=["negative_phrasing"])
def make_negative_phrasing() -> PhraseDetector:
    return PhraseDetector(
        "calmline.negative_phrasing.v1", "negative_phrasing", "P07", NEGATIVE, 0.8, _is_negative
    )


# --- hedging (P17) ----------------------------------------------------------------------

HEDGE_STRONG = phrases(
    [
        r"I think maybe",
        r"I guess",
        r"I suppose",
        r"(?:might|may|could|maybe) possibly",
        r"I'?m not (?:really |totally |entirely |completely |100% )?sure,? but",
        r"I'?m not (?:really |totally |entirely |completely |100% )?sure"
        r"(?! (?:I|if I|whether I) (?:understand|follow|caught|got|heard)| what you mean)",
        r"I don'?t really know",
        r"don'?t quote me(?: on (?:that|this))?",
        r"I think it might",
        r"I believe maybe",
        r"hopefully",
        r"fingers crossed",
        r"in theory",
        r"not (?:100%|a hundred percent) sure",
        r"I'?d imagine",
        r"more or less",
    ]
)
HEDGE_WEAK = phrases([r"probably", r"maybe", r"perhaps", r"kinda", r"sorta"])


def _weak_hedge_counts(text: str, match: re.Match[str]) -> bool:
    # "Would you maybe prefer a call?" is politeness, not doubt about a fact.
    start, end = sentence_at(text, match.start())
    return last_visible(text, end, start) != "?"  # without copying the sentence for each word


class Hedging:
    """Vague, unsure wording where the customer needs a clear answer (P17)."""

    name = "calmline.hedging.v1"
    roles = AGENT

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        strong = matches(HEDGE_STRONG, turn.text, context.index)
        # A weak word inside a strong hedge ("I think maybe") is counted once, as the strong one.
        inside_strong = Cover(s.span for s in strong)
        weak = [
            e
            for e in matches(HEDGE_WEAK, turn.text, context.index, _weak_hedge_counts)
            if not inside_strong.contain(e.span[0], e.span[0] + 1)
        ]
        found = sorted(strong + weak, key=lambda e: e.span)
        if not found:
            return []
        score = min(1.0, (0.8 if strong else 0.6) + 0.05 * (len(found) - 1))
        return [Signal(kind="hedging", score=score, evidence=found, practice="P17", detector=self.name)]


@register("calmline.hedging.v1", assigns=["hedging"])
def make_hedging() -> Hedging:
    return Hedging()


# --- apology (P14) ----------------------------------------------------------------------

APOLOGY = phrases(
    [
        r"(?:I'?m|I am|we'?re|we are) (?:so |very |really |truly |terribly |deeply |sincerely )?"
        r"sorry",
        r"I (?:do |sincerely |truly )?apologi[sz]e",
        r"we (?:do |sincerely )?apologi[sz]e",
        r"(?:my|our) (?:sincere |deepest )?apologies",
        r"sorry (?:about|for)",
        r"please accept (?:my|our) apolog(?:y|ies)",
    ]
)
# "I'm sorry, could you repeat that?" asks the customer to repeat; it is not an apology.
PARDON = re.compile(r"[,.]?\s*(?:\?|(?:could|can|would|what|who|I didn'?t catch|I missed)\b)", re.IGNORECASE)


NOT_APOLOGISING = re.compile(r"\b(?:be|not|n't)\s+$", re.IGNORECASE)


def _is_apology(text: str, match: re.Match[str]) -> bool:
    # "Nothing to be sorry about" reassures the customer; it is not the agent apologising.
    if NOT_APOLOGISING.search(text, max(0, match.start() - 12), match.start()):
        return False
    return match.group().lower().endswith(("about", "for")) or not PARDON.match(text, match.end())


@register("calmline.apology.v1", assigns=["apology"])
def make_apology() -> PhraseDetector:
    return PhraseDetector("calmline.apology.v1", "apology", "P14", APOLOGY, 0.85, _is_apology)


# --- boundary statement (P11) -----------------------------------------------------------

BOUNDARY = re.compile(
    r"\b(?:(?:I|we) (?:can'?t|cannot|won'?t|will not|am not able to|'?m not able to|am unable to|"
    r"'?m unable to|don'?t|do not|will have to|'ll have to|may have to|need to) (?:continue|accept|"
    r"tolerate|be spoken to|allow|end|close|stop|disconnect)"
    r"|(?:please|kindly|let'?s) (?:keep|remain|stay)"
    r"|if (?:the|this|that) (?:language|swearing|abuse|insults?|shouting|behaviou?r) "
    r"(?:continues?|doesn'?t stop|carries on|goes on)"
    r"|I(?:'m| am) (?:happy|here|glad) to help,? (?:but|as long as)"
    r"|I want to help(?: you)?(?: with (?:this|that|it))?,? but"
    r"|I need (?:us|you) to (?:keep|stay|remain|stop)"
    r"|(?:please )?(?:leave|keep) (?:the |your |those |any )?(?:[\w-]+ ){0,2}?(?:remarks?|comments?|"
    r"language|insults?|names?|swearing) out of (?:it|this|our conversation)"
    r"|please (?:stop|don'?t) (?:the |using )?(?:[\w-]+ )?(?:swearing|insults?|name-calling|calling me)"
    r"|I(?:'m| am) (?:now )?(?:ending|closing|going to end) (?:this|the|our) (?:call|chat|"
    r"conversation))",
    re.IGNORECASE,
)


class BoundaryStatement:
    """A sentence that sets a limit on abusive language or behaviour (P11)."""

    name = "calmline.boundary_statement.v1"
    roles = AGENT

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        text = turn.text
        found = [
            evidence(context.index, text, start, end)
            for start, end in sentences(text)
            if BOUNDARY.search(text, start, end) and CONDUCT.search(text, start, end)
        ]
        if not found:
            return []
        return [
            Signal(kind="boundary_statement", score=0.9, evidence=found, practice="P11", detector=self.name)
        ]


@register("calmline.boundary_statement.v1", assigns=["boundary_statement"])
def make_boundary_statement() -> BoundaryStatement:
    return BoundaryStatement()
