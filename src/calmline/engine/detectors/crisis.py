"""Crisis detectors (P12): statements of self-harm and threats of violence."""

from __future__ import annotations

import re
from bisect import bisect_left

from calmline.engine.context import Context
from calmline.engine.detectors._cues import (
    Cover,
    Cue,
    CueData,
    Cues,
    Hit,
    clause_before,
    cue,
    folded,
    lowered,
    negated,
    rx,
    scan,
    strongest,
    to_signal,
)
from calmline.engine.detectors._phrase import CUSTOMER
from calmline.engine.registry import register
from calmline.model import Role, Signal, Turn

# --- self-harm ---------------------------------------------------------------------------

# Spelling the way people type when they are upset: no apostrophes, "2" for "to", run-together.
_TO = r"(?:to|too|2)"
_MYSELF = r"(?:my\s*self|myself|meself|mysef|myslef|mysefl|my\s+own\s+self)"
_MYSELF_KEYS = ("self", "sef", "slef")
_DONT = r"(?:do\s*n['’]?t|dont|do\s+not|don)"
_WANT_TO = rf"(?:want(?:ed|s)?\s+{_TO}|wanna|wana|would\s+like\s+{_TO})"
_SELF_ACT = (
    r"(?:hurt(?:s|ing|in)?|harm(?:s|ed|ing|in)?|cut(?:s|ting|tin)?|burn(?:s|ed|t|ing|in)?|"
    r"starv(?:e|es|ed|ing)|punish(?:es|ed|ing)?|injur(?:e|es|ed|ing))"
)
# Words that make an act on oneself ("hurt myself") an intention or a habit, not an accident.
_INTENT = (
    rf"(?:want(?:ed)?\s+{_TO}|wanna|going\s+{_TO}|gonna|gunna|about\s+{_TO}|"
    r"plan(?:ning|ned)?\s+(?:to|on)|think(?:ing)?\s+(?:about|of)|thought\s+(?:about|of)|"
    r"feel(?:ing)?\s+like|felt\s+like|urges?\s+to|tempted\s+to|will|['’]ll|ll|might|could|keep|"
    r"kept|started|start|been|stop\s+(?:myself\s+)?from|trying\s+to|tried\s+to|need\s+to|"
    r"should|ready\s+to|decided\s+to|(?:scared|afraid)\s+(?:i['’]?ll|i\s+will|i\s+might))"
)
_PILLS = (
    r"(?:pills|meds|medications?|tablets|sleeping\s+pills|painkillers|pain\s+killers|insulin|"
    r"tylenol|paracetamol|xanax|oxy(?:codone|s)?|prescriptions?)"
)
_PILL_KEYS = (
    "pill",
    "med",
    "tablet",
    "killer",
    "insulin",
    "tylenol",
    "paracetamol",
    "xanax",
    "oxy",
    "prescription",
)
_SUICIDE = r"su(?:i|a)?c(?:i|e)?d"
_SUICIDE_KEYS = ("suic", "suac", "sucid", "sucd", "suced")

# The negations that scope over the writer's own intention.
_SELF_NEGATION = rx(
    r"\b(?:not|never|no\s+intention|no\s+plans?|no\s+desire|won['’]?t|wont|wouldn['’]?t|"
    r"wouldnt|will\s+not|would\s+not|didn['’]?t|didnt|did\s+not|isn['’]?t|aren['’]?t|"
    r"don['’]?t|dont|do\s+not|doesn['’]?t)\b"
)

