"""Urgent calls (P13): the emergency itself, and the callback number and location to capture."""

from __future__ import annotations

import re

from calmline.engine.context import Context
from calmline.engine.detectors._cues import (
    CueData,
    Cues,
    Hit,
    clause_before,
    cue,
    lowered,
    rx,
    scan,
    strongest,
    to_signal,
)
from calmline.engine.detectors._phrase import CUSTOMER
from calmline.engine.registry import register
from calmline.engine.text import evidence
from calmline.model import Role, Signal, Turn
from calmline.signals import EMERGENCY_KINDS

CUSTOMER_AND_AGENT = frozenset({Role.customer, Role.agent})

# --- the emergency -----------------------------------------------------------------------

# A machine or service that has stopped.
_FAILED = (
    r"(?:\s+(?:has|have|just|completely|totally))*\s*(?:stopped(?:\s+working)?|broke(?:n)?|"
    r"(?:has\s+)?died|quit|failed|gave\s+out|packed\s+(?:up|in)|conked\s+out|"
    r"(?:went|gone|going)\s+(?:out|off|down|cold)|keeps?\s+(?:going|cutting)\s+(?:out|off)|"
    r"(?:is|are|'s)\s+(?:out|off|down|broken|dead|gone|not\s+working|busted|kaput)|"
    r"(?:is|are)n['’]?t\s+working|not\s+working|won['’]?t\s+(?:turn|come|kick|switch|start)\s+on|"
    r"(?:does|do)(?:n['’]?t|\s+not)\s+work|cut\s+out|shut\s+(?:off|down))"
)
_HEATING = r"(?:furnace|boiler|heater|heating|heat|heat\s+pump|hvac|radiators?|central\s+heating)"
_COOLING = (
    r"(?:ac|a/c|a\.c\.?|air\s*con(?:ditioning|ditioner)?|air\s+conditioning|air\s+conditioner|"
    r"cooling|cooler|swamp\s+cooler)"
)
_SPOT = (
    r"(?:basement|cellar|kitchen|house|home|apartment|flat|bathroom|garage|room|bedroom|"
    r"living\s+room|floor|street|yard|ceiling|downstairs|upstairs|crawl\s*space|unit|place)"
)
_BURNABLE = (
    r"(?:house|home|kitchen|building|garage|car|outlet|socket|panel|breaker(?:\s+box)?|meter|"
    r"wires?|wiring|cord|plug|furnace|boiler|oven|stove|dryer|microwave|toaster|heater|unit|roof|"
    r"attic|apartment|flat|room|shed|transformer|pole|tree|truck|van|engine|battery|charger|"
    r"something|everything|place|fuse\s*box|extension\s+cord|chimney|pan|fryer|barn|porch)"
)
_PERSON = (
    r"(?:(?:my|our|his|her|the)\s+(?:\w+\s+)?(?:mother|mom|mum|father|dad|husband|wife|son|"
    r"daughter|baby|child|kid|grand\w+|partner|friend|neighbou?r|brother|sister|aunt|uncle|"
    r"patient|roommate|boyfriend|girlfriend)|he|she|they|someone|somebody|i)\b"
)


def _kind(name: str) -> CueData:
    return {"kind": name}


