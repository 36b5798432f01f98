"""The playbook and records pages in a real browser: validation errors by the field, records with scorecards."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.server.support import Tenant
from tests.web.conftest import Console, snap
from tests.web.support import example_turns, open_conversation, post_turns


def test_playbook_error_is_shown_next_to_the_field_it_names(console: Console, api, tenant: Tenant, tmp_path: Path) -> None:
    console.expected = re.compile(r"status of 422")
    admin = api(tenant, "admin")
    page = console.page(tenant.keys["admin"])
    page.goto("/console/playbook")
    expect(page.locator("#pb-version")).to_have_text("version 0")

    zone = page.get_by_label("Time zone")
    zone.fill("Mars/Olympus_Mons")
    page.get_by_label("Largest refund an agent may promise").fill("75")
    page.get_by_role("button", name="Save playbook").click()

    error = page.locator("#pb-tz + .field-error")
    expect(error).to_contain_text("business_hours.timezone")
    expect(error).to_contain_text("unknown time zone")
    expect(error).to_contain_text(re.compile(r"^.*playbook:\d+: business_hours\.timezone: "))
    expect(zone).to_have_attribute("aria-invalid", "true")
    expect(zone).to_be_focused()
    expect(page.locator(".field-error")).to_have_count(1)  # only by the field it names
    snap(page, "playbook-error", tmp_path)
    assert admin.get("/v1/playbook").json()["version"] == 0  # nothing was saved

    zone.fill("Europe/London")
    page.get_by_role("button", name="Save playbook").click()
    expect(page.locator("#pb-saved")).to_contain_text("version 1")
    expect(page.locator(".field-error")).to_have_count(0)
    company = admin.get("/v1/playbook").json()["company"]
    assert company["business_hours"]["timezone"] == "Europe/London"
    assert company["authority"]["max_refund"] == 75

    page.reload()
    expect(page.get_by_label("Time zone")).to_have_value("Europe/London")


def test_an_error_inside_a_list_points_at_the_list(console: Console, tenant: Tenant) -> None:
    console.expected = re.compile(r"status of 422")
    page = console.page(tenant.keys["admin"])
    page.goto("/console/playbook")
    contacts = page.get_by_label("Contacts, one per line")
    contacts.fill("Duty manager")  # no name: the schema requires one
    page.get_by_role("button", name="Save playbook").click()
    expect(page.locator("#pb-contacts + .field-error")).to_contain_text("escalation_contacts[0].name")


def test_playbook_is_read_only_for_qa(console: Console, tenant: Tenant) -> None:
    page = console.page(tenant.keys["qa"])
    page.goto("/console/playbook")
    expect(page.get_by_label("Time zone")).to_have_attribute("readonly", "")
    expect(page.get_by_role("button", name="Save playbook")).to_be_hidden()
    expect(page.locator("#pb-readonly")).to_be_visible()


def test_records_show_closed_conversations_with_scorecard_and_filters(
    console: Console, api, tenant: Tenant, tmp_path: Path
) -> None:
    agent = api(tenant, "agent")
    crisis = open_conversation(agent, customer_name="Paul Andersen", agent_name="Nina", team="collections")
    post_turns(agent, crisis, example_turns("self_harm"))
    agent.post(f"/v1/conversations/{crisis}/close").raise_for_status()
    abuse = open_conversation(agent, customer_name="Kevin", agent_name="Aisha", team="support")
    post_turns(agent, abuse, example_turns("abuse_at_agent"))
    agent.post(f"/v1/conversations/{abuse}/close").raise_for_status()

    page = console.page(tenant.keys["qa"])
    page.goto("/console/records")
    rows = page.locator("#record-rows tr")
    expect(rows).to_have_count(2)
    expect(page.locator(f"#record-rows tr[data-id='{crisis}'] .badge-crisis")).to_be_visible()
    for chart in ("#chart-mood svg", "#chart-adherence svg", "#chart-hours svg"):
        expect(page.locator(chart)).to_have_attribute("role", "img")

    page.get_by_label("Alert", exact=True).select_option("abuse")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Kevin")
    page.get_by_label("Alert", exact=True).select_option("")
    page.get_by_label("Agent", exact=True).select_option("Nina")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Paul Andersen")

    rows.first.get_by_role("button", name=re.compile("^View the record")).click()
    detail = page.locator("#detail-body")
    expect(detail).to_contain_text("Scorecard")
    expect(detail.locator(".score-items li").first).to_be_visible()
    expect(detail).to_contain_text("Crisis at turn 6")
    expect(detail.locator(".handoff-note")).to_contain_text("Who: Paul Andersen")
    snap(page, "records", tmp_path)
