"""The browser harness itself, on a tiny app built on base.html and the vendored htmx.

It serves what the dashboard will (a page under a strict Content-Security-Policy, the
vendored files as package data) and checks that the fixtures see what they must: every
request, a request to another origin, and axe-core's violations.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import jinja2
import pytest
from playwright.sync_api import Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from tests.support.browser import RequestLog
from tests.support.live_server import live_server

CSP = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
PAGES = {
    "harness.html": """{% extends "base.html" %}
{% block title %}Harness{% endblock %}
{% block content %}
<h1>Harness</h1>
<button type="button" hx-get="/ui/fragment" hx-target="#out">Load the fragment</button>
<p id="out" aria-live="polite">Not loaded yet.</p>
{% endblock %}""",
    "stray.html": """{% extends "base.html" %}
{% block content %}<h1>Stray</h1><img alt="a pixel" src="{{ elsewhere }}/pixel.png">
{% endblock %}""",
    "inaccessible.html": """<!doctype html><html><head><title>Bad</title></head>
<body><img src="/nowhere.png"><button type="button"></button></body></html>""",
}
Axe = Callable[[Page], list[dict[str, Any]]]


def harness_app(elsewhere: str) -> Starlette:
    templates = jinja2.Environment(
        loader=jinja2.ChoiceLoader([
            jinja2.DictLoader(PAGES), jinja2.PackageLoader("api.ui", "templates"),
        ]),
        autoescape=True,
    )

    async def show(request: Request) -> HTMLResponse:
        html = templates.get_template(f"{request.path_params['name']}.html")
        return HTMLResponse(html.render(elsewhere=elsewhere),
                            headers={"Content-Security-Policy": CSP})

    async def fragment(_: Request) -> HTMLResponse:
        return HTMLResponse("Loaded from the server.")

    return Starlette(routes=[
        Route("/ui/fragment", fragment),
        Route("/ui/page/{name}", show),
        Mount("/ui/static", StaticFiles(packages=[("api.ui", "static")])),
    ])


@pytest.fixture(scope="module")
def closed_port() -> Iterator[int]:
    """A loopback port that is bound but never listens: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(closed_port: int) -> Iterator[str]:
    with live_server(harness_app(f"http://127.0.0.1:{closed_port}")) as url:
        yield url


def test_a_page_on_base_html_runs_htmx_without_leaving_its_origin(
    page: Page, request_log: RequestLog, console_errors: list[str], server: str,
) -> None:
    page.goto(f"{server}/ui/page/harness")
    page.get_by_role("button", name="Load the fragment").click()
    expect(page.locator("#out")).to_have_text("Loaded from the server.")
    assert f"{server}/ui/static/vendor/htmx.min.js" in request_log.urls
    assert f"{server}/ui/fragment" in request_log.urls
    request_log.assert_same_origin(server)
    assert console_errors == []


def test_a_page_on_base_html_has_no_serious_accessibility_violation(
    page: Page, axe: Axe, server: str,
) -> None:
    page.goto(f"{server}/ui/page/harness")
    assert axe(page) == []


def test_a_request_to_another_origin_is_caught_even_when_it_fails(
    page: Page, request_log: RequestLog, server: str, closed_port: int,
) -> None:
    page.goto(f"{server}/ui/page/stray")
    stray = f"http://127.0.0.1:{closed_port}/pixel.png"
    # The page's own policy blocks the image before any connection; the log still sees it.
    assert request_log.off_origin(server) == [stray]
    with pytest.raises(AssertionError, match="requests left"):
        request_log.assert_same_origin(server)


def test_axe_reports_the_serious_violations_of_an_inaccessible_page(
    page: Page, axe: Axe, server: str,
) -> None:
    page.goto(f"{server}/ui/page/inaccessible")
    found = {violation["id"] for violation in axe(page)}
    assert {"html-has-lang", "image-alt", "button-name"} <= found
