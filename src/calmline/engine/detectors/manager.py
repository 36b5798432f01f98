"""Requests for a manager, supervisor or escalation, and threats to complain elsewhere (P10)."""

from __future__ import annotations

from calmline.engine.context import Context
from calmline.engine.detectors._cues import (
    CueData,
    Cues,
    Hit,
    cue,
    rx,
    scan,
    strongest,
    to_signal,
)
from calmline.engine.detectors._phrase import CUSTOMER
from calmline.engine.registry import register
from calmline.model import Signal, Turn

# Someone above the agent. "My manager" is the customer's own boss and never matches.
_ABOVE = (
    r"(?:(?:line\s+|floor\s+|duty\s+|shift\s+|store\s+|branch\s+|call\s+cent(?:er|re)\s+|"
    r"general\s+)?(?:manager|supervisor)|superior|boss|team\s*lead(?:er)?|director|"
    r"higher[\s-]?ups?|senior\s+(?:agent|member\s+of\s+staff|person|rep|manager)|management|"
    r"someone\s+(?:more\s+)?senior|(?:someone|somebody|anyone|anybody|a\s+person)\s+"
    r"(?:higher\s+up|higher|above\s+you|in\s+charge|with\s+(?:more\s+|real\s+)?authority|"
    r"(?:who|that)\s+(?:can|could)\s+(?:actually\s+)?(?:make\s+(?:a\s+)?decisions?|"
    r"authori[sz]e\s+(?:this|it)|override))|person\s+in\s+charge|whoever\s*(?:['’]s|\s+is)\s+"
    r"in\s+charge|head\s+of\s+(?:the\s+)?(?:department|customer\s+service|support|\w+)|ceo)"
)
_WHOSE = r"(?:a|an|the|your|ur|some|one\s+of\s+your|another|the\s+actual|a\s+real)\s+"
_ASK = (
    r"(?:(?:speak|talk|chat)(?:ing)?\s+(?:to|with)|"
    r"(?:get|put|bring|give|transfer|connect|escalate|pass|send|forward|patch|hand|"
    r"take|escalating|transferring)\s+(?:me\s+)?(?:through\s+|over\s+|up\s+)?(?:to\s+)?|"
    r"(?:want|need|demand|request|ask\s+for|asking\s+for|would\s+like|['’]d\s+like|"
    r"insist\s+on)\s+(?:to\s+(?:speak|talk)\s+(?:to|with)\s+)?|"
    r"(?:let\s+me|can\s+i|could\s+i|may\s+i)\s+(?:speak|talk)\s+(?:to|with))"
)
_ROLE_KEYS = (
    "manag",
    "supervis",
    "superior",
    "boss",
    "lead",
    "director",
    "higher",
    "senior",
    "charge",
    "authori",
    "above",
    "head of",
    "ceo",
    "decision",
    "override",
)
# Business words that sit before "manager" without making it someone to escalate to.
_NOT_THE_BOSS = r"(?!['’]s\b|\s+(?:app|portal|account|approval|signature|said|told|says))"

REQUEST: CueData = {"type": "request"}
COMPLAINT: CueData = {"type": "complaint"}
EXTERNAL: CueData = {"type": "external"}
LEAVING: CueData = {"type": "threat_to_leave"}

