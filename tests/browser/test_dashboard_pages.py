"""Every page of the dashboard on `okr demo`'s organisation, in Chromium: the tree equals the
JSON tree at the same instants, the time slider moves it and the URL, the changes page lists
what the API lists, charts have their points; no request leaves the origin and axe-core
finds no serious violation on any page; the pages read without JavaScript.

With OKR_UPDATE_SCREENSHOTS=1 the module runs on the `demo` scale (what `okr demo` records)
and writes the README's screenshots to docs/img/.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from eventstore import Store
from eventstore.database import create_database, drop_database
from okr.bootstrap import start_store
from okr.demo import DemoSummary, generate
from okr.settings import Settings
from projections.runner import catch_up
from tests.support.browser import RequestLog
from tests.support.dashboard import api, ok, serve_dashboard, sign_in
from tests.support.http import BOOTSTRAP

UPDATE_SCREENSHOTS = os.environ.get("OKR_UPDATE_SCREENSHOTS") == "1"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "img"
Axe = Callable[[Page], list[dict[str, Any]]]
# The page's tree as nested nodes, read from the DOM (ids, titles, progress, KRs).
READ_TREE = """() => {
  const walk = (list) => list ? [...list.children].filter((li) => li.matches("li.node"))
    .map((li) => ({
      id: li.dataset.id, title: li.querySelector(":scope > .row > a.title").textContent,
      progress: Number(li.dataset.progress),
      key_results: [...li.querySelectorAll(":scope > ul.krs > li")]
        .map((kr) => ({id: kr.dataset.id, progress: Number(kr.dataset.progress)})),
      children: walk(li.querySelector(":scope > ul.children")),
    })) : [];
  return walk(document.getElementById("tree"));
}"""


@dataclass
class Demo:
    base: str
    summary: DemoSummary

    @property
    def cycle(self) -> str:
        return self.summary.current_cycle

    def get(self, path: str, **params: Any) -> Any:
        with api(self.base) as admin:
            return ok(admin.get(path, params=params))


@pytest.fixture(scope="module")
def demo(pg_server_url: str) -> Iterator[Demo]:
    name = f"okr_test_{uuid.uuid4().hex[:12]}"
    url = create_database(pg_server_url, name)
    store: Store = start_store(Settings(database_url=url))
    try:
        summary = generate(store.app, seed=7, scale="demo" if UPDATE_SCREENSHOTS else "small")
        catch_up(store)
        with serve_dashboard(store) as base:
            yield Demo(base, summary)
    finally:
        store.close()
        drop_database(pg_server_url, name)


@pytest.fixture
def signed_in(page: Page, demo: Demo) -> Page:
    sign_in(page, demo.base, BOOTSTRAP)
    return page


def api_tree(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The JSON tree's nodes in the shape READ_TREE gives."""
    return [{"id": n["id"], "title": n["title"], "progress": n["progress"],
             "key_results": [{"id": k["id"], "progress": k["progress"]}
                             for k in n["key_results"]],
             "children": api_tree(n["children"])} for n in nodes]


def expand_all(page: Page) -> None:
    """Open every collapsed node (each loads its children with htmx)."""
    more = page.locator(".more")
    while more.count():
        box = more.first
        box_id = box.get_attribute("id")
        box.get_by_role("link").click()
        expect(page.locator(f"[id='{box_id}']")).to_have_count(0)


def page_tree(page: Page) -> list[dict[str, Any]]:
    expand_all(page)
    tree: list[dict[str, Any]] = page.evaluate(READ_TREE)
    return tree


def as_of_of(page: Page) -> str:
    return parse_qs(urlsplit(page.url).query)["as_of"][0]


def test_the_demo_gives_every_view_something_to_show(signed_in: Page, demo: Demo) -> None:
    cycles = demo.get("/v1/cycles")["items"]
    groups: dict[str, int] = {}
    for cycle in cycles[-2:]:  # the open quarter and the one before, from their first day
        found = demo.get("/v1/changes", cycle=cycle["key"],
                         since=f"{cycle['starts_on']}T00:00:00Z",
                         until=demo.summary.last_recorded_at.isoformat())
        for group in ("added", "archived", "realigned", "reassigned", "retargeted", "progress"):
            groups[group] = groups.get(group, 0) + len(found[group])
    assert all(groups.values()), groups
    history = demo.get("/v1/history")["items"]
    assert len(history) >= 3 and sum(q["carried_in"] for q in history) > 0
    teams = demo.get("/v1/insights/engagement", cycle=demo.cycle)["items"]
    assert sum(t["stale_key_results"] for t in teams) > 0
    assert sum(t["lagging_key_results"] for t in teams) > 0
    signed_in.goto(f"{demo.base}/ui/health?cycle={demo.cycle}")
    expect(signed_in.get_by_role("heading", name="Stale key results").first).to_be_visible()
    expect(signed_in.get_by_role("heading", name="Lagging key results").first).to_be_visible()