EMERGENCY_CUES = Cues(
    # Medical.
    cue(
        r"\b(?:fell|fallen|has\s+fallen|had\s+a\s+fall|collapsed|is\s+on\s+the\s+floor)\b"
        r"[^.!?]{0,30}?\b(?:can['’]?t|cannot|can\s+not|couldn['’]?t|unable\s+to|won['’]?t)\s+"
        r"(?:get|stand|move)(?:\s+up)?\b",
        0.95,
        ("fell", "fall", "collaps", "floor"),
        negatable=False,
        **_kind("medical"),
    ),
    cue(
        rf"\b{_PERSON}\s+(?:is\s+|['’]s\s+|was\s+|has\s+|just\s+|gone\s+)*(?:unresponsive|"
        r"not\s+responding|not\s+moving|stopped\s+breathing|turning\s+blue|won['’]?t\s+wake\s+up)\b",
        0.9,
        ("respon", "moving", "breath", "blue", "wake"),
        **_kind("medical"),
    ),
    cue(
        r"\b(?:collapsed|passed\s+out|fainted|unconscious|can['’]?t\s+"
        r"wake\s+(?:him|her|them)(?:\s+up)?|having\s+a\s+seizure|seizures?|"
        r"anaphyla\w+|allergic\s+reaction|overdos(?:ed|ing)|medical\s+emergency|in\s+labou?r|"
        r"(?:my|her)\s+water(?:\s+just)?\s+broke|contractions)\b",
        0.9,
        (
            "collaps",
            "passed",
            "faint",
            "conscious",
            "wake",
            "seizure",
            "anaphyla",
            "allergic",
            "overdos",
            "medical",
            "labo",
            "water",
            "contraction",
        ),
        **_kind("medical"),
    ),
    cue(
        r"\b(?:can['’]?t|cannot|can\s+not|can\s+barely|struggling\s+to|trouble|difficulty|hard\s+to|"
        r"isn['’]?t|is\s+not|not)\s+breath(?:e|ing)\b",
        0.9,
        ("breath",),
        negatable=False,
        **_kind("medical"),
    ),
    cue(
        r"\b(?:chest\s+pains?|heart\s+attack|having\s+a\s+stroke|had\s+a\s+stroke|is\s+a\s+stroke|"
        r"bleeding\s+(?:heavily|badly|a\s+lot|everywhere|out|profusely|won['’]?t\s+stop)|"
        r"(?:won['’]?t|doesn['’]?t)\s+stop\s+bleeding|choking|"
        r"(?:diabetic\s+(?:shock|coma|emergency)|blood\s+sugar\s+(?:is\s+)?(?:very\s+|really\s+|"
        r"dangerously\s+)?(?:low|high|crashing|dropping)))\b",
        0.85,
        ("chest", "heart", "stroke", "bleed", "chok", "diabet", "sugar"),
        idiom=r"\s+(?:reading|looking|when\s+i\s+saw|at\s+(?:the|this|that)\s+(?:bill|price))",
        idiom_score=0.1,
        **_kind("medical"),
    ),
    cue(
        r"\b(?:ambulance|paramedics?|(?:call(?:ed|ing)?|dial(?:led|ing)?|ring)\s+(?:911|999|112|"
        r"an\s+ambulance))\b|\b(?:hit|banged)\s+(?:his|her|my|their)\s+head\b|"
        r"\bbroke\s+(?:his|her|my|their)\s+(?:leg|arm|hip|neck|back|ankle)\b|"
        rf"\b(?:i\s+think\s+)?{_PERSON}\s*(?:['’]s|\s+is|\s+am|['’]m)\s+dying\b",
        0.8,
        ("ambulance", "paramedic", "911", "999", "112", "head", "broke", "dying"),
        idiom=r"\s+(?:to|of|for|laughing|inside|here|over)\b",
        idiom_score=0.0,
        **_kind("medical"),
    ),
    cue(
        r"\b(?:had|took)\s+a\s+(?:bad\s+|nasty\s+)?fall\b|\bfell\s+(?:down\s+)?(?:the\s+stairs|"
        r"in\s+the\s+(?:shower|bathroom|bath)|out\s+of\s+bed)\b",
        0.7,
        ("fall", "fell"),
        **_kind("medical"),
    ),
    # Heating and cooling.
    cue(
        rf"\b{_HEATING}{_FAILED}",
        0.7,
        ("furnace", "boiler", "heat", "hvac", "radiator"),
        idiom=r"\s+(?:last\s+(?:week|month|year|winter))",
        idiom_score=0.4,
        **_kind("no_heat"),
    ),
    cue(
        r"\b(?:no|without|zero)\s+(?:heat|heating|hot\s+water\s+or\s+heat)\b|"
        r"\bpilot\s+light\s+(?:is\s+|went\s+|keeps\s+going\s+)?out\b|"
        r"\bpipes?\s+(?:are\s+|have\s+)?(?:frozen|froze|freezing)\b",
        0.7,
        ("heat", "pilot", "pipe"),
        **_kind("no_heat"),
    ),
    cue(
        r"\b(?:it['’]?s|its|it\s+is|so|really|absolutely)\s+(?:freezing|frigid)\b|"
        r"\b(?:freezing|ice\s+cold|so\s+cold)\s+(?:in\s+here|inside|in\s+the\s+house)\b",
        0.35,
        ("freez", "frigid", "cold"),
        **_kind("no_heat"),
    ),
    cue(rf"\b{_COOLING}{_FAILED}", 0.7, ("ac", "a/c", "a.c", "air", "cool"), **_kind("no_cooling")),
    cue(
        r"\b(?:no|without)\s+(?:ac|a/c|air\s*con\w*|air\s+conditioning|cooling)\b|"
        r"\bheat\s+(?:stroke|exhaustion)\b",
        0.7,
        ("ac", "a/c", "air", "cool", "stroke", "exhaust"),
        **_kind("no_cooling"),
    ),
    cue(
        r"\b(?:it['’]?s|its|it\s+is)\s+(?:over\s+)?(?:9\d|1[0-2]\d)\s*(?:degrees|°)\s*(?:f\s+)?"
        r"(?:inside|in\s+here|in\s+the\s+house)\b|\b(?:boiling|sweltering|roasting|baking)\s+"
        r"(?:in\s+here|inside|in\s+the\s+house)\b",
        0.4,
        ("degrees", "°", "boil", "swelter", "roast", "bak"),
        **_kind("no_cooling"),
    ),
    # Water.
    cue(
        r"\bwater\s+(?:is\s+|keeps\s+)?(?:pouring|gushing|flooding|spraying|rising|coming\s+"
        r"(?:in|through|up|down|out)|everywhere|all\s+over)\b|\bwater\s+(?:in|through|from)\s+the\s+"
        r"(?:ceiling|light|lights|walls?|electrical|outlet|socket)\b",
        0.85,
        ("water",),
        **_kind("flooding"),
    ),
    cue(
        r"\b(?:pipes?|water\s+main|main|water\s+heater|hot\s+water\s+(?:tank|cylinder)|tank|"
        r"washer|washing\s+machine|dishwasher|hose|radiator|sprinkler)\s+(?:has\s+|have\s+|just\s+)*"
        r"(?:burst|bursted|exploded|split|blew|broke\s+open|ruptured)\b|"
        r"\bburst\s+(?:pipe|main|water\s+main)s?\b",
        0.9,
        (
            "pipe",
            "main",
            "heater",
            "tank",
            "cylinder",
            "washer",
            "hose",
            "radiator",
            "sprinkler",
            "burst",
        ),
        **_kind("flooding"),
    ),
    cue(
        rf"\b{_SPOT}\s+(?:is\s+|has\s+|'s\s+|got\s+|just\s+)*(?:flooded|flooding|under\s*water|"
        r"filling\s+(?:up\s+)?with\s+water|full\s+of\s+water)\b|"
        rf"\bflood(?:ing|ed)?\s+(?:in|into)\s+(?:the|my|our)\s+{_SPOT}\b|"
        r"\bsewage\s+(?:is\s+)?(?:backing\s+up|coming\s+up|everywhere|overflowing)\b|"
        r"\bceiling\s+(?:is\s+)?(?:leaking|caving|collapsing|coming\s+down)\b",
        0.9,
        ("flood", "water", "sewage", "ceiling"),
        **_kind("flooding"),
    ),
    cue(
        r"\b(?:leak(?:ing)?|dripping|overflowing)\b",
        0.35,
        ("leak", "drip", "overflow"),
        idiom=r"\s+(?:my|your|the|our|their)\s+(?:data|information|details|info|password)",
        idiom_score=0.0,
        **_kind("flooding"),
    ),
    # Gas and fumes.
    cue(
        r"\b(?:smell|smells|smelled|smelling|smelt|stink(?:s|ing)?|reeks?)\s+(?:of\s+|like\s+)?"
        r"(?:natural\s+)?(?:gas|propane|rotten\s+eggs|sulph?ur|fumes)\b|"
        r"\bgas\s+(?:leak|smell|is\s+leaking|leaking|odou?r)\b|\bleak(?:ing)?\s+(?:of\s+)?gas\b|"
        r"\bcarbon\s+monoxide\b|\b(?:co|gas)\s+(?:alarm|detector)\s+(?:is\s+)?(?:going\s+off|"
        r"beeping|sounding|went\s+off)\b",
        0.9,
        ("smell", "stink", "reek", "gas", "carbon", "co "),
        **_kind("gas"),
    ),
    # Fire and smoke.
    cue(
        rf"\b(?:the\s+|my\s+|our\s+|a\s+|an\s+)?{_BURNABLE}\s+(?:is\s+|'s\s+|are\s+|just\s+|has\s+)*"
        r"(?:on\s+fire|in\s+flames|caught\s+(?:on\s+)?fire|catching\s+fire|burning\s+up|ablaze|"
        r"sparking|smoking|melting|burst\s+into\s+flames)\b",
        0.95,
        ("fire", "flame", "blaze", "spark", "smok", "melt", "burning"),
        **_kind("fire"),
    ),
    cue(
        r"\bthere\s*(?:['’]?s|\s+is)\s+(?:a\s+)?fire\b(?!\s+(?:sale|drill|in\s+(?:my|his|her)\s+"
        r"(?:belly|heart|eyes)))|\b(?:smoke|flames|sparks)\s+(?:is\s+|are\s+)?(?:coming|pouring|"
        r"billowing|shooting|flying|everywhere|filling)\b|\b(?:call(?:ed|ing)?)\s+the\s+fire\s+"
        r"(?:department|brigade|service)\b|\bfire\s*fighters?\b",
        0.9,
        ("fire", "smoke", "flame", "spark"),
        **_kind("fire"),
    ),
    cue(
        r"\b(?:there\s*['’]?s|there\s+is|i\s+(?:can\s+)?see|i\s+(?:can\s+)?smell|full\s+of|"
        r"filling\s+(?:up\s+)?with|lots\s+of)\s+smoke\b|\bsmells?\s+(?:like\s+)?(?:something\s+)?"
        r"burning\b|\bburning\s+smell\b|\bsmell\s+of\s+burning\b",
        0.8,
        ("smoke", "burning"),
        **_kind("fire"),
    ),
    cue(
        r"\b(?:fire|smoke)\s+(?:alarms?|detectors?)\s+(?:is\s+|are\s+|keeps?\s+)?(?:going\s+off|"
        r"beeping|sounding|went\s+off)\b",
        0.7,
        ("alarm", "detector"),
        **_kind("fire"),
    ),
    # Power.
    cue(
        r"\b(?:power|electricity|electric|lights)(?:\s+(?:has|have|just|completely))*\s*"
        r"(?:is\s+|are\s+|'s\s+)?(?:out|off|gone|cut|down|went\s+out|went\s+off|failed|died|"
        r"keeps?\s+(?:going|cutting)\s+out)\b|\b(?:we|i|house|home|building|street|area|"
        r"neighbou?rhood|everyone|whole\s+\w+)\s+(?:have|has|are|is|['’]re|['’]m|['’]ve\s+been|"
        r"been)?\s*(?:no|without)\s+(?:power|electricity)\b|"
        r"\b(?:power\s+(?:outage|cut|failure)|blackout)\b",
        0.55,
        ("power", "electric", "lights", "blackout"),
        idiom=r"\s+(?:to\s+(?:the|my)\s+(?:router|modem|tv|phone))",
        idiom_score=0.2,
        **_kind("power"),
    ),
    cue(
        r"\b(?:downed|fallen|live|sparking|exposed)\s+(?:power\s+|electric(?:al)?\s+)?"
        r"(?:lines?|wires?|cables?)\b|\bpower\s+lines?\s+(?:is\s+|are\s+)?(?:down|on\s+the\s+ground|"
        r"sparking|on\s+(?:my|the)\s+(?:car|house|roof))\b",
        0.9,
        ("line", "wire", "cable"),
        **_kind("power"),
    ),
    # Locked out or trapped.
    cue(
        r"\blocked\s+out\b",
        0.55,
        ("locked",),
        idiom=r"\s+(?:of\s+)?(?:my\s+|the\s+|your\s+)?(?:account|app|email|e-mail|online|profile|"
        r"portal|login|phone|laptop|computer|device|system|card)\b",
        idiom_score=0.0,
        **_kind("lockout"),
    ),
    cue(
        r"\b(?:baby|child|kid|toddler|infant|son|daughter|dog|puppy|cat|pet)\s+(?:is\s+|'s\s+|"
        r"got\s+)?(?:locked|stuck|trapped)\s+(?:in|inside)\b|\b(?:locked|stuck|trapped)\s+"
        r"(?:in|inside)\s+(?:the|a|my)\s+(?:car|elevator|lift|freezer|room|bathroom)\b|"
        r"\b(?:i['’]?m|we['’]?re|they['’]?re|(?:he|she)['’]?s|is|are)\s+trapped\b",
        0.9,
        ("locked", "stuck", "trapped"),
        **_kind("lockout"),
    ),
    # Someone's safety.
    cue(
        r"\bbreak[\s-]?in\b|\b(?:broke|broken|breaking)\s+in(?:to)?\s+(?:my|our|the)\s+"
        r"(?:house|home|car|apartment|flat|store|shop|office|garage|shed|place)\b|"
        r"\b(?:intruder|burglar|prowler)s?\b|\bshots?\s+fired\b|\bheard\s+(?:gun)?shots\b|"
        r"\b(?:someone|somebody|a\s+(?:man|guy|stranger))\s+(?:is\s+|'s\s+)?(?:in|inside|"
        r"trying\s+to\s+(?:get|break)\s+in(?:to)?)\s+(?:my|our|the)\s+(?:house|home|apartment|"
        r"flat|room|garage|building)\b",
        0.9,
        (
            "break",
            "broke",
            "intruder",
            "burglar",
            "prowler",
            "shot",
            "inside",
            "someone",
            "somebody",
            "man",
            "guy",
            "stranger",
        ),
        **_kind("security"),
    ),
    cue(
        r"\b(?:i['’]?m|we['’]?re|i\s+am|we\s+are)\s+being\s+(?:followed|stalked|threatened|"
        r"attacked)\b|\b(?:he|she|they|someone)\s*(?:['’]s|\s+is|\s+are|['’]re)\s+(?:hitting|"
        r"beating|attacking|threatening|hurting)\s+(?:me|us|my)\b|\bdomestic\s+(?:violence|abuse)\b|"
        r"\b(?:someone|somebody|a\s+(?:man|guy|stranger))\s+(?:is\s+)?banging\s+on\s+(?:my|our|the)\s+"
        r"(?:door|window)\b",
        0.85,
        ("being", "hitting", "beating", "attack", "threaten", "hurting", "domestic", "banging"),
        **_kind("security"),
    ),
)

