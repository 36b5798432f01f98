"""The outcome of a record, read from how the conversation ends (issue 20, part 4).

Two layers: the rule on hand-built analyses (signals and mood given, so each case tests one clause
of the rule whatever the encoder reads), and whole conversations through the engine, each with a
hard negative beside it.
"""

from __future__ import annotations

import pytest

from calmline.model import (
    Channel,
    ConversationAnalysis,
    ConversationInfo,
    CustomerState,
    Evidence,
    Grievance,
    Role,
    Signal,
    Summary,
    TurnAnalysis,
)
from calmline.playbook import load_default
from calmline.records import Outcome, build_record
from calmline.records.model import Commitment
from calmline.records.outcome import is_question, outcome
from calmline.transcripts import parse_transcript

PLAYBOOK = load_default()
ROLES = {"customer": Role.customer, "agent": Role.agent, "supervisor": Role.supervisor}

# --- the rule, on hand-built analyses ------------------------------------------------------------

Spec = tuple[str, str, dict[str, float]] | tuple[str, str, dict[str, float], float]


def analysis_of(*specs: Spec, open_grievance: bool = False, abuse_incidents: int = 0) -> ConversationAnalysis:
    """Turns as (role, text, {signal: score}[, mood after the turn]); each signal's evidence is the whole turn."""
    turns, mood, trend = [], 0.0, 0.0
    for index, spec in enumerate(specs):
        role, text, scores = spec[0], spec[1], spec[2]
        if role == "customer":  # as in the engine, other turns carry the customer's state unchanged
            previous, mood = mood, (spec[3] if len(spec) > 3 else mood)  # type: ignore[misc]
            trend = mood - previous
        state = CustomerState(
            mood=mood,
            mood_trend=trend,
            abuse_incidents=abuse_incidents,
            grievances=[Grievance(id=1, topic="billing", quote="x", evidence=[])] if open_grievance else [],
        )
        signals = [
            Signal(
                kind=kind,
                score=score,
                detector="test",
                evidence=[Evidence(turn=index, span=(0, len(text)), quote=text)],
            )
            for kind, score in scores.items()
        ]
        turns.append(
            TurnAnalysis(
                index=index,
                speaker=role,
                role=ROLES[role],
                text=text,
                signals=signals,
                state=state,
                guidance=[],
                alerts=[],
            )
        )
    summary = Summary(
        turns=len(turns), customer_turns=0, agent_turns=0, mood_start=0.0, mood_end=mood, mood_min=mood,
        max_escalation_risk=0.0, alerts={}, first_alert_turn={}, practices_flagged={}, grievances=[],
        promises=[], transfers=0, crisis=False, manager_requested=False,
    )  # fmt: skip
    return ConversationAnalysis(
        conversation=ConversationInfo(id="t", channel=Channel.chat), turns=turns, summary=summary
    )


OPEN_PROMISE = Commitment.model_validate(
    {"what": "I'll call you tomorrow", "owner": "Sam", "turn": 1, "evidence": []}
)
PROBLEM = ("customer", "My bill is wrong this month.", {"grievance": 0.7}, -1.0)
FIXED = ("agent", "I've corrected the bill and refunded the difference.", {"action_taken": 0.85})
OFFER = ("agent", "Is there anything else I can help with?", {"further_help_offer": 0.9})


def test_a_calm_thank_you_ending_is_resolved() -> None:
    thanked = analysis_of(PROBLEM, FIXED, ("customer", "Great, thank you so much!", {"positive": 0.8}, 2.0))
    assert outcome(thanked, []) is Outcome.resolved


