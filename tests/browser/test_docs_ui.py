"""Swagger UI in a real headless Chromium: every operation listed, the smoke test tried live."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from petsage.contract import operations
from petsage.testing import LiveServer, running_server
from tests.conftest import load_spec

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; Playwright never downloads a browser here
SCREENSHOT = Path(__file__).parents[2] / "test-artifacts" / "swagger-ui.png"
# Headless as root in a closed network: Playwright adds --no-sandbox (chromium_sandbox=False) and
# a fresh profile; these keep Chromium from dialling out to Google at every start.
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
UI_TIMEOUT_MS = 30_000  # 2 shared cores: generous, this is no speed test

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"Debian's chromium is not at {CHROMIUM}: run tests/browser/install-chromium.sh as root",
)


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with running_server("--log-level", "warning") as live:
        yield live


@dataclass(frozen=True)
class DocsUI:
    page: Page
    requested: list[str]  # every URL the page asked for, in order


@pytest.fixture
def docs(server: LiveServer) -> Iterator[DocsUI]:
    """The docs UI of the live server, loaded in a fresh headless Chromium."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=UI_TIMEOUT_MS
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(UI_TIMEOUT_MS)
            requested: list[str] = []
            page.on("request", lambda request: requested.append(request.url))
            page.goto(f"{server.base_url}/api/v1/ui/")
            page.locator(".opblock").first.wait_for()
            yield DocsUI(page, requested)
        finally:
            browser.close()


def _declared_operations() -> set[tuple[str, str, str]]:
    """(method, path, operationId) of every operation in the contract."""
    return {
        (method.upper(), path, operation["operationId"])
        for path, item in load_spec()["paths"].items()
        for method, operation in operations(item)
    }


def _listed_operations(page: Page) -> set[tuple[str, str, str]]:
    """(method, path, operationId) of every operation block the UI shows."""
    listed = set()
    for block in page.locator(".opblock").all():
        method = block.locator(".opblock-summary-method").inner_text()
        path_element = block.locator("[data-path]")
        path = path_element.get_attribute("data-path") or ""
        # The deep link ends with the operationId: #/<tag>/<operationId>
        link = path_element.locator("a").get_attribute("href") or ""
        operation_id = urllib.parse.unquote(link.rpartition("/")[2])
        listed.add((method, path, operation_id))
    return listed


def test_docs_ui_lists_every_operation_of_the_contract(docs: DocsUI) -> None:
    """The UI shows exactly the operations the contract declares, by method, path and id."""
    assert _listed_operations(docs.page) == _declared_operations()


def test_docs_ui_loads_everything_from_the_server_itself(docs: DocsUI, server: LiveServer) -> None:
    """Page, scripts, styles and the contract all come from this server: the UI works offline."""
    assert f"{server.base_url}/api/v1/openapi.json" in docs.requested
    outside = [url for url in docs.requested if not url.startswith((server.base_url, "data:"))]
    assert outside == []


def test_try_it_out_on_the_smoke_test_shows_200_and_its_json_body(docs: DocsUI) -> None:
    """Expanding the smoke test, Try it out then Execute shows a live 200 with the JSON body."""
    ui = docs.page
    # The GET block: the contract declares HEAD on the same path too.
    operation = ui.locator(".opblock-get").filter(has=ui.locator('[data-path="/smoke-test"]'))
    operation.locator(".opblock-summary-control").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()

    live_response = operation.locator(".live-responses-table .response")
    expect(live_response.locator(".response-col_status")).to_have_text("200")
    body_element = live_response.locator(".response-col_description pre").first
    expect(body_element).to_contain_text('"status"')
    SCREENSHOT.parent.mkdir(exist_ok=True)
    ui.screenshot(path=SCREENSHOT, full_page=True)

    body = json.loads(body_element.inner_text())
    assert body["status"] == "ok"
    assert body["message"] == "PetSage system is alive and purring!"
