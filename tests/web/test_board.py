"""The supervisor board in a real browser: live reordering, the alert feed, and reconnecting after a restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.server.support import ServerProcess, Tenant, make_tenant
from tests.web.conftest import Console, snap
from tests.web.support import example_turns, open_conversation, post_turns


def test_board_reorders_live_when_a_conversations_risk_rises(
    console: Console, api, tenant: Tenant, tmp_path: Path
) -> None:
    agent = api(tenant, "agent")
    upset = open_conversation(agent, customer_name="Ada", agent_name="Sam")
    calm = open_conversation(agent, customer_name="Bea", agent_name="Lee")
    post_turns(agent, upset, [("customer", "This is the third time I have called about this bill and nobody has fixed it.")])
    post_turns(agent, calm, [("customer", "Hi, could you tell me when my order will arrive?")])

    page = console.page(tenant.keys["supervisor"])
    page.goto("/console/board")
    rows = page.locator("#board-rows tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Ada")
    expect(page.locator("#live-status")).to_contain_text("Live")
    page.evaluate("window.stillTheSamePage = true")

    post_turns(
        agent,
        calm,
        [("agent", "Sure, let me check."), ("customer", "You are useless, you idiot. Get me your manager right now!!")],
        first=1,
    )
    expect(rows.nth(0)).to_contain_text("Bea")
    expect(rows.nth(0)).to_contain_text("moved up")
    expect(rows.nth(0).locator(".badge-abuse")).to_contain_text("Abuse")
    expect(rows.nth(0).locator("td.risk")).to_contain_text("high")
    assert page.evaluate("window.stillTheSamePage") is True  # no reload: it came over the WebSocket

    feed = page.locator("#feed .feed-item[data-kind='abuse']")
    expect(feed).to_have_count(1)
    snap(page, "supervisor-board", tmp_path)
    feed.get_by_role("button", name="Acknowledge abuse alert", exact=False).click()
    expect(feed).to_contain_text("Acknowledged")
    expect(rows.nth(0).locator(".badge-abuse")).to_have_count(0)
    alerts = httpx.get(f"{console.base_url}/v1/conversations/{calm}", headers=tenant.headers("supervisor")).json()
    assert all(a["acknowledged_at"] for a in alerts["alerts"] if a["kind"] == "abuse")

    # A closed conversation leaves the board.
    agent.post(f"/v1/conversations/{upset}/close").raise_for_status()
    expect(rows).to_have_count(1)


def test_board_at_400_px_has_no_sideways_scrolling(console: Console, api, tenant: Tenant) -> None:
    agent = api(tenant, "agent")
    for name in ("Ada", "Bea"):
        post_turns(agent, open_conversation(agent, customer_name=name, agent_name="Sam"), [("customer", "Hello")])
    page = console.page(tenant.keys["supervisor"], width=400, height=800)
    page.goto("/console/board")
    expect(page.locator("#board-rows tr")).to_have_count(2)
    assert page.evaluate("document.documentElement.scrollWidth") <= 400


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server of this test's own, since the test kills and restarts it."""
    process = ServerProcess(f"sqlite:///{tmp_path / 'restart.db'}", tmp_path / "home").start()
    yield process
    process.stop()


def test_panel_and_board_reconnect_after_a_server_restart_and_catch_up(
    browser: Browser, own_server: ServerProcess
) -> None:
    tenant = make_tenant(own_server.database_url)
    console = Console(browser, own_server.url)
    try:
        agent = httpx.Client(base_url=own_server.url, headers=tenant.headers("agent"), timeout=30)
        turns = example_turns("frustration_builds_manager")
        conversation = open_conversation(agent, customer_name="Tanya", agent_name="Jordan")
        post_turns(agent, conversation, turns[:2])

        panel = console.page(tenant.keys["agent"])
        panel.goto(f"/console/agent/{conversation}")
        board = console.page(tenant.keys["supervisor"])
        board.goto("/console/board")
        expect(panel.locator("#turns li.turn")).to_have_count(2)
        expect(board.locator("#board-rows tr")).to_have_count(1)
        for page in (panel, board):
            expect(page.locator("#live-status")).to_contain_text("Live")

        own_server.kill()
        for page in (panel, board):
            expect(page.locator("#live-status")).to_contain_text("Reconnecting")
        restarted = ServerProcess(own_server.database_url, own_server.home, port=own_server.port).start()
        own_server.process = restarted.process  # so the fixture stops the new one
        # Posted at once, most likely before the browser's next retry: it must catch up on them.
        post_turns(agent, conversation, turns[2:6], first=2)
        late = open_conversation(agent, customer_name="Zoe", agent_name="Kim")

        for page in (panel, board):
            expect(page.locator("#live-status")).to_contain_text("Live", timeout=20_000)
        expect(panel.locator("#turns li.turn")).to_have_count(6)  # each once, in order
        indexes = panel.locator("#turns li.turn").evaluate_all("items => items.map(i => Number(i.dataset.index))")
        assert indexes == list(range(6))
        expect(board.locator(f"#board-rows tr[data-id='{late}']")).to_have_count(1)
        expect(board.locator(f"#board-rows tr[data-id='{conversation}']")).to_contain_text("6 turns")
        agent.close()
    finally:
        console.close()
    assert not console.errors, console.errors


def test_wellbeing_panel_suggests_a_debrief_after_a_crisis_contact(console: Console, api, tenant: Tenant) -> None:
    agent = api(tenant, "agent")
    conversation = open_conversation(agent, customer_name="Paul Andersen", agent_name="Nina")
    post_turns(agent, conversation, example_turns("self_harm"))
    page = console.page(tenant.keys["supervisor"])
    page.goto("/console/board")
    expect(page.locator("#wellbeing")).to_contain_text("No abusive or crisis contacts")

    agent.post(f"/v1/conversations/{conversation}/close").raise_for_status()  # the panel refreshes on closing
    row = page.locator("#wellbeing tbody tr", has_text="Nina")
    expect(row.locator("td[data-label='Crisis']")).to_have_text("1 of 1")
    expect(row.locator("summary")).to_contain_text("debrief")
