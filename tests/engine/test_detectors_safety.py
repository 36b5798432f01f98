"""Customer-side safety detectors: self-harm, threats, abuse, manager requests and emergencies."""

from __future__ import annotations

import re

import pytest

from calmline.engine import registry
from calmline.engine.context import Context
from calmline.engine.detectors import abuse, crisis, emergency, manager
from calmline.model import ConversationInfo, CustomerState, Role, Signal, Turn, TurnAnalysis

# A turn in the middle of a conversation, so evidence must carry this index.
INDEX = 3
CONTEXT = Context(ConversationInfo(id="t", channel="chat"), history=[], state=CustomerState(), index=INDEX)

# Near-zero thresholds expose the raw score of weak or negated statements.
SELF_HARM = crisis.make_self_harm()
SELF_HARM_RAW = crisis.make_self_harm(threshold=0.01)
VIOLENCE = crisis.make_violence_threat()
VIOLENCE_RAW = crisis.make_violence_threat(threshold=0.01)
OFFENSIVE = abuse.make_offensive()
ABUSE = abuse.make_abuse()
ABUSE_RAW = abuse.make_abuse(threshold=0.01)
MANAGER = manager.make_manager_request()
MANAGER_RAW = manager.make_manager_request(threshold=0.01)
EMERGENCY = emergency.make_emergency()
EMERGENCY_RAW = emergency.make_emergency(threshold=0.01)
CALLBACK = emergency.make_callback_number()
CALLBACK_RAW = emergency.make_callback_number(threshold=0.01)
LOCATION = emergency.make_location()


def run(detector, text: str, role: Role = Role.customer) -> list[Signal]:
    signals = detector(Turn(speaker="x", role=role, text=text), CONTEXT)
    for signal in signals:
        assert signal.evidence, f"{signal.kind} without evidence"
        for ev in signal.evidence:
            assert ev.turn == INDEX
            assert text[ev.span[0] : ev.span[1]] == ev.quote
    return signals


def score(detector, text: str, kind: str, role: Role = Role.customer) -> float:
    return max((s.score for s in run(detector, text, role) if s.kind == kind), default=0.0)


def only(detector, text: str, kind: str, role: Role = Role.customer) -> Signal:
    found = [s for s in run(detector, text, role) if s.kind == kind]
    assert len(found) == 1, f"expected one {kind} signal for {text!r}, got {found}"
    return found[0]


def shapes(text: str) -> list[str]:
    """The sentence as typed in a hurry: shouting, and with no punctuation at all."""
    bare = re.sub(r"[.,?;:\"]|!(?=\s|$)", "", text)  # keeps masks such as "b!tch"
    return [text, text.upper(), bare.lower()]


# --- self-harm ---------------------------------------------------------------------------

EXPLICIT_SELF_HARM = [
    "I want to kill myself",
    "I don't want to be alive anymore.",
    "I'm going to end it all",
    "There's no reason to live",
    "I've been thinking about ending my life",
    "I'll just take all my pills",
    "honestly I'd be better off dead",
    "I want to die",
    "i wanna kms",
    "i dont want to live anymore",
    "i want to kil my self",
    "I just want to die, this is all too much",
    "I have nothing to live for",
    "I've been cutting myself again",
    "I'm suicidal",
    "I keep having suicidal thoughts",
    "I wish I was dead",
    "I wish I'd never been born",
    "My family would be better off without me",
    "I'm going to jump off a bridge tonight",
    "I'm going to take my own life",
    "Im not gonna live anymore",
    "I hope I don't wake up tomorrow",
    "Some days everyone would be better off if I wasn't here",
    "I’ve got the pills lined up and I'm going to take them all",
    "I'm thinking of hanging myself",
    "life isn't worth living",
    "I tried to kill myself last year and I feel like doing it again",
    "killing myself is the only way out of this",
    "Why shouldn't I just kill myself",
    "if I don't get help soon I'm going to kill myself",
    "Some days I think everyone would be better off if I just wasn't here.",
]


@pytest.mark.parametrize("text", EXPLICIT_SELF_HARM)
def test_explicit_self_harm_is_never_missed(text: str) -> None:
    for shape in shapes(text):
        assert score(SELF_HARM, shape, "self_harm") >= 0.8, shape


@pytest.mark.parametrize(
    "text",
    [
        "I can't go on like this",
        "what's the point of anything anymore",
        "I'm such a burden to everyone",
        "I just want to disappear",
        "you literally make me want to die",
        "I might as well be dead",
        "Honestly I don't see the point of any of it anymore.",
    ],
)
def test_weaker_statements_score_in_the_middle_for_a_rule_to_weigh(text: str) -> None:
    assert 0.5 <= score(SELF_HARM, text, "self_harm") <= 0.75