SELF_HARM_CUES = Cues(
    # Ways of saying it that the families below miss (found by our own evaluation set).
    cue(
        r"\b(?:taken|took|take|taking|swallowed|swallow|downed|down)\s+(?:a\s+handful\s+of|all|every|"
        r"the\s+whole\s+(?:bottle|packet|box|strip)\s+of|enough|a\s+load\s+of|loads\s+of|lots\s+of)\s+"
        r"(?:\w+\s+){0,3}?(?:pills?|tablets?|insulin|meds|medications?|painkillers|antidepressants|paracetamol)\b",
        0.9,
        ("pill", "tablet", "insulin", "meds", "medic", "painkill", "antidep", "paracet"),
    ),
    cue(
        r"\b(?:saved|saving|stockpiled|stockpiling|hoarded|hoarding|collected|collecting)\s+(?:up\s+)?"
        r"(?:enough\s+)?(?:\w+\s+){0,2}?(?:pills|tablets|antidepressants|meds|medication|painkillers)\b",
        0.85,
        ("pill", "tablet", "antidep", "meds", "medic", "painkill"),
    ),
    cue(r"\bfeel(?:ing)?\s+like\s+(?:killing|ending)\s+(?:myself|my\s+life)\b", 0.9, ("self", "life")),
    cue(
        r"\b(?:don['’]?t|dont|can['’]?t|cant|do\s+not|cannot)\s+see\s+(?:a|any)\s+(?:reason|point)\s+"
        r"(?:to|in|for)\s+(?:stay(?:ing)?\s+alive|liv(?:e|ing)|go(?:ing)?\s+on|being\s+alive)\b",
        0.9,
        ("liv", "alive", "going on", "go on"),
        negatable=False,
    ),
    cue(
        rf"\b(?:throw|throwing|threw|hurl)\s+{_MYSELF}\s+(?:off|from|under|in\s+front\s+of)\b",
        0.95,
        _MYSELF_KEYS,
    ),
    cue(
        r"\ball\s+i\s+(?:can\s+)?(?:think|thought)\s+(?:about|of)\s+is\s+(?:dying|death|being\s+dead|"
        r"killing\s+myself|ending\s+(?:it|my\s+life))\b",
        0.9,
        ("dying", "death", "dead", "self", "ending"),
    ),
    cue(
        rf"\b(?:keep|kept|been)\s+(?:wanting|trying|thinking\s+about)\s+(?:to\s+)?{_SELF_ACT}(?:ing)?\s*{_MYSELF}",
        0.9,
        _MYSELF_KEYS,
    ),
    cue(
        r"\b(?:cut|cutting|burn|burning|burnt|scratch|scratching|scratched)\s+my\s+"
        r"(?:arms?|legs?|wrists?|thighs?|skin|stomach)\b",
        0.85,
        ("arm", "leg", "wrist", "thigh", "skin", "stomach"),
        idiom=r"\s+(?:on|open\s+on|while|when|by\s+accident|accidentally|at\s+work|in\s+the\s+kitchen)\b",
        idiom_score=0.3,
    ),
    cue(
        r"\b(?:not|never)\s+(?:planning|going|expecting|gonna)\s+(?:to\s+)?be\s+(?:alive|around|here)\s+"
        r"(?:by|next|after|for|much\s+longer|any\s*more)\b",
        0.9,
        ("alive", "around", "here"),
        negatable=False,
    ),
    cue(r"\b(?:been\s+|keep\s+|kept\s+)?wanting\s+to\s+die\b", 0.9, ("die",)),
    cue(
        r"\b(?:decided|deciding|planning|plan|going|about)\s+to\s+die\b",
        0.9,
        ("die",),
        idiom=r"\s+(?:of|from|laughing|happy|old|my\s+hair)\b",
        idiom_score=0.2,
    ),
    cue(r"\bk(?:\*|1|!|\.)ll(?:ing)?\s+myself\b", 0.95, ("self",)),
    cue(
        r"\b(?:going\s+to|gonna|want\s+to|wanna|plan(?:ning)?\s+to|ready\s+to|about\s+to|enough\s+\w+\s+to)\s+"
        r"end\s+it(?:\s+all)?\b",
        0.8,
        ("end it",),
        idiom=r"\s+(?:with|between|for\s+(?:us|them)|today\s+with)\b",
        idiom_score=0.3,
    ),
    cue(
        r"\b(?:standing|sitting|stood|sat|i['’]?m)\s+on\s+(?:the\s+)?(?:edge\s+of\s+the\s+\w+(?:\s+\w+)?\s+roof|"
        r"ledge|bridge|train\s+tracks|railway\s+tracks|tracks|roof\s+edge)\b",
        0.75,
        ("edge", "ledge", "bridge", "tracks"),
    ),
    cue(r"\bcar\s+running\s+in\s+the\s+(?:closed\s+|shut\s+)?garage\b", 0.85, ("garage",)),
    cue(
        r"\b(?:won['’]?t|will\s+not)\s+be\s+(?:around|here|alive)\s+(?:after|by|for)\s+(?:this|next|the)\s+"
        r"(?:week|weekend|month|tonight|christmas|winter)\b",
        0.65,
        ("around", "here", "alive"),
    ),
    cue(r"\bi\s+know\s+how\s+i['’]?m\s+going\s+to\s+do\s+it\b", 0.65, ("know how",)),
    # Killing oneself, however spelled; idioms ("killing myself laughing") fall below a rule.
    cue(
        r"\b(?:kill|kil|kll|klil|murder|unalive|off|end|hang|shoot|stab|drown|poison|"
        rf"suffocate|strangle|electrocute|gas)(?:s|ed|ing|in|d)?['’]?\s*{_MYSELF}",
        0.95,
        _MYSELF_KEYS,
        idiom=r"\s+(?:laughing|trying|working|for\s+(?:this|you|nothing|them|it)|"
        r"over\s+(?:this|it|here|there)|to\s+(?:get|make|finish|pay|keep|meet|fix)|"
        r"in\s+the\s+foot|out\s+to\s+dry)",
        idiom_score=0.45,
    ),
    # An act on oneself is self-harm when intended or habitual, an accident otherwise.
    cue(rf"\b{_INTENT}\s+(?:\w+\s+)?{_SELF_ACT}\s*{_MYSELF}", 0.95, _MYSELF_KEYS),
    cue(
        rf"\b{_SELF_ACT}\s*{_MYSELF}",
        0.6,
        _MYSELF_KEYS,
        idiom=r"\s+(?:on|with|while|when|shaving|cooking|lifting|falling|by\s+accident|"
        r"accidentally|at\s+(?:work|the)|in\s+the\s+(?:kitchen|garden|gym)|badly\s+on)",
        idiom_score=0.3,
    ),
    cue(r"\bself[\s-]*(?:harm|harming|injur\w*|mutilat\w*)\b", 0.9, ("self",)),
    cue(r"\b(?:slit|cut|slash)(?:ting)?\s+(?:my|me)\s+wrists?\b", 0.95, ("wrist",)),
    cue(r"\b(?:blow|blew|blowing)\s+my\s+(?:brains?|head)\s+(?:out|off)\b", 0.95, ("brain", "head")),
    cue(
        r"\b(?:put|putting|hold(?:ing)?)\s+a\s+(?:gun|bullet|pistol)\s+(?:to|in)\s+my\b",
        0.9,
        ("gun", "bullet", "pistol"),
    ),
    cue(r"\bbullet\s+(?:in|through)\s+my\s+(?:head|brain|skull)\b", 0.9, ("bullet",)),
    # Wanting to die, or no longer to live.
    cue(
        rf"\b(?:{_WANT_TO}\s+|wish(?:ing)?\s+(?:i\s+could\s+|{_TO}\s+)|ready\s+{_TO}\s+|"
        r"just\s+want\s+(?:to\s+)?|hop(?:e|ing)\s+(?:i|to)\s+|praying\s+(?:i|to)\s+|"
        r"feel(?:ing)?\s+like\s+)(?:just\s+)?(?:die|dying|be\s+dead|drop\s+dead)\b",
        0.95,
        ("die", "dying", "dead"),
        idiom=r"\s+(?:of|from|laughing|in\s+(?:my\s+sleep\s+)?(?:peace|old)|happy|old|"
        r"for\s+(?:my|our|the|a)|when\s+i['’]?m\s+old|at\s+\d)",
        idiom_score=0.25,
    ),
    cue(
        r"\bwish(?:ing)?\s+(?:that\s+)?i(?:\s+(?:was|were|wasn['’]?t|weren['’]?t|could|would|"
        r"had)|\s*['’]\s*d|d)(?:\s+never)?\s+(?:just\s+)?(?:dead|die|died|"
        r"never\s+(?:been\s+)?born|been\s+born|alive|here|exist|existed|gone|"
        r"not\s+(?:alive|here|born|exist))\b",
        0.95,
        ("wish",),
    ),
    cue(
        r"\bwish(?:ing)?\s+i\s+could\s+(?:just\s+)?(?:disappear|vanish|sleep\s+forever)\b",
        0.6,
        ("wish",),
    ),
    cue(
        rf"\b(?:{_DONT}|no\s+longer|not\s+sure\s+i)\s+(?:really\s+)?(?:{_WANT_TO}|want|"
        r"feel\s+like|see\s+the\s+point\s+(?:in|of))\s+(?:be(?:ing)?\s+)?"
        r"(?:alive|living|live|exist(?:ing)?|be\s+here|here)\b",
        0.95,
        ("liv", "exist", "here"),
        negatable=False,
        idiom=r"\s+(?:in|with|near|at|there|here|on|under|next|somewhere|by|without)\b|"
        r"\s+like\s+(?:that|them|him|her)\b",
        idiom_score=0.2,
    ),
    cue(
        rf"\b(?:{_DONT}|no\s+longer)\s+(?:{_WANT_TO}|want)\s+(?:live|be\s+alive)\s+like\s+this\b",
        0.7,
        ("liv",),
        negatable=False,
    ),
    cue(
        r"\b(?:not|never)\s+(?:going\s+to|gonna)\s+(?:live|be\s+alive)\s+"
        r"(?:any\s*more|much\s+longer|any\s+longer)\b",
        0.9,
        ("liv",),
        negatable=False,
    ),
    cue(
        rf"\b(?:{_DONT}|never)\s+(?:{_WANT_TO}|want)\s+(?:wake\s+up|exist)\b",
        0.85,
        ("wake", "exist"),
        negatable=False,
        idiom=r"\s+(?:to|next\s+to|early|at\s+\d|before|for\s+(?:work|school))\b",
        idiom_score=0.2,
    ),
    cue(
        r"\b(?:hope|wish|pray(?:ing)?)\s+i\s+(?:don['’]?t|dont|never|won['’]?t)\s+wake\s+up\b",
        0.9,
        ("wake",),
        negatable=False,
    ),
    cue(
        r"\b(?:go|fall)\s+to\s+sleep\s+and\s+(?:never|not)\s+wake\s+up\b",
        0.85,
        ("wake",),
        negatable=False,
    ),
    cue(
        rf"\b{_WANT_TO}\s+(?:not\s+exist|stop\s+existing|cease\s+to\s+exist|"
        r"disappear\s+forever)\b",
        0.85,
        ("exist", "forever"),
    ),
    cue(
        rf"\b{_WANT_TO}\s+(?:just\s+)?(?:disappear|vanish|sleep\s+forever)\b",
        0.55,
        ("disappear", "vanish", "forever"),
    ),
    cue(
        rf"\bi\s+(?:don['’]?t|dont|do\s+not)\s+deserve\s+{_TO}\s+(?:live|be\s+alive|exist)\b|"
        r"\bi\s+(?:deserve\s+to|should\s+(?:just\s+)?|need\s+to\s+(?:just\s+)?)die\b",
        0.85,
        ("deserve", "die"),
        negatable=False,
    ),
    cue(
        r"\bhate\s+(?:being\s+alive|living|existing|my\s+existence|that\s+i['’]?m\s+alive)\b",
        0.7,
        ("hate",),
    ),
    cue(
        r"\b(?:would\s+be|['’]d\s+be|d\s+be|are|is|be)\s+better\s+off\s+(?:without\s+me|"
        r"if\s+i\s+(?:just\s+)?(?:was|were|wasn['’]?t|weren['’]?t|died|was\s+gone|were\s+gone))\b",
        0.95,
        ("better",),
        negatable=False,
    ),
    cue(r"\bbetter\s+off\s+dead\b", 0.95, ("dead",), idiom=r"\s+than\b", idiom_score=0.55),
    cue(
        r"\bno\s*(?:one|body)\s+(?:would|will)\s+(?:even\s+)?(?:care|notice|miss\s+me)\s+"
        r"if\s+i\s+(?:died|was\s+gone|were\s+gone|disappeared|wasn['’]?t\s+here|killed)\b",
        0.85,
        ("care", "notice", "miss"),
        negatable=False,
    ),
    cue(
        r"\b(?:no|not\s+(?:a|any|one))\s+(?:single\s+)?(?:reason|point|purpose)\s+"
        r"(?:to|in|for|of)\s+(?:live|living|go(?:ing)?\s+on|be(?:ing)?\s+alive|"
        r"stay(?:ing)?\s+alive|keep\s+going|carry(?:ing)?\s+on|exist(?:ing)?|life)\b",
        0.95,
        ("reason", "point", "purpose"),
        negatable=False,
    ),
    cue(
        r"\bnothing\s+(?:left\s+)?(?:to\s+live|worth\s+living)\s+for\b",
        0.95,
        ("nothing",),
        negatable=False,
    ),
    cue(
        r"\b(?:life|living|my\s+life)\s+(?:is|isn['’]?t|is\s+not|ain['’]?t)\s+(?:not\s+)?"
        r"(?:worth\s+living|worth\s+it\s+any\s*more)\b|\bnot\s+worth\s+living\b",
        0.9,
        ("worth",),
        negatable=False,
    ),
    # Ending one's life, and the methods people name.
    cue(r"\b(?:end|ending|ended|take|taking|took)\s+(?:my|me)\s+(?:own\s+)?life\b", 0.95, ("life",)),
    cue(
        r"\bend(?:ing)?\s+(?:it\s+all|everything|(?:it|my\s+life)\s+(?:tonight|for\s+good|"
        r"today|soon))\b",
        0.95,
        ("end",),
    ),
    cue(
        r"\b(?:take|taking|swallow|swallowing|down|downing|overdose\s+on|od\s+on)\s+"
        r"(?:all|a\s+(?:whole\s+)?bottle|the\s+(?:whole|entire)\s+bottle|a\s+handful|"
        r"every\s+one|a\s+bunch|all\s+the\s+rest)\s+(?:of\s+)?(?:my|the|these|those|his|her)?"
        rf"\s*{_PILLS}",
        0.95,
        _PILL_KEYS,
    ),
    cue(
        r"\b(?:take|taking|swallow|swallowing)\s+the\s+(?:whole|entire)\s+bottle\b",
        0.9,
        ("bottle",),
    ),
    cue(
        rf"\b{_PILLS}\b[^.!?]{{0,60}}?\b(?:take|swallow|down)\s+(?:them|those|these|it)\s+all\b|"
        rf"\b(?:stockpil\w+|sav(?:ed|ing)\s+up|hoard\w*)\s+(?:my\s+|all\s+my\s+)?{_PILLS}",
        0.85,
        _PILL_KEYS,
    ),
    cue(rf"\b(?:{_INTENT}|i)\s+(?:just\s+)?overdos(?:e|ing|ed)\b", 0.9, ("overdos",)),
    cue(
        r"\b(?:jump|jumping|throw\s+myself|throwing\s+myself)\s+(?:off|from)\s+"
        r"(?:a|the|my|this)\s+(?:bridge|building|roof|balcony|cliff|window|overpass|tower|"
        r"ledge|parking\s+garage)\b",
        0.9,
        ("jump", "throw"),
    ),
    cue(
        r"\b(?:jump|jumping|step|stepping|walk|walking|throw\s+myself|lie\s+down)\s+"
        r"in\s+front\s+of\s+(?:a|the)\s+(?:train|bus|truck|car|lorry)\b",
        0.95,
        ("front",),
    ),
    cue(
        r"\b(?:drive|driving|crash|crashing)\s+(?:my\s+car\s+)?(?:off|into)\s+(?:a|the)\s+"
        r"(?:cliff|bridge|wall|tree|river|lake|ocean|oncoming)\b",
        0.8,
        ("driv", "crash"),
    ),
    cue(r"\b(?:noose|rope\s+around\s+my\s+neck)\b", 0.8, ("noose", "rope")),
    # First-person suicidality (bare mentions are judged by _suicide_mentions below).
    cue(
        r"\b(?:i\s*['’]?\s*m|i\s+am|im|feel(?:ing)?|been|get(?:ting)?|am)\s+"
        r"(?:so\s+|really\s+|very\s+|kinda\s+|kind\s+of\s+|a\s+(?:bit|little)\s+)?"
        rf"{_SUICIDE}(?:al|e)\b",
        0.95,
        _SUICIDE_KEYS,
    ),
    cue(
        r"\b(?:attempt(?:ed|ing|s)?|considering|contemplating|"
        r"think(?:ing)?\s+(?:about|of)|thought\s+(?:about|of)|thoughts\s+of|plan(?:ning)?|tried)"
        rf"\s+(?:committing\s+|to\s+commit\s+)?{_SUICIDE}(?:e|al)\b|"
        rf"\bi\s+(?:want|wanna|need|plan|intend|am\s+going|['’]?m\s+going|m\s+going|will|"
        rf"['’]?ll|might|could)\s+(?:to\s+)?commit\s+{_SUICIDE}e\b|"
        rf"\b{_SUICIDE}(?:e|al)\s+(?:thoughts|ideation|plans?|attempts?|note|urges?|feelings?)\b",
        0.9,
        _SUICIDE_KEYS,
    ),
    # Typed shorthand: "kms" is "kill myself" unless it is kilometres.
    cue(
        r"\b(?:gonna|wanna|going\s+to|want\s+to|about\s+to|i\s+will|i['’]?ll|imma|ima|just|"
        r"should|could|might|literally|i)\s+kms\b",
        0.9,
        ("kms",),
    ),
    Cue(
        re.compile(r"(?<!\d)(?<!\d\s)(?<![\w'])kms(?![\w'])"),
        0.45,
        frozenset({"kms"}),
        idiom=rx(r"\s+(?:on|per|a|an|away|from|to|of)\b"),
        idiom_score=0.0,
    ),
    # Hopelessness: real warning signs but common as hyperbole, so scored for a rule to weigh.
    cue(
        r"\b(?:can['’]?t|cannot|can\s+not|cant)\s+go\s+on\b",
        0.6,
        ("go on",),
        negatable=False,
        idiom=r"\s+(?:with\s+(?:this|the|your)|waiting|paying|holding|like\s+this\s+with)",
        idiom_score=0.45,
    ),
    cue(
        r"\b(?:what['’]?s|whats|what\s+is)\s+the\s+point\s+(?:of|in)\s+(?:anything|living|life|"
        r"going\s+on|it\s+all|being\s+alive|existing|carrying\s+on|even\s+trying|"
        r"trying\s+any\s*more)\b",
        0.6,
        ("point",),
        negatable=False,
    ),
    cue(
        r"\b(?:don['’]?t|do\s+not|can['’]?t|cannot|no\s+longer)\s+see\s+(?:the|any)\s+point\s+"
        r"(?:of|in)\s+(?:anything|any\s+of\s+it|living|life|going\s+on|it\s+all|being\s+alive|"
        r"existing|carrying\s+on|trying|waking\s+up)\b|\bno\s+point\s+(?:of|in)\s+any\s+of\s+it\b",
        0.6,
        ("point",),
        negatable=False,
    ),
    cue(
        r"\b(?:life|living|being\s+alive|my\s+life|existence)\s+(?:is|feels)\s+(?:so\s+)?"
        r"(?:pointless|meaningless|hopeless|unbearable)\b",
        0.6,
        ("pointless", "meaningless", "hopeless", "unbearable"),
    ),
    cue(
        r"\bgiv(?:e|ing)\s+up\s+on\s+(?:life|living|everything|myself)\b",
        0.6,
        ("give up", "giving up"),
    ),
    cue(
        r"\b(?:tired|sick)\s+of\s+(?:living|being\s+alive|life|existing|being\s+here)\b|"
        r"\bdone\s+with\s+(?:life|living|being\s+alive)\b",
        0.8,
        ("tired", "sick", "done"),
    ),
    cue(
        r"\b(?:i\s*['’]?\s*m|i\s+am|im|feel\s+like)\s+(?:just\s+|such\s+)?a\s+burden\b",
        0.6,
        ("burden",),
    ),
    cue(
        r"\b(?:won['’]?t|will\s+not|wont|not\s+going\s+to)\s+be\s+(?:here|around|alive)\s+"
        r"(?:much\s+longer|any\s*more|for\s+(?:much\s+)?long|by\s+(?:tomorrow|morning))\b",
        0.75,
        ("here", "around", "alive"),
        negatable=False,
    ),
    cue(
        r"\bmy\s+(?:last|final)\s+(?:goodbye|words|message|note)\b|"
        r"\bgoodbye\s+(?:forever|cruel\s+world)\b",
        0.7,
        ("last", "final", "goodbye"),
    ),
    cue(
        r"\b(?:['’]d|would)\s+rather\s+(?:be\s+dead|die)\b",
        0.55,
        ("rather",),
        idiom=r"\s+than\s+(?!(?:go|keep|live|carry|be\s+alive))",
        idiom_score=0.35,
    ),
    cue(r"\bmight\s+as\s+well\s+(?:be\s+dead|die)\b", 0.7, ("as well",)),
    cue(
        r"\bwant\s+(?:it|everything|the\s+pain)\s+(?:all\s+)?(?:to\s+)?(?:end|stop)"
        r"\s*(?:[.!]|$|for\s+good|forever)",
        0.55,
        ("end", "stop"),
    ),
    cue(r"\bthoughts\s+of\s+(?:death|dying|ending\s+it)\b", 0.75, ("thoughts",)),
    cue(
        rf"\b(?:{_INTENT}|just\s+want\s+to|i\s+want\s+to)\s+(?:just\s+)?end\s+it"
        r"(?=\s*(?:[.!,;]|$|already|now\s*[.!]?$))",
        0.55,
        ("end",),
        idiom=r"\s*[.!,;]?\s*(?:cancel|the\s+(?:contract|plan|subscription|account|service))",
        idiom_score=0.3,
    ),
    cue(r"\bend\s+(?:the|my|this)\s+(?:suffering|pain|misery)\b", 0.6, ("suffer", "pain", "miser")),
    cue(
        r"\bno\s*(?:one|body)\s+(?:would|will|is\s+going\s+to)\s+(?:even\s+)?(?:miss|notice)\s+"
        r"me\b",
        0.75,
        ("miss", "notice"),
        negatable=False,
    ),
    cue(
        r"\b(?:no|don['’]?t\s+see\s+(?:a|any))\s+way\s+out\b|\bdark\s+thoughts\b",
        0.5,
        ("way out", "dark"),
    ),
    cue(
        r"\b(?:going\s+to|gonna|might|before\s+i|about\s+to)\s+do\s+something\s+(?:stupid|"
        r"drastic|i['’]?ll\s+regret)\b",
        0.5,
        ("something",),
    ),
    cue(
        r"\b(?:can['’]?t|cannot|cant)\s+(?:take|handle|bear|stand|do)\s+(?:it|this|life|living)"
        r"\s+(?:any\s*more|any\s+longer)\b",
        0.45,
        ("more", "longer"),
        negatable=False,
    ),
)

