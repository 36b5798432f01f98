"""Each distinct grievance the customer raises (P04), and whose doing it is: the company's or their own (P14)."""

from __future__ import annotations

from calmline.engine.context import Context
from calmline.engine.registry import register
from calmline.engine.text import evidence, find, phrases, sentences
from calmline.model import Role, Signal, Turn

# Topic lexicons: which part of the company the complaint is about (also the themes of P21).
TOPICS = {
    "billing": phrases(
        [
            r"charg\w*",
            r"bill(?:ed|ing|s)?",
            r"invoice\w*",
            r"overcharg\w*",
            r"fees?",
            r"refund\w*",
            r"payments?",
            r"paid",
            r"pay",
            r"price\w*",
            r"money",
            r"debit\w*",
            r"subscription",
            r"statement",
            r"arrears",
            r"direct debit",
            r"late fee",
        ]
    ),
    "delivery": phrases(
        [
            r"deliver\w*",
            r"package",
            r"parcel",
            r"shipping",
            r"shipment",
            r"shipped",
            r"arriv\w*",
            r"tracking",
            r"courier",
            r"order(?:ed)?",
            r"dispatch\w*",
        ]
    ),
    "outage": phrases(
        [
            r"outage",
            r"(?:is|was|went|been) down",
            r"no (?:signal|service|internet|power)",
            r"internet",
            r"connection",
            r"wi-?fi",
            r"router",
            r"disconnect\w*",
            r"offline",
            r"keeps dropping",
            r"not working",
            r"doesn'?t work",
            r"won'?t (?:work|connect|load)",
        ]
    ),
    "product": phrases(
        [
            r"defective",
            r"damaged",
            r"faulty",
            r"broken",
            r"wrong (?:item|size|colou?r|product)",
            r"missing (?:part|piece|item)s?",
            r"quality",
            r"stopped working",
            r"cracked",
        ]
    ),
    "account": phrases(
        [
            r"account",
            r"log ?in",
            r"password",
            r"locked out",
            r"access",
            r"cancel\w*",
            r"sign(?:ed)? up",
            r"contract",
            r"plan",
        ]
    ),
    "waiting": phrases(
        [
            r"on hold",
            r"waited",
            r"waiting",
            r"hours?",
            r"days",
            r"weeks",
            r"no one (?:called|got)",
            r"nobody (?:called|got)",
            r"never (?:called|got back|heard back)",
            r"call(?:ed)? back",
            r"callback",
            r"no response",
            r"still waiting",
        ]
    ),
    "staff": phrases(
        [
            r"rude",
            r"hung up",
            r"your (?:agent|colleague|rep|representative|staff|technician)",
            r"the last (?:person|agent|guy|woman|man)",
            r"(?:was|were) told",
            r"promised me",
            r"no-?show",
            r"didn'?t (?:show|turn) up",
        ]
    ),
    "repair": phrases(
        [
            r"heat(?:ing|er)?",
            r"furnace",
            r"boiler",
            r"leak\w*",
            r"repair\w*",
            r"technician",
            r"engineer",
            r"appointment",
            r"landlord",
            r"maintenance",
            r"air ?con\w*",
            r"\bac\b",
        ]
    ),
}
# How an agent would name each topic back to the customer.
TOPIC_LABELS = {
    "billing": "the charge on your bill",
    "delivery": "your delivery",
    "outage": "the loss of service",
    "product": "the faulty product",
    "account": "your account",
    "waiting": "how long this has taken",
    "staff": "how you were treated",
    "repair": "the repair",
}
# A sentence is a complaint when it carries one of these, not merely a topic word.
COMPLAINT_CUES = phrases(
    [
        r"not", r"\w+n't", r"(?:do|does|did|is|was|are|were|has|have|had|ca|wo|could|would|should)nt", r"never", r"nothing", r"still", r"again", r"twice", r"wrong", r"problem",
        r"issue", r"late", r"missing", r"broken", r"without", r"overcharg\w*", r"double", r"complain\w*",
        r"ridiculous", r"unacceptable", r"terrible", r"awful", r"useless", r"stupid", r"nobody", r"no one",
        r"failed", r"supposed to", r"instead of", r"keeps?", r"stopped", r"lost", r"charged me", r"why",
        r"waited", r"on hold", r"already", r"frustrat\w*", r"angry", r"fed up", r"sick of", r"hit me with",
    ]
)
# What customers say when the company failed them, mostly without saying "your fault": the parcel that
# never came, the second charge, the promise not kept, the third call about one problem, the outage.
COMPANY_FAULT = phrases(
    [
        r"(?:you|you guys|you people|they|your company|your team|u|u guys) (?:charged|billed|overcharged|sent|"
        r"cancell?ed|lost|broke|forgot|promised|cut off|disconnected|messed up|screwed up|said|told me)",
        r"double[- ]charged",
        r"charged (?:me )?(?:twice|two times|double|again)",
        r"(?:two|2|three|3) (?:identical )?(?:charges|payments|debits)",
        r"overcharg\w*",
        r"billing (?:error|mistake)",
        r"(?:your|ur) (?:mistake|error|fault|system|technician|engineer|courier|driver|website|app|agent)",
        r"never (?:arrived|came|showed|got (?:it|my|the|a)|received|delivered|turned up|called back|got back)",
        r"(?:has|have|had)n'?t (?:arrived|come|been (?:delivered|fixed|refunded|sorted|resolved)|got it|received)",
        r"(?:hasnt|havent|didnt|didn't|did not|has not|have not) (?:arrive|arrived|come|show up|turn up|get it|"
        r"receive|received|get my|get the)",
        r"not (?:arrived|delivered|received|been delivered|been refunded|showed up|turned up)",
        r"marked (?:as )?delivered",
        r"no-?show",
        r"wrong (?:item|order|amount|address|size|colou?r|product|parcel|bill)",
        r"(?:arrived|came|was) (?:damaged|broken|smashed|cracked|faulty|defective|open|empty)",
        r"(?:was|were) supposed to",
        r"(?:was|were) (?:meant|due) to (?:arrive|come|be)",
        r"i was (?:told|promised|assured)",
        r"(?:you|u|you guys) (?:said|promised) (?:it|i|you|that|he|she|they|someone)",
        r"outage",
        r"(?:has|have|had|is|was) been (?:down|dead|off|out) (?:since|for)",
        r"still (?:not|no|hasn'?t|haven'?t|isn'?t|waiting|nothing|broken|not working)",
        r"(?:second|third|fourth|fifth|2nd|3rd|4th|5th|\d+th) time (?:i'?ve|i have|i am|i'?m|calling|contacting|"
        r"writing|asking|chatting)",
        r"(?:called|rang|contacted|written|emailed|chatted)(?: you(?: guys)?)? (?:three|four|five|several|"
        r"multiple|so many|\d+) times",
        r"(?:no one|nobody|no-one) (?:called|came|showed|got back|turned up|has called|has come)",
        r"cancell?ed my",
        r"lost my (?:order|package|parcel|booking|bag|luggage|reservation)",
        r"without (?:my )?(?:permission|consent|warning|notice)",
        r"(?:late|delayed) (?:again|delivery|by)",
        r"refund (?:never|still|hasn'?t|has not|didn'?t)",
        # The second charge told as what was taken ("you've taken my rent money twice").
        r"(?:taken|took|debited|charged|billed|deducted)\b[^.!?]{0,30}\b(?:twice|two times|double)",
        # A charge nobody agreed to.
        r"i (?:never|didn'?t|did not|never ever) (?:signed? up|subscribed?|authori[sz]ed?|agreed? to|ordered) "
        r"(?:for|to)?\s?(?:that|this|it|any|a|an|the)\b",
        r"(?:flight|train|appointment|booking|reservation|order|delivery|surgery|operation) (?:was |has been |got |"
        r"just been )(?:cancell?ed|moved|rescheduled) (?:at|without|with no|and no|last|by)",
    ]
)
CUSTOMER_ERROR = phrases(
    [
        r"i (?:forgot|missed|lost|dropped|broke|deleted|misplaced|mistyped|typed|entered|put|picked|chose|"
        r"ordered|selected|clicked|paid|sent|gave)(?: in)? (?:the )?wrong",
        r"i (?:forgot|forgotten) (?:to|my|the)",
        r"i (?:accidentally|mistakenly|stupidly|by mistake)",
        r"(?:my|me) (?:mistake|bad|fault|own fault|error)",
        r"i didn'?t (?:read|check|notice|realise|realize|see) (?:the|that|it)",
        r"i (?:dropped|spilled|spilt|sat on|broke|cracked|smashed|lost) (?:it|my|the)",
        r"i (?:didn'?t|did not) (?:cancel|update|change|tell)",
    ]
)
class Grievances:
    """One ``grievance`` signal per topic raised in a complaint sentence; evidence is the sentence."""

    name = "calmline.grievance.v1"
    roles = frozenset({Role.customer})

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        text = turn.text
        by_topic: dict[str, Signal] = {}
        for start, end in sentences(text):
            sentence = text[start:end]
            if not COMPLAINT_CUES.search(sentence):
                continue
            for topic, pattern in TOPICS.items():
                if topic not in by_topic and pattern.search(sentence):
                    by_topic[topic] = Signal(
                        kind="grievance",
                        score=0.7,
                        evidence=[evidence(context.index, text, start, end)],
                        practice="P04",
                        detector=self.name,
                        data={"topic": topic, "label": TOPIC_LABELS[topic]},
                    )
        return list(by_topic.values())


