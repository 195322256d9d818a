"""Browser fixtures: Debian's Chromium driven by Playwright, and host pages on another site.

Without Chromium these tests skip loudly on a laptop; in CI (``CI=true``) ``.ci/run`` turns any
skip into a failure, so they always run there."""

from __future__ import annotations

import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

CHROMIUM = (
    os.environ.get("SUPPORT_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="session")
def playwright_instance():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("BROWSER TESTS SKIPPED: the playwright package is not installed")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"BROWSER TESTS SKIPPED: no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


class _HostHandler(http.server.BaseHTTPRequestHandler):
    pages: dict[str, str] = {}

    def do_GET(self):  # noqa: N802 (http.server's naming)
        body = self.pages.get(self.path.split("?")[0])
        if body is None:
            self.send_error(404)
            return
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def host_site():
    """A web server for host pages at ``http://localhost:PORT``: another site than the support
    server at ``127.0.0.1``, as a customer's site would be. ``host_site.add(path, html)`` serves
    a page and returns its URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HostHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    class HostSite:
        origin = f"http://localhost:{server.server_address[1]}"

        def add(self, path: str, html: str) -> str:
            _HostHandler.pages[path] = html
            return self.origin + path

    yield HostSite()
    server.shutdown()


def embed_page(support_url: str, title: str = "Host page", extra: str = "") -> str:
    """A host page with the one-line embed."""
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><main><h1>{title}</h1><p>Some article text.</p>{extra}</main>"
        f"<script src='{support_url}/widget.js' async></script></body></html>"
    )


def run_axe(page_or_frame) -> list:
    """axe-core's violations on a page or frame (vendored from npm, injected by the test)."""
    page_or_frame.add_script_tag(content=AXE_JS.read_text())
    return page_or_frame.evaluate("async () => (await axe.run()).violations")


def save_screenshot(page, name: str, *, full_page: bool = False) -> None:
    """Into ``test-artifacts/`` always; into ``docs/screenshots/`` (the README's pictures) only
    with ``SUPPORT_UPDATE_SCREENSHOTS=1``, so running the tests never changes tracked files."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=full_page)
    assert path.stat().st_size > 10_000
    if os.environ.get("SUPPORT_UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOCS_SCREENSHOTS / name)