@pytest.mark.parametrize(
    "text",
    [
        "I'm dying to know when my refund arrives",
        "this bill is killing me",
        "you're killing me here",
        "I could die of embarrassment",
        "my phone died halfway through the call",
        "kill the process and restart the router",
        "the battery is dead again",
        "I nearly died laughing at that hold music",
        "I'm dead tired of waiting",
        "my father died last month and the account is in his name",
        "I hurt myself on your broken step",
        "I'm killing myself trying to pay this bill",
        "I'd rather die than pay this",
        "I don't want to live in this city anymore",
        "I don't want to die on hold, ha",
        "Suicide Squad is on your streaming app and it won't load",
        "my brother committed suicide last year, please close his account",
        "I shot myself in the foot with that plan",
        "I'm done with this company",
        "what is considered low for kms on a used car",
    ],
)
def test_idioms_and_other_peoples_deaths_stay_below_a_rule(text: str) -> None:
    assert score(SELF_HARM_RAW, text, "self_harm") < 0.5


@pytest.mark.parametrize(
    "text",
    ["I'm not going to hurt myself", "I would never kill myself", "I'm not suicidal, just angry"],
)
def test_negation_lowers_the_score_but_keeps_it_visible(text: str) -> None:
    assert 0.0 < score(SELF_HARM_RAW, text, "self_harm") < 0.5
    assert score(SELF_HARM, text, "self_harm") == 0.0


def test_hedged_negation_is_not_reassuring() -> None:
    assert score(SELF_HARM, "I'm not sure I won't hurt myself tonight", "self_harm") >= 0.5


def test_self_harm_evidence_quotes_the_statement() -> None:
    text = "The bill is wrong again. Honestly I want to kill myself."
    signal = only(SELF_HARM, text, "self_harm")
    assert [e.quote for e in signal.evidence] == ["kill myself"]
    assert signal.practice == "P12"
    assert signal.data == {"subject": "self"}


def after(agent_text: str) -> Context:
    """The context right after the agent said ``agent_text``."""
    asked = TurnAnalysis(
        index=INDEX - 1,
        speaker="Agent",
        role=Role.agent,
        text=agent_text,
        signals=[],
        state=CustomerState(),
        guidance=[],
        alerts=[],
    )
    return Context(ConversationInfo(id="t", channel="chat"), [asked], CustomerState(), INDEX)


SAFETY_QUESTION = "Are you safe right now? Are you having thoughts of ending your life?"


@pytest.mark.parametrize(
    ("answer", "low", "high"),
    [
        ("I don't know. I've thought about it. I haven't done anything.", 0.7, 0.8),
        ("yeah, sometimes", 0.7, 0.8),
        ("I don't know", 0.5, 0.6),
    ],
)
def test_an_answer_to_a_safety_question_is_read_in_context(answer: str, low: float, high: float) -> None:
    turn = Turn(speaker="x", role=Role.customer, text=answer)
    [signal] = SELF_HARM(turn, after(SAFETY_QUESTION))
    assert low <= signal.score < high
    assert all(answer[e.span[0] : e.span[1]] == e.quote for e in signal.evidence)
    # The same words after an ordinary question, or after a hotline number, mean nothing.
    assert SELF_HARM(turn, after("Have you tried restarting the router?")) == []
    assert SELF_HARM(turn, after("You can call 988, the Suicide & Crisis Lifeline, any time.")) == []


@pytest.mark.parametrize("answer", ["No, not at all.", "no I'm fine, just stressed about money"])
def test_a_no_to_a_safety_question_is_not_a_statement(answer: str) -> None:
    assert SELF_HARM(Turn(speaker="x", role=Role.customer, text=answer), after(SAFETY_QUESTION)) == []


def test_someone_else_at_risk_is_flagged_with_its_subject() -> None:
    signal = only(SELF_HARM, "My son keeps saying he wants to kill himself", "self_harm")
    assert signal.data == {"subject": "other"}
    assert 0.5 <= signal.score < 0.9


