"""The training page in a real browser: a role-play to its debrief, a trainer's view of progress, keyboard only."""

from __future__ import annotations

import math
import re
from pathlib import Path

import httpx
from playwright.sync_api import Locator, Page, expect

from calmline.roleplay import Simulation, read_script, shipped_personas
from tests.server.support import Tenant, make_tenant
from tests.web.conftest import Console, snap

SCRIPTS = Path(__file__).resolve().parents[1] / "fixtures" / "roleplay"


def _script(name: str) -> list[str]:
    return read_script(SCRIPTS / name)


def _expected_changes(persona: str, seed: int, replies: list[str]) -> list[str]:
    """How the page must word each reply's effect: the same simulation, played here with the session's seed."""
    simulation = Simulation(shipped_personas()[persona], seed)
    words = []
    for reply in replies:
        change = simulation.reply(reply).change
        words.append("raised" if change >= 0.05 else "lowered" if change <= -0.05 else "held steady")
    return words


def _reply(page: Page, text: str, turns_before: int) -> None:
    page.get_by_label("Your reply").fill(text)
    page.get_by_label("Your reply").press("Enter")
    expect(page.locator("#roleplay-turns > li")).not_to_have_count(turns_before)


def _session_seed(page: Page, base_url: str, key: str) -> tuple[str, int]:
    """The id and seed of the session this page is playing, as the server stored it."""
    session_id = page.evaluate("sessionStorage.getItem('calmline.training')")
    stored = httpx.get(
        f"{base_url}/v1/roleplay/sessions/{session_id}", headers={"Authorization": f"Bearer {key}"}
    ).json()
    return session_id, stored["seed"]


def _tab_to(page: Page, target: Locator, limit: int = 40) -> None:
    """Press Tab until ``target`` has the focus: it can be reached from the keyboard alone."""
    for _ in range(limit):
        if target.evaluate("node => node === document.activeElement"):
            return
        page.keyboard.press("Tab")
    expect(target).to_be_focused()


