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
        # Deference that means the opposite: "well, clearly you know better".
        r"(?:well,? )?(?:clearly|obviously|apparently|evidently|of course) you (?:know|knew|understand) "
        r"(?:better|best|more|everything|it all)",
        r"you(?:'re| are) (?:clearly|obviously|apparently|evidently) (?:the|an) expert",
        r"since you(?:'re| are) (?:such an?|the) expert",
        r"since you (?:seem to )?know (?:so much|better|best|everything|it all)",
        r"you (?:obviously|clearly|must) know (?:better|best|more) than (?:me|us|I)",
        r"I'?m sure you did",
        # Praise for a mishap: "congratulations, you found a bug".
        r"(?:congratulations|congrats|well done|bravo|nice going|nice work|good job|great job|way to go)[,!.]*"
        r" you(?:'ve| have)? (?:found|managed|broke|broken|discovered|figured|finally|worked out|spotted|"
        r"caught|done it)",
        r"lucky you",
        r"must be nice",
        r"what a (?:surprise|shock|shocker)",
        r"surprise,? surprise",
        r"(?:who|who'?d) (?:would|could)?(?:'?ve| have)? (?:thought|guessed)",
        r"you don'?t say",
        r"tell me something I don'?t know",
        r"I'?ll (?:type|say (?:it|this)|explain (?:it|this)|go) (?:more )?slowly",
        r"let me spell it out",
        r"news ?flash",
        r"as you (?:well|surely) know",
        r"as I'?m sure you(?:'re| are) (?:well )?aware",
        r"(?:oh|ah),? (?:great|wonderful|brilliant|fantastic|perfect|lovely|marvellous),? (?:another|so now|"
        r"now you|just what)",
    ]
)
# Thanks with the volume turned up ("thanks SO much for your patience") or for kindness the customer
# did not show ("thanks for the kind words") is sarcastic after a fight, and sincere in a calm chat.
EMPHATIC_THANKS = re.compile(  # case matters: "SO much" is emphasis, "so much" is not
    r"(?<![\w'])(?i:thanks|thank you)(?: (?:SO+|[Ss]o{3,}|\*so\*|_so_|REALLY|VERY) (?i:much)"
    r"|(?i: a (?:bunch|lot)| for (?:the|your) (?:kind words|lovely (?:message|words|comments?)|politeness|"
    r"manners|warm welcome)))(?![\w'])",
)
HEATED = frozenset({"anger", "abuse_at_agent", "offensive", "shouting", "venting"})
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
        r"(?:it|that|this)(?:'s| is| was) not (?:our|the company'?s) fault",
        r"(?:it|that|this) (?:isn'?t|wasn'?t) (?:our|the company'?s) fault",
        r"(?:we'?re|we are) not (?:responsible|to blame|at fault)",
        r"nothing to do with (?:me|us)",
        r"I(?:'m| am) (?:just|only) the messenger",
        # A non-apology: sorry for how they feel, not for what happened.
        r"(?:I'?m|I am|we'?re|we are) sorry (?:that |if )?you feel (?:that way|like that|this way)",
        r"sorry if you (?:feel|felt|were|are) (?:offended|upset|that way|like that)",
    ]
)
CALM_DOWN = phrases(
    [
        r"calm(?:ing)? down",
        r"calm yourself(?: down)?",
        r"settle down",
        r"chill out",
        r"(?:there'?s|there is )?no need to (?:shout|yell|scream|panic|get (?:so |that )?"
        r"(?:angry|upset|worked up|emotional|aggressive|excited))",
        r"stop (?:shouting|yelling|screaming)",
        r"lower your voice",
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
# Telling the customer how to speak: about their words, tone or manners, as an order, a reproach or a
# threat to stop helping. A calm boundary about insults aimed at the agent (P11) is a different thing:
# it says what the agent will do ("if the insults continue I'll end the call") and the boundary
# detector below finds it; these are the scolding forms.
MANNER = r"(?:language|tone|words|mouth|attitude|manners|temper|profanity|swearing)"
TONE_POLICING = phrases(
    [
        r"(?:watch|mind|moderate|tone down|clean up|check) (?:your|the|that) " + MANNER,
        r"(?:there'?s|there is) no (?:need|call) (?:to be|for) (?:so |that |this |such )?(?:rude|nasty|abusive|"
        r"aggressive|hostile|insulting|disrespectful|impolite|that|such language|language like that|"
        r"swearing|bad language|(?:that|this|the|such) (?:kind of )?" + MANNER + r")",
        r"(?:there'?s|there is )?no need to (?:swear|curse|use (?:that|such|bad) language|be (?:so )?rude)",
        r"(?:don'?t|do not) (?:you )?(?:dare )?(?:speak|talk|swear) (?:to|at) me(?: like that| that way| in that tone)?",
        r"(?:don'?t|do not) (?:take|use) (?:that|this) (?:tone|language)(?: with me)?",
        r"(?:I|we) (?:do not|don'?t) (?:appreciate|tolerate|like) (?:your|that|this|the) " + MANNER,
        r"(?:that|such|this|your) (?:kind of |sort of )?(?:language|tone|attitude|behaviou?r|swearing) "
        r"(?:is(?:n'?t| not)?|won'?t|will not|doesn'?t|does not) (?:un)?(?:acceptable|necessary|appropriate|"
        r"called for|helpful|help(?:ing)?|get you)",
        r"(?:you )?(?:need|have) to (?:be|start being|stay) (?:more )?(?:polite|respectful|civil|courteous)",
        r"(?:please )?be (?:more )?(?:polite|respectful|civil|courteous)",
        r"(?:language|manners),? please",
        r"kindly refrain from (?:swearing|cursing|using|shouting)",
        r"(?:please )?(?:stop|quit) (?:swearing|cursing|using (?:that|such|bad) language)",
        r"if you can'?t (?:be (?:civil|polite|respectful)|speak (?:nicely|properly|politely|respectfully))",
        r"I'?d (?:ask|appreciate (?:it )?if) you (?:not to swear|didn'?t swear|watched your " + MANNER + ")",
        # A threat to stop helping until they speak differently: "I won't help you if you keep swearing".
        r"(?:I|we)(?:'m| am|'re| are)? (?:won'?t|will not|can'?t|cannot|refuse to|not going to) (?:help|assist|"
        r"deal with|serve|talk to|speak (?:to|with)) you(?: any ?(?:more|further))? (?:if|while|until|unless|"
        r"when|as long as) you(?:'re| are)? (?:keep |continue |carry on |start )?(?:to )?(?:swear\w*|curs\w*|"
        r"shout\w*|yell\w*|being rude|rude|talk\w* (?:to me )?like|speak\w* (?:to me )?like|us\w+ (?:that|such|"
        r"bad) language|calm down|(?:are|can be|start being|learn to be) (?:polite|civil|respectful))",
    ]
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


def after_a_fight(context: Context) -> bool:
    """Whether the customer's last turn was heated (angry, abusive, shouting) or the mood is low."""
    last = context.last(Role.customer)
    heated = last is not None and any(s.kind in HEATED and s.score >= 0.5 for s in last.signals)
    return heated or context.state.mood <= -2


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

    One signal per category found; ``data.category`` is sarcasm, defensive, calm_down, tone_policing
    or anger.
    """

    name = "calmline.hostile_tone.v1"
    roles = AGENT
    scores: ClassVar[dict[str, float]] = {
        "sarcasm": 0.85,
        "defensive": 0.8,
        "calm_down": 0.9,
        "tone_policing": 0.85,
        "anger": 0.9,
    }

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        text, index = turn.text, context.index
        found = {
            "sarcasm": matches(SARCASM, text, index, _is_sarcasm)
            + _sentence_starts(WHATEVER, text, index)
            + (matches(EMPHATIC_THANKS, text, index) if after_a_fight(context) else []),
            "defensive": matches(DEFENSIVE, text, index),
            "calm_down": matches(CALM_DOWN, text, index, _said_to_customer)
            + _sentence_starts(RELAX, text, index),
            "tone_policing": matches(TONE_POLICING, text, index),
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


# --- minimising (P02) ------------------------------------------------------------------

# Making the problem smaller than the customer feels it is. Built as: a copula ("it's", "that was",
# "the delay is") + a diminisher ("only", "just", "merely") + a small amount or size; a negated
# magnitude ("not a big deal", "not the end of the world"); or a shrug at fate ("these things happen").
SMALL = (
    r"(?:(?:a |an )?(?:small|little|minor|slight|tiny|short|quick|brief|few|couple(?: of)?|bit of a|one-off)"
    r"|(?:a |an )?(?:typo|glitch|blip|hiccup|formality)"
    r"|(?:one|two|three|four|five|a few|a couple of|\d+) (?:extra |more )?(?:minutes?|hours?|days?|weeks?)"
    r"|[$£€]\s?\d+(?:[.,]\d+)*|\d+(?:\.\d+)? ?(?:pounds?|dollars?|euros?|pence|p|cents?|quid|bucks))"
    r"(?: (?:delay|wait|charge|fee|difference|issue|problem|thing|amount|mistake|glitch|hiccup|error))?"
)
DIMINISHER = r"(?:only|just|merely|simply|a mere|really only|honestly just|literally just)"
COPULA = (
    r"(?:it'?s|it is|that'?s|that is|this is|it was|that was|it'?s been|it has been|it'?s only been|"
    r"the (?:delay|charge|fee|difference|wait|problem|issue|error|amount|mistake) (?:is|was))"
)
MINIMISING = phrases(
    [
        COPULA + r" " + DIMINISHER + r" " + SMALL,
        DIMINISHER
        + r" (?:one|two|three|four|five|a few|a couple of|\d+) (?:extra |more )?(?:minutes?|hours?|"
        r"days?|weeks?)(?: late| behind| over| extra| more)?",
        r"(?:(?:it'?s|that'?s|this is|it is|that is)(?: really| honestly)? not|this isn'?t|it isn'?t|that isn'?t)"
        r"(?: really| honestly)? (?:a |that |such a |too )?(?:big|huge|major|massive|serious) (?:a )?"
        r"(?:deal|problem|issue)",
        r"no (?:big|huge) deal",
        r"not (?:the end of the world|that (?:bad|serious|important|big)|a disaster|a huge problem)",
        r"(?:it|this|things|that) could (?:have been|be) (?:a lot |much |far )?worse",
        r"(?:these|such|those) things (?:do )?happen",
        r"(?:it|that|stuff|delays|mistakes|glitches|errors) (?:happens?|do happen)"
        r"(?: (?:sometimes|from time to time|all the time|to everyone|occasionally))?",
        r"at least (?:it|you|your \w+|the \w+)\b(?! \d)",
        r"(?:you'?re|you are) (?:making|blowing) (?:a (?:big )?(?:deal|fuss)|this (?:up|out of proportion)|"
        r"a mountain)",
        r"(?:it'?s|that'?s) (?:nothing|no biggie|no drama|not so bad)",
        r"nothing to (?:get (?:upset|worked up|angry|stressed|excited)|be (?:upset|angry)) about",
        r"(?:isn'?t|is not|wasn'?t|was not|aren'?t|are not) (?:that|really|very) (?:long|much|a lot|late)",
        r"you(?:'re| are) not the only one",
        r"(?:everyone|everybody|lots of (?:people|customers)|loads of people) (?:has|have|gets?) (?:this|the same) "
        r"(?:problem|issue)",
        COPULA
        + r" (?:just |only |merely )?(?:a )?(?:minor|small|slight|little|tiny) (?:inconvenience|hiccup|"
        r"blip|glitch|thing|issue)",
    ]
)
# "It'll only take a few minutes", "in just two days", "for only £5 more" describe a task or an offer.
TASK_OR_OFFER_BEFORE = re.compile(
    r"\b(?:take|takes|taking|took|in|within|for|need|needs|cost|costs|than|about)\s+$", re.IGNORECASE
)
AGREES_BEFORE = re.compile(r"\b(?:not|n't|isn'?t|wasn'?t)\s+$", re.IGNORECASE)
SHRUG_ONLY = re.compile(
    r"(?:it|that|stuff|delays|mistakes|glitches|errors) (?:happens?|do happen)$", re.IGNORECASE
)
CLAUSE_START_BEFORE = re.compile(r"(?:^|[,;:—–]|\b(?:but|and|well|still|so))\s*$", re.IGNORECASE)
HAPPENS_WHEN = re.compile(
    r"\b(?:if|when|whenever|before|until|unless|so|how|why|what|in case)\s+$", re.IGNORECASE
)


def _is_minimising(text: str, match: re.Match[str]) -> bool:
    start, end = sentence_at(text, match.start())
    if last_visible(text, end, start) == "?":
        return False  # "Is that a big problem for you?" asks
    before = text[max(start, match.start() - 16) : match.start()]
    if TASK_OR_OFFER_BEFORE.search(before) or AGREES_BEFORE.search(before):
        return False  # "it's not just a small delay" agrees with the customer
    if match.group().lower().startswith("at least") and not CLAUSE_START_BEFORE.search(before):
        return False  # "you'll get at least the full amount" is a floor, not a consolation
    if SHRUG_ONLY.match(match.group()):
        # "It happens" shrugs; "if it happens again, call me" and "it happens to be" do not.
        follows = text[match.end() : match.end() + 8].lstrip()
        return not HAPPENS_WHEN.search(before) and (not follows or follows[0] in ".!,;—–")
    return True


class Minimising:
    """The agent makes the customer's problem sound small (P02): it dismisses the feeling it should name.

    A signal of its own (``minimising``, P02), not a hostile tone: "it's only two days" is said kindly as
    often as not, and what it misses is the customer's feeling, not the agent's calm.
    """

    name = "calmline.minimising.v1"
    roles = AGENT

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        found = matches(MINIMISING, turn.text, context.index, _is_minimising)
        if not found:
            return []
        return [
            Signal(
                kind="minimising",
                score=0.8,
                evidence=found,
                practice="P02",
                detector=self.name,
            )
        ]


@register("calmline.minimising.v1", assigns=["minimising"])
def make_minimising() -> Minimising:
    return Minimising()


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
        r"I(?:'ve| have) already (?:explained|answered|told you) (?:this|that)",
        r"as (?:previously|already) (?:stated|advised|explained|mentioned)",
        r"as (?:stated|advised|explained) (?:previously|before|in my (?:last|previous|earlier) (?:email|message|reply))",
        r"please (?:re-?read|refer (?:back )?to) (?:my|our) (?:previous|last|earlier) (?:email|message|reply)",
    ]
)
# Blame, written over the grammar of a reproach rather than listed phrase by phrase: the customer as
# subject ("you") + a failure (a negated past, a verb of missing, a wrong input, an absence, a
# counterfactual). Verbs of receiving, needing and knowing are left out: "you didn't receive the
# email" and "you should have your card by Friday" are news, and "we should have caught that" is
# the company's own fault.
NEUTRAL_VERB = (
    r"(?:receiv\w*|g[eo]t\w*|hear\w*|see|seen|saw|need\w*|ha(?:ve|d) (?:to|a|an|any|the|your|it|that)|"
    r"deserv\w*|expect\w*|mean\w*|meant|know|knew|want\w*|cause\w*|ask for (?:this|that|any of this)|"
    r"do (?:anything|a thing|any of this) wrong|did (?:anything|nothing) wrong)\b"
)
FAILED = r"(?:didn'?t|did not|never|failed to|forgot to|neglected to|chose not to|decided not to|omitted to)"
PARTICIPLE = (
    r"(?:(?!(?:received|been|got|gotten|had|heard|needed|wanted|liked|preferred|seen|noticed)\b)[a-z]+ed|read|"
    r"told|kept|given|sent|paid|done|gone|made|taken|written|left|spoken|rung|put|set|brought|bought|"
    r"understood|known|let)\b"
)
WRONG = r"(?:wrong(?:ly)?|incorrect(?:ly)?|invalid|outdated|out of date|old|by mistake|by accident)"
LECTURE_BLAME = phrases(
    [
        # A failure: "you didn't tick the box", "you never told us", "you forgot to add the flat number".
        r"you (?:also |just |simply )?" + FAILED + r" (?!" + NEUTRAL_VERB + r")[a-z]+",
        r"you (?:missed|ignored|overlooked|misread|misunderstood|forgot|skipped|disregarded) (?:the|our|my|your|"
        r"a|an|it|that|this|both|all|every|to)\b",
        # A wrong input: "you entered the wrong postcode", "you typed your email incorrectly".
        r"you (?:entered|gave(?: us)?|typed|put(?: in)?|chose|selected|picked|ticked|used|provided|booked|"
        r"ordered|spel(?:led|t)|filled (?:in|out)|wrote|registered|input|sent(?: us)?)\b[^.!?;,]{0,40}?\b"
        + WRONG,
        # An absence: "you weren't home when the driver came".
        r"you (?:weren'?t|were not|was not|wasn'?t) (?:at home|home|in|there|around|available|present|"
        r"reachable|answering|at the (?:address|property|house|door))\b",
        # A reproach in the modal perfect: "you should have", "you could just have asked".
        r"you should(?:n't| not)? have (?!(?:received|got|gotten|been|access|a|an|the|one|it|your|"
        r"everything|all|some|any|no|them|that|this|these|those)\b)(?!(?:seen|had|heard) (?:\w+ )?"
        r"(?:email|text|message|letter|notification|update|confirmation|call|reply)s?\b)[a-z]+",
        r"you (?:could|might) (?:just |simply |easily |always )?have (?:just )?(?:asked|called|checked|read|told|"
        r"contacted|looked|mentioned|said|e-?mailed|rung|phoned|waited|let us know|updated)",
        r"you (?:could|might) (?:just|simply|easily) have [a-z]+",
        r"you(?:'d| would) have (?:known|noticed|realised|realized|avoided)",
        # A counterfactual: "if you had read the email", "had you checked".
        r"(?:if you(?:'d| had)|had you) (?:just |only |actually |simply |bothered to )?" + PARTICIPLE,
        r"(?:it'?s|it is|that'?s|that is|this is|it was|that was) (?:all )?your (?:own )?"
        r"(?:responsibility|fault|problem|mistake|error|doing|job)",
        r"(?:it|that|this)(?:'s| is| was) (?:all )?(?:down to|because of) you\b",
        r"(?:it|that) was up to you",
        r"(?:that'?s|it'?s) on you",
        r"you(?:'re| are| were) responsible for",
        r"(?:the )?responsibility (?:is|was|lies|lay) (?:yours|with you)",
        r"you only have yourself to blame",
        r"you (?:were|are|'re) (?:supposed|meant|required|expected|told|asked) to",
        r"you should (?:know|have known|read)",
        r"you agreed to",
        # The past of a duty is a reproach: "you needed to allow more time" (the future "you'll need to" is advice).
        r"you needed to (?!" + NEUTRAL_VERB + r")[a-z]+",
        r"(?:it'?s|it is|that'?s|that is) the (?:account )?(?:holder|customer|owner|policyholder|tenant|"
        r"passenger|user|buyer)'?s (?:responsibility|job)",
        r"you caused (?:this|it|the)",
        r"user error",
    ]
)
# "If you didn't get the code, I'll resend it" and "none of this is your fault" are not blame.
NOT_BLAME_BEFORE = re.compile(
    r"\b(?:if|unless|whether|in case|even if|none of|not|n't|never|no|sorry|shame|pity)\b[^.!?,;]{0,24}$",
    re.IGNORECASE,
)


def _is_blame(text: str, match: re.Match[str]) -> bool:
    start, end = sentence_at(text, match.start())
    if last_visible(text, end, start) == "?":
        return False
    return not NOT_BLAME_BEFORE.search(text, max(start, match.start() - 30), match.start())


# Policy recited at the customer: a frame ("as per our policy", "under the terms") or the policy as
# the subject of a restriction ("our policy doesn't allow", "it's company policy").
RULEBOOK = (
    r"(?:our|the|your|company|store|standard) (?:[\w']+ )?(?:policy(?: wording)?|policies|terms(?: and conditions|"
    r" of (?:service|sale))?|t&cs|rules|guidelines|procedures?|conditions(?: of (?:carriage|sale|service|use))?|"
    r"agreement|contract)"
)
LECTURE_PREACH = phrases(
    [
        r"you (?:need|have|ought|got) to understand(?: that)?",
        r"(?:according to|per|as per|in line with|in accordance with|as (?:stated|outlined|set out|laid "
        r"out|explained|detailed|specified) in) " + RULEBOOK,
        RULEBOOK
        + r" (?:clearly |strictly |simply )?(?:states?|says?|stipulates?|dictates?|requires?|prohibits?|"
        r"forbids?|only (?:allows?|permits?|covers?)|(?:does not|doesn'?t|do not|don'?t|will not|won'?t) "
        r"(?:allow|permit|cover|let)|(?:is|are) (?:very )?clear|is that|is not to|is to (?:not|only|never))",
        r"(?:it'?s|it is|that'?s|that is|this is) (?:just |simply )?(?:our|the|company|store|standard) "
        r"(?:\w+ )?(?:policy|procedure|rules)",
        r"our (?:policy|terms) clearly (?:states?|says?)",
        r"as (?:clearly )?stated in (?:the|our|your|section|clause|paragraph)",
        r"(?:it'?s|that'?s|this is) (?:really |just |pretty |very )?basic (?:\w+ )?(?:hygiene|stuff|security|common sense)",
        r"so (?:this|that|it) doesn'?t (?:keep )?happen(?:ing)?(?: again)?",
        r"you need to [^.!?;]{3,50}, otherwise you (?:won'?t|will not|can'?t|cannot)",
        r"did you (?:actually|even|really) (?:check|read|try|look|restart|follow|do)",
        r"(?:nine|9) times out of (?:ten|10)",
        r"it (?:clearly )?says (?:so )?in (?:the|our) terms",
        r"(?:rules|policy) (?:are rules|is policy)",
        r"I(?:'ve got| have| need) to follow (?:the|our) (?:policy|procedure|rules|process)",
        r"if you read (?:the|our) (?:terms|policy|email|letter|manual|instructions)",
        # Advice for next time is a telling-off for this time: "next time, make sure you're in".
        r"(?:next time|in future|in the future),? (?:please |just )?(?:you(?:'ll| will)? (?:need to|have to|should|"
        r"must|might want to)|make sure|remember|try|be sure|check|read|ensure)",
        r"you (?:must|should|need to|have to) (?:always |really )?(?:make sure|ensure|remember)",
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
            "blame": (LECTURE_BLAME, 0.8, _is_blame),
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
        # Negated ability over the whole problem: an empty scope ("nothing", "not much", "no way") + the
        # agent + an ability, or the problem placed out of reach ("out of my hands", "my hands are tied").
        r"(?:there'?s|there is|there isn'?t|there is not) (?:really |honestly |simply |just |unfortunately )?"
        r"(?:nothing|not (?:much|a lot|anything)|very little|little|no more|no way)(?: (?:else|more|further))?"
        r"(?: that)? (?:I|we|anyone|anybody|one)(?: can| could|'m able to| am able to|'re able to| are able to|"
        r"'m allowed to| am allowed to)(?: (?:do|offer|change|help|fix)(?: (?:about (?:it|that|this)|for you))?)?",
        r"nothing (?:more|else|further) (?:I|we) (?:can|could) do",
        r"(?:it'?s|that'?s|this is|it is|that is) (?:completely |entirely |totally |simply )?(?:out of|beyond|"
        r"outside(?: of)?) (?:my|our) (?:hands|control|remit|power|authority)",
        r"(?:my|our) hands are tied",
        r"(?:it'?s|that'?s|it is|that is) not (?:up to|down to|my call|my decision|in my power|within my power)",
        r"(?:I|we) (?:have|'ve got) no (?:control|say|power|authority|way to|means to)",
        r"(?:I|we)(?:'m| am|'re| are) not (?:allowed|authori[sz]ed|permitted|in a position) to",
        r"(?:I|we) (?:don'?t|do not) have the (?:authority|power|ability|access|means|option) to",
        r"the system (?:won'?t|doesn'?t|does not|will not|can'?t|cannot) (?:let|allow) (?:me|us)",
        r"(?:I'?m|I am) afraid not",
        r"(?:that|it|this) isn'?t (?:something|a thing|anything) (?:I|we) (?:do|offer|provide|support|can (?:do|help with))",
        r"(?:isn'?t|aren'?t|is not|are not|won'?t be|will not be) (?:possible|an option|allowed|permitted)",
        # The customer told what they can't do: "you can't return opened items".
        r"you (?:can'?t|cannot|won'?t be able to|aren'?t able to|are not able to|aren'?t allowed to|"
        r"are not allowed to)(?! (?:miss|go wrong|beat|be too careful|wait))",
        r"no(?:body| one) (?:can|could|is able to|will be able to) (?:help|do|change|fix)",
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


# "If you can't find the email, I'll resend it" plans for a difficulty; it refuses nothing.
CONDITION_BEFORE = re.compile(r"\b(?:if|when|unless|in case|whether)\s+$", re.IGNORECASE)


def _is_negative(text: str, match: re.Match[str]) -> bool:
    if re.search(r"(?:can'?t|cannot|can not)$", match.group(), re.IGNORECASE) and CANNOT_IDIOM.match(
        text, match.end()
    ):
        return False
    if CONDITION_BEFORE.search(text, max(0, match.start() - 12), match.start()):
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
        r"(?:my|our) (?:sincere(?:st)? |deepest |heartfelt |humble(?:st)? )?apolog(?:y|ies)",
        r"sorry (?:about|for)",
        r"please accept (?:my|our) apolog(?:y|ies)",
    ]
)
# "I'm sorry, could you repeat that?" asks the customer to repeat; it is not an apology.
PARDON = re.compile(r"[,.]?\s*(?:\?|(?:could|can|would|what|who|I didn'?t catch|I missed)\b)", re.IGNORECASE)


NOT_APOLOGISING = re.compile(r"\b(?:be|not|n't)\s+$", re.IGNORECASE)


# "Sorry you feel that way" regrets the customer's reaction, not what happened (a non-apology, P01).
NON_APOLOGY = re.compile(
    r"\s*(?:that |if )?you (?:feel|felt|were|are) (?:that way|like that|this way|offended)", re.IGNORECASE
)


def _is_apology(text: str, match: re.Match[str]) -> bool:
    # "Nothing to be sorry about" reassures the customer; it is not the agent apologising.
    if NOT_APOLOGISING.search(text, max(0, match.start() - 12), match.start()):
        return False
    if NON_APOLOGY.match(text, match.end()):
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