def test_the_tree_opens_two_levels_and_loads_deeper_ones_on_demand(
    signed_in: Page, demo: Demo
) -> None:
    page = signed_in
    page.goto(f"{demo.base}/ui/tree?cycle={demo.cycle}")
    assert page.locator("#tree > li > ul.children > li > ul.children").count() == 0
    collapsed = page.locator(".more").first
    expect(collapsed).to_contain_text("Show")
    url = page.url
    collapsed.get_by_role("link").click()
    expect(page.locator("#tree > li > ul.children > li > ul.children").first).to_be_visible()
    assert page.url == url  # opening a node is no new view


@pytest.mark.parametrize("weeks_back, valid_weeks_back", [(None, None), (4, None), (4, 6)])
def test_the_tree_is_the_json_tree_at_the_same_cycle_as_of_and_valid_at(
    signed_in: Page, demo: Demo, weeks_back: int | None, valid_weeks_back: int | None
) -> None:
    now = demo.summary.last_recorded_at
    params = {"cycle": demo.cycle}
    for name, weeks in (("as_of", weeks_back), ("valid_at", valid_weeks_back)):
        if weeks is not None:
            params[name] = (now - timedelta(weeks=weeks)).astimezone(UTC).isoformat()
    expected = demo.get("/v1/alignment-tree", **params)
    assert expected["roots"]
    signed_in.goto(f"{demo.base}/ui/tree?" + "&".join(
        f"{k}={v.replace('+', '%2B')}" for k, v in params.items()))
    assert page_tree(signed_in) == api_tree(expected["roots"])


def test_moving_the_slider_changes_the_tree_and_the_url_and_a_reload_shows_the_same(
    signed_in: Page, demo: Demo
) -> None:
    page = signed_in
    page.goto(f"{demo.base}/ui/tree?cycle={demo.cycle}")
    now_tree = page.evaluate(READ_TREE)
    slider = page.get_by_label("Recorded by (time slider)")
    low, high, step = (int(slider.get_attribute(a) or 0) for a in ("min", "max", "step"))
    target = low + (high - low) // step // 3 * step
    slider.fill(str(target))
    expect(page).to_have_url(re.compile(r"as_of="))
    as_of = as_of_of(page)
    assert datetime.fromisoformat(as_of) == datetime.fromtimestamp(target, tz=UTC)
    expect(page.get_by_role("heading", name=re.compile("as recorded by"))).to_be_visible()
    moved = page.evaluate(READ_TREE)
    assert moved != now_tree
    page.reload()
    assert page.evaluate(READ_TREE) == moved
    expected = demo.get("/v1/alignment-tree", cycle=demo.cycle, as_of=as_of)
    assert page_tree(page) == api_tree(expected["roots"])


def test_the_team_filter_keeps_that_teams_objectives_in_the_url(
    signed_in: Page, demo: Demo
) -> None:
    page = signed_in
    page.goto(f"{demo.base}/ui/tree?cycle={demo.cycle}")
    page.get_by_label("Team").select_option(label="Engineering")
    expect(page).to_have_url(re.compile(r"team=[0-9a-f-]{36}"))
    owners = set(page.locator("#tree .owner").all_inner_texts())
    assert owners and "Sales" not in owners and "Northwind Labs" not in owners


def test_the_changes_page_lists_what_the_api_lists(signed_in: Page, demo: Demo) -> None:
    until = demo.summary.last_recorded_at
    since = until - timedelta(weeks=6)
    params = {"cycle": demo.cycle, "since": since.isoformat(), "until": until.isoformat()}
    expected = demo.get("/v1/changes", **params)
    signed_in.goto(f"{demo.base}/ui/changes?" + "&".join(
        f"{k}={v.replace('+', '%2B')}" for k, v in params.items()))
    for group in ("added", "archived", "realigned", "reassigned", "retargeted", "progress"):
        shown = signed_in.locator(f"section[data-group={group}] li[data-id]")
        ids = [shown.nth(i).get_attribute("data-id") for i in range(shown.count())]
        assert ids == [item["id"] for item in expected[group]], group
    assert sum(len(expected[g]) for g in ("added", "progress")) > 0


def test_a_key_result_chart_has_a_point_per_effective_instant_and_the_target(
    signed_in: Page, demo: Demo
) -> None:
    kr, _, _ = demo.summary.examples["corrected_key_result"]
    items = demo.get(f"/v1/key-results/{kr}/check-ins")["items"]
    effective = {datetime.fromisoformat(i["effective_at"]) for i in items}
    assert len(effective) < len(items)  # a correction shares its effective time
    signed_in.goto(f"{demo.base}/ui/key-results/{kr}")
    signed_in.wait_for_function("() => window.Chart && Chart.getChart('kr-chart')")
    datasets = signed_in.evaluate(
        "Chart.getChart('kr-chart').data.datasets.map((d) => [d.label, d.data.length])")
    assert datasets[0][1] == len(effective)
    assert datasets[1] == ["target", 2]
    assert signed_in.locator("#check-ins + table tbody tr").count() == len(items)
    expect(signed_in.locator("tr.correction").first).to_be_visible()