# --- violent threats ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("I'll come down there and hurt you", "agent"),
        ("I know where your office is", "agent"),
        ("you'd better watch your back", "agent"),
        ("I swear I'll kill you", "agent"),
        ("im gonna come down there and beat the shit out of you", "agent"),
        ("I'll punch your face in", "agent"),
        ("I'm coming for you", "agent"),
        ("I'll kick your ass", "agent"),
        ("i know where you live", "agent"),
        ("I'll burn the place down", "other"),
        ("someone's going to get hurt", "other"),
        ("somebody is gonna get hurt if this isn't fixed today", "other"),
        ("I'm going to stab the manager", "other"),
        ("I will hurt someone", "other"),
        ("I'm going to shoot up the office", "other"),
        ("I have a gun", "other"),
        ("if you don't fix this I'll hurt you", "agent"),
    ],
)
def test_threats_are_flagged_with_their_target(text: str, target: str) -> None:
    for shape in shapes(text):
        signal = only(VIOLENCE, shape, "violence_threat")
        assert signal.score >= 0.75, shape
        assert signal.data == {"target": target}
        assert signal.practice == "P12"


def test_a_bare_threat_to_shoot_has_no_target_but_still_fires() -> None:
    signal = only(VIOLENCE, "I'm going to shoot", "violence_threat")
    assert signal.score >= 0.75
    assert signal.data == {}


@pytest.mark.parametrize(
    "text",
    [
        "I could kill for a coffee",
        "I'm just killing time on hold",
        "this price is murder",
        "the traffic is killing me",
        "I'll kill this bug myself if I have to",
        "that show killed it last night",
        "I'll shoot you an email with the photos",
        "I'm going to shoot a video for my review",
        "I'll hit you up later",
        "I'll find your order number",
        "I'm going to beat the deadline",
        "you're killing me here",
        "I'm not going to hurt you, I'm just angry",
        "I would never hurt anyone",
    ],
)
def test_idioms_and_disavowals_are_not_threats(text: str) -> None:
    assert score(VIOLENCE_RAW, text, "violence_threat") < 0.5


def test_threat_evidence_is_the_threat() -> None:
    text = "Fix it today. I'll come down there and hurt you."
    signal = only(VIOLENCE, text, "violence_threat")
    assert [e.quote for e in signal.evidence] == ["I'll come down there and hurt you"]


# --- abuse aimed at the agent, and venting -----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "you idiot",
        "you're useless",
        "are you stupid?",
        "you people are morons",
        "shut up",
        "f*** you",
        "you stupid b****",
        "what's wrong with you",
        "I hope you get fired",
        "you are the most incompetent person I have ever dealt with",
        "your staff are idiots",
        "you f*cking moron",
        "you're a b!tch",
        "fuck off",
        "go to hell",
        "Idiot!",
        "can you even read",
        "screw you and your company",
        "you useless piece of s**t",
        "this agent is useless",
    ],
)
def test_insults_at_the_agent_are_abuse(text: str) -> None:
    for shape in shapes(text):
        signal = only(ABUSE, shape, "abuse_at_agent")
        assert signal.data == {"target": "agent"}
        assert signal.practice == "P11"


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        ("this stupid bill", "stupid"),
        ("this f***ing app never works", "f***ing"),
        ("what a ridiculous policy", "ridiculous"),
        ("I'm so damn sick of this", "sick of"),
        ("your stupid website logged me out again", "stupid"),
        ("this is bullshit", "bullshit"),
        ("this sh!t is ridiculous", "sh!t"),
        ("your app is garbage", "is garbage"),
        ("screw this, I'll do it myself", "screw this"),
        ("the last agent was useless", "useless"),
    ],
)
def test_strong_words_about_things_are_venting_not_abuse(text: str, quote: str) -> None:
    signals = run(ABUSE, text)
    assert [s.kind for s in signals] == ["venting"]
    assert signals[0].data == {"target": "thing"}
    assert quote in [e.quote for e in signals[0].evidence]


@pytest.mark.parametrize(
    "text",
    [
        "your stupid website",
        "I'm such an idiot, I forgot my password",
        "I'm not calling you an idiot, I'm saying the system is broken",
        "Did it get lost? I paid for express",
        "Damn, you reply fast",
        "Fraud?! What fraud? I'm the one who paid",
        "can you read me the tracking number?",
        "do you read the notes on my account?",
        "thank you so much, you've been brilliant",
        "are you kidding me? three weeks?",
        "you fool me once with these fees, shame on you",
    ],
)
def test_things_that_are_not_abuse_at_the_agent(text: str) -> None:
    assert score(ABUSE_RAW, text, "abuse_at_agent") < 0.5