# Whoever is at risk raises the stakes of any emergency.
_VULNERABLE = rx(
    r"\b(?:new\s*borns?|bab(?:y|ies)|infants?|toddlers?|(?:small|young|little)\s+(?:kids|children|"
    r"child|ones)|pregnant|elderly|(?:my|our)\s+(?:old|sick|disabled|frail|\d+\s*-?\s*year\s*-?\s*old)"
    r"\s+\w+|[89]\d\s*-?\s*years?\s*-?\s*old|(?:\d+|one|two|three|four|five|six|seven|eight|nine|"
    r"ten|eleven|twelve)[\s-](?:day|week|month)s?[\s-]old|disabled|wheelchair|bed[\s-]?(?:ridden|bound)|"
    r"oxygen|ventilator|dialysis|c-?pap|life\s+support|heart\s+(?:condition|problems?|disease|"
    r"patient|failure)|medical\s+(?:condition|equipment|device)|copd|asthma\w*|diabetic|insulin|"
    r"chemo(?:therapy)?|immuno-?compromised|hospice|dementia|(?:just\s+had|recovering\s+from|"
    r"after)\s+surgery)\b"
)
_LIFE_SUPPORT = rx(
    r"\b(?:oxygen|ventilator|dialysis|c-?pap|life\s+support|medical\s+"
    r"(?:equipment|device)|insulin|fridge\s+for\s+(?:my|her|his)\s+medication)\b"
)
_FIGURE_OF_SPEECH = rx(
    r"\b(?:giv(?:e|es|ing)\s+me|gave\s+me|almost\s+(?:had|have|having)|nearly\s+(?:had|have)|"
    r"about\s+to\s+have|(?:going\s+to|gonna)\s+(?:have|give\s+me))\s+(?:a\s+)?$"
)
_COLD = rx(
    r"\b(?:freezing|frozen|below\s+(?:zero|freezing)|sub-?zero|ice|icy|cold|"
    r"(?:[0-4]\d|-\d+|(?:ten|twenty|thirty|forty|fifty)(?:[\s-]\w+)?)\s*(?:degrees|°))\b"
)
_HOT = rx(
    r"\b(?:heat\s*wave|sweltering|boiling|scorching|(?:9\d|1[0-2]\d)\s*(?:degrees|°)|"
    r"so\s+hot|really\s+hot|too\s+hot|extreme\s+heat)\b"
)
_URGENT = rx(
    r"\b(?:right\s+now|immediately|urgent(?:ly)?|emergency|asap|hurry|please\s+help|"
    r"help\s+(?:me|us))\b"
)
# Laughing it off, or telling of something long over, is not an emergency now.
_CASUAL = re.compile(r"\b(?:lol|lmao|lmfao|rofl|haha\w*|hehe\w*|jk|just\s+kidding)\b|[😂🤣😅😆]")
_OVER = rx(
    r"(?<!since\s)\b(?:last\s+(?:week|month|year|winter|summer|time)|weeks?\s+ago|"
    r"months?\s+ago|years?\s+ago|back\s+in\s+\w+|(?:has|was|got)\s+(?:been\s+)?"
    r"(?:fixed|resolved|repaired|sorted))\b"
)
# "I'm not in danger", "no one is hurt": the caller says it is not urgent.
_NEGATION = rx(r"\b(?:no|not|never|isn['’]?t|aren['’]?t|wasn['’]?t|don['’]?t|doesn['’]?t)\b")


