"""Browser fixtures: one headless Debian Chromium per test package, a fresh context per test.

- `browser`: the Playwright `Browser` (skipped when Chromium is missing, failed under CI=true).
  Package-scoped, not session-scoped: while Playwright's sync API is running, the main thread
  has a running asyncio loop, and every later `asyncio.run()` in the session would fail.
- `request_log`: a `RequestLog` of every URL the test's page asked for;
  `request_log.assert_same_origin("http://127.0.0.1:8000")`.
- `console_errors`: the page's console errors and uncaught exceptions (CSP refusals show here).
- `page`: a Playwright `Page` in a new context whose requests go to `request_log`.
- `axe`: `axe(page)` returns axe-core's serious and critical violations on that page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, RequestLog, axe_violations
from tests.support.missing import missing

TIMEOUT_MS = 10_000


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is missing: apt-get install --no-install-recommends chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS), headless=True,
        )
        yield chromium
        chromium.close()


@pytest.fixture
def request_log() -> RequestLog:
    return RequestLog()


@pytest.fixture
def console_errors() -> list[str]:
    return []


@pytest.fixture
def page(browser: Browser, request_log: RequestLog, console_errors: list[str]) -> Iterator[Page]:
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    request_log.attach(context)
    new_page = context.new_page()
    new_page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    new_page.on("pageerror", lambda error: console_errors.append(str(error)))
    yield new_page
    context.close()


@pytest.fixture
def axe() -> Callable[..., list[dict[str, Any]]]:
    return axe_violations