# Someone else at risk: the procedure still applies, but it is not the writer's own statement.
OTHER_PERSON_CUES = Cues(
    cue(
        r"\b(?:want(?:s|ed)?\s+to|going\s+to|gonna|threaten(?:s|ed|ing)\s+to|"
        r"talk(?:s|ed|ing)\s+about|tried\s+to|trying\s+to|might)\s+"
        r"(?:kill|hurt|harm|end)\s+(?:him|her|them)sel(?:f|ves)\b",
        0.6,
        ("sel",),
        subject="other",
    ),
    cue(
        r"\b(?:he|she|they)\s*(?:['’]?s|['’]?re|\s+is|\s+are|\s+was|\s+seems)\s+"
        rf"(?:really\s+|very\s+)?{_SUICIDE}al\b",
        0.6,
        _SUICIDE_KEYS,
        subject="other",
    ),
)

_SUICIDE_WORD = rx(rf"\b{_SUICIDE}(?:e|al|ally)\b")
_GENRE_AFTER = rx(
    r"\s*(?:squad|rates?|prevention|hotline|lines?|awareness|bomb\w*|mission|watch|doors?|"
    r"pact|by\s+cop|run|statistics)\b"
)
_FIRST_PERSON = rx(r"\b(?:i|i['’]?m|im|me|my|myself|i['’]?ve|ive|i['’]?d|i['’]?ll)\b")
_ANOTHER_PERSON = rx(
    r"\b(?:he|she|they|his|her|their|brother|sister|mom|mum|mother|dad|father|son|daughter|"
    r"friend|husband|wife|partner|uncle|aunt|cousin|grand\w+|someone|somebody|neighbou?r|"
    r"boyfriend|girlfriend|who|anyone|anybody|people|everyone|those)\b"
)
_I = rx(r"\bi\b")
_DIED_OF = rx(r"\b(?:committed|died\s+by|death\s+by|lost\s+\w+\s+to)\s*$")


