"""The engine as a whole: state transitions turn by turn, rules into guidance and alerts, redaction."""

from __future__ import annotations

from calmline.engine.pipeline import Engine
from calmline.engine.redact import redact
from calmline.model import AbuseLevel, Conversation, GrievanceStatus, Phase, Role, Turn


def play(engine: Engine, *lines: tuple[str, str], **conversation: object):
    session = engine.session(Conversation(**conversation))  # type: ignore[arg-type]
    roles = {"c": Role.customer, "a": Role.agent}
    return [session.add(Turn(speaker=who, role=roles[who], text=text)) for who, text in lines]


def alerts(turn) -> list[str]:
    return [a.kind.value for a in turn.alerts]


def rules(turn) -> list[str]:
    return [g.rule for g in turn.guidance]


def test_escalation_risk_rises_before_the_manager_request(engine: Engine) -> None:
    turns = play(
        engine,
        ("c", "My parcel was marked delivered on Monday but it never arrived."),
        ("a", "According to our records it was delivered."),
        ("c", "I just told you it isn't here. I've checked everywhere, this is ridiculous."),
        ("a", "As I already said, it shows as delivered. You should have checked with your neighbours."),
        ("c", "Are you even listening? That's the third time I've explained it. This is unacceptable!!"),
        ("a", "Please calm down. There's nothing I can do."),
        ("c", "Get me your manager. Now."),
    )
    risks = [t.state.escalation_risk for t in turns]
    assert risks[0] < 0.3
    forecast = next(i for i, t in enumerate(turns) if "escalation_risk" in alerts(t))
    request = next(i for i, t in enumerate(turns) if "manager_request" in alerts(t))
    assert forecast < request == 6
    assert turns[forecast].alerts[0].procedure is not None
    assert turns[4].state.repetitions >= 2
    assert turns[4].state.mood < turns[0].state.mood - 1.5
    assert turns[4].state.mood_trend < 0


def test_de_escalation_lowers_risk_and_lifts_mood(engine: Engine) -> None:
    turns = play(
        engine,
        ("c", "You charged me twice for October and I'm furious, this is the second time!"),
        ("a", "I'm so sorry, that's our mistake. I can see the duplicate charge. Let me fix it."),
        ("c", "Fine. I just want it sorted."),
        ("a", "I've issued the refund for the duplicate charge; you'll see it within 5 business days."),
        ("c", "Okay, thank you, I really appreciate that."),
    )
    assert turns[0].state.mood <= -2
    assert turns[-1].state.mood > turns[0].state.mood + 2
    assert turns[-1].state.escalation_risk < turns[0].state.escalation_risk
    assert turns[0].state.company_fault
    assert "company-erred" in rules(turns[0])
    assert all(g.status is GrievanceStatus.addressed for g in turns[-1].state.grievances)
    # Each turn keeps the state as it was then: later turns never rewrite an earlier one's.
    assert all(g.status is GrievanceStatus.open for g in turns[0].state.grievances)
    assert not turns[0].state.promises
    assert turns[3].state.phase is Phase.react
    assert turns[3].state.promises and not turns[3].state.promises[0].beyond_authority


def test_venting_is_not_abuse_but_insults_at_the_agent_are(engine: Engine) -> None:
    turns = play(
        engine,
        ("c", "This stupid bill makes no sense."),
        ("a", "I understand, bills can be confusing. Let's go through it together."),
        ("c", "You idiot, you're completely useless."),
    )
    assert turns[0].state.abuse_level is AbuseLevel.venting and alerts(turns[0]) == []
    assert turns[2].state.abuse_level is AbuseLevel.abuse_at_agent
    abuse = turns[2].alerts[0]
    assert abuse.kind.value == "abuse" and abuse.procedure and abuse.procedure.step == "boundary"
    assert {a.value for a in abuse.audience} >= {"supervisor", "hr"}
    assert turns[2].guidance[0].suggestions  # the boundary wording to use