@pytest.mark.parametrize(
    ("last_words", "scores"),
    [
        ("This is a disgrace.", {"anger": 0.8}),
        ("You people are idiots.", {"abuse_at_agent": 0.95, "positive": 0.9}),  # thanks never outweighs abuse
        ("I know where your office is.", {"violence_threat": 0.97}),
        ("Cancel everything, I'm switching provider.", {"churn_threat": 0.96}),
        ("Oh brilliant, another two weeks.", {"sarcasm": 0.85}),
        ("Thanks for nothing, this is a joke.", {"anger": 0.8, "positive": 0.6}),  # angrier than thankful
    ],
)
def test_ending_angry_threatening_leaving_or_sarcastic_is_unresolved(
    last_words: str, scores: dict[str, float]
) -> None:
    ended = analysis_of(PROBLEM, FIXED, ("customer", last_words, scores, -2.5))
    assert outcome(ended, []) is Outcome.unresolved
    # Open commitments do not make a furious ending "follow up needed".
    assert outcome(ended, [OPEN_PROMISE]) is Outcome.unresolved


def test_noisy_readings_alone_do_not_unresolve_a_thanked_ending() -> None:
    # The sarcasm head reads 0.6-0.7 into plain thanks ("Thank you, Marco. Honestly, I was about to cancel…").
    thanked = analysis_of(
        PROBLEM,
        FIXED,
        ("customer", "Thank you. Honestly, I nearly gave up.", {"positive": 0.76, "sarcasm": 0.71}, 1.2),
    )
    assert outcome(thanked, []) is Outcome.resolved
    grudging = analysis_of(PROBLEM, FIXED, ("customer", "Fine.", {"sarcasm": 0.62}, -0.5))
    assert outcome(grudging, []) is Outcome.resolved


def test_an_upset_mood_that_is_not_recovering_is_unresolved() -> None:
    sinking = analysis_of(PROBLEM, FIXED, ("customer", "I see.", {}, -3.0))
    assert outcome(sinking, []) is Outcome.unresolved
    recovering = analysis_of(
        ("customer", "My bill is wrong!", {}, -3.0), FIXED, ("customer", "Okay.", {}, -1.6)
    )
    assert outcome(recovering, []) is Outcome.resolved


def test_a_short_no_to_anything_else_is_an_answer_not_anger() -> None:
    # The encoder reads anger (0.6-0.7) into a bare "No." after "anything else?".
    calm = analysis_of(
        PROBLEM,
        FIXED,
        ("customer", "Thanks.", {"positive": 0.7}, 1.0),
        OFFER,
        ("customer", "No.", {"anger": 0.73}, -1.8),
    )
    assert outcome(calm, []) is Outcome.resolved
    assert outcome(calm, [OPEN_PROMISE]) is Outcome.follow_up_needed
    # A furious turn that nobody answered, then "No.": the customer ended furious.
    furious = analysis_of(
        PROBLEM,
        ("customer", "This is a disgrace.", {"anger": 0.9}, -3.5),
        OFFER,
        ("customer", "No.", {"anger": 0.73}, -3.6),
    )
    assert outcome(furious, []) is Outcome.unresolved


@pytest.mark.parametrize(
    "question",
    [
        "When will the refund reach my card?",
        "So when will the refund reach my card",
        "How long does it take?",
    ],
)
def test_a_last_question_left_unanswered_is_unresolved(question: str) -> None:
    goodbye = ("agent", "Thank you for contacting us. Have a lovely day!", {"closing": 0.85})
    unanswered = analysis_of(PROBLEM, FIXED, ("customer", question, {}), goodbye)
    assert outcome(unanswered, []) is Outcome.unresolved
    assert outcome(analysis_of(PROBLEM, FIXED, ("customer", question, {})), []) is Outcome.unresolved
    answered = analysis_of(
        PROBLEM, FIXED, ("customer", question, {}),
        ("agent", "Within 3 to 5 working days. Have a lovely day!", {"closing": 0.85}),
        ("customer", "Perfect, thanks.", {"positive": 0.8}, 1.5),
    )  # fmt: skip
    assert outcome(answered, []) is Outcome.resolved
    # Answered in the agent's last turn, with no reply from the customer: answered all the same.
    answered_last = analysis_of(
        PROBLEM, FIXED, ("customer", question, {}), ("agent", "It takes 3 to 5 working days.", {})
    )
    assert outcome(answered_last, []) is Outcome.resolved