def emergency_hits(text: str, *, gate: bool = True) -> dict[str, tuple[float, list[Hit]]]:
    """Per kind of emergency: its score and the words behind it (booster words included)."""
    text = lowered(text)
    hits = scan(EMERGENCY_CUES, text, _NEGATION, 0.2, gate=gate)
    if not hits:
        return {}
    boosters = [Hit(m.start(), m.end(), 0.0, {}) for m in _VULNERABLE.finditer(text)]
    adjust = 0.1 * min(2, len(boosters)) + (0.05 if _URGENT.search(text) else 0.0)
    if _CASUAL.search(text):
        adjust -= 0.3
    over = _OVER.search(text) is not None
    by_kind: dict[str, tuple[float, list[Hit]]] = {}
    for kind in EMERGENCY_KINDS:
        found = [h for h in hits if h.data["kind"] == kind and not _hyperbole(text, h)]
        if not found:
            continue
        score = max(h.score for h in found) + adjust + _stakes(kind, text)
        if over:
            score = min(score, 0.4)
        by_kind[kind] = (max(0.0, min(1.0, score)), found + boosters)
    return by_kind


def _stakes(kind: str, text: str) -> float:
    """What makes this kind worse: cold without heat, heat without AC, a power cut on oxygen."""
    if kind == "no_heat" and _COLD.search(text):
        return 0.1
    if kind == "no_cooling" and _HOT.search(text):
        return 0.1
    if kind == "power" and _LIFE_SUPPORT.search(text):
        return 0.25
    return 0.0