def test_abuse_and_venting_in_one_turn_are_both_reported() -> None:
    text = "This f***ing app never works, you idiot."
    kinds = {s.kind: s for s in run(ABUSE, text)}
    assert [e.quote for e in kinds["abuse_at_agent"].evidence] == ["you idiot"]
    assert [e.quote for e in kinds["venting"].evidence] == ["f***ing"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("f*** this", ["f***"]),
        ("what the f*cking hell", ["f*cking", "hell"]),
        ("this is s**t", ["s**t"]),
        ("sh!t service", ["sh!t"]),
        ("you b!tch", ["b!tch"]),
        ("what an a**hole", ["a**hole"]),
        ("FUCKING RIDICULOUS", ["FUCKING"]),
        ("stupid bloody thing", ["stupid", "bloody"]),
    ],
)
def test_offensive_words_are_quoted_masked_or_not(text: str, words: list[str]) -> None:
    signal = only(OFFENSIVE, text, "offensive")
    assert [e.quote for e in signal.evidence] == words
    assert signal.practice == "P11"


def test_offensive_score_follows_strength() -> None:
    strong = score(OFFENSIVE, "this is fucking broken", "offensive")
    slur = score(OFFENSIVE, "you retard", "offensive")
    assert strong > 0.8 and slur > 0.9
    assert score(OFFENSIVE, "damn, the bill went up", "offensive") == 0.0  # mild: below a rule
    assert score(OFFENSIVE, "the delivery was late again", "offensive") == 0.0


def test_profanity_that_praises_is_not_venting() -> None:
    assert [s.kind for s in run(ABUSE, "fucking awesome service, thanks")] == []
    assert score(OFFENSIVE, "fucking awesome service, thanks", "offensive") > 0.5


# --- manager requests --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "let me speak to your manager",
        "get me a supervisor",
        "I want to escalate this",
        "put someone in charge on the phone",
        "who is your boss",
        "I want to file a formal complaint",
        "I'll go to corporate",
        "Can I talk to a supervisor please?",
        "I demand to speak with the manager!",
        "transfer me to your supervisor now",
        "I need someone higher up",
        "Manager. Now.",
        "is there a manager I can speak to",
        "I want this escalated",
        "i want to speak to someone who can actually make a decision",
        "I'm going to go over your head",
        "I'll be complaining to head office",
        "if I don't hear back by Friday I'm gonna escalate",
    ],
)
def test_explicit_manager_requests(text: str) -> None:
    for shape in shapes(text):
        signal = only(MANAGER, shape, "manager_request")
        assert signal.score >= 0.7, shape
        assert signal.practice == "P10"
        assert signal.data["type"] in {"request", "complaint"}


@pytest.mark.parametrize(
    "text",
    [
        "my manager asked me to call about the invoice",
        "the account manager sent me an email",
        "I'm a manager at a school",
        "I don't want to speak to a manager, just fix it",
        "I already spoke to a supervisor yesterday",
        "I need my supervisor to sign the form",
        "can I speak to someone in billing",
        "the supervisor told me it would be fixed",
        "I need a manager's approval for this purchase",
        "can you connect me to the account manager",
        "what does escalate even mean here?",
    ],
)
def test_managers_that_are_not_requests(text: str) -> None:
    assert score(MANAGER_RAW, text, "manager_request") < 0.5


@pytest.mark.parametrize(
    ("text", "kind", "low", "high"),
    [
        ("I'm going to cancel and tell everyone", "threat_to_leave", 0.4, 0.5),
        ("I'll post this online", "threat_to_leave", 0.4, 0.5),
        ("I'll take my business elsewhere", "threat_to_leave", 0.4, 0.5),
        ("I'm calling my lawyer", "external", 0.5, 0.6),
        ("I'll report you to the BBB", "external", 0.5, 0.6),
    ],
)
def test_threats_to_go_elsewhere_score_lower_than_requests(
    text: str, kind: str, low: float, high: float
) -> None:
    signal = only(MANAGER_RAW, text, "manager_request")
    assert low <= signal.score < high
    assert signal.data == {"type": kind}


def test_manager_evidence_is_the_request() -> None:
    text = "This is the third time. Let me speak to your manager."
    signal = only(MANAGER, text, "manager_request")
    assert [e.quote for e in signal.evidence] == ["Let me speak to your manager"]