def test_the_history_charts_show_every_cycle(signed_in: Page, demo: Demo) -> None:
    cycles = [item["cycle"] for item in demo.get("/v1/history")["items"]]
    signed_in.goto(f"{demo.base}/ui/history")
    signed_in.wait_for_function("() => window.Chart && Chart.getChart('history-counts')")
    for chart in ("history-rates", "history-counts"):
        assert signed_in.evaluate(f"Chart.getChart('{chart}').data.labels") == cycles
    assert len(cycles) >= 3
    expect(signed_in.locator(".lineage li").first).to_contain_text("→")


def pages(demo: Demo) -> list[str]:
    """One address of every view, with the demo's data."""
    week_ago = (demo.summary.last_recorded_at - timedelta(weeks=1)).astimezone(UTC)
    stamp = week_ago.strftime("%Y-%m-%dT%H:%M:%SZ")
    kr, _, _ = demo.summary.examples["corrected_key_result"]
    objective = demo.summary.examples["realigned_objective"]
    team = demo.get("/v1/teams")["items"][1]["id"]
    return [
        "/ui/", f"/ui/tree?cycle={demo.cycle}", f"/ui/tree?cycle={demo.cycle}&as_of={stamp}",
        f"/ui/changes?cycle={demo.cycle}", f"/ui/objectives/{objective}",
        f"/ui/key-results/{kr}", f"/ui/key-results/{kr}?as_of={stamp}", "/ui/history",
        f"/ui/history?owner_type=team&owner_id={team}", f"/ui/health?cycle={demo.cycle}",
        "/ui/audit", f"/ui/audit?entity_id={objective}", "/ui/logout",
    ]


PAGE_COUNT = 13


@pytest.mark.parametrize("index", range(PAGE_COUNT))
def test_every_page_stays_on_its_origin_and_passes_axe(
    signed_in: Page, demo: Demo, request_log: RequestLog, console_errors: list[str], axe: Axe,
    index: int,
) -> None:
    paths = pages(demo)
    assert len(paths) == PAGE_COUNT
    answer = signed_in.goto(demo.base + paths[index])
    assert answer is not None and answer.status == 200, paths[index]
    signed_in.wait_for_load_state("networkidle")
    assert axe(signed_in) == [], paths[index]
    request_log.assert_same_origin(demo.base)
    assert console_errors == [], paths[index]


def test_the_sign_in_page_stays_on_its_origin_and_passes_axe(
    page: Page, demo: Demo, request_log: RequestLog, console_errors: list[str], axe: Axe,
) -> None:
    page.goto(f"{demo.base}/ui/login")
    assert axe(page) == []
    request_log.assert_same_origin(demo.base)
    assert console_errors == []


def test_the_pages_read_without_javascript(browser: Browser, demo: Demo) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, demo.base, BOOTSTRAP, start=f"/ui/tree?cycle={demo.cycle}")
        expect(page.locator("#tree > li").first).to_be_visible()
        expect(page.get_by_label("Recorded by (time slider)")).to_be_hidden()
        page.get_by_role("navigation", name="The tree at the end of each week") \
            .get_by_role("link", name=re.compile("week 2")).click()
        expect(page).to_have_url(re.compile(r"as_of="))
        page.locator(".more a").first.click()
        expect(page).to_have_url(re.compile(r"root=[0-9a-f-]{36}"))
        expect(page.locator(".crumbs")).to_contain_text("Whole tree")
        page.get_by_role("button", name="Show").click()  # the form, every field sent
        assert "=&" not in page.url and not page.url.endswith("=")
    finally:
        context.close()


def test_screenshots_of_the_tree_at_two_instants_and_of_the_history(
    signed_in: Page, demo: Demo, tmp_path: Path
) -> None:
    """Written to docs/img/ only with OKR_UPDATE_SCREENSHOTS=1 (the README shows them)."""
    folder = SCREENSHOTS if UPDATE_SCREENSHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page = signed_in
    page.set_viewport_size({"width": 1280, "height": 900})
    earlier = (demo.summary.last_recorded_at - timedelta(weeks=5)).astimezone(UTC)
    shots = {
        "tree-now.png": f"/ui/tree?cycle={demo.cycle}",
        "tree-earlier.png": f"/ui/tree?cycle={demo.cycle}&as_of="
                            + earlier.strftime("%Y-%m-%dT%H:00:00Z"),
        "history.png": "/ui/history",
    }
    for name, path in shots.items():
        page.goto(demo.base + path)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=folder / name)
        assert (folder / name).read_bytes().startswith(b"\x89PNG")