def _hyperbole(text: str, hit: Hit) -> bool:
    """ "You're giving me a heart attack" is a figure of speech, not a call for an ambulance."""
    return _FIGURE_OF_SPEECH.search(clause_before(text, hit.start)) is not None


class Emergency:
    """Urgent situations (P13), one signal per kind, strongest first; data names the kind."""

    name = "calmline.emergency.v1"
    roles = CUSTOMER

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        signals = []
        for kind, (score, found) in emergency_hits(turn.text).items():
            if score < self.threshold:
                continue
            spans = sorted({(h.start, h.end) for h in found})
            signals.append(
                Signal(
                    kind="emergency",
                    score=round(score, 3),
                    evidence=[evidence(context.index, turn.text, s, e) for s, e in spans],
                    practice="P13",
                    detector=self.name,
                    data={"kind": kind},
                )
            )
        return sorted(signals, key=lambda s: -s.score)


@register("calmline.emergency.v1", assigns=["emergency"])
def make_emergency(threshold: float = 0.5) -> Emergency:
    return Emergency(threshold)


# --- the callback number -----------------------------------------------------------------

_DIGIT = r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|\d{1,4})"
_SPOKEN_NUMBER = rx(
    rf"(?<![\w-])(?:(?:double|triple)\s+)?{_DIGIT}(?:[\s,.\-]+(?:(?:double|triple)\s+)?{_DIGIT}){{2,}}"
    r"(?![\w-])"
)
_WORD_DIGITS = {
    "zero": 1,
    "oh": 1,
    "one": 1,
    "two": 1,
    "three": 1,
    "four": 1,
    "five": 1,
    "six": 1,
    "seven": 1,
    "eight": 1,
    "nine": 1,
}
CALLBACK_CUES = Cues(
    cue(r"\[phone\]", 0.95, ("[phone]",), negatable=False, source="placeholder"),
    cue(
        r"(?<![\w#-])(?:\+?\d{1,3}[\s.-])?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\w-])",
        0.85,
        (),
        negatable=False,
        source="digits",
    ),
    cue(
        r"\b(?:call|reach|contact|text|ring)\s+me\s+(?:back\s+)?(?:on|at)\s+(?:the|my|this)\s+"
        r"(?:same\s+)?(?:number|phone|cell|mobile|line)\b|\b(?:the\s+)?(?:same|this)\s+number\b|"
        r"\bnumber\s+(?:on\s+(?:file|the\s+account|my\s+account|record)|i['’]?m\s+calling\s+"
        r"(?:from|on)|you\s+have\s+(?:on\s+file|for\s+me))\b",
        0.6,
        ("number", "phone", "cell", "mobile", "line"),
        negatable=False,
        source="on_file",
    ),
)
# On an agent turn, "call us at [PHONE]" is the company's number, not the caller's.
_OUR_NUMBER = rx(r"\b(?:us|our|we)\b")