@pytest.mark.parametrize(
    ("sentence", "asks"),
    [
        ("When will it arrive?", True),
        ("when will it arrive", True),
        ("Okay, and can you send it again", True),
        ('Is that right?"', True),
        ("What a mess.", False),
        ("How lovely.", False),
        ("Will do.", False),
        ("Thanks, that's all.", False),
    ],
)
def test_question_form(sentence: str, asks: bool) -> None:
    assert is_question(sentence) is asks


def test_a_supervisor_taking_over_is_escalated_however_it_ends() -> None:
    taken_over = analysis_of(
        PROBLEM,
        ("agent", "I've asked my team lead to join.", {}),
        ("supervisor", "Hi, Dana here, the team lead. I've booked an engineer for tomorrow.", {}),
        ("customer", "I'll believe it when I see it.", {"anger": 0.8, "sarcasm": 0.8}, -3.0),
    )
    assert outcome(taken_over, [OPEN_PROMISE]) is Outcome.escalated
    passed_on = analysis_of(
        PROBLEM,
        ("customer", "Get me someone else.", {"anger": 0.8}),
        ("agent", "Please hold while I transfer you.", {"transfer": 0.9}),
    )
    assert outcome(passed_on, []) is Outcome.escalated


def test_a_customer_who_vanished_mid_problem_abandoned_it() -> None:
    asked = ("agent", "Could you send me the tracking number?", {"clarifying_question": 0.8})
    nudged = ("agent", "Are you still there? I'll keep this chat open a few more minutes.", {"promise": 0.7})
    for ending in ([asked], [asked, nudged], [nudged]):
        vanished = analysis_of(PROBLEM, *ending, open_grievance=True)
        assert outcome(vanished, [OPEN_PROMISE]) is Outcome.abandoned
    # Hard negative: after thanks, an unanswered "anything else?" is the normal end of a chat.
    thanked = analysis_of(PROBLEM, FIXED, ("customer", "Brilliant, thanks.", {"positive": 0.8}, 1.5), OFFER)
    assert outcome(thanked, []) is Outcome.resolved


def test_open_complaints_and_no_goodbye_is_unresolved_not_resolved() -> None:
    silent = analysis_of(
        PROBLEM,
        ("agent", "I've noted that on your account.", {}),
        ("customer", "Right.", {}, -1.0),
        open_grievance=True,
    )
    assert outcome(silent, []) is Outcome.unresolved
    thanked = analysis_of(
        PROBLEM,
        ("agent", "I've noted that on your account.", {}),
        ("customer", "Okay, thanks.", {"positive": 0.7}, 0.5),
        open_grievance=True,
    )
    assert outcome(thanked, []) is Outcome.resolved


def test_abuse_policy_ending_and_silence_are_abandoned() -> None:
    ended = analysis_of(
        ("customer", "You idiot.", {"abuse_at_agent": 0.99}, -4.0),
        ("agent", "I'm closing this chat now because of the abusive language.", {"boundary_statement": 0.9}),
        abuse_incidents=1,
    )
    assert outcome(ended, []) is Outcome.abandoned
    assert outcome(analysis_of(("agent", "Hello, how can I help?", {})), []) is Outcome.abandoned
    assert outcome(analysis_of(), []) is Outcome.abandoned


def test_every_outcome_value_is_documented() -> None:
    for value in Outcome:
        assert f"``{value.value}``" in (Outcome.__doc__ or "")
    assert {o.value for o in Outcome} >= {
        "resolved",
        "unresolved",
        "escalated",
        "follow_up_needed",
        "abandoned",
    }


# --- whole conversations through the engine -------------------------------------------------------


def outcome_of(text: str, engine) -> str:
    return build_record(engine.analyze(parse_transcript(text)), PLAYBOOK).record.outcome.value


