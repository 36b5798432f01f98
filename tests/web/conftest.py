"""Fixtures for the console's browser tests: a real server process, Debian's Chromium, a page per role."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.server.support import ServerProcess, Tenant, make_tenant

# Two shared cores in CI: give pages time to load, not a reason to pass (every wait is for a real change).
expect.set_options(timeout=15_000)
CHROMIUM = os.environ.get("CALMLINE_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = os.environ.get("CALMLINE_SCREENSHOTS")  # set to a folder (e.g. docs/console) to keep them
# Chromium's own messages when a socket to a stopped server fails; expected while reconnecting.
EXPECTED_CONSOLE = re.compile(r"WebSocket connection to .* failed|Failed to load resource: net::ERR_CONNECTION_REFUSED")


@pytest.fixture(scope="session")
def web_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('webdb') / 'calmline.db'}"


@pytest.fixture(scope="session")
def web_server(web_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(web_database, tmp_path_factory.mktemp("webhome")).start()
    yield process
    process.stop()


@pytest.fixture
def tenant(web_database: str) -> Tenant:
    """A fresh tenant per test, so each test's board shows only its own conversations."""
    return make_tenant(web_database)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"the browser tests need Chromium at {CHROMIUM} (apt-get install chromium, or CALMLINE_CHROMIUM)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield launched
        launched.close()


class Console:
    """Opens console pages signed in with a role's key, and fails the test on any script error."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.pages: list[Page] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.expected: re.Pattern[str] | None = None  # console errors a test provokes on purpose

    def page(self, key: str | None, width: int = 1280, height: int = 720) -> Page:
        context = self.browser.new_context(viewport={"width": width, "height": height}, base_url=self.base_url)
        context.set_default_timeout(15_000)
        if key is not None:
            # As the login page leaves it: the key in this tab's sessionStorage.
            context.add_init_script(f"sessionStorage.setItem('calmline.key', {key!r});")
        page = context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on("console", self._console)
        page.on("request", lambda request: self.requests.append(request.url))
        self.pages.append(page)
        return page

    def _console(self, message: object) -> None:
        kind, text = getattr(message, "type", ""), getattr(message, "text", "")
        provoked = self.expected is not None and self.expected.search(text)
        if kind == "error" and not EXPECTED_CONSOLE.search(text) and not provoked:
            self.errors.append(f"console error: {text}")

    def close(self) -> None:
        for page in self.pages:
            page.context.close()


@pytest.fixture
def console(browser: Browser, web_server: ServerProcess) -> Iterator[Console]:
    opened = Console(browser, web_server.url)
    yield opened
    opened.close()
    assert not opened.errors, opened.errors


@pytest.fixture
def api(web_server: ServerProcess) -> Iterator[Callable[[Tenant, str], httpx.Client]]:
    clients: list[httpx.Client] = []

    def client(tenant: Tenant, role: str) -> httpx.Client:
        made = httpx.Client(base_url=web_server.url, headers=tenant.headers(role), timeout=30)
        clients.append(made)
        return made

    yield client
    for made in clients:
        made.close()


def snap(page: Page, name: str, tmp_path: Path) -> Path:
    """A screenshot in $CALMLINE_SCREENSHOTS when set (for the docs), else beside the test's files."""
    folder = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