MANAGER_CUES = Cues(
    # Asking to go higher in other words (our evaluation set showed these missing).
    cue(
        r"\b(?:(?:speak|talk)\s+to|have\s+a\s+word\s+with|want|need|find\s+me|get\s+me)\s+"
        r"(?:somebody|someone|a\s+person|the\s+person|a\s+manager|one)\s+"
        r"(?:with\s+(?:actual|real|some)\s+authority|above\s+you|in\s+management|it\s+is\s+up\s+to|"
        r"who\s+can\s+actually\s+do\s+something|more\s+senior)\b|"
        r"\b(?:taken|go|goes|pass(?:ed)?|send|sent|raise[ds]?)\s+(?:this\s+|it\s+)?"
        r"(?:higher|up\s+the\s+chain|to\s+someone\s+more\s+senior|with\s+your\s+management)\b|"
        r"\bhanded\s+to\s+a\s+(?:supervisor|manager)\b|"
        r"\b(?:have|get|can)\s+(?:your|a)\s+(?:supervisor|manager|boss)\s+(?:ring|call|email|phone|contact)\s+me\b|"
        r"\b(?:name|email|details)\s+(?:and\s+\w+\s+)?of\s+your\s+(?:manager|supervisor|boss|complaints\s+department)\b|"
        r"\bcomplain\s+to\s+(?:the\s+)?(?:chief\s+executive|ceo|managing\s+director|head\s+office)\b|"
        r"\b(?:unless|until)\s+a\s+(?:manager|supervisor)\s+(?:calls|sorts|rings|contacts|fixes)\b|"
        r"\b(?:manager|supervisor)\s+would\s+call\s+me\b.*\bi\s+want\s+one\b",
        0.8,
        (
            "authority",
            "above",
            "management",
            "up to",
            "senior",
            "higher",
            "chain",
            "supervisor",
            "manager",
            "boss",
            "complaints",
            "chief",
            "ceo",
            "director",
            "head office",
            "something",
        ),
        **REQUEST,
    ),
    cue(rf"\b{_ASK}\s*(?:{_WHOSE})?{_ABOVE}\b{_NOT_THE_BOSS}", 0.9, _ROLE_KEYS, **REQUEST),
    cue(
        rf"\b(?:asked|requested|begged)\s+(?:for|to\s+(?:speak|talk)\s+(?:to|with))\s+"
        rf"(?:{_WHOSE})?{_ABOVE}\b",
        0.75,
        _ROLE_KEYS,
        **REQUEST,
    ),
    cue(
        r"(?:^|(?<=[.!?,;:])\s*)(?:(?:a|your|the)\s+)?(?:manager|supervisor)\s*[.!,]*\s*"
        r"(?:please|now|right\s+now|immediately|asap)?\s*[.!?]*\s*$|"
        r"\b(?:manager|supervisor)\s*(?:,\s*)?(?:please|now|right\s+now|immediately)\b",
        0.85,
        ("manag", "supervis"),
        **REQUEST,
    ),
    cue(
        rf"\bis\s+(?:there\s+)?(?:{_WHOSE})?{_ABOVE}\s+(?:there|around|available|on\s+duty|"
        r"in\s+(?:today|the\s+office)|i\s+(?:can|could)\s+(?:speak|talk))\b|"
        r"\bis\s+there\s+(?:anyone|someone|somebody)\s+(?:else\s+)?(?:higher\s+up|above\s+you|"
        r"more\s+senior|in\s+charge)\b",
        0.85,
        _ROLE_KEYS,
        **REQUEST,
    ),
    cue(
        r"\bwho\s*(?:['’]?s|\s+is)\s+(?:your|ur|the)\s+(?:boss|manager|supervisor|superior)\b|"
        r"\bwho\s+(?:do|does)\s+(?:you|u)\s+(?:report|answer)\s+to\b|"
        r"\bwho\s*(?:['’]?s|\s+is)\s+in\s+charge\b|"
        r"\bwhat\s*(?:['’]?s|\s+is)\s+(?:your|ur)\s+(?:manager|supervisor|boss)(?:['’]?s)?\s+"
        r"(?:name|number|email)\b",
        0.8,
        ("who", "manag", "supervis", "boss"),
        **REQUEST,
    ),
    cue(
        r"\b(?:escalate|escalating)\s+(?:this|it|my|the|me|that)\b|"
        r"\b(?:want|need|demand|request|like)\s+(?:this|it|that|my\s+\w+)\s+(?:to\s+be\s+)?"
        r"escalated\b|\b(?:an?\s+)?escalation\s+(?:please|now|team|department)\b|"
        r"\b(?:want|need|demand|request|like)\s+(?:an?\s+)?escalation\b",
        0.85,
        ("escalat",),
        **REQUEST,
    ),
    cue(
        r"\b(?:gonna|going\s+to|will|['’]ll|i\s+can|have\s+to|need\s+to)\s+escalate\b",
        0.8,
        ("escalat",),
        **REQUEST,
    ),
    # A bare mention ("what does escalate mean?") is left for a rule to weigh.
    cue(r"\bescalat(?:e|ed|ing|ion)\b", 0.45, ("escalat",), **REQUEST),
    cue(r"\bgo(?:ing)?\s+(?:over|above)\s+(?:your|ur)\s+head\b", 0.85, ("head",), **REQUEST),
    # Complaining higher up inside the company.
    cue(
        r"\b(?:file|lodge|make|submit|raise|put\s+in|register|open|write)\s+(?:a\s+|an\s+)?"
        r"(?:formal|official|written)\s+complaint\b|\bformal\s+complaint\b",
        0.85,
        ("complaint",),
        **COMPLAINT,
    ),
    cue(
        r"\b(?:file|lodge|make|submit|raise|put\s+in|register)\s+a\s+complaint\b",
        0.7,
        ("complaint",),
        **COMPLAINT,
    ),
    cue(
        r"\b(?:complain|complaining|write|writing|go|going|take\s+(?:this|it)|taking\s+(?:this|it)|"
        r"call|calling|e-?mail|contact|contacting|escalate|report\s+(?:you|this))\s+"
        r"(?:straight\s+|directly\s+|right\s+)?(?:up\s+)?to\s+(?:your\s+|the\s+)?(?:corporate|"
        r"head\s+office|headquarters|hq|(?:the\s+|your\s+)?ceo|upper\s+management|"
        r"senior\s+management|management|the\s+board|executive\s+(?:team|office)|manager|"
        r"supervisor|boss|higher[\s-]?ups?)\b",
        0.85,
        (
            "corporate",
            "head office",
            "headquarters",
            "hq",
            "ceo",
            "management",
            "board",
            "executive",
            "manag",
            "supervis",
            "boss",
            "higher",
        ),
        **COMPLAINT,
    ),
    # Going outside: legal, regulators, the press. Policy usually routes these to a supervisor.
    cue(
        r"\b(?:call(?:ing)?|contact(?:ing)?|get(?:ting)?|speak(?:ing)?\s+to|hire|talk(?:ing)?\s+to)"
        r"\s+(?:my|a|an)\s+(?:lawyer|attorney|solicitor)\b|\b(?:legal\s+action|sue\s+(?:you|your|"
        r"the\s+company|this\s+company)|see\s+you\s+in\s+court|small\s+claims)\b|"
        r"\b(?:report|reporting|complain|complaining)\s+(?:you\s+|this\s+|it\s+)?to\s+(?:the\s+)?"
        r"(?:bbb|better\s+business\s+bureau|ombudsman|regulator|fcc|ftc|cfpb|trading\s+standards|"
        r"consumer\s+(?:protection|affairs)|attorney\s+general|authorities|police)\b",
        0.55,
        (
            "lawyer",
            "attorney",
            "solicitor",
            "legal",
            "sue",
            "court",
            "claims",
            "report",
            "complain",
        ),
        **EXTERNAL,
    ),
    cue(
        r"\b(?:call(?:ing)?|contact(?:ing)?|go(?:ing)?\s+to|tell(?:ing)?)\s+(?:the\s+)?"
        r"(?:press|media|news(?:paper)?|local\s+news|a\s+journalist|reporters?)\b",
        0.5,
        ("press", "media", "news", "journalist", "reporter"),
        **EXTERNAL,
    ),
    # Threats to leave or to shame the company in public: escalation risk, not a request.
    cue(
        r"\b(?:post|posting|put|putting|write|writing|leave|leaving|share|sharing|tweet|tweeting)\s+"
        r"(?:this|it|about\s+(?:this|it|you)|(?:a|an)\s+(?:bad|negative|1[-\s]?star|one[-\s]?star|"
        r"terrible|awful|honest|scathing)\s+review|everywhere)\b(?:\s+(?:online|everywhere|on\s+"
        r"(?:social\s+media|twitter|x|facebook|yelp|google|reddit|tiktok|instagram|trustpilot)))?|"
        r"\btell\s+(?:everyone|everybody|all\s+my\s+(?:friends|family)|the\s+world)\b|"
        r"\b(?:bad|negative|1[-\s]?star|one[-\s]?star|scathing)\s+review\b",
        0.45,
        ("post", "put", "writ", "leav", "shar", "tweet", "tell", "review"),
        **LEAVING,
    ),
    cue(
        r"\b(?:take|taking)\s+my\s+(?:business|money|custom)\s+elsewhere\b|"
        r"\b(?:lose|losing|lost)\s+(?:me|a)\s+(?:as\s+a\s+)?(?:loyal\s+)?customer\b|"
        r"\b(?:switch|switching|go(?:ing)?)\s+to\s+(?:a|your|another)\s+competitor\b|"
        r"\bor\s+(?:else\s+)?i\s*(?:['’]?ll|\s+will|['’]?m\s+going\s+to)\s+(?:cancel|leave|switch|"
        r"close\s+my\s+account)\b|\b(?:cancel|leave|switch)\s+and\s+(?:tell|post|never)\b|"
        r"\bnever\s+(?:use|buy\s+from|shop\s+(?:with|at)|deal\s+with)\s+(?:you|your\s+company|"
        r"this\s+company)\s+again\b",
        0.45,
        ("business", "money", "custom", "competitor", "cancel", "leave", "switch", "never"),
        **LEAVING,
    ),
)
# "I don't want a manager, just fix it" takes the request back.
_NEGATION = rx(
    r"\b(?:not|never|no\s+need|don['’]?t|dont|do\s+not|won['’]?t|wont|didn['’]?t|"
    r"doesn['’]?t|without)\b"
)


def manager_hits(text: str, *, gate: bool = True) -> list[Hit]:
    """Every request or threat cue in ``text``; data says which kind."""
    return scan(MANAGER_CUES, text, _NEGATION, 0.3, gate=gate)


class ManagerRequest:
    """Explicit requests for a supervisor or escalation; weaker threats to go elsewhere."""

    name = "calmline.manager_request.v1"
    roles = CUSTOMER

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        hits = strongest(manager_hits(turn.text), self.threshold)
        if not hits:
            return []
        return [to_signal(hits, turn, context, kind="manager_request", practice="P10", detector=self.name)]


@register("calmline.manager_request.v1", assigns=["manager_request"])
def make_manager_request(threshold: float = 0.5) -> ManagerRequest:
    return ManagerRequest(threshold)
