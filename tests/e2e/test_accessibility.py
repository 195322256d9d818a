"""axe-core on the pages agents and admins work in (the widget has its own test)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import run_axe
from tests.e2e.test_admin_browser import sign_in_as_admin
from tests.test_admin import ADMIN_PAGES

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

PAGES = [*ADMIN_PAGES, "/dashboard/"]
SERIOUS = ("serious", "critical")


def serious(violations: list) -> list:
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in violations
        if v["impact"] in SERIOUS
    ]


def test_sign_in_page_has_no_serious_violations(server, browser):
    context = browser.new_context(bypass_csp=True)  # axe is injected as an inline script
    page = context.new_page()
    page.goto(server.url + "/login")
    assert serious(run_axe(page)) == []
    context.close()


@pytest.fixture(scope="module")
def admin_page(server, browser):
    """One signed-in admin for all the pages (axe is injected as inline script: bypass CSP)."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    sign_in_as_admin(page, server)
    yield page
    context.close()


@pytest.mark.parametrize("path", PAGES)
def test_admin_and_dashboard_pages_have_no_serious_violations(admin_page: Page, server, path):
    admin_page.goto(server.url + path)
    admin_page.wait_for_load_state("networkidle")
    assert serious(run_axe(admin_page)) == [], path
