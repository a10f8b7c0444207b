"""Dashboard metrics: the tree page against the JSON tree, and the large tree's first page.

Both compare server time (the `Server-Timing: app;dur=` header every answer carries: from
the request's arrival to the answer's headers), so the client's own parsing is left out.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

import httpx

from bench.harness import Context, Result, bound_result, metric, p, ratio_result
from bench.http_metrics import okr_server
from bench.store_metrics import _instants

REQUESTS = 40
SERVER_TIME = re.compile(r"app;dur=([0-9.]+)")


def sign_in(http: httpx.Client, token: str) -> None:
    """A dashboard session in the client's cookies, as a browser gets one."""
    form = http.get("/ui/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert csrf is not None, "no sign-in form"
    answer = http.post("/ui/login", data={"token": token, "csrf_token": csrf[1]})
    assert answer.status_code == 303, answer.text


def server_ms(http: httpx.Client, path: str, params: dict[str, Any]) -> float:
    answer = http.get(path, params=params)
    answer.raise_for_status()
    found = SERVER_TIME.search(answer.headers.get("server-timing", ""))
    assert found is not None, "no Server-Timing header"
    return float(found[1])


@metric("ui_tree_vs_api")
def ui_tree_vs_api(ctx: Context) -> Result:
    token = secrets.token_urlsafe(24)
    cycle = ctx.cycles[-1]
    queries = [{"cycle": cycle, "as_of": t.isoformat()} for t in _instants(ctx, REQUESTS, cycle)]
    with okr_server(ctx, token) as base, \
            httpx.Client(base_url=base, timeout=60, follow_redirects=False,
                         headers={"Authorization": f"Bearer {token}"}) as http:
        sign_in(http, token)
        for query in queries[:4]:  # warm both paths
            server_ms(http, "/ui/tree", query)
            server_ms(http, "/v1/alignment-tree", query)
        page, tree = [], []
        for query in queries:  # interleaved: both see the same machine at the same moment
            tree.append(server_ms(http, "/v1/alignment-tree", query))
            page.append(server_ms(http, "/ui/tree", query))
    return ratio_result(p(page, 0.95), p(tree, 0.95), at_most=1.5, unit="ms (p95)",
                        note=f"cycle {cycle}, {REQUESTS} instants over its history, server "
                             "time (Server-Timing); the page: first page of roots, two "
                             "levels open, with health and names")


@metric("ui_large_tree_ms")
def ui_large_tree_ms(ctx: Context) -> Result:
    token = secrets.token_urlsafe(24)
    cycle = ctx.cycles[-1]
    with okr_server(ctx, token) as base, \
            httpx.Client(base_url=base, timeout=60, follow_redirects=False) as http:
        sign_in(http, token)
        for _ in range(4):
            server_ms(http, "/ui/tree", {"cycle": cycle})
        samples = [server_ms(http, "/ui/tree", {"cycle": cycle}) for _ in range(REQUESTS)]
    return bound_result(p(samples, 0.95), at_most=100, unit="ms (p95)",
                        note=f"cycle {cycle} now, first page collapsed below two levels, "
                             f"{REQUESTS} requests, server time; the goal is for `large`")
