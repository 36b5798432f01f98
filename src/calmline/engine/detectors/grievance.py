"""Each distinct grievance the customer raises (P04), and whether it blames the company (P14)."""

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
COMPANY_FAULT = phrases(
    [
        r"(?:you|you guys|you people|they|your company) (?:charged|billed|overcharged|sent|cancell?ed|lost|"
        r"broke|forgot|promised|cut off|disconnected|messed up|screwed up)",
        r"double[- ]charged",
        r"charged (?:me )?twice",
        r"overcharged",
        r"billing (?:error|mistake)",
        r"your (?:mistake|error|fault|system|technician|courier|website|app)",
        r"never (?:arrived|came|showed)",
        r"didn'?t (?:show up|turn up|arrive)",
        r"no-?show",
        r"wrong (?:item|order|amount|address)",
        r"(?:was|were) supposed to",
        r"i was (?:told|promised)",
        r"outage",
        r"still (?:hasn'?t|haven'?t) (?:been|arrived)",
        r"cancell?ed my",
        r"lost my (?:order|package|parcel|booking)",
        r"without (?:my )?(?:permission|consent)",
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
    name = "calmline.company_fault.v1"
    roles = frozenset({Role.customer})

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        found = find(COMPANY_FAULT, turn.text, context.index)
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


@register("calmline.grievance.v1", assigns=["grievance"])
def make_grievances() -> Grievances:
    return Grievances()


@register("calmline.company_fault.v1", assigns=["company_fault"])
def make_company_fault() -> CompanyFault:
    return CompanyFault()
