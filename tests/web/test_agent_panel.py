"""The agent panel in a real browser: guidance and alerts at the right turn, crisis acknowledgement, draft coaching."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.server.support import Tenant
from tests.web.conftest import Console, snap
from tests.web.support import example_turns, open_conversation, post_turns

CRISIS_TURN = 5  # self_harm.txt: the customer's words at turn 5 (0-based) raise the crisis alert


def test_guidance_and_crisis_alert_appear_at_the_turn_that_raised_them(
    console: Console, api, tenant: Tenant, tmp_path: Path
) -> None:
    agent = api(tenant, "agent")
    turns = example_turns("self_harm")
    conversation = open_conversation(agent, customer_name="Paul Andersen", agent_name="Nina")
    post_turns(agent, conversation, turns[:CRISIS_TURN])

    page = console.page(tenant.keys["agent"])
    page.goto(f"/console/agent/{conversation}")
    expect(page.locator("#turns li.turn")).to_have_count(CRISIS_TURN)
    expect(page.locator("#live-status")).to_contain_text("Live")
    expect(page.locator(".banner-crisis")).to_have_count(0)

    post_turns(agent, conversation, turns[CRISIS_TURN : CRISIS_TURN + 1], first=CRISIS_TURN)
    banner = page.locator(".banner-crisis")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(f"turn {CRISIS_TURN + 1}")
    expect(page.locator(f"#turn-{CRISIS_TURN} .badge-crisis")).to_be_visible()
    expect(page.locator(f"#turn-{CRISIS_TURN - 1} .badge")).to_have_count(0)
    # The playbook's procedure as a checklist, and its resources.
    expect(banner.locator(".checklist li")).to_have_count(6)
    expect(banner.locator(".resources")).to_contain_text("988")

    # Evidence words are marked, and the tooltip names the practice.
    mark = page.locator(f'#turn-{CRISIS_TURN} mark.evidence[data-practice~="P12"]').first
    expect(mark).to_have_attribute("data-tip", re.compile(r"P12 Crisis procedure"))
    mark.focus()
    tooltip = mark.evaluate("m => getComputedStyle(m, '::after').content")
    assert "Crisis procedure" in tooltip

    # A guidance card for the crisis practice; "use" copies its wording into the draft.
    card = page.locator('.guide[data-practice="P12"]')
    expect(card).to_be_visible()
    wording = card.locator("q").first.inner_text()
    card.get_by_role("button", name=re.compile("^Use")).first.click()
    expect(page.locator("#draft")).to_have_value(wording)
    snap(page, "agent-panel-crisis", tmp_path)

    # The agent cannot put the crisis banner away: it waits for a supervisor's acknowledgement.
    expect(banner.get_by_role("button", name="Dismiss")).to_have_count(0)
    expect(banner.get_by_role("button", name="Acknowledge")).to_have_count(0)
    expect(banner).to_contain_text("Waiting for a supervisor")

    supervisor = console.page(tenant.keys["supervisor"])
    supervisor.goto(f"/console/agent/{conversation}")
    supervisor.locator(".banner-crisis").get_by_role("button", name="Acknowledge").click()
    expect(supervisor.locator(".banner-crisis")).to_contain_text("Acknowledged")

    expect(banner).to_contain_text("Acknowledged")  # reached the agent over the stream
    banner.get_by_role("button", name="Dismiss").click()
    expect(page.locator(".banner-crisis")).to_have_count(0)


@pytest.mark.xfail(strict=True, reason='known false alarm (issue 18 note): the encoder reads "Your whole company is a joke" (examples/abuse_at_agent.txt, turn 3) as abuse aimed at the agent, p 0.63')
def test_get_a_supervisor_shows_the_hand_off_note(console: Console, api, tenant: Tenant) -> None:
    agent = api(tenant, "agent")
    conversation = open_conversation(agent, customer_name="Kevin", agent_name="Aisha")
    post_turns(agent, conversation, example_turns("abuse_at_agent")[:6])

    board = console.page(tenant.keys["supervisor"])
    board.goto("/console/board")
    expect(board.locator("#live-status")).to_contain_text("Live")
    page = console.page(tenant.keys["agent"])
    page.goto(f"/console/agent/{conversation}")
    page.get_by_role("button", name="Get a supervisor").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#handoff-note")).to_contain_text("Who: Kevin")
    expect(dialog.locator("#handoff-note")).to_contain_text("Aisha")
    # The supervisor's board hears of it at once, with the same note.
    request = board.locator('.feed-item[data-kind="supervisor_requested"]')
    expect(request).to_contain_text("Who: Kevin")
    # The abuse alert shows the boundary -> warning -> end steps, the current one marked.
    steps = page.locator(".banner-abuse .abuse-step")
    expect(steps).to_have_count(3)
    expect(page.locator('.banner-abuse [aria-current="step"]')).to_contain_text("boundary")
    expect(page.locator('.banner-abuse [aria-current="step"]')).to_contain_text("now")


def test_draft_coach_underlines_a_lecturing_phrase_and_applies_a_rewrite(
    console: Console, api, tenant: Tenant, tmp_path: Path
) -> None:
    agent = api(tenant, "agent")
    conversation = open_conversation(agent)
    post_turns(agent, conversation, [("customer", "I asked for a refund twice already and still nothing.")])

    page = console.page(tenant.keys["agent"])
    page.goto(f"/console/agent/{conversation}")
    draft = page.locator("#draft")
    draft.press_sequentially("As I already said, refunds take ten days.", delay=5)

    underline = page.locator("#draft-backdrop mark.finding")
    expect(underline).to_have_text("As I already said")
    finding = page.locator('.finding-item[data-practice="P05"]')
    expect(finding).to_be_visible()
    snap(page, "agent-panel-draft", tmp_path)

    rewrite = finding.locator(".rewrite").first.inner_text().strip()
    finding.get_by_role("button", name=re.compile("^Apply rewrite")).first.click()
    expect(draft).to_have_value(rewrite)
    assert "already said" not in rewrite.lower()
    expect(page.locator("#draft-status")).to_contain_text("Nothing to change")
    expect(page.locator("#draft-backdrop mark.finding")).to_have_count(0)

    # Sending posts it as the agent's turn, and it arrives in the transcript.
    page.get_by_role("button", name="Send as agent turn").click()
    expect(page.locator("#turns li.turn-agent")).to_contain_text(rewrite)
    expect(draft).to_have_value("")


def test_panel_fits_a_400_px_sidebar(console: Console, api, tenant: Tenant, tmp_path: Path) -> None:
    agent = api(tenant, "agent")
    conversation = open_conversation(agent, customer_name="Tanya")
    post_turns(agent, conversation, example_turns("frustration_builds_manager")[:6])

    page = console.page(tenant.keys["agent"], width=400, height=800)
    page.goto(f"/console/agent/{conversation}")
    expect(page.locator("#turns li.turn")).to_have_count(6)
    expect(page.locator(".guide").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
    # In a sidebar the customer's state, the advice and the draft come before the transcript.
    top = {
        name: page.locator(selector).bounding_box()["y"]  # type: ignore[index]
        for name, selector in {
            "state": ".customer-state",
            "guidance": ".guidance",
            "draft": ".draft",
            "transcript": ".transcript",
        }.items()
    }
    assert top["state"] < top["guidance"] < top["draft"] < top["transcript"]
    for selector in (".customer-state", ".guidance", ".draft", ".transcript"):
        box = page.locator(selector).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 400
    snap(page, "agent-panel-400px", tmp_path)


def test_at_most_two_cards_per_turn_each_saying_what_triggered_it(console: Console, api, tenant: Tenant) -> None:
    agent = api(tenant, "agent")
    conversation = open_conversation(agent, customer_name="Rosa Diaz", agent_name="Nina")
    page = console.page(tenant.keys["agent"])
    page.goto(f"/console/agent/{conversation}")
    expect(page.locator("#live-status")).to_contain_text("Live")
    heavy = [
        ("customer", "THIRD TIME I'M CALLING!!! You charged me twice and the engineer never came. This is a joke."),
        ("agent", "Let me look into that."),
        ("customer", "I've told you three times already. Get me a manager, now."),
    ]
    counts = []
    for index, turn in enumerate(heavy):
        result = post_turns(agent, conversation, [turn], first=index)[0]
        expect(page.locator("#turns li.turn")).to_have_count(index + 1)
        shown = len(result["guidance"])
        counts.append(shown)
        if shown:
            expect(page.locator("#guidance-turn")).to_contain_text(f"after turn {index + 1}")
            expect(page.locator("#guidance-list .guide")).to_have_count(shown)
            expect(page.locator("#guidance-list .guide .trigger").first).to_contain_text("Because:")
    # These turns each call for more than two practices; the panel shows the two most urgent.
    assert max(counts) == 2 and all(count <= 2 for count in counts)