def test_crisis_alerts_at_once_and_is_sticky(engine: Engine) -> None:
    turns = play(
        engine,
        ("c", "I can't pay this bill."),
        ("a", "I understand, let's look at your options."),
        ("c", "Honestly I don't want to be alive anymore."),
        ("a", "Thank you for telling me. Are you safe right now?"),
        ("c", "I don't know."),
    )
    assert alerts(turns[0]) == [] and alerts(turns[2]) == ["crisis"]
    assert turns[2].state.crisis and turns[2].state.crisis_type.value == "self_harm"
    assert turns[4].state.crisis  # stays on
    assert not any("escalation_risk" in alerts(t) for t in turns)  # the crisis procedure supersedes it


def test_hard_negatives_raise_no_alerts(engine: Engine) -> None:
    turns = play(
        engine,
        ("c", "I'm dying to know when the new model comes out."),
        ("c", "I could kill for a coffee right now, this queue is long."),
        ("c", "My manager asked me to call about our business account."),
    )
    assert [alerts(t) for t in turns] == [[], [], []]


def test_emergency_checklist_ticks_facts_as_they_are_given(engine: Engine) -> None:
    turns = play(
        engine,
        ("c", "Water is pouring into my basement, a pipe burst!"),
        ("a", "I'm getting help to you now. What's the best number to call you back on?"),
        ("c", "It's 555-201-0142."),
        ("a", "Thank you. And the address?"),
        ("c", "14 Birch Lane, the house on the corner."),
    )
    assert alerts(turns[0]) == ["emergency"]
    first = turns[0].alerts[0].procedure
    assert first is not None and [i.field for i in first.checklist if i.done] == ["nature"]
    reminder = turns[2].guidance[rules(turns[2]).index("emergency-checklist")]
    assert reminder.message == "Still missing for this emergency: where it is happening."
    assert turns[2].text == "It's [PHONE]."
    done = {i.field: i.done for i in turns[-1].state.emergency.checklist}
    assert done == {"nature": True, "callback_number": True, "location": True}
    assert [i.field for i in turns[0].state.emergency.checklist if i.done] == ["nature"]