# Order and account numbers look like phone numbers; redaction has already taken real ones.
_REFERENCE_BEFORE = rx(
    r"(?:\b(?:order|id|ref|reference|tracking|invoice|account|acct|case|ticket|"
    r"confirmation|booking|serial|model)\b|#)[^.!?]{0,20}$"
)


def _reach(end: int) -> int:
    """Where a ``_REFERENCE_BEFORE`` match ending at ``end`` can start: its longest word and 20 more.

    Searching from 0 read the whole turn again for each number in it (quadratic on a column of numbers).
    """
    return max(0, end - 40)


def callback_hits(text: str, role: Role = Role.customer, *, gate: bool = True) -> list[Hit]:
    """A phone number given as a placeholder, as digits or spoken, or "the number on file"."""
    text = lowered(text)
    hits = [
        h
        for h in scan(CALLBACK_CUES, text, gate=gate)
        if h.data["source"] != "digits" or not _REFERENCE_BEFORE.search(text, _reach(h.start), h.start)
    ]
    for m in _SPOKEN_NUMBER.finditer(text):
        tokens = re.findall(r"[a-z]+|\d+", m.group())
        # "double five" is two digits, "triple nine" three.
        digits = sum(_WORD_DIGITS.get(t, len(t) if t.isdigit() else 0) for t in tokens)
        digits += tokens.count("double") + 2 * tokens.count("triple")
        if digits >= 7 and any(t in _WORD_DIGITS for t in tokens):
            hits.append(Hit(m.start(), m.end(), 0.85, {"source": "spoken"}))
    if role is Role.agent:
        hits = [
            Hit(h.start, h.end, 0.3, h.data) if _OUR_NUMBER.search(clause_before(text, h.start)) else h
            for h in hits
        ]
    return hits