# --- emergencies -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("my furnace stopped and it's freezing, I have a newborn", "no_heat"),
        ("water is pouring into the basement", "flooding"),
        ("I smell gas", "gas"),
        ("my mother fell and can't get up", "medical"),
        ("the AC died and my dad has a heart condition", "no_cooling"),
        ("there's smoke coming from the outlet", "fire"),
        ("pipe burst", "flooding"),
        ("my husband is not breathing", "medical"),
        ("our power is out and my mom is on oxygen", "power"),
        ("there's a fire in the kitchen", "fire"),
        ("my baby is locked in the car", "lockout"),
        ("someone is trying to break into my house", "security"),
        ("the heat went out last night and it's 40 degrees in here", "no_heat"),
        ("I think he's having a heart attack", "medical"),
        ("the carbon monoxide alarm is going off", "gas"),
        ("a power line is down on my car", "power"),
        ("Our heat has gone out completely, it's about fifty degrees in the apartment", "no_heat"),
    ],
)
def test_emergencies_are_flagged_with_their_kind(text: str, kind: str) -> None:
    for shape in shapes(text):
        signals = run(EMERGENCY, shape)
        assert signals, shape
        assert signals[0].kind == "emergency"
        assert signals[0].data == {"kind": kind}
        assert signals[0].score >= 0.7
        assert signals[0].practice == "P13"


@pytest.mark.parametrize(
    "text",
    [
        "my internet is down",
        "it's freezing in here lol",
        "I'm flooded with emails from you",
        "it was the heat of the moment",
        "gas prices are insane",
        "the app is on fire today",
        "I'm dying to know",
        "I'm locked out of my account",
        "we had a power outage last week and my bill went up",
        "you're giving me a heart attack with this bill",
        "my phone is completely unresponsive since the update",
        "my pipes burst last winter and you never paid the claim",
        "I can't use the camera without power, how is that ok",
    ],
)
def test_figures_of_speech_and_old_news_are_not_emergencies(text: str) -> None:
    assert max((s.score for s in run(EMERGENCY_RAW, text)), default=0.0) < 0.5


def test_vulnerable_people_raise_the_urgency_and_are_quoted() -> None:
    plain = only(EMERGENCY, "my furnace stopped", "emergency")
    newborn = only(EMERGENCY, "my furnace stopped and I have a newborn", "emergency")
    assert newborn.score > plain.score
    assert "newborn" in [e.quote for e in newborn.evidence]


def test_a_baby_described_by_age_is_vulnerable_too() -> None:
    text = "Our heat has gone out, it's about fifty degrees in here, and I have a four-month-old."
    signal = only(EMERGENCY, text, "emergency")
    assert signal.score >= 0.9
    assert {"heat has gone out", "four-month-old"} <= {e.quote for e in signal.evidence}


def test_each_kind_of_emergency_gets_its_own_signal_strongest_first() -> None:
    signals = run(EMERGENCY, "a pipe burst and now the power is out")
    assert [s.data["kind"] for s in signals] == ["flooding", "power"]
    assert signals[0].score >= signals[1].score


# --- callback number and location (both speakers) ----------------------------------------


@pytest.mark.parametrize(
    ("text", "quote", "source"),
    [
        ("you can reach me at [PHONE]", "[PHONE]", "placeholder"),
        ("My number is five five five, one two three four", "five five five, one two three four", "spoken"),
        (
            "it's oh seven seven double nine, one two three four five six",
            "oh seven seven double nine, one two three four five six",
            "spoken",
        ),
        ("my cell is 555-123-4567", "555-123-4567", "digits"),
    ],
)
def test_callback_numbers(text: str, quote: str, source: str) -> None:
    signal = only(CALLBACK, text, "callback_number")
    assert [e.quote for e in signal.evidence] == [quote]
    assert signal.data == {"source": source}
    assert signal.score >= 0.8


def test_the_number_on_file_counts_with_a_lower_score() -> None:
    signal = only(CALLBACK, "just call me back on the number on file", "callback_number")
    assert 0.5 <= signal.score < 0.8
    assert signal.data == {"source": "on_file"}


def test_an_agent_reading_back_the_number_counts_but_the_company_number_does_not() -> None:
    assert score(CALLBACK, "So that's [PHONE], correct?", "callback_number", Role.agent) >= 0.9
    assert score(CALLBACK_RAW, "You can call us at [PHONE]", "callback_number", Role.agent) < 0.5