def test_after_hours_is_decided_from_business_hours_and_raises_sensitivity(engine: Engine) -> None:
    from datetime import datetime, timedelta, timezone

    night = datetime(2026, 11, 19, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    lines = (("c", "The heating is off and it's freezing, I've waited all day. This is ridiculous."),)
    late = play(engine, *lines, started_at=night)
    day = play(engine, *lines, started_at=night.replace(hour=11))
    assert engine.session(Conversation(started_at=night)).info.after_hours
    assert late[0].state.escalation_risk > day[0].state.escalation_risk
    assert "after-hours-care" in rules(late[0]) and "after-hours-care" not in rules(day[0])


def test_name_is_learnt_and_its_use_tracked(engine: Engine) -> None:
    turns = play(
        engine,
        ("c", "Hi, my name is Dana Ruiz, my internet keeps dropping."),
        ("a", "Sorry to hear that. When did it start?"),
        ("c", "Since Monday, it's not working at all in the evenings."),
        ("a", "Thanks. Let me run a test on the line."),
        ("c", "Okay."),
    )
    assert turns[0].state.customer_name == "Dana Ruiz" and not turns[3].state.name_used
    # Judged on the agent's turn: two replies without the name, so the reminder comes with the second.
    assert "use-their-name" not in rules(turns[1]) and "use-their-name" in rules(turns[3])
    assert turns[3].guidance[rules(turns[3]).index("use-their-name")].message.count("Dana") == 1


def test_transfers_are_counted_and_warned(engine: Engine) -> None:
    turns = play(
        engine,
        ("c", "My refund never came."),
        ("a", "Let me transfer you to billing."),
        ("c", "Billing sent me back here!"),
        ("a", "I'll put you through to the refunds team."),
    )
    assert turns[3].state.transfer_count == 2
    assert "transfer-warning" in rules(turns[3])


def test_an_alert_belongs_to_the_turn_that_caused_it(engine: Engine) -> None:
    turns = play(engine, ("c", "Hello."), ("a", "Hi, how can I help?"), ("c", "Put your supervisor on, now."))
    assert [alerts(t) for t in turns] == [[], [], ["manager_request"]]
    evidence = turns[2].alerts[0].evidence[0]
    assert evidence.turn == 2 and turns[2].text[evidence.span[0]:evidence.span[1]] == evidence.quote


def test_detectors_do_not_change_their_input(engine: Engine) -> None:
    session = engine.session()
    turn = Turn(speaker="c", role=Role.customer, text="You idiot, call me on 555-201-0142!!")
    before = turn.model_dump()
    session.add(turn)
    assert turn.model_dump() == before


def test_a_need_that_comes_back_is_said_in_other_words(engine: Engine) -> None:
    upset = ("c", "I waited in all day and the parcel never came. This is ridiculous, I'm so frustrated!")
    calm = ("c", "It's order 4471, the blue kettle.")
    reply = ("a", "Okay.")
    turns = play(engine, upset, reply, upset, reply, calm, reply, upset)
    cards = [(t.index, g) for t in turns for g in t.guidance if g.rule == "acknowledge-feelings"]
    # Shown once while the feeling lasts (turns 0 and 2), again when it returns after a calm turn (6).
    assert [index for index, _ in cards] == [0, 6]
    assert cards[0][1].message != cards[1][1].message
    assert cards[0][1].suggestions[0] != cards[1][1].suggestions[0]


def test_redaction_keeps_placeholders_and_spans() -> None:
    text, found = redact("Mail jo@example.com or call (617) 555-0199; card 4111 1111 1111 1111.")
    # Card numbers keep their first six and last four digits (the issuer and the card a customer names).
    assert text == "Mail [EMAIL] or call [PHONE]; card 411111******1111."
    assert [text[r.span[0]:r.span[1]] for r in found] == ["[EMAIL]", "[PHONE]", "411111******1111"]
    assert redact("Order 12345 for 3 items, total 120 dollars.") == ("Order 12345 for 3 items, total 120 dollars.", [])


def test_same_code_path_live_and_whole(engine: Engine) -> None:
    lines = [Turn(speaker="c", role=Role.customer, text="You charged me twice, I'm angry."),
             Turn(speaker="a", role=Role.agent, text="I'm sorry, that's our mistake; I'll fix it now.")]
    whole = engine.analyze(Conversation(id="x", turns=lines))
    session = engine.session(Conversation(id="x"))
    live = [session.add(t) for t in lines]
    assert whole.turns == live


def test_the_playbooks_refund_authority_reaches_the_promise_detectors(engine: Engine, tmp_path) -> None:
    from calmline.playbook import load_playbook

    company = tmp_path / "acme.yaml"
    company.write_text("authority: {max_refund: 200}\n")
    lines = (("c", "You overcharged me by $150."), ("a", "I'll refund the $150 to your card today."))
    default_turn = play(engine, *lines)[1]
    acme_turn = play(Engine(load_playbook(company)), *lines)[1]
    assert "overpromised" in rules(default_turn)
    assert "overpromised" not in rules(acme_turn)


def test_talking_over_the_customer_on_a_call_is_an_interruption(engine: Engine) -> None:
    session = engine.session(Conversation(channel="voice"))
    session.add(Turn(speaker="Caller", role=Role.customer, text="So the engineer came and then he just left and",
                     start=10.0, end=16.0))
    cut_in = session.add(Turn(speaker="Agent", role=Role.agent, text="Right, I see, let me check that.",
                              start=13.5, end=15.0))
    assert "interruption" in {s.kind for s in cut_in.signals}
    assert cut_in.start == 13.5 and "agent-interrupted" in rules(cut_in)