class CallbackNumber:
    """A phone number to call back was given or confirmed (P13 checklist)."""

    name = "calmline.callback_number.v1"
    roles = CUSTOMER_AND_AGENT

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        hits = strongest(callback_hits(turn.text, turn.role), self.threshold)
        if not hits:
            return []
        return [to_signal(hits, turn, context, kind="callback_number", practice="P13", detector=self.name)]


@register("calmline.callback_number.v1", assigns=["callback_number"])
def make_callback_number(threshold: float = 0.5) -> CallbackNumber:
    return CallbackNumber(threshold)


# --- the location ------------------------------------------------------------------------

_STREET = (
    r"(?:street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd|court|ct|way|place|pl|"
    r"terrace|crescent|close|parkway|pkwy|highway|hwy|circle|cir|square|sq|row|walk|grove|"
    r"gardens|mews)\b\.?"
)
# Words that cannot be part of a street's name ("on the way", "on my way").
_NAME = (
    r"(?!(?:the|a|an|my|our|your|his|her|their|this|that|its|same|other|wrong|right|in|on|at|"
    r"of|for|to|and|or|with|by|from|into|either|any|no|every|each|half|long|all|some|one|two|"
    r"three|more|less|few|many|times|days|weeks|months|years|hours|minutes)\b)[A-Za-z][\w'-]*"
)
_CAP_NAME = r"[A-Z][\w'-]*"
LOCATION_CUES = Cues(
    cue(r"\[address\]", 0.95, ("[address]",), negatable=False, source="placeholder"),
    cue(
        rf"\b\d{{1,5}}[a-z]?\s+(?:{_NAME}\s+){{1,3}}{_STREET}",
        0.9,
        (),
        negatable=False,
        source="address",
    ),
    cue(
        r"\b(?:apartment|apt|unit|suite|ste|flat|bldg|building|block)\.?\s*(?:#|no\.?|number)?\s*"
        r"\d+[a-z]?\b|\b(?:apartment|apt|unit|suite|flat)\.?\s*#?\s*[a-z]?\d+\b",
        0.75,
        ("apartment", "apt", "unit", "suite", "ste", "flat", "bldg", "building", "block"),
        negatable=False,
        source="unit",
    ),
    cue(
        r"\b(?:corner|intersection)\s+of\s+\w+(?:\s+\w+)?\s+(?:and|&)\s+\w+|\bcross\s+streets?\b",
        0.8,
        ("corner", "intersection", "cross"),
        negatable=False,
        source="street",
    ),
    cue(r"\b(?:mile\s+marker|exit)\s+\d+\b", 0.7, ("mile", "exit"), negatable=False, source="road"),
    cue(
        r"\b(?:zip(?:\s*code)?|post\s*code|postal\s+code)\s*(?:is|:)?\s*(?:\d{5}(?:-\d{4})?|"
        r"[a-z]{1,2}\d[a-z\d]?\s?\d[a-z]{2}|[a-z]\d[a-z]\s?\d[a-z]\d)\b",
        0.75,
        ("zip", "post", "postal"),
        negatable=False,
        source="postcode",
    ),
)
# Capitalised names carry these; a lower-case transcript gets the lower-case variants below.
_CASED_LOCATION = (
    (
        re.compile(
            rf"(?:\b(?:on|at|off|near|along|by|down|up)\s+|,\s*)(?:the\s+)?"
            rf"(?:{_CAP_NAME}\s+){{1,3}}(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|"
            r"Boulevard|Blvd|Court|Ct|Way|Place|Terrace|Crescent|Close|Parkway|Highway|Hwy|"
            r"Circle|Square|Row|Grove)\b\.?"
        ),
        0.8,
        "street",
    ),
    (
        re.compile(
            r"\b(?:[Ii]['’]?m|[Ii]\s+am|[Ww]e['’]?re|[Ww]e\s+are|[Ww]e\s+live|[Ii]\s+live|"
            r"located|based|staying|calling\s+from|live)\s+(?:in|at|near|outside(?:\s+of)?|"
            r"just\s+outside(?:\s+of)?)\s+(?:the\s+)?[A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,2}\b"
        ),
        0.65,
        "place",
    ),
    (re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b"), 0.7, "postcode"),
    (
        re.compile(r"\b(?:I-|Interstate\s+|Route\s+|Rte\.?\s+|Highway\s+|Hwy\.?\s+|SR-)\d{1,3}\b"),
        0.6,
        "road",
    ),
)
_LOWER_STREET = rx(
    rf"(?:\b(?:on|at|off|near|along)\s+|,\s*)(?:{_NAME}\s+){{1,2}}"
    r"(?:street|avenue|road|lane|drive|boulevard|terrace|crescent|parkway|highway)\b"
)


def location_hits(text: str, *, gate: bool = True) -> list[Hit]:
    """Addresses, units, streets, places and postcodes; capitalisation helps tell a place."""
    hits = scan(LOCATION_CUES, text, gate=gate)
    low = lowered(text)
    if text != low:
        for pattern, score, source in _CASED_LOCATION:
            hits += [Hit(m.start(), m.end(), score, {"source": source}) for m in pattern.finditer(text)]
    else:
        hits += [Hit(m.start(), m.end(), 0.75, {"source": "street"}) for m in _LOWER_STREET.finditer(low)]
    # Quote the place, not the "on " or ", " that introduced it.
    return [_trim(text, h) for h in hits]


def _trim(text: str, hit: Hit) -> Hit:
    start = hit.start
    lead = re.match(r"(?:,\s*|(?:on|at|off|near|along|by|down|up)\s+)", text[start : hit.end], re.IGNORECASE)
    if lead and hit.data.get("source") == "street":
        start += lead.end()
    return Hit(start, hit.end, hit.score, hit.data)


class Location:
    """An address or place was given or confirmed (P13 checklist)."""

    name = "calmline.location.v1"
    roles = CUSTOMER_AND_AGENT

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        hits = strongest(location_hits(turn.text), self.threshold)
        if not hits:
            return []
        return [to_signal(hits, turn, context, kind="location", practice="P13", detector=self.name)]


@register("calmline.location.v1", assigns=["location"])
def make_location(threshold: float = 0.5) -> Location:
    return Location(threshold)