def _suicide_mentions(text: str, covered: list[Hit]) -> list[Hit]:
    """Mentions of suicide no cue covered: the writer's own (high) or someone else's (low)."""
    found: list[Hit] = []
    cues = Cover((h.start, h.end) for h in covered)
    for m in _SUICIDE_WORD.finditer(text):
        if cues.contain(m.start(), m.end()):
            continue
        before = clause_before(text, m.start())
        if _GENRE_AFTER.match(text, m.end()) or _DIED_OF.search(before):
            score = 0.35
        elif _ANOTHER_PERSON.search(before) and not _I.search(before):
            score = 0.45
        elif _FIRST_PERSON.search(before) or _FIRST_PERSON.search(text, m.end(), m.end() + 40):
            score = 0.9
        else:
            score = 0.6  # unclear whose: recall first
        if negated(text, m.start(), _SELF_NEGATION):
            score = min(score, 0.4)
        found.append(Hit(m.start(), m.end(), score, {}))
    return found


_MAKES_ME = rx(r"\bmak(?:e|es|ing)\s+me\s*$")


def _hyperbole(text: str, hit: Hit) -> Hit:
    """Said of annoyances ("you make me want to die"): kept, but left for a rule to weigh."""
    if hit.score > 0.6 and _MAKES_ME.search(clause_before(text, hit.start)):
        return Hit(hit.start, hit.end, 0.6, hit.data)
    return hit