FURIOUS = """\
# customer_name: Leah Morgan
# agent_name: Tom
Agent: Hello, you're through to Kitchenly support, this is Tom. How can I help?
Customer: My washing machine was meant to be installed on Tuesday and nobody came. I took the day off work for this.
Agent: I'm sorry about that. Could you give me the order number?
Customer: It's order KT-552183. I have given it twice already.
Agent: Thanks. I can see the installation was moved by the warehouse, and I've logged a complaint about the missed visit.
Customer: Moved? Nobody told me! I lost a day's pay because of you people.
Agent: The next free installation slot is in two weeks. Is there anything else I can help you with?
Customer: Two weeks?! This is an absolute disgrace. Forget it, I'm done with your useless company. I'll take my money elsewhere.
"""
UNANSWERED = """\
# customer_name: Ben Carter
# agent_name: Maya
Agent: Hi, this is Maya from Northwind Energy. What can I do for you today?
Customer: Hi Maya. I moved out last month but I was still charged £64.20 on the 1st.
Agent: I'm sorry about that. I've cancelled the charge and processed a refund to your card.
Customer: Okay. When will the refund actually reach my card?
Agent: Thank you for contacting Northwind Energy. Have a lovely day!
"""
ANSWERED = UNANSWERED.replace(
    "Agent: Thank you for contacting Northwind Energy. Have a lovely day!",
    "Agent: Refunds show on your card within 3 to 5 working days. Have a lovely day!\n"
    "Customer: Lovely, thanks for your help.",
)
TAKEN_OVER = """\
# customer_name: Farah Ali
# agent_name: Chris
Agent: Hi, Chris here from Skylink. How can I help today?
Customer: My broadband has been down for five days. This is the fourth time I've contacted you and every time I'm told it'll be fixed tomorrow.
Agent: Five days without a connection is a long time, Farah, and I can see the earlier contacts.
Customer: I don't want sympathy, I want it fixed. Put me through to someone senior right now.
Agent: I've asked my team lead, Dana, to join this chat.
Supervisor: Hi Farah, this is Dana, Chris's team lead. I've booked an engineer for tomorrow between 8 and 12, with a credit for the days you've been without service.
Customer: I'll believe it when I see it. This is still a joke.
"""
VANISHED = """\
# customer_name: Joe Park
# agent_name: Ana
Agent: Hello, you're chatting with Ana from Swiftparcel. How can I help?
Customer: My parcel still hasn't arrived and the tracking hasn't moved in nine days.
Agent: That's a long wait, I'm sorry. Could you send me the tracking number so I can look into it?
Agent: Are you still there? I'll keep this chat open for a few more minutes.
"""
THANKED = """\
# customer_name: Mei Chen
# agent_name: Owen
Agent: Hi, Owen here from Brightbank. What can I help with today?
Customer: Hi Owen, I'm locked out of online banking after too many password attempts and I'm getting really fed up.
Agent: No problem, Mei. I've sent a reset link to the email address on your account. It's valid for 30 minutes.
Customer: Got it, I'm back in. Thank you so much, that was quick!
Agent: Glad to hear it. Is there anything else I can help with?
Customer: No, that's all. Thanks again!
Agent: Have a great day, Mei.
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (FURIOUS, "unresolved"),  # was "resolved": the complaint was logged and help offered
        (UNANSWERED, "unresolved"),  # was "resolved": "when will the refund reach my card?" went unanswered
        (ANSWERED, "resolved"),  # hard negative: the same question answered, then thanks
        (TAKEN_OVER, "escalated"),  # a supervisor took over; the customer is still sarcastic
        (
            VANISHED,
            "abandoned",
        ),  # was "follow_up_needed": the agent's "I'll keep this chat open" is no follow-up
        (THANKED, "resolved"),  # hard negative: annoyed at the start, thanked and calm at the end
    ],
    ids=["furious", "unanswered", "answered", "taken-over", "vanished", "thanked"],
)
def test_outcomes_of_whole_conversations(engine, text: str, expected: str) -> None:
    assert outcome_of(text, engine) == expected