@pytest.mark.parametrize(
    "text",
    [
        "I have one two three problems with this",
        "Order ID #123-456-7890 never arrived",
        "order 617-8899001-1122334 is missing",
        "I ordered two items for 40 dollars",
    ],
)
def test_numbers_that_are_not_phone_numbers(text: str) -> None:
    assert score(CALLBACK_RAW, text, "callback_number") < 0.5


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        ("I'm at [ADDRESS]", "[ADDRESS]"),
        ("i'm at 42 elm street", "42 elm street"),
        ("the house on Maple Avenue", "Maple Avenue"),
        ("the house on maple avenue", "maple avenue"),
        ("apartment 4B", "apartment 4B"),
        ("we're in Springfield", "we're in Springfield"),
        ("my zip code is 90210", "zip code is 90210"),
        ("we're at the corner of 5th and Main", "corner of 5th and Main"),
    ],
)
def test_locations(text: str, quote: str) -> None:
    signal = only(LOCATION, text, "location")
    assert quote in [e.quote for e in signal.evidence]
    assert signal.practice == "P13"


def test_a_unit_and_a_street_are_both_quoted() -> None:
    signal = only(LOCATION, "unit 12, Harbor Road", "location")
    assert [e.quote for e in signal.evidence] == ["unit 12", "Harbor Road"]


@pytest.mark.parametrize(
    "text",
    [
        "I'm on my way",
        "I've had 2 problems in a row",
        "we've been waiting 2 weeks either way",
        "I'm in a hurry",
        "I'm in trouble with my landlord over this",
        "I have A 2 year contract",
        "WE ARE IN TROUBLE",
    ],
)
def test_phrases_that_are_not_places(text: str) -> None:
    assert run(LOCATION, text) == []


def test_roles() -> None:
    customer_only = [SELF_HARM, VIOLENCE, OFFENSIVE, ABUSE, MANAGER, EMERGENCY]
    assert all(d.roles == frozenset({Role.customer}) for d in customer_only)
    assert CALLBACK.roles == LOCATION.roles == frozenset({Role.customer, Role.agent})


# --- plumbing ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "calmline.self_harm.v1",
        "calmline.violence_threat.v1",
        "calmline.offensive.v1",
        "calmline.abuse.v1",
        "calmline.manager_request.v1",
        "calmline.emergency.v1",
        "calmline.callback_number.v1",
        "calmline.location.v1",
    ],
)
def test_registered_under_their_versioned_names_with_a_threshold(name: str) -> None:
    detector = registry.create(name, {"threshold": 0.9})
    assert detector.name == name
    assert detector.threshold == 0.9  # type: ignore[attr-defined]


def test_a_higher_threshold_keeps_weak_signals_back() -> None:
    strict = crisis.make_self_harm(threshold=0.7)
    assert score(strict, "I can't go on like this", "self_harm") == 0.0
    assert score(strict, "I want to kill myself", "self_harm") >= 0.9


ALL_POSITIVES = [
    *EXPLICIT_SELF_HARM,
    *["I'll come down there and hurt you", "I know where your office is", "I have a gun"],
    *["let me speak to your manager", "I'll go to corporate", "I'm calling my lawyer"],
    *["I smell gas", "pipe burst", "my mother fell and can't get up", "locked in the car"],
    *["call me back on the number on file", "apartment 4B", "my zip code is 90210"],
    *["screw you", "what's wrong with you", "I hope you get fired", "your app is garbage"],
]
SCANNERS = [
    crisis.self_harm_hits,
    crisis.violence_hits,
    manager.manager_hits,
    lambda text, gate: emergency.callback_hits(text, gate=gate),
    emergency.location_hits,
    lambda text, gate: abuse.scan(abuse.ABUSE_CUES, text, gate=gate),
    lambda text, gate: abuse.scan(abuse.VENT_CUES, text, gate=gate),
]


@pytest.mark.parametrize("text", ALL_POSITIVES)
def test_the_fast_key_check_never_hides_a_match(text: str) -> None:
    for scanner in SCANNERS:
        assert scanner(text, gate=True) == scanner(text, gate=False)
    fast = {k: v[0] for k, v in emergency.emergency_hits(text).items()}
    slow = {k: v[0] for k, v in emergency.emergency_hits(text, gate=False).items()}
    assert fast == slow


def test_detectors_do_not_touch_the_context() -> None:
    history: list = []
    state = CustomerState()
    context = Context(ConversationInfo(id="t", channel="chat"), history, state, 0)
    turn = Turn(speaker="x", role=Role.customer, text="you idiot, I'll hurt you, I smell gas")
    for detector in (SELF_HARM, VIOLENCE, OFFENSIVE, ABUSE, MANAGER, EMERGENCY, CALLBACK, LOCATION):
        detector(turn, context)
    assert history == [] and state == CustomerState()
    assert turn.text == "you idiot, I'll hurt you, I smell gas"