def test_a_trainee_calms_the_customer_and_sees_the_debrief(
    console: Console, tenant: Tenant, tmp_path: Path
) -> None:
    key = tenant.keys["agent"]
    page = console.page(key)
    response = page.goto("/console/training")
    assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    nav = page.get_by_role("navigation", name="Console pages")
    expect(nav.get_by_role("link", name="Training")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", name="Your sessions")).to_be_visible()
    expect(page.get_by_label("Trainee (leave empty to practise yourself)")).to_be_hidden()

    page.get_by_label("Customer to practise with").select_option("overcharged")
    expect(page.locator("#persona-description")).to_contain_text(
        "Dana's phone plan was charged twice this month"
    )
    page.get_by_role("button", name="Start role-play").click()
    turns = page.locator("#roleplay-turns > li")
    expect(turns).to_have_count(1)
    expect(page.locator("#customer-said")).to_have_attribute("aria-live", "polite")
    expect(page.locator("#customer-said")).to_contain_text(turns.first.locator(".turn-text").inner_text())
    expect(page.get_by_label("Your reply")).to_be_focused()
    session_id, seed = _session_seed(page, console.base_url, key)

    good = _script("overcharged.good.txt")
    for reply, words in zip(good, _expected_changes("overcharged", seed, good), strict=True):
        count = turns.count()
        _reply(page, reply, count)
        expect(page.locator("#mood-change")).to_contain_text(words)
        customer = turns.last.locator(".turn-text").inner_text()
        expect(page.locator("#customer-said")).to_contain_text(customer)
    expect(page.locator("#mood-gauge")).to_have_attribute("aria-valuetext", re.compile(r"^(content|pleased)"))

    page.get_by_role("button", name="End and see the debrief").click()
    debrief = page.locator("#debrief")
    expect(debrief).to_be_visible()
    expect(page.locator("#debrief-title")).to_be_focused()
    expect(page.locator("#debrief-outcome")).to_contain_text("De-escalated")
    result = httpx.get(
        f"{console.base_url}/v1/roleplay/sessions/{session_id}", headers={"Authorization": f"Bearer {key}"}
    ).json()["result"]
    shown = _as_the_page_rounds(result["scorecard"]["score"])
    expect(page.locator("#debrief-score")).to_have_text(f"{shown} / 100")
    expect(page.locator("#moments-raised > li")).to_have_count(len(result["raised"]))
    expect(debrief.get_by_role("heading", name="Scorecard")).to_be_visible()
    expect(debrief.locator(".score-items li").first).to_be_visible()
    expect(page.get_by_label("Your reply")).to_be_hidden()

    # The session is now in the trainee's own progress list, scored.
    row = page.locator(f'#progress-body tr[data-id="{session_id}"]')
    expect(row).to_contain_text("De-escalated")
    expect(row).to_contain_text(str(shown))
    snap(page, "training-debrief", tmp_path)


def test_a_trainer_sees_each_trainees_sessions_and_runs_one_for_someone(
    console: Console, api, tenant: Tenant, web_database: str, tmp_path: Path
) -> None:
    supervisor = api(tenant, "supervisor")
    finished = supervisor.post(
        "/v1/roleplay/sessions", json={"persona": "repeat-caller", "trainee": "Alex Kim", "seed": 5}
    )
    for reply in _script("repeat-caller.good.txt"):
        supervisor.post(f"/v1/roleplay/sessions/{finished.json()['id']}/replies", json={"text": reply})
    supervisor.post(f"/v1/roleplay/sessions/{finished.json()['id']}/finish").raise_for_status()
    active = supervisor.post("/v1/roleplay/sessions", json={"persona": "overcharged", "trainee": "Alex Kim"})
    api(make_tenant(web_database), "supervisor").post(
        "/v1/roleplay/sessions", json={"persona": "overcharged", "trainee": "Zed"}
    )

    page = console.page(tenant.keys["qa"])
    page.goto("/console/training")
    expect(page.get_by_role("heading", name="Trainees' progress")).to_be_visible()
    alex = page.locator('.trainee-progress[data-trainee="Alex Kim"]')
    expect(alex.get_by_role("heading", name="Alex Kim")).to_be_visible()
    expect(alex.locator(f'tr[data-id="{finished.json()["id"]}"]')).to_contain_text("De-escalated")
    expect(alex.locator(f'tr[data-id="{active.json()["id"]}"]')).to_contain_text("in progress")
    expect(alex.get_by_role("img")).to_have_attribute(
        "aria-label", re.compile(r"^Scores over 1 finished session")
    )
    expect(page.locator('.trainee-progress[data-trainee="Zed"]')).to_have_count(0)

    # A trainer may run a session for someone: it is listed under their name, with how it went.
    page.get_by_label("Trainee (leave empty to practise yourself)").fill("Robin Vale")
    page.get_by_label("Customer to practise with").select_option("overcharged")
    page.get_by_role("button", name="Start role-play").click()
    expect(page.locator("#play-meta")).to_contain_text("Practising as Robin Vale")
    turns = page.locator("#roleplay-turns > li")
    expect(turns).to_have_count(1)
    _reply(page, _script("bad.txt")[0], 1)
    expect(page.locator("#mood-change")).to_contain_text("lowered the customer's mood")
    expect(page.locator("#mood-change")).to_have_attribute("data-level", "bad")
    _reply(page, _script("bad.txt")[1], 3)  # a transfer: the customer gives up
    expect(page.locator("#debrief-outcome")).to_contain_text("Escalated")
    expect(page.locator("#moments-lowered > li").first).to_contain_text("reply 1")
    expect(page.locator('.trainee-progress[data-trainee="Robin Vale"] tbody tr')).to_have_count(1)
    page.get_by_label("Trainee", exact=True).select_option("Alex Kim")
    expect(page.locator(".trainee-progress")).to_have_count(1)
    snap(page, "training-progress", tmp_path)

    # An agent's page lists only the agent's own sessions.
    agent_page = console.page(tenant.keys["agent"])
    agent_page.goto("/console/training")
    expect(agent_page.locator("#progress-summary")).to_have_text("No role-play sessions yet.")
    expect(agent_page.locator(".trainee-progress")).to_have_count(0)


def test_a_whole_role_play_with_the_keyboard_alone(console: Console, tenant: Tenant) -> None:
    page = console.page(tenant.keys["agent"])
    page.goto("/console/training")
    persona = page.get_by_label("Customer to practise with")
    expect(persona).to_have_value("abusive-caller")  # the first persona, alphabetically
    _tab_to(page, persona)
    page.keyboard.press("ArrowDown")
    expect(persona).not_to_have_value("abusive-caller")
    page.keyboard.press("ArrowUp")
    expect(persona).to_have_value("abusive-caller")
    expect(page.locator("#persona-description")).to_contain_text("Tests the abuse procedure")
    _tab_to(page, page.get_by_role("button", name="Start role-play"))
    page.keyboard.press("Enter")

    reply = page.get_by_label("Your reply")
    expect(reply).to_be_focused()
    turns = page.locator("#roleplay-turns > li")
    for line in _script("abusive-caller.protocol.txt"):
        count = turns.count()
        page.keyboard.type(line)
        page.keyboard.press("Enter")
        expect(turns).not_to_have_count(count)
    # Ending the call after a boundary and a warning ends the role-play: the debrief takes the focus.
    expect(page.locator("#debrief-title")).to_be_focused()
    expect(page.locator("#debrief-outcome")).to_contain_text("Ended by you")
    expect(page.locator("#debrief-procedure li")).to_have_count(3)
    expect(page.locator("#debrief-procedure")).not_to_contain_text("missed")

    _tab_to(page, page.get_by_role("button", name="Start another role-play"))
    page.keyboard.press("Enter")
    expect(persona).to_be_focused()
    expect(page.locator("#debrief")).to_be_hidden()


def test_a_reload_picks_up_the_role_play_with_personal_data_replaced(
    console: Console, tenant: Tenant
) -> None:
    page = console.page(tenant.keys["agent"])
    page.goto("/console/training")
    page.get_by_label("Customer to practise with").select_option("overcharged")
    page.get_by_role("button", name="Start role-play").click()
    _reply(page, f"{_script('overcharged.good.txt')[0]} My direct line is 415-555-0134.", 1)
    turns = page.locator("#roleplay-turns > li")
    expect(turns).to_have_count(3)
    # The trainee sees their reply as it was kept: the phone number replaced, never stored raw.
    expect(turns.nth(1)).to_contain_text("My direct line is [PHONE].")
    page.reload()
    expect(turns).to_have_count(3)
    expect(turns.nth(1)).to_contain_text("[PHONE]")
    expect(page.locator("#roleplay-turns")).not_to_contain_text("555-0134")
    expect(page.get_by_label("Your reply")).to_be_visible()
    expect(page.locator("#setup")).to_be_hidden()


def _as_the_page_rounds(score: float) -> int:
    """Halves up, as JavaScript's Math.round does (Python's round() takes 86.5 to 86, the page shows 87)."""
    return math.floor(score + 0.5)
