"""Signing in, and what each role sees; every asset comes from the server itself."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from tests.server.support import Tenant
from tests.web.conftest import Console

NAV = {"agent": "Agent panel", "board": "Live board", "records": "Records and QA", "playbook": "Playbook"}
SEES = {
    "agent": {"agent"},
    "supervisor": {"agent", "board", "records", "playbook"},
    "qa": {"records", "playbook"},
    "admin": {"agent", "board", "records", "playbook"},
}
HOME = {"agent": "/console/agent", "supervisor": "/console/board", "qa": "/console/records", "admin": "/console/board"}


@pytest.mark.parametrize("role", ["agent", "supervisor", "qa", "admin"])
def test_signing_in_shows_only_the_roles_pages(console: Console, tenant: Tenant, role: str) -> None:
    page = console.page(None)
    page.goto("/")
    page.get_by_label("API key").fill(tenant.keys[role])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(HOME[role]) + "$"))
    nav = page.get_by_role("navigation", name="Console pages")
    for name, title in NAV.items():
        link = nav.get_by_role("link", name=title)
        if name in SEES[role]:
            expect(link).to_be_visible()
        else:
            expect(link).to_have_count(0)
    # The key lives in this tab only.
    assert page.evaluate("sessionStorage.getItem('calmline.key')") == tenant.keys[role]
    assert page.evaluate("localStorage.length") == 0
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/console/login"))
    assert page.evaluate("sessionStorage.getItem('calmline.key')") is None


def test_a_page_outside_the_role_is_refused(console: Console, tenant: Tenant) -> None:
    page = console.page(tenant.keys["agent"])
    page.goto("/console/board")
    expect(page.get_by_role("alert")).to_contain_text("not available to your role")
    expect(page.locator("#board")).to_be_hidden()
    # The server refuses anyway, whatever a browser shows.
    answer = httpx.get(f"{console.base_url}/v1/conversations", headers=tenant.headers("agent"))
    assert answer.status_code == 403


def test_a_wrong_key_is_refused_with_a_message(console: Console) -> None:
    console.expected = re.compile(r"status of 401")
    page = console.page(None)
    page.goto("/console/login")
    page.get_by_label("API key").fill("cl_not-a-real-key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#login-error")).to_contain_text("not accepted")
    expect(page.get_by_label("API key")).to_have_attribute("aria-invalid", "true")


def test_a_page_without_a_key_goes_to_the_login(console: Console) -> None:
    page = console.page(None)
    page.goto("/console/records")
    page.wait_for_url(re.compile(r"/console/login\?next="))
    expect(page.get_by_label("API key")).to_be_focused()


def test_every_asset_is_served_locally_under_a_strict_policy(console: Console, tenant: Tenant) -> None:
    page = console.page(tenant.keys["admin"])
    for path in ("/console/login", "/console/agent", "/console/board", "/console/records", "/console/playbook"):
        response = page.goto(path)
        assert response is not None and response.ok
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy
        expect(page.locator("#main")).to_be_attached()
    origin = urlsplit(console.base_url).netloc
    assert console.requests and {urlsplit(url).netloc for url in console.requests} == {origin}


def test_pages_are_keyboard_reachable(console: Console, api, tenant: Tenant) -> None:
    agent = api(tenant, "agent")
    conversation = agent.post("/v1/conversations", json={"customer_name": "Ada"}).json()["id"]
    agent.post(
        f"/v1/conversations/{conversation}/turns",
        json={"id": "t0", "speaker": "customer", "text": "This stupid router keeps dropping out. Useless piece of junk!"},
    ).raise_for_status()
    page = console.page(tenant.keys["agent"])
    page.goto(f"/console/agent/{conversation}")
    expect(page.locator(".guide").first).to_be_visible()
    reached = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement.id || document.activeElement.className"))
    # The supervisor button, every "use" button, the draft and the evidence marks are all in the tab order.
    assert {"get-supervisor", "draft", "send", "use", "evidence"} <= reached, reached