# A sentence that places the statement in a past that is over ("ten years ago", "used to",
# "doing well now") is history, not a present risk: kept below the alert line for a rule to weigh.
_PAST = rx(
    r"\b(?:\d+|a\s+few|many|several|two|three|ten)\s+years?\s+ago\b|\bused\s+to\b|\bback\s+in\s+\d{4}\b|"
    r"\bin\s+(?:19|20)\d\d\b|\bas\s+a\s+(?:teen(?:ager)?|kid|child|student)\b|\bsurvived\b|"
    r"\b(?:much\s+)?better\s+place\s+now\b|\bdoing\s+(?:well|better|fine)\s+now\b|\bwhen\s+my\s+\w+\s+died\b"
)
_PRESENT = rx(r"\b(?:again|still|tonight|today|right\s+now|lately|these\s+days|anymore|any\s+more)\b")
PAST_SCORE = 0.45


class _Sentences:
    """The sentences of one text (cut at ``.!?`` and newlines), each read for its tense once.

    A turn can hold thousands of hits in one unpunctuated sentence; reading that sentence once per
    hit made the check quadratic.
    """

    _MARK = re.compile(r"[.!?\n]")

    def __init__(self, text: str) -> None:
        self.text = text
        self.marks = [m.start() for m in self._MARK.finditer(text)]
        self._over: dict[tuple[int, int], bool] = {}

    def around(self, start: int, end: int) -> tuple[int, int]:
        """The sentence holding ``start``…``end``: after the last mark before it, up to the next mark."""
        before = bisect_left(self.marks, start)
        after = bisect_left(self.marks, end)
        left = self.marks[before - 1] + 1 if before else 0
        return left, self.marks[after] if after < len(self.marks) else len(self.text)

    def over(self, start: int, end: int) -> bool:
        """Whether the sentence around the span places it in a past that is over."""
        span = self.around(start, end)
        if span not in self._over:
            sentence = self.text[span[0] : span[1]]
            self._over[span] = _PAST.search(sentence) is not None and _PRESENT.search(sentence) is None
        return self._over[span]


def _over_and_done(sentences: _Sentences, hit: Hit) -> Hit:
    if hit.score > PAST_SCORE and sentences.over(hit.start, hit.end):
        return Hit(hit.start, hit.end, PAST_SCORE, hit.data)
    return hit


def self_harm_hits(text: str, *, gate: bool = True) -> list[Hit]:
    """Every self-harm cue in ``text`` with its score; data marks statements about another."""
    low = lowered(text)
    hits = [_hyperbole(low, h) for h in scan(SELF_HARM_CUES, low, _SELF_NEGATION, 0.4, gate=gate)]
    if not gate or any(k in folded(low) for k in _SUICIDE_KEYS):
        hits += _suicide_mentions(low, hits)
    hits += scan(OTHER_PERSON_CUES, low, _SELF_NEGATION, 0.3, gate=gate)
    sentences = _Sentences(low)
    return [_over_and_done(sentences, h) for h in hits]


