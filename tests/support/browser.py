"""Browser-test helpers: Debian's Chromium through Playwright, a request log, axe-core.

The fixtures in tests/browser/conftest.py are built from these; pages' tests use them as
`browser`, `page`, `request_log` and `axe`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Page, Request, WebSocket

CHROMIUM = Path(os.environ.get("OKR_TEST_CHROMIUM", "/usr/bin/chromium"))
# Headless, and nothing that makes Chromium itself talk to the network (updates, sync,
# QUIC probes): a request that leaves the origin must come from the page.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
AXE_SOURCE = Path(__file__).resolve().parents[1] / "browser" / "vendor" / "axe.min.js"
BLOCKING_IMPACTS = frozenset({"serious", "critical"})
# Schemes that name content in the page itself, not a server.
LOCAL_SCHEMES = frozenset({"data", "about", "javascript"})
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def origin_of(url: str) -> str | None:
    """`scheme://host:port` of a URL (None for data:/about: URLs, which reach no server)."""
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return None
    if parts.scheme == "blob":
        return origin_of(parts.path)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    return f"{scheme}://{parts.hostname}:{port}"


@dataclass
class RequestLog:
    """Every URL a browser context asked for (requests, including failed ones, and websockets)."""

    urls: list[str] = field(default_factory=list)

    def attach(self, context: BrowserContext) -> None:
        context.on("request", self._on_request)
        context.on("page", lambda page: page.on("websocket", self._on_websocket))

    def _on_request(self, request: Request) -> None:
        self.urls.append(request.url)

    def _on_websocket(self, socket: WebSocket) -> None:
        self.urls.append(socket.url)

    def off_origin(self, origin: str) -> list[str]:
        """The URLs that would reach a server other than `origin`."""
        home = origin_of(origin)
        return [url for url in self.urls if origin_of(url) not in (None, home)]

    def assert_same_origin(self, origin: str) -> None:
        assert self.urls, "no request was recorded: is the log attached to the page's context?"
        strays = self.off_origin(origin)
        assert not strays, f"requests left {origin}: {strays}"


def axe_violations(page: Page, options: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Run axe-core on the page; return its serious and critical violations, in short form.

    The script is evaluated through the DevTools protocol, so the page's
    Content-Security-Policy (no inline scripts) neither blocks it nor has to be loosened.
    """
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE.read_text())
    results = page.evaluate("options => window.axe.run(document, options)", options or {})
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [node["target"] for node in violation["nodes"]],
        }
        for violation in results["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]
