"""Offensive words, and telling venting about a thing from abuse aimed at the agent (P11)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from calmline.engine.context import Context
from calmline.engine.detectors._cues import (
    Cover,
    Cues,
    Disjoint,
    Hit,
    clause_before,
    cue,
    lowered,
    rx,
    scan,
    strongest,
)
from calmline.engine.detectors._phrase import CUSTOMER
from calmline.engine.registry import register
from calmline.engine.text import evidence
from calmline.model import Evidence, Signal, Turn

# --- the lexicon -------------------------------------------------------------------------

# Characters people type over letters to mask a swear word: f***, sh!t, b!tch, a$$.
_M = r"[*#@%!$_.\-]"


class Word(NamedTuple):
    """A lexicon entry and what it weighs in each of the three judgements.

    ``offensive`` is how strong the word itself is; ``venting`` how strongly it vents when
    aimed at a thing; ``at_agent`` how abusive it is when aimed at the person addressed
    (0: it is not said of people). ``pos`` is how it can be aimed: a ``noun`` ("you idiot"),
    an ``adj`` ("you're useless") or neither.
    """

    pattern: str
    offensive: float
    venting: float
    at_agent: float
    kind: str  # profanity | insult | slur | negative
    pos: str = ""


_FUCK = (
    rf"(?:mother|mutha|motha|muther)?(?:f(?:uck|ukk|uk|ck|u{_M}{{1,2}}k|{_M}{{1,2}}ck|{_M}{{1,2}}k|"
    rf"{_M}{{3}}|{_M}{{1,3}}(?=ing|in|ed|er))|fk(?=ing|in|n|ed|er))"
    r"(?:ing|in['’]?|ed|er|ers|s|face|head|heads|wit|wits|tard|n)?"
)
_SHIT = (
    rf"(?:bull|horse|ape|chicken)?(?:sh(?:it|{_M}t|{_M}{{2}}|1t)|s{_M}{{2,3}}t|\$h[i!1*]t)"
    r"(?:s|e|ty|tier|tiest|show|storm|load|ter|ting|ted)?"
)
_BITCH = rf"b(?:itch|{_M}tch|i{_M}ch|{_M}{{2}}ch|{_M}{{3,4}}h?|1tch)"
_ASS = rf"(?:ass|a{_M}{{2}}|@ss|a\$\$|arse)"
_DICK = rf"d(?:ick|{_M}ck|i{_M}k)"

LEXICON: tuple[Word, ...] = (
    # Phrases first, so the evidence quotes the whole insult.
    Word(rf"piece\s+of\s+(?:{_SHIT}|crap|garbage|trash|work|junk)", 0.8, 0.7, 0.95, "insult", "noun"),
    Word(
        r"waste\s+of\s+(?:space|oxygen|skin|air|a\s+(?:job|salary|human))",
        0.7,
        0.6,
        0.9,
        "insult",
        "noun",
    ),
    Word(
        r"excuse\s+for\s+a\s+(?:human(?:\s+being)?|person|company|business|agent)",
        0.6,
        0.6,
        0.85,
        "insult",
        "noun",
    ),
    Word(rf"son\s+of\s+a\s+{_BITCH}", 0.85, 0.7, 0.95, "insult", "noun"),
    Word(r"brain[\s-]?dead", 0.6, 0.6, 0.85, "insult", "adj"),
    # Slurs: hateful whoever they are aimed at.
    Word(
        r"n[i1!*]gg(?:er|a|ah|uh|az)s?|f[a@*]gg?(?:ot|ots|s|y)?|tr[a@]nn(?:y|ies)|"
        r"sp[i1]cs?|k[i1]kes?|wetbacks?|gooks?|dykes?|ragheads?|towelheads?|beaners?|"
        r"chinks?|pakis?|coons?|retards?|retarded|tards?",
        0.95,
        0.0,
        0.98,
        "slur",
        "noun",
    ),
    # Profanity.
    Word(_FUCK, 0.85, 0.8, 0.0, "profanity"),
    Word(r"f['’-]?ing|f['’-]in['’]?|effing|effin", 0.7, 0.7, 0.0, "profanity"),
    Word(r"freaking|freakin['’]?|frick(?:ing|in)?|frig(?:ging|gin)?", 0.3, 0.5, 0.0, "profanity"),
    Word(rf"(?:dip|shit)?{_SHIT}(?:head|heads|bag|bags|hole)", 0.8, 0.7, 0.9, "insult", "noun"),
    Word(_SHIT, 0.7, 0.7, 0.0, "profanity"),
    Word(r"stfu|gtfo", 0.85, 0.0, 0.9, "profanity"),
    Word(r"wtf|omfg|ffs|mf(?:er|ers|s)?", 0.6, 0.65, 0.0, "profanity"),
    Word(rf"{_BITCH}(?:es|y|ass)?", 0.8, 0.7, 0.95, "insult", "noun"),
    Word(rf"{_BITCH}(?:ing|in)", 0.6, 0.65, 0.0, "profanity"),
    Word(
        rf"{_ASS}(?:hole|holes|hat|hats|wipe|wipes|clown|clowns|face|head|heads)",
        0.8,
        0.7,
        0.95,
        "insult",
        "noun",
    ),
    Word(rf"(?:dumb|jack|smart){_ASS}(?:es)?", 0.75, 0.65, 0.9, "insult", "noun"),
    Word(_ASS, 0.55, 0.6, 0.0, "profanity"),
    Word(rf"c(?:unt|{_M}nt|u{_M}t|{_M}{{2}}t)s?", 0.95, 0.7, 0.98, "insult", "noun"),
    Word(rf"{_DICK}(?:head|heads|wad|wads|face)", 0.85, 0.65, 0.95, "insult", "noun"),
    Word(rf"{_DICK}s?", 0.6, 0.55, 0.85, "insult", "noun"),
    Word(r"cocksuckers?", 0.9, 0.7, 0.95, "insult", "noun"),
    Word(
        r"pricks?|twats?|wankers?|douche(?:bag|bags|canoe|s)?|tossers?|pussy|pussies|"
        r"sluts?|whores?|skanks?|hoes?",
        0.8,
        0.6,
        0.95,
        "insult",
        "noun",
    ),
    Word(rf"b(?:astard|{_M}stard|ast{_M}rd|{_M}{{2}}tard)s?", 0.7, 0.65, 0.9, "insult", "noun"),
    Word(r"piss(?:ed|ing|es)?(?:\s+off)?", 0.45, 0.6, 0.0, "profanity"),
    Word(rf"(?:god\s*)?d(?:a|{_M})mn(?:ed|it)?|dammit|goddam(?:n|mit)?", 0.3, 0.55, 0.0, "profanity"),
    Word(r"hell", 0.25, 0.5, 0.0, "profanity"),
    Word(r"crap(?:py|pier|piest|s)?", 0.35, 0.6, 0.0, "profanity"),
    Word(r"bloody|bugger|bollocks|bs", 0.3, 0.55, 0.0, "profanity"),
    # Insults said of people (and, some of them, of things).
    Word(r"idiots?|morons?|imbeciles?|cretins?", 0.75, 0.6, 0.95, "insult", "noun"),
    Word(r"idiotic|moronic|brainless", 0.7, 0.65, 0.9, "insult", "adj"),
    Word(
        r"(?:dim|half|nit)wits?|numpty|numpties|muppets?|plonkers?|pillocks?|dunces?|"
        r"buffoons?|nincompoops?|dolts?|dumbos?",
        0.6,
        0.5,
        0.85,
        "insult",
        "noun",
    ),
    Word(r"scum(?:bags?)?|lowlifes?|vermin|parasites?|leeches", 0.75, 0.6, 0.9, "insult", "noun"),
    Word(
        r"cows?|twits?|prats?|jobsworths?|gits?|berks?|wally|wallies|knobs?|knobheads?|bellends?|"
        r"nitwits?|airheads?|dimwits?",
        0.6,
        0.4,
        0.9,
        "insult",
        "noun",
    ),
    Word(
        r"condescending|arrogant|patroni[sz]ing|smug|laziest|dumbest|thickest",
        0.3,
        0.0,
        0.75,
        "negative",
        "adj",
    ),
    Word(
        r"losers?|jerks?|clowns?|fools?|pigs?|monkeys?|liars?|thie(?:f|ves)|crooks?|frauds?|"
        r"scammers?|con\s+artists?",
        0.5,
        0.55,
        0.8,
        "insult",
        "noun",
    ),
    Word(r"stupid(?:est)?|dumb(?:est)?|thick|dense", 0.55, 0.65, 0.85, "insult", "adj"),
    Word(
        r"useless|worthless|hopeless|pathetic|incompetent|clueless|ignorant|spineless|"
        r"gutless|disgusting|a\s+(?:total\s+|complete\s+|absolute\s+|" + _FUCK + r"(?:ing|in)?\s+)?"
        r"(?:joke|disgrace|clown\s+show|waste\s+of\s+time)",
        0.4,
        0.6,
        0.75,
        "negative",
        "adj",
    ),
    Word(r"ugly|fat|lazy|rude|deaf|blind|slow", 0.2, 0.0, 0.55, "negative", "adj"),
    # Strong words for things and situations: venting, never offensive on their own.
    Word(
        r"ridiculous|absurd|outrageous|unacceptable|laughable|atrocious|appalling|"
        r"disgraceful|shambolic|horrendous|unbelievable|insane|joke|scam|rip[\s-]?off|"
        r"disgrace|shambles|farce|nightmare|sucks|sucked|sucky|"
        r"(?:absolute|complete|total|utter|pure|such)\s+(?:garbage|rubbish|trash|junk)",
        0.0,
        0.55,
        0.0,
        "negative",
    ),
    Word(
        r"sick\s+and\s+tired|sick\s+of|fed\s+up|had\s+(?:it|enough)|enough\s+is\s+enough|"
        r"fuming|livid",
        0.0,
        0.55,
        0.0,
        "negative",
    ),
    Word(r"terrible|awful|horrible|worst", 0.0, 0.4, 0.0, "negative"),
)

_LEXICON_RE = re.compile(
    r"(?<![\w'’])(?:" + "|".join(f"(?P<w{i}>{w.pattern})" for i, w in enumerate(LEXICON)) + r")(?![\w'’])"
)
_NOUNS = "|".join(w.pattern for w in LEXICON if w.pos == "noun")
_ADJS = "|".join(w.pattern for w in LEXICON if w.pos == "adj")


@dataclass(frozen=True, slots=True)
class Found:
    """A lexicon word in a turn."""

    start: int
    end: int
    word: Word


def lexicon_words(text: str) -> list[Found]:
    """Every lexicon word in ``text`` (a lowered turn)."""
    found = []
    for m in _LEXICON_RE.finditer(text):
        if m.lastgroup:  # always: every alternative is a group named w<index>
            found.append(Found(m.start(), m.end(), LEXICON[int(m.lastgroup[1:])]))
    return found


# --- aimed at the agent ------------------------------------------------------------------

# The person addressed: "you", "you people", "your staff" (the agent's side), never "your app".
_YOU = (
    r"(?:you|u|ya|ye|yall|y['’]all|you\s+(?:guys|people|lot|all|folks|two|lads)|all\s+of\s+you|"
    r"your\s+(?:agents|staff|people|team|employees|reps|representatives|colleagues|"
    r"co-?workers|supervisors?|managers?|boss|techs?|technicians|support\s+(?:team|staff|people)|"
    r"customer\s+service(?:\s+(?:team|people|reps|agents))?))"
)
_IS = (
    r"(?:\s*['’]?\s*re|\s+(?:are|r|were|was|is|must\s+be|seem(?:\s+to\s+be)?|sound(?:\s+like)?|"
    r"look\s+like|act(?:ing)?\s+like|really\s+are|have\s+been|been|being|r\s+being))"
)
_YOU_ARE = rf"(?:\b{_YOU}{_IS}|\b(?:ur|youre|u\s*r))"
# Words that may stand between "you are" and the insult.
_MOD = (
    r"(?:a|an|the|such|so|really|just|completely|totally|absolutely|utterly|clearly|obviously|"
    r"literally|truly|seriously|genuinely|incredibly|unbelievably|very|pretty|being|acting|"
    r"like|all|one|some|kind|sort|of|nothing|but|real|big|little|biggest|most|complete|total|"
    r"absolute|utter|damn|goddamn|bloody|freaking|frigging|effing|fucking|f\S*ing|still|even|"
    r"as|too|ever|such\s+a|bunch|load|pack|group|team|lot|herd|useless|stupid|dumb|pathetic|"
    r"incompetent|worthless|lazy|ignorant|clueless|brainless|arrogant|rude|fat|ugly|old|"
    r"sorry|miserable)"
)
_INSULT = rf"(?P<insult>{_NOUNS}|{_ADJS})"
_AIMED = re.compile(
    rf"{_YOU_ARE}\s+(?:{_MOD}\s+){{0,5}}?{_INSULT}(?![\w'’])"
    rf"|\b(?:you|u|ya|ye)\s+(?:(?:{_MOD})\s+){{0,3}}?(?P<vocative>{_NOUNS})(?![\w'’])"
    rf"|\b(?:call(?:ing|ed)?|think|thinks|consider)\s+(?:you|u)\s+(?:{_MOD}\s+){{0,4}}?"
    rf"(?P<called>{_NOUNS}|{_ADJS})(?![\w'’])"
    rf"|(?:^|(?<=[.!?,;:]\s)|(?<=[.!?,;:]))\s*(?P<bare>{_NOUNS})\s*(?=[.!?]|$)"
)
# "You fool me", "you dick around": the noun is a verb there.
_VERB_USE = rx(
    r"\s+(?:me|us|him|her|them|around|about|out|anyone|nobody|yourself|people|"
    r"everyone|up|off|over)\b"
)
_NEGATION = rx(r"\b(?:not|never|n['’]t|no)\b")

_FUCK_YOU = rf"(?:{_FUCK}|f|eff|screw|sod|bugger)"
ABUSE_CUES = Cues(
    # Questioning the agent's intelligence or worth without a lexicon insult (our evaluation set).
    cue(
        r"\bare\s+you\s+(?:really\s+|just\s+|that\s+|this\s+|a\s+robot\s+or\s+just\s+)?"
        r"(?:thick|dense|dim|stupid|slow|simple|daft)\b|"
        r"\bwhat\s+kind\s+of\s+(?:an?\s+)?(?:idiot|moron|fool|clown)\s+are\s+you\b|"
        r"\b(?:single|one)\s+brain\s+cell\b|\banyone\s+(?:there\s+)?with\s+a\s+brain\b|"
        r"\biq\s+of\s+an?\b|\b(?:idiots?|morons?|fools?|clowns?)\s+like\s+you\b|"
        r"\byou\s+(?:don['’]?t|do\s+not)\s+deserve\s+(?:that|your|this)\s+job\b|"
        r"\btalking\s+to\s+a\s+(?:child|brick\s+wall|wall|toddler)\b",
        0.85,
        (
            "thick",
            "dense",
            "dim",
            "stupid",
            "slow",
            "simple",
            "daft",
            "kind of",
            "brain",
            "iq",
            "like you",
            "deserve",
            "talking to",
        ),
        negatable=False,
        target="agent",
    ),
    cue(
        rf"\b{_FUCK_YOU}\s+(?:you|u|ya|y['’]?all|you\s+(?:guys|people|all)|off|yourself|"
        r"yourselves)\b|\bgo\s+(?:and\s+)?(?:" + _FUCK + r"|screw)\s+(?:yourself|yourselves|"
        r"off)\b",
        0.95,
        ("you", " u", "ya", "off", "yoursel"),
        negatable=False,
    ),
    # "Damn you!" curses; "Damn, you reply fast" does not.
    cue(
        r"\b(?:god\s*)?damn\s+(?:you|u|ya|y['’]?all)(?:\s+(?:all|people|guys))?"
        r"(?=\s*(?:[.!?,;]|$|to\s+hell))",
        0.85,
        ("damn",),
        negatable=False,
    ),
    cue(
        r"\b(?:shut\s+(?:the\s+(?:" + _FUCK + r"|hell|heck)\s+)?up|shut\s+(?:your|ur|yer)\s+"
        r"(?:mouth|face|trap|pie\s*hole|gob)|stfu|gtfo)\b",
        0.8,
        ("shut", "stfu", "gtfo"),
        negatable=False,
        idiom=r"\s+(?:about|already|shop|the\s+(?:door|window|system))\b",
        idiom_score=0.45,
    ),
    cue(
        r"\b(?:go\s+to\s+hell|kiss\s+my\s+(?:ass|arse|a\*\*)|bite\s+me|drop\s+dead|"
        r"eat\s+(?:shit|dirt)|go\s+die|kill\s+yourself|kys|rot\s+in\s+hell|burn\s+in\s+hell)\b|"
        # Imperatives only at the start of a clause: "did it get lost?" is a question.
        r"(?:^|(?<=[.!?,;:])|(?<=[.!?,;:]\s)|\b(?:just|you\s+(?:can|should|could)|now|so|"
        r"why\s+don['’]?t\s+you)\s+)(?:go\s+jump\s+off\s+a\s+(?:bridge|cliff)|"
        r"get\s+(?:lost|stuffed|bent))\b",
        0.9,
        ("hell", "kiss", "bite", "drop", "eat", "get", "die", "kill", "kys", "jump"),
        negatable=False,
    ),
    cue(
        r"\bwhat\s*(?:['’]?s|\s+is|\s+the\s+(?:hell|heck|" + _FUCK + r")\s+is)\s+wrong\s+with\s+"
        r"(?:you|u|ya|you\s+people|you\s+guys|y['’]?all|your\s+(?:people|staff|head|brain))\b",
        0.8,
        ("wrong",),
        negatable=False,
    ),
    cue(
        r"\bare\s+(?:you|u|ya)\s+(?:(?:really|just|even|actually|fucking|that|this|so|"
        r"completely|totally|bloody)\s+)?(?:stupid|dumb|deaf|blind|thick|slow|dense|"
        r"retarded|mental|brain[\s-]?dead|an?\s+(?:idiot|moron|imbecile|robot\s+or\s+what))\b|"
        r"\bhow\s+(?:stupid|dumb|thick|dense|incompetent|useless)\s+(?:are\s+you|can\s+you\s+be|"
        r"are\s+you\s+people)\b",
        0.8,
        ("are", "how"),
        negatable=False,
    ),
    cue(
        r"\b(?:can(?:['’]?t|not)?|do)\s+(?:you|u)\s+(?:even\s+|not\s+)?(?:read(?=\s*(?:[?.!]|$|"
        r"english|properly))|understand\s+(?:english|simple\s+english|plain\s+english|basic)|"
        r"have\s+a\s+brain|think\s+for\s+yourself|do\s+anything\s+right)|"
        r"\b(?:can|do)\s+(?:you|u)\s+even\s+read\b|\buse\s+your\s+(?:brain|head)\b|"
        r"\bdid\s+(?:you|u)\s+(?:even\s+)?(?:finish|go\s+to)\s+school\b|\bwho\s+hired\s+you\b",
        0.65,
        ("read", "understand", "brain", "think", "right", "head", "school", "hired"),
        negatable=False,
    ),
    cue(
        r"\b(?:i\s+)?hope\s+(?:that\s+)?(?:you|u|ya|y['’]?all|you\s+(?:guys|people))\s+"
        r"(?:all\s+)?(?:get\s+(?:fired|sacked|canned|hit|cancer)|lose\s+your\s+jobs?|die|rot|"
        r"burn|choke|suffer|drop\s+dead|get\s+what\s+(?:you|u)\s+deserve)\b|"
        r"\b(?:you|u)\s+(?:deserve|ought)\s+to\s+(?:die|suffer|rot|be\s+(?:fired|shot|beaten))\b",
        0.85,
        ("hope", "deserve", "ought"),
        negatable=False,
    ),
    cue(
        r"\bi\s*(?:['’]?ll|\s+will|['’]?m\s+going\s+to|\s+am\s+going\s+to)\s+(?:make\s+sure\s+"
        r"(?:you|u)\s+(?:get|are|lose)|get\s+(?:you|u))\s+(?:fired|sacked|canned|your\s+job)\b|"
        r"\b(?:you|u)\s+(?:should|need\s+to|ought\s+to)\s+(?:be|get)\s+(?:fired|sacked)\b|"
        r"\b(?:you|u)\s+(?:don['’]?t|do\s+not)\s+deserve\s+(?:a|your|this)\s+job\b",
        0.7,
        ("fire", "sack", "canned", "job"),
        negatable=False,
    ),
    cue(
        r"\byour\s+(?:(?:stupid|ugly|fat|dumb|fucking|f\S*ing|bloody|lazy|useless|incompetent)\s+)+"
        r"(?:face|head|brain|mouth|ass|arse|self|selves|mother|mom|mum|mama|kind|type|lot|voice)\b",
        0.8,
        ("your",),
        negatable=False,
    ),
    cue(
        r"\b(?:this|you)\s+(?:agent|rep|representative|operator|employee|advisor|adviser|"
        r"associate|person|guy|woman|lady|girl|man|clown)\s+(?:is|'s|are)\s+(?:"
        + _MOD
        + r"\s+){0,4}(?:"
        + _NOUNS
        + "|"
        + _ADJS
        + r")(?![\w'’])",
        0.7,
        ("this", "you"),
    ),
    cue(
        r"\b(?:you|u)\s+(?:guys\s+|people\s+|all\s+)?(?:suck|stink|are\s+the\s+worst)\b",
        0.6,
        ("suck", "stink", "worst"),
        idiom=r"\s+at\s+(?:this|it|that)\b",
        idiom_score=0.55,
    ),
)


def _aimed_hits(text: str, words: dict[int, Word]) -> list[Hit]:
    """Insults with the person addressed as subject or vocative, scored by the insult."""
    hits: list[Hit] = []
    for m in _AIMED.finditer(text):
        group = next(g for g in ("insult", "vocative", "called", "bare") if m.group(g))
        word = words.get(m.start(group))
        if word is None or word.at_agent == 0.0:
            continue
        score = word.at_agent
        if group == "vocative" and _VERB_USE.match(text, m.end()):
            continue
        if group == "bare":
            if word.at_agent < 0.85:
                continue  # "Fraud?!" is disbelief; "Idiot!" is name-calling
            score = min(score, 0.6)  # said alone, most likely to the agent
        if _NEGATION.search(text, m.start(), m.start(group)) or (
            group == "called" and _NEGATION.search(clause_before(text, m.start()))
        ):
            score = min(score, 0.3)
        # A bare insult is quoted alone; the others with the "you" that aims them.
        start, end = (m.start(group), m.end(group)) if group == "bare" else (m.start(), m.end())
        hits.append(Hit(start, end, score, {}))
    return hits


# --- venting -----------------------------------------------------------------------------

_POSITIVE_AFTER = rx(
    r"\s+(?:awesome|amazing|great|good|brilliant|love|loved|nice|perfect|yes|yeah|helpful|"
    r"fantastic|excellent|right|well|beautiful|delicious|cool|happy|glad|thanks?)\b"
)
_SELF_BEFORE = rx(
    r"\b(?:i\s*['’]?\s*m|i\s+am|im|i\s+was|i\s+feel(?:\s+like)?|made\s+me\s+(?:look|feel)"
    r"(?:\s+like)?|call\s+me|i\s+felt(?:\s+like)?)\s+(?:(?:such|so|a|an|an?\s+absolute|"
    r"complete|total|really|being|like|the)\s+)*$"
)


_NOT_BEFORE = rx(r"\b(?:not|never|n['’]t|no)\s+(?:so\s+|that\s+|very\s+|really\s+)?$")


def _venting_hits(text: str, found: list[Found], aimed: list[Hit]) -> list[Hit]:
    """Strong or profane words not aimed at the person: said of a thing or the situation."""
    hits: list[Hit] = []
    taken = Disjoint((h.start, h.end) for h in aimed)  # ``aimed`` is the strongest hits: disjoint
    for f in found:
        if f.word.venting == 0.0 or taken.overlaps(f.start, f.end):
            continue
        # What comes before is read within a clause's reach: searching from the start of the turn
        # read it again for each word (quadratic on a paste of swearing).
        reach = max(0, f.start - 80)
        if (
            _POSITIVE_AFTER.match(text, f.end)
            or _SELF_BEFORE.search(text, reach, f.start)
            or _NOT_BEFORE.search(text, reach, f.start)
        ):
            continue
        hits.append(Hit(f.start, f.end, f.word.venting, {}))
    return hits + scan(VENT_CUES, text, _NEGATION, 0.3)


# Things called worthless: "this app is garbage" (the bare noun is also the bin collection).
VENT_CUES = Cues(
    cue(
        r"\b(?:is|are|was|were|['’]s)\s+(?:(?:absolute|complete|total|utter|pure|such)\s+)?"
        r"(?:garbage|trash|rubbish|junk)\b",
        0.6,
        ("garbage", "trash", "rubbish", "junk"),
    ),
    cue(r"\b(?:screw|sod|bugger|damn)\s+(?:this|that|it)\b", 0.6, ("screw", "sod", "bugger", "damn")),
)


# --- shared analysis ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hostility:
    """Everything the two detectors need from one turn; computed once per text."""

    low: str  # the turn lowered, offsets unchanged
    words: tuple[Found, ...]
    at_agent: tuple[Hit, ...]


@lru_cache(maxsize=1024)
def hostility(text: str) -> Hostility:
    """The lexicon words and the insults aimed at the agent in ``text`` (cached: both
    detectors read the same turn)."""
    low = lowered(text)
    found = lexicon_words(low)
    at_agent = scan(ABUSE_CUES, low, _NEGATION, 0.3)
    if any(f.word.at_agent > 0.0 for f in found):
        at_agent += _aimed_hits(low, {f.start: f.word for f in found})
    return Hostility(low, tuple(found), tuple(at_agent))


def _evidence(hits: list[Hit], turn: Turn, context: Context) -> list[Evidence]:
    return [evidence(context.index, turn.text, h.start, h.end) for h in hits]


class Offensive:
    """Profane, insulting or hateful words, scored by the strongest (P11)."""

    name = "calmline.offensive.v1"
    roles = CUSTOMER

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        seen = hostility(turn.text)
        aimed = Cover((h.start, h.end) for h in strongest(seen.at_agent, 0.5))
        scored = [
            # An insult thrown at the agent offends more than the same word said of a bill.
            Hit(
                f.start,
                f.end,
                max(f.word.offensive, 0.6 if aimed.contain(f.start, f.end) else 0.0),
                {"kind": f.word.kind},
            )
            for f in seen.words
            if f.word.offensive > 0.0 or aimed.contain(f.start, f.end)
        ]
        hits = [h for h in scored if h.score > 0.0]
        best = max((h.score for h in hits), default=0.0)
        if best < self.threshold:
            return []
        score = min(1.0, best + 0.05 * (sum(h.score >= 0.5 for h in hits) - 1))
        kinds = sorted({h.data["kind"] for h in hits})
        return [
            Signal(
                kind="offensive",
                score=round(max(score, best), 3),
                evidence=_evidence(hits, turn, context),
                practice="P11",
                detector=self.name,
                data={"kinds": kinds},
            )
        ]


class Abuse:
    """Abuse aimed at the agent ("you idiot") versus venting at a thing ("this stupid bill")."""

    name = "calmline.abuse.v1"
    roles = CUSTOMER

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        seen = hostility(turn.text)
        aimed = strongest(seen.at_agent, self.threshold)
        vented = strongest(_venting_hits(seen.low, list(seen.words), aimed), self.threshold)
        signals = []
        if aimed:
            signals.append(self._signal("abuse_at_agent", aimed, "agent", turn, context))
        if vented:
            signals.append(self._signal("venting", vented, "thing", turn, context))
        return signals

    def _signal(self, kind: str, hits: list[Hit], target: str, turn: Turn, context: Context) -> Signal:
        best = max(h.score for h in hits)
        # Several strong words in one turn vent harder than one.
        score = best if kind == "abuse_at_agent" else min(1.0, best + 0.05 * (len(hits) - 1))
        return Signal(
            kind=kind,
            score=round(score, 3),
            evidence=_evidence(hits, turn, context),
            practice="P11",
            detector=self.name,
            data={"target": target},
        )


@register("calmline.offensive.v1", assigns=["offensive"])
def make_offensive(threshold: float = 0.5) -> Offensive:
    return Offensive(threshold)


@register("calmline.abuse.v1", assigns=["abuse_at_agent", "venting"])
def make_abuse(threshold: float = 0.5) -> Abuse:
    return Abuse(threshold)