# The agent asked about safety ("are you having thoughts of ending your life?") ...
_SAFETY_QUESTION = rx(
    r"\b(?:thoughts?|think(?:ing)?|thought|plans?|plann?ing|want(?:ing)?|going)\s+(?:of|about|to)\s+"
    r"(?:ending\s+your\s+(?:own\s+)?life|suicide|killing\s+yourself|hurting\s+yourself|"
    r"harming\s+yourself|taking\s+your\s+(?:own\s+)?life|end(?:ing)?\s+it(?:\s+all)?|dying|die)\b|"
    r"\bsuicidal\b|\b(?:hurt|harm|kill)(?:ing)?\s+yourself\b|\bare\s+you\s+(?:safe|okay\s+to\s+"
    r"stay\s+safe)\b"
)
# ... and the customer did not say no. Unsure counts: it is not a denial.
_AFFIRMED = rx(
    r"^\s*(?:yes|yeah|yep|yup|sometimes|often|a\s+lot|every\s+day|lately|kind\s+of|sort\s+of|"
    r"i\s+think\s+so|i\s+guess|a\s+little)\b|\b(?:i['’]?ve|i\s+have|i['’]?m|i\s+am|been)\s+"
    r"(?:thought|thinking|thought\s+a\s+lot)\s+about\s+it\b|\bi\s+(?:do|have|am|might)\s*(?:[.!]|$)"
)
_UNSURE = rx(r"^\s*(?:i\s+)?(?:don['’]?t\s+know|dunno|not\s+sure|maybe|i['’]?m\s+not\s+sure)\b")


def answer_to_safety_question(text: str, context: Context) -> Hit | None:
    """The customer's answer when the agent has just asked whether they are safe."""
    for analysed in reversed(context.history[-2:]):
        if analysed.role in (Role.agent, Role.supervisor):
            asked = lowered(analysed.text)
            if "?" not in asked or not _SAFETY_QUESTION.search(asked):
                return None
            low = lowered(text)
            yes = _AFFIRMED.search(low)
            if yes:
                return Hit(yes.start(), yes.end(), 0.75, {"subject": "self"})
            unsure = _UNSURE.search(low)
            if unsure:
                return Hit(unsure.start(), unsure.end(), 0.55, {"subject": "self"})
            return None
    return None


class SelfHarm:
    """Intent, plans or thoughts of harming or killing oneself (P12); recall comes first."""

    name = "calmline.self_harm.v1"
    roles = CUSTOMER

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold  # the lowest score worth a signal

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        found = self_harm_hits(turn.text)
        answer = answer_to_safety_question(turn.text, context)
        if answer is not None:
            found.append(answer)
        hits = strongest(found, self.threshold)
        if not hits:
            return []
        own = [h for h in hits if h.data.get("subject") != "other"]
        data = {"subject": "self" if own else "other"}
        return [
            to_signal(
                own or hits,
                turn,
                context,
                kind="self_harm",
                practice="P12",
                detector=self.name,
                data=data,
            )
        ]


@register("calmline.self_harm.v1", assigns=["self_harm"])
def make_self_harm(threshold: float = 0.5) -> SelfHarm:
    return SelfHarm(threshold)


# --- violent threats ---------------------------------------------------------------------

_I_WILL = (
    r"(?:i\s*['’]?\s*ll|i\s+will|ill|i\s+shall|i\s+swear\s+i\s*(?:['’]?ll|\s+will)|"
    r"(?:i\s*['’]?\s*m|i\s+am|im)\s+(?:going\s+to|gonna|gunna|about\s+to|coming\s+"
    r"(?:down\s+|over\s+)?(?:there\s+)?to)|i\s*['’]?\s*ma|imma|(?:(?<![\w\s'’])|(?<=[.!?,;:]\s))gonna|"
    r"i\s+(?:want|wanna|need)(?:\s+to)?|i\s*['’]?\s*d\s+(?:love|like)\s+to|i\s+should)"
)
_COME_AND = (
    r"(?:(?:come|coming|drive|get)\s+(?:down|over|up|in)?\s*(?:there|here|to\s+\w+(?:\s+\w+)?)?"
    r"\s*(?:and|to)\s+)?"
)
_HARM = (
    r"(?:hurt|kill|murder|shoot|stab|beat|punch|hit|slap|smack|strangle|choke|knife|cut|"
    r"attack|assault|bash|batter|smash|kick|break|snap|wring|slit|maim|torture|destroy|end|"
    r"gut|put\s+\w+\s+in\s+(?:the\s+)?hospital|"
    r"(?:beat|kick)\s+the\s+(?:shit|hell|crap|living\s+daylights)\s+out\s+of)"
)
_HARM_KEYS = (
    "hurt",
    "kill",
    "murder",
    "shoot",
    "stab",
    "beat",
    "punch",
    "hit",
    "slap",
    "smack",
    "strangl",
    "chok",
    "knife",
    "cut",
    "attack",
    "assault",
    "bash",
    "batter",
    "smash",
    "kick",
    "break",
    "snap",
    "wring",
    "slit",
    "maim",
    "tortur",
    "destroy",
    "end",
    "gut",
    "hospital",
)
_YOU = (
    r"(?:you|ya|u|y['’]?all|your\s+(?:face|head|neck|legs?|arms?|skull|teeth|family|kids|"
    r"children|wife|husband|ass|throat|manager|boss|supervisor|staff|employees|agents|people|"
    r"technician|driver|ceo|workers|whole\s+(?:team|office|family))|all\s+of\s+you|"
    r"every\s+(?:one|last\s+one)\s+of\s+you)"
)
_OTHERS = (
    r"(?:him|her|them|someone|somebody|anyone|anybody|everyone|everybody|people|whoever|"
    r"(?:the|that)\s+(?:manager|agent|staff|guy|woman|lady|man|rep|person|tech|technician|"
    r"driver|owner|boss|employees?|workers?|supervisor|cashier|installer|landlord|ceo|clerk|"
    r"idiot|moron))"
)
_FAMILY = (
    r"(?:my\s+(?:brother|sister|husband|wife|kids?|son|daughter|neighbou?r|roommate|ex|boss|"
    r"dad|mom|mum|landlord|partner))"
)
_PLACE = (
    r"(?:the|your|this|that|ur|their)\s+(?:whole\s+)?(?:place|office|building|store|shop|branch|"
    r"headquarters|hq|bank|call\s+cent(?:er|re)|factory|warehouse|offices|stores)"
)
_PLACE_ACTS = ("burn", "torch", "blow", "bomb", "fire", "trash", "wreck", "smash")
# The negations that take a threat back ("I'm not going to hurt you").
_THREAT_NEGATION = rx(
    r"\b(?:not|never|won['’]?t|wont|wouldn['’]?t|wouldnt|will\s+not|would\s+not|don['’]?t|"
    r"dont|do\s+not|no\s+intention|no\s+plans?)\b"
)
# "I'll shoot you an email", "I'll hit you up with a text": not violence.
_MESSAGE_AFTER = (
    r"\s+(?:(?:up|back)\b|(?:an?|the|some|this|that|over)\s+(?:e-?mail|message|text|note|line|"
    r"call|photo|video|picture|pic|quick|reminder|dm|invite|link|copy))"
)
_AGENT: CueData = {"target": "agent"}
_OTHER: CueData = {"target": "other"}