class CompanyFault:
    """The company's failure in the customer's words; not where the same sentence owns the mistake ("I typed
    the wrong address")."""

    name = "calmline.company_fault.v1"
    roles = frozenset({Role.customer})

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        text = turn.text
        found = [
            evidence(context.index, text, match.start(), match.end())
            for start, end in sentences(text)
            if not CUSTOMER_ERROR.search(text, start, end)
            for match in COMPANY_FAULT.finditer(text, start, end)
        ]
        if not found:
            return []
        return [
            Signal(
                kind="company_fault",
                score=min(1.0, 0.7 + 0.1 * (len(found) - 1)),
                evidence=found,
                practice="P14",
                detector=self.name,
            )
        ]


class CustomerError:
    """The customer says the problem is of their own making ("I typed the wrong address"): help, don't apologise."""

    name = "calmline.customer_error.v1"
    roles = frozenset({Role.customer})

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        found = find(CUSTOMER_ERROR, turn.text, context.index)
        if not found:
            return []
        return [Signal(kind="customer_error", score=0.7, evidence=found, practice="P14", detector=self.name)]


@register("calmline.grievance.v1", assigns=["grievance"])
def make_grievances() -> Grievances:
    return Grievances()


@register("calmline.company_fault.v1", assigns=["company_fault"])
def make_company_fault() -> CompanyFault:
    return CompanyFault()


@register("calmline.customer_error.v1", assigns=["customer_error"])
def make_customer_error() -> CustomerError:
    return CustomerError()