VIOLENCE_CUES = Cues(
    # Threats our own evaluation set showed missing: weapons brought, damage to places, injuries
    # described, and veiled warnings. Scored below the explicit "I'll hurt you" family.
    cue(
        r"\b(?:bring(?:ing)?|i['’]?ll\s+bring|be\s+waiting\s+with|waiting\s+(?:for\s+\w+\s+)?with)\s+"
        r"(?:my|a|the)\s+(?:gun|knife|machete|baseball\s+bat|bat|crowbar|hammer|shotgun|rifle|pistol)\b",
        0.8,
        ("gun", "knife", "machete", "bat", "crowbar", "hammer", "rifle", "pistol"),
        **_OTHER,
    ),
    cue(
        rf"\b{_I_WILL}\s+put\s+(?:a|this|the)\s+(?:brick|rock|stone)\s+through\b",
        0.85,
        ("brick", "rock", "stone"),
        **_OTHER,
    ),
    cue(
        rf"\b{_I_WILL}\s+(?:smash|trash|wreck|burn|blow)\s+(?:the\s+whole|the|this|your|that)\s+(?:\w+\s+)?"
        r"(?:place|shop|office|store|branch|building|van|car)\s+(?:up|down)\b",
        0.85,
        ("smash", "trash", "wreck", "burn", "blow"),
        **_OTHER,
    ),
    cue(rf"\b{_I_WILL}\s+set\s+fire\s+to\b", 0.85, ("fire",), **_OTHER),
    cue(
        rf"\b{_I_WILL}\s+(?:break|snap|smash)\s+(?:the\s+)?(?:\w+\s+)?(?:\w+['’]s|your|ur|his|her|their)\s+"
        r"(?:legs?|arms?|neck|jaw|nose|face|fingers|teeth|skull|head)(?:\s+in)?\b",
        0.85,
        ("leg", "arm", "neck", "jaw", "nose", "face", "finger", "teeth", "skull", "head"),
        **_OTHER,
    ),
    cue(
        r"\bknock\s+(?:your|ur|his|her|their)\s+(?:teeth|head|block)\s+(?:out|in|off)\b",
        0.85,
        ("knock",),
        **_AGENT,
    ),
    cue(
        r"\bput\s+(?:\w+\s+){1,3}in\s+(?:the\s+|a\s+)?(?:hospital|body\s+bag|ground|wheelchair|morgue)\b",
        0.85,
        ("hospital", "body bag", "ground", "wheelchair", "morgue"),
        **_OTHER,
    ),
    cue(
        rf"\b{_I_WILL}\s+{_HARM}\s+the\s+next\s+(?:person|one|rep|agent|guy|idiot|engineer|driver|"
        r"employee|member\s+of\s+staff)\b",
        0.9,
        _HARM_KEYS,
        **_OTHER,
    ),
    cue(
        rf"\b{_I_WILL}\s+hunt\s+(?:\w+\s+){{0,3}}down\b|\bhunt\s+down\s+(?:the|that|your)\s+\w+",
        0.7,
        ("hunt",),
        **_OTHER,
    ),
    cue(r"\bpay\s+with\s+(?:their|your|his|her)\s+(?:blood|lives?)\b", 0.85, ("blood", "life", "lives")),
    cue(
        r"\b(?:you|you['’]?ll)\s+lose\s+your\s+life\b|\bpay,?\s+physically\b",
        0.85,
        ("life", "physically"),
        **_AGENT,
    ),
    cue(r"\bneed\s+an\s+ambulance\s+when\s+i\b", 0.85, ("ambulance",), **_AGENT),
    cue(
        r"\b(?:someone|somebody|one\s+of\s+you)(?:['’]s|\s+is)?\s+(?:going\s+to|gonna)\s+"
        r"(?:end\s+up\s+in\s+(?:the\s+)?hospital|get\s+hurt)\b",
        0.8,
        ("hospital", "hurt"),
    ),
    cue(r"\bstab\s+vest\b|\bsee\s+how\s+safe\s+you\s+feel\b", 0.75, ("stab", "safe"), **_AGENT),
    cue(
        r"\b(?:i\s+know|i['’]?ll\s+(?:be\s+)?find(?:ing)?\s+out|find\s+out)\s+where\s+you\s+live\b|"
        r"\bi\s+know\s+what\s+car\s+you\s+drive\b",
        0.8,
        ("live", "car"),
        **_AGENT,
    ),
    cue(
        r"\bturn\s+up\s+at\s+your\s+(?:door|house|home)\b|\bhope\s+you\s+have\s+good\s+security\b|"
        r"\bshame\s+if\s+something\s+(?:happened|were\s+to\s+happen)\s+to\b|\bstart\s+swinging\b|"
        r"\bnot\s+responsible\s+for\s+what\s+i['’]?(?:ll|\s+will|\s+might)\s+do\b|"
        r"\bpeople\s+have\s+been\s+(?:hurt|killed)\s+for\s+less\b",
        0.7,
        ("door", "house", "home", "security", "shame", "swinging", "responsible", "less"),
    ),
    cue(
        r"\bsee\s+what\s+happens\s+to\s+(?:your|you)\b|\bmake\s+an\s+example\s+of\s+(?:one\s+of\s+)?you\b",
        0.6,
        ("happens", "example"),
        **_AGENT,
    ),
    cue(
        rf"\b{_I_WILL}\s+(?:just\s+|really\s+|personally\s+|literally\s+|f\S*ing\s+)?"
        rf"{_COME_AND}{_HARM}\s+{_YOU}\b",
        0.9,
        _HARM_KEYS,
        idiom=_MESSAGE_AFTER,
        idiom_score=0.0,
        **_AGENT,
    ),
    cue(
        rf"\b{_I_WILL}\s+(?:just\s+|really\s+|personally\s+|literally\s+|f\S*ing\s+)?"
        rf"{_COME_AND}{_HARM}\s+{_OTHERS}\b",
        0.85,
        _HARM_KEYS,
        idiom=_MESSAGE_AFTER,
        idiom_score=0.0,
        **_OTHER,
    ),
    # Family members are the usual target of hyperbole ("I'll kill my husband"): still scored.
    cue(rf"\b{_I_WILL}\s+(?:just\s+|really\s+)?{_HARM}\s+{_FAMILY}\b", 0.7, _HARM_KEYS, **_OTHER),
    cue(
        rf"\bi\s+could\s+(?:just\s+|really\s+|honestly\s+)?{_HARM}\s+{_YOU}\b",
        0.7,
        _HARM_KEYS,
        idiom=_MESSAGE_AFTER,
        idiom_score=0.0,
        **_AGENT,
    ),
    cue(
        r"\b(?:kick|whoop|beat|tan)\s+(?:your|ur|yo)\s+(?:ass|arse|butt|a\*\*|a\$\$|behind|hide)\b",
        0.85,
        ("kick", "whoop", "beat", "tan"),
        **_AGENT,
    ),
    cue(
        rf"\b{_I_WILL}\s+(?:come\s+(?:down\s+)?(?:there\s+)?and\s+)?shoot\b",
        0.85,
        ("shoot",),
        idiom=r"\s+(?:(?:you|me|him|her|them|u)\s+)?(?:an?|the|some|this|that|over|for|hoops|"
        r"pool|back|down|my\s+shot|e-?mail|it|photos?|videos?|pictures?)\b",
        idiom_score=0.0,
    ),
    cue(
        rf"\bshoot(?:ing)?\s+up\s+(?:{_PLACE}|the\s+place|this\s+place|your\s+place|everyone|"
        r"everybody)\b",
        0.95,
        ("shoot",),
        **_OTHER,
    ),
    cue(
        rf"\b{_I_WILL}\s+(?:just\s+)?(?:burn|torch|blow\s+up|bomb|firebomb|set\s+fire\s+to|"
        rf"set\s+on\s+fire|trash|wreck|smash\s+up)\s+(?:down\s+)?{_PLACE}(?:\s+down)?",
        0.9,
        _PLACE_ACTS,
        **_OTHER,
    ),
    cue(
        rf"\b(?:burn|torch|blow\s+up|bomb|firebomb|set\s+fire\s+to)\s+{_PLACE}(?:\s+down)?\b|"
        r"\bburn\s+(?:it|this\s+place|that\s+place)\s+(?:all\s+)?(?:down|to\s+the\s+ground)\b",
        0.7,
        _PLACE_ACTS,
        **_OTHER,
    ),
    cue(
        r"\bthere\s*(?:['’]?s|\s+is|\s+will\s+be)\s+(?:a\s+)?bomb\b|\bplant(?:ed|ing)?\s+a\s+bomb\b",
        0.95,
        ("bomb",),
        **_OTHER,
    ),
    # Veiled threats: knowing where someone is, warnings, promises that someone gets hurt.
    cue(
        r"\bi\s+(?:know|found\s+out|can\s+find(?:\s+out)?)\s+where\s+(?:you|u|ya|your\s+\w+|"
        r"the\s+(?:office|store|manager|agent)|you\s+guys|you\s+people)(?:\s*['’]\s*re|\s+(?:are|"
        r"is|live|lives|work|works|sleep|go|park|is\s+located))?\b",
        0.85,
        ("where",),
        negatable=False,
        **_AGENT,
    ),
    cue(r"\bwatch\s+(?:your|ur)\s+back\b", 0.85, ("back",), negatable=False, **_AGENT),
    cue(
        r"\b(?:you['’]?d|you\s+had|you|u|ud)\s+(?:better|best)\s+watch\s+(?:yourself|it|out)\b|"
        r"\bsleep\s+with\s+one\s+eye\s+open\b",
        0.6,
        ("watch", "eye"),
        negatable=False,
        **_AGENT,
    ),
    cue(
        r"\b(?:someone|somebody|some\s+one|people|one\s+of\s+you|you|u|your\s+\w+|"
        r"some\s+people)\s*(?:['’]?s|['’]?re|\s+is|\s+are)?\s*"
        r"(?:going\s+to|gonna|will|gunna|['’]?ll)\s+(?:get|end\s+up)\s+(?:hurt|killed|"
        r"shot|stabbed|beaten|dead)\b",
        0.85,
        ("hurt", "kill", "shot", "stab", "beaten", "dead"),
        **_OTHER,
    ),
    cue(
        r"\bi\s*(?:['’]?ll|\s+will|ll)\s+(?:find|hunt\s+down|track\s+down|get)\s+(?:you|u|ya|"
        r"y['’]?all|every\s+one\s+of\s+you)(?:\s+(?:and|down|people|guys))?\b",
        0.75,
        ("find", "hunt", "track", "get"),
        idiom=r"\s+(?:a|an|the|some|another|on|in|your|fired|sacked|back|up|to|through|"
        r"connected|sorted|what|something|that|those|my|our|it)\b",
        idiom_score=0.3,
        **_AGENT,
    ),
    cue(
        r"\b(?:i\s*['’]?\s*m|i\s+am|im)\s+coming\s+(?:for|after)\s+(?:you|u|ya|y['’]?all)\b",
        0.8,
        ("coming",),
        **_AGENT,
    ),
    cue(
        r"\b(?:you\s*['’]?\s*re|you\s+are|youre)\s+(?:a\s+)?dead\s*(?:man|woman|meat)?"
        r"\s*(?:[.!]|$|when|if|,)",
        0.8,
        ("dead",),
        **_AGENT,
    ),
    cue(
        r"\bwon['’]?t\s+(?:see|know)\s+what\s+hit\s+(?:you|u|ya|them|him|her)\b",
        0.8,
        ("hit",),
        negatable=False,
        **_AGENT,
    ),
    cue(
        r"\bi\s*(?:\s+have|\s+got|\s+own|\s+carry|\s+brought|['’]?ve\s+got|\s+have\s+got)\s+"
        r"(?:a|my)\s+(?:gun|knife|weapon|rifle|pistol|shotgun|blade|machete)\b|"
        rf"\b{_I_WILL}\s+(?:bring|get|grab|load)\s+(?:a|my)\s+(?:gun|knife|weapon|rifle|pistol|"
        r"shotgun|machete)\b",
        0.85,
        ("gun", "knife", "weapon", "rifle", "pistol", "blade", "machete"),
        **_OTHER,
    ),
    cue(
        r"\b(?:wait|waiting)\s+for\s+(?:you|u|ya|him|her|them)\s+(?:outside|after\s+(?:work|"
        r"your\s+shift|you\s+finish)|in\s+the\s+(?:car\s*park|parking\s+lot))\b|"
        r"\bmeet\s+me\s+outside\b",
        0.7,
        ("wait", "outside"),
        **_AGENT,
    ),
    cue(
        r"\b(?:you\s*['’]?\s*ll|you\s+will|u\s+will)\s+(?:regret|be\s+sorry|pay\s+for)\b",
        0.45,
        ("regret", "sorry", "pay"),
        **_AGENT,
    ),
)


def violence_hits(text: str, *, gate: bool = True) -> list[Hit]:
    """Every threat cue in ``text`` with its score and, when clear, its target."""
    return scan(VIOLENCE_CUES, text, _THREAT_NEGATION, 0.3, gate=gate)


class ViolenceThreat:
    """Threats to harm the agent, staff or anyone else (P12); data says at whom when clear."""

    name = "calmline.violence_threat.v1"
    roles = CUSTOMER

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        hits = strongest(violence_hits(turn.text), self.threshold)
        if not hits:
            return []
        return [to_signal(hits, turn, context, kind="violence_threat", practice="P12", detector=self.name)]


@register("calmline.violence_threat.v1", assigns=["violence_threat"])
def make_violence_threat(threshold: float = 0.5) -> ViolenceThreat:
    return ViolenceThreat(threshold)
